package term_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"ticketkiosk/device"
	"ticketkiosk/device/term"
)

func ExampleParseKeys() {
	for _, k := range term.ParseKeys([]byte("1001\r\n\x1b[B\x1bq\x7f")) {
		fmt.Print(k, " ")
	}
	fmt.Println()
	// Output: 1 0 0 1 OK Down Cancel q Backspace
}

func ExampleDisplay() {
	d, err := term.NewDisplay(os.Stdout, false, 4, 20)
	if err != nil {
		panic(err)
	}
	d.Show([]string{"Concert Zima", "Adult x 2", "", "OK=print " + string(device.GlyphOffline)})
	d.Show([]string{"Concert Zima", "Adult x 2", "", "OK=print " + string(device.GlyphOffline)})
	d.Show([]string{"Printing..."})
	// Output:
	// Concert Zima | Adult x 2 |  | OK=print [off]
	// Printing...
}

func ExampleKeypad() {
	// A scripted session: the keys come from a pipe, in order, then io.EOF.
	k, err := term.NewKeypad(strings.NewReader("42\n\x1b[A\n"), false, nil)
	if err != nil {
		panic(err)
	}
	defer k.Halt()
	for {
		key, err := k.ReadKey(context.Background())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(key)
	}
	// Output:
	// 4
	// 2
	// OK
	// Up
	// OK
	// EOF
}
