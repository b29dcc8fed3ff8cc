package escpos_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"log"

	"ticketkiosk/escpos"
)

func ExampleBuilder() {
	var buf bytes.Buffer
	b := escpos.NewBuilder(&buf, escpos.Epson)
	b.Init().CodePage("WPC1251").Bold(true).Line("Билет").Bold(false).FeedCut(escpos.PartialCut, 0)
	if err := b.Flush(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", buf.Bytes())
	// Output: 1b 40 1b 45 01 1b 74 2e c1 e8 eb e5 f2 0a 1b 45 00 1d 56 42 00
}

func ExampleBuilder_Text() {
	// PC866 has Cyrillic but no euro sign: the € goes out in another page of the
	// printer (WPC1252, ESC t 16).
	var buf bytes.Buffer
	b := escpos.NewBuilder(&buf, escpos.Epson)
	b.CodePage("PC866").Text("Цена: 20 €")
	// A printer with no page but PC437 gets Bulgarian in Latin letters, and € as EUR.
	latin := escpos.Epson
	latin.CodePages = map[string]byte{"PC437": 0}
	l := escpos.NewBuilder(&buf, latin)
	l.Text("; Цена: 20 €")
	if err := b.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n%v\n", buf.String(), l.Degraded())
	// Output:
	// "\x1bt\x11\x96\xa5\xad\xa0: 20 \x1bt\x10\x80; Tsena: 20 EUR"
	// ["Цена" printed as "Tsena": no code page of Epson TM-T20 class has it "€" printed as "EUR": no code page of Epson TM-T20 class has it]
}

func ExampleParse() {
	cmds, err := escpos.Parse([]byte("\x1b@\x1bE\x01Hi\n\x1b\x07\x1dVA\x03"))
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cmds {
		fmt.Println(c)
	}
	// Output:
	// INIT
	// BOLD 1
	// TEXT "Hi"
	// LF
	// UNKNOWN 1b 07
	// CUT 65 3
}

func ExampleParseStatus() {
	s, err := escpos.ParseStatus([4]byte{0x1a, 0x16, 0x12, 0x1e})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s, s.Ready())
	_, err = escpos.ParseStatus([4]byte{0xff, 0x12, 0x12, 0x12})
	fmt.Println(err)
	// Output:
	// cover open, paper near end false
	// escpos: DLE EOT 1 reply 0xff: malformed status byte
}

func ExampleWrap() {
	for _, l := range escpos.Wrap("Концерт на Щурците в зала 1 на НДК", 16) {
		fmt.Printf("|%-16s|\n", l)
	}
	fmt.Println(escpos.Columns("Правостоящ", "20,00 €", 24))
	// Output:
	// |Концерт на      |
	// |Щурците в зала 1|
	// |на НДК          |
	// Правостоящ       20,00 €
}

func ExampleBuilder_Image() {
	// A 16×2 logo: a black bar over a 50 % grey one, which dithers to every other dot.
	img := image.NewGray(image.Rect(0, 0, 16, 2))
	for x := range 16 {
		img.SetGray(x, 0, color.Gray{Y: 0})
		img.SetGray(x, 1, color.Gray{Y: 128})
	}
	var buf bytes.Buffer
	b := escpos.NewBuilder(&buf, escpos.Epson)
	b.Image(img, escpos.ImageOptions{Dither: escpos.FloydSteinberg})
	if err := b.Flush(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", buf.Bytes())
	// Output: 1d 76 30 00 02 00 02 00 ff ff 55 55
}
