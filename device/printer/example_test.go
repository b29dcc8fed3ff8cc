package printer_test

import (
	"context"
	"fmt"
	"os"

	"ticketkiosk/device/printer"
)

// A file printer keeps each job with a picture and a transcript of it, for the demo.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "tickets")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	p, err := printer.Open(printer.Config{Kind: printer.KindFile, Path: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Halt()
	st, err := p.Status(context.Background())
	fmt.Println(st, err)
	if err := p.Print(context.Background(), []byte("\x1b@Hello\n\x1dV\x01")); err != nil {
		fmt.Println(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	txt, _ := os.ReadFile(dir + "/000001.txt")
	fmt.Print(string(txt))
	// Output:
	// ready <nil>
	// 000001.escpos
	// 000001.png
	// 000001.txt
	// Hello
	// --- cut ---
}
