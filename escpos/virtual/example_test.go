package virtual_test

import (
	"bytes"
	"fmt"
	"log"
	"net"

	"ticketkiosk/escpos"
	"ticketkiosk/escpos/virtual"
)

func ExampleRender() {
	var buf bytes.Buffer
	b := escpos.NewBuilder(&buf, escpos.Clone)
	b.Init().CodePage("PC866").Justify(escpos.Center).Line("Щурците").
		QR("TK1:0001", escpos.QROptions{Level: escpos.QRLevelM}).
		Code128("TK-0001", escpos.BarcodeOptions{})
	if err := b.Flush(); err != nil {
		log.Fatal(err)
	}
	paper, err := virtual.Render(buf.Bytes(), virtual.RenderOptions{Profile: escpos.Clone})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(paper.Text)
	fmt.Println(paper.QRCodes, paper.Barcodes, paper.Image.Bounds().Dx())
	// Output:
	// Щурците
	// [QR: TK1:0001]
	// [CODE128: TK-0001]
	// [TK1:0001] [TK-0001] 384
}

func ExamplePrinter() {
	v := virtual.NewPrinter()
	v.SetState(virtual.StatePaperNearEnd)
	v.Write([]byte("Hello\n"))
	v.Write(escpos.StatusQuery(4))
	fmt.Printf("% x %q\n", v.ReadReplies(), v.Job())
	// Output: 1e "Hello\n"
}

func ExamplePrinter_Serve() {
	// The driver's end of a connection to a printer; here a virtual one with the
	// cover open.
	host, printer := net.Pipe()
	defer host.Close()
	v := virtual.NewPrinter()
	v.SetState(virtual.StateCoverOpen)
	go v.Serve(printer)

	s, err := escpos.QueryStatus(host)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s, s.Ready())
	// Output: cover open false
}
