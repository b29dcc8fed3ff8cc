package escpos

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"io"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

func build(t *testing.T, p Profile, f func(b *Builder)) []byte {
	t.Helper()
	var buf bytes.Buffer
	b := NewBuilder(&buf, p)
	f(b)
	if err := b.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return buf.Bytes()
}

// The expected bytes are transcribed from the Epson ESC/POS command reference.
func TestBuilderCommands(t *testing.T) {
	tests := []struct {
		name string
		prof Profile
		f    func(b *Builder)
		want []byte
	}{
		// The page is selected (ESC t) before the first character that needs it, never
		// before a reset or another page replaces it.
		{"init epson", Epson, func(b *Builder) { b.Init() }, []byte{0x1b, 0x40}},
		{"init clone cancels kanji", Clone, func(b *Builder) { b.Init() }, []byte{0x1b, 0x40, 0x1c, 0x2e}},
		{"init reselects page", Epson, func(b *Builder) { b.CodePage("PC866").Text("Ж").Init().Text("Ж") },
			[]byte{0x1b, 0x74, 17, 0x86, 0x1b, 0x40, 0x1b, 0x74, 17, 0x86}},
		{"page replaced unused", Epson, func(b *Builder) { b.Init().CodePage("PC437").Text("ok").CodePage("PC866").Text("Ж") },
			[]byte{0x1b, 0x40, 'o', 'k', 0x1b, 0x74, 17, 0x86}},
		{"page once", Epson, func(b *Builder) { b.CodePage("PC866").Text("Ж").Line("ю").Text("Я") },
			[]byte{0x1b, 0x74, 17, 0x86, 0xee, 0x0a, 0x9f}},
		{"pc866 epson", Epson, func(b *Builder) { b.CodePage("PC866").Text("Ж") }, []byte{0x1b, 0x74, 17, 0x86}},
		{"wpc1251 epson", Epson, func(b *Builder) { b.CodePage("WPC1251").Text("Ж") }, []byte{0x1b, 0x74, 46, 0xc6}},
		{"pc850 epson", Epson, func(b *Builder) { b.CodePage("PC850").Text("é") }, []byte{0x1b, 0x74, 2, 0x82}},
		{"wpc1251 clone", Clone, func(b *Builder) { b.CodePage("WPC1251").Text("Ж") }, []byte{0x1b, 0x74, 73, 0xc6}},
		{"wpc1251 rongta", Rongta, func(b *Builder) { b.CodePage("WPC1251").Text("Ж") }, []byte{0x1b, 0x74, 6, 0xc6}},
		// A character the page lacks goes out in another page of the model, and back.
		{"euro from another page", Epson, func(b *Builder) { b.CodePage("PC866").Text("Ж €5 Ж") },
			[]byte{0x1b, 0x74, 17, 0x86, ' ', 0x1b, 0x74, 16, 0x80, '5', ' ', 0x1b, 0x74, 17, 0x86}},
		{"quotes and numero", Epson, func(b *Builder) { b.CodePage("PC866").Text("„Щ“ №1") },
			[]byte{0x1b, 0x74, 16, 0x84, 0x1b, 0x74, 17, 0x99, 0x1b, 0x74, 16, 0x93, ' ', 0x1b, 0x74, 17, 0xfc, '1'}},
		{"bold on off", Epson, func(b *Builder) { b.Bold(true).Bold(false) }, []byte{0x1b, 0x45, 1, 0x1b, 0x45, 0}},
		{"font B", Epson, func(b *Builder) { b.Font(FontB).Font(FontA) }, []byte{0x1b, 0x4d, 1, 0x1b, 0x4d, 0}},
		{"underline 2", Epson, func(b *Builder) { b.Underline(2) }, []byte{0x1b, 0x2d, 2}},
		{"double both", Epson, func(b *Builder) { b.Size(2, 2) }, []byte{0x1d, 0x21, 0x11}},
		{"double height", Epson, func(b *Builder) { b.Size(1, 2) }, []byte{0x1d, 0x21, 0x01}},
		{"double width", Epson, func(b *Builder) { b.Size(2, 1) }, []byte{0x1d, 0x21, 0x10}},
		{"size 8x8", Epson, func(b *Builder) { b.Size(8, 8) }, []byte{0x1d, 0x21, 0x77}},
		{"center", Epson, func(b *Builder) { b.Justify(Center) }, []byte{0x1b, 0x61, 1}},
		{"right", Epson, func(b *Builder) { b.Justify(Right) }, []byte{0x1b, 0x61, 2}},
		{"line spacing", Epson, func(b *Builder) { b.LineSpacing(24).DefaultLineSpacing() }, []byte{0x1b, 0x33, 24, 0x1b, 0x32}},
		{"feed", Epson, func(b *Builder) { b.Feed(3) }, []byte{0x1b, 0x64, 3}},
		{"line", Epson, func(b *Builder) { b.Line("Hi").LF() }, []byte{'H', 'i', 0x0a, 0x0a}},
		{"full cut", Epson, func(b *Builder) { b.Cut(FullCut) }, []byte{0x1d, 0x56, 0}},
		{"partial cut", Epson, func(b *Builder) { b.Cut(PartialCut) }, []byte{0x1d, 0x56, 1}},
		{"feed partial cut", Epson, func(b *Builder) { b.FeedCut(PartialCut, 3) }, []byte{0x1d, 0x56, 66, 3}},
		{"feed full cut", Epson, func(b *Builder) { b.FeedCut(FullCut, 0) }, []byte{0x1d, 0x56, 65, 0}},
		{"no cutter feeds", Clone, func(b *Builder) { b.Cut(FullCut).FeedCut(PartialCut, 9) }, []byte{0x1b, 0x64, 4, 0x1b, 0x64, 4}},
		{"pulse pin 2", Epson, func(b *Builder) { b.Pulse(2, 100, 500) }, []byte{0x1b, 0x70, 0, 50, 250}},
		{"pulse pin 5", Epson, func(b *Builder) { b.Pulse(5, 2, 4) }, []byte{0x1b, 0x70, 1, 1, 2}},
		{"qr", Epson, func(b *Builder) { b.QR("ABC", QROptions{Module: 4, Level: QRLevelQ}) }, []byte{
			0x1d, 0x28, 0x6b, 4, 0, 49, 65, 50, 0,
			0x1d, 0x28, 0x6b, 3, 0, 49, 67, 4,
			0x1d, 0x28, 0x6b, 3, 0, 49, 69, 50,
			0x1d, 0x28, 0x6b, 6, 0, 49, 80, 48, 'A', 'B', 'C',
			0x1d, 0x28, 0x6b, 3, 0, 49, 81, 48}},
		{"qr defaults", Epson, func(b *Builder) { b.QR("1", QROptions{}) }, []byte{
			0x1d, 0x28, 0x6b, 4, 0, 49, 65, 50, 0,
			0x1d, 0x28, 0x6b, 3, 0, 49, 67, 6,
			0x1d, 0x28, 0x6b, 3, 0, 49, 69, 48,
			0x1d, 0x28, 0x6b, 4, 0, 49, 80, 48, '1',
			0x1d, 0x28, 0x6b, 3, 0, 49, 81, 48}},
		{"code128 digits", Epson, func(b *Builder) { b.Code128("123456", BarcodeOptions{}) }, []byte{
			0x1d, 0x68, 162, 0x1d, 0x77, 3, 0x1d, 0x48, 0,
			0x1d, 0x6b, 73, 5, '{', 'C', 12, 34, 56}},
		{"code128 options", Epson, func(b *Builder) { b.Code128("AB", BarcodeOptions{Height: 80, Module: 2, HRI: HRIBelow}) }, []byte{
			0x1d, 0x68, 80, 0x1d, 0x77, 2, 0x1d, 0x48, 2,
			0x1d, 0x6b, 73, 4, '{', 'B', 'A', 'B'}},
		{"raster", Epson, func(b *Builder) {
			img := image.NewGray(image.Rect(0, 0, 8, 2))
			for x := range 8 {
				img.SetGray(x, 0, color.Gray{})
				img.SetGray(x, 1, color.Gray{Y: 255})
			}
			img.SetGray(3, 1, color.Gray{})
			b.Image(img, ImageOptions{Dither: Threshold})
		}, []byte{0x1d, 0x76, 0x30, 0, 1, 0, 2, 0, 0xff, 0x10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := build(t, tt.prof, tt.f)
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got  % x\nwant % x", got, tt.want)
			}
		})
	}
}

func TestCode128Encoding(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"123456", "{C\x0c\x22\x38"},
		{"12", "{C\x0c"},
		{"A12", "{BA12"},
		{"AB{1", "{BAB{{1"},
		{"AB12345", "{BAB1{C\x17\x2d"},
		{"1234AB", "{C\x0c\x22{BAB"},
		{"12345", "{B1{C\x17\x2d"},
		{"TK-2026-0001", "{BTK-{C\x14\x1a{B-{C\x00\x01"},
		{"{", "{B{{"},
	}
	for _, tt := range tests {
		got, err := encodeCode128(tt.in)
		if err != nil {
			t.Fatalf("encodeCode128(%q): %v", tt.in, err)
		}
		if string(got) != tt.want {
			t.Errorf("encodeCode128(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// And back: the symbols decode to the original text.
		_, text, err := code128Symbols(got)
		if err != nil || text != tt.in {
			t.Errorf("code128Symbols(%q) = %q, %v; want %q", got, text, err, tt.in)
		}
	}
	for _, bad := range []string{"", "é", "a\nb", string(make([]byte, 300))} {
		if _, err := encodeCode128(bad); !errors.Is(err, ErrBarcode) {
			t.Errorf("encodeCode128(%q) error = %v, want ErrBarcode", bad, err)
		}
	}
}

func TestCode128Checksum(t *testing.T) {
	// "PJJ123C" in code set B: 104 + 48·1 + 42·2 + 42·3 + 17·4 + 18·5 + 19·6 + 35·7 = 879,
	// and 879 mod 103 = 55. (The gozxing decoding test checks the checksum independently.)
	sym, _, err := code128Symbols([]byte("{BPJJ123C"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sym[len(sym)-2]; got != 55 {
		t.Errorf("check symbol = %d, want 55", got)
	}
	for i, w := range code128Widths {
		sum := 0
		for _, c := range w {
			sum += int(c - '0')
		}
		want := 11
		if i == 106 {
			want = 13
		}
		if sum != want {
			t.Errorf("symbol %d widths %s sum to %d modules, want %d", i, w, sum, want)
		}
	}
}

func TestTextTranscoding(t *testing.T) {
	tests := []struct {
		page, in string
		want     []byte
	}{
		{"PC437", "Hello, world!", []byte("Hello, world!")},
		{"WPC1251", "Жю€", []byte{0xc6, 0xfe, 0x88}},
		{"WPC1251", "София", []byte{0xd1, 0xee, 0xf4, 0xe8, 0xff}},
		{"PC866", "Жю", []byte{0x86, 0xee}},
		{"PC866", "10 €", []byte("10 EUR")},
		{"PC437", "10 €", []byte("10 EUR")},
		{"PC858", "10 €", []byte{'1', '0', ' ', 0xd5}},
		{"PC437", "София", []byte("Sofia")},
		{"PC437", "ЩАСТИЕ и щастие", []byte("SHTASTIE i shtastie")},
		{"PC850", "Café – Цена", []byte{'C', 'a', 'f', 0x82, ' ', '-', ' ', 'T', 's', 'e', 'n', 'a'}},
		{"PC437", "★ ok", []byte("? ok")},
		{"WPC1251", "日本", []byte("??")},
		{"PC437", "a\x1bb\x1d!\x00c", []byte("ab!c")},
		{"PC437", "a\tb\rc", []byte("a bc")},
		{"PC437", "bad \xff byte", []byte("bad ? byte")},
		{"PC437", "a\u0085b", []byte("ab")},
		{"PC866", "ѝ и é", []byte{0xa8, ' ', 0xa8, ' ', 'e'}},
		{"WPC1251", "Ґ ґ ѝ", []byte{0xa5, ' ', 0xb4, ' ', 0xe8}},
		{"PC866", "ґ ђ №", []byte{'?', ' ', '?', ' ', 0xfc}},
		{"PC437", "ґ ѝ „х“", []byte("g i \"h\"")},
		{"PC437", "Ångström", []byte{0x8f, 'n', 'g', 's', 't', 'r', 0x94, 'm'}},
		{"PC866", "Ångström", []byte("Angstrom")},
		{"MIK", "Жю№ 5 €", []byte{0x86, 0xbe, 0xd5, ' ', '5', ' ', 'E', 'U', 'R'}},
		{"MIK", "АаЯя", []byte{0x80, 0xa0, 0x9f, 0xbf}},
		{"PC437", "x\ny", []byte("x\ny")},
	}
	for _, tt := range tests {
		// A printer with this one page: what it lacks degrades.
		one := Rongta
		one.CodePages = map[string]byte{tt.page: Rongta.CodePages[tt.page]}
		got := build(t, one, func(b *Builder) { b.CodePage(tt.page).Text(tt.in) })
		got = bytes.TrimPrefix(got, []byte{0x1b, 't', Rongta.CodePages[tt.page]})
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s %q: got % x (%q), want % x", tt.page, tt.in, got, got, tt.want)
		}
	}
}

func TestTextNeverEmitsControls(t *testing.T) {
	// Whatever the text, the bytes are printable characters or LF: no command can be
	// smuggled in through a name or an event title.
	// Only page switches (ESC t) come between the characters.
	in := string([]rune{0, 1, 0x10, 4, 1, 0x1b, '@', 0x1d, 'V', 0x7f, 0x9b, 'Ж', '€', 0x202e, 0xfffd, '„', '№'})
	for _, page := range CodePageNames() {
		if _, ok := Rongta.CodePages[page]; !ok {
			continue
		}
		got := build(t, Rongta, func(b *Builder) { b.CodePage(page).Text(in) })
		cmds, err := Parse(got)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cmds {
			if c.Op != OpText && c.Op != OpLF && c.Op != OpCodePage {
				t.Errorf("%s: %v in % x", page, c, got)
			}
		}
	}
}

type failWriter struct{ n int }

var errDisk = errors.New("disk on fire")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errDisk
	}
	f.n--
	return len(p), nil
}

func TestBuilderStickyError(t *testing.T) {
	b := NewBuilder(&failWriter{n: 0}, Epson)
	b.Init().Text(string(bytes.Repeat([]byte("x"), 5000))).Line("more")
	if err := b.Err(); !errors.Is(err, errDisk) {
		t.Fatalf("Err after overflowing the buffer = %v, want errDisk", err)
	}
	if err := b.Flush(); !errors.Is(err, errDisk) {
		t.Fatalf("Flush = %v, want errDisk", err)
	}

	var buf bytes.Buffer
	b = NewBuilder(&buf, Epson)
	b.Size(9, 1).Bold(true).Line("after the error")
	if err := b.Flush(); !errors.Is(err, ErrArgument) {
		t.Fatalf("Flush = %v, want ErrArgument", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote % x after the first error", buf.Bytes())
	}
}

func TestBuilderArgumentErrors(t *testing.T) {
	tests := []struct {
		name string
		f    func(b *Builder)
		want error
	}{
		{"size 0", func(b *Builder) { b.Size(0, 1) }, ErrArgument},
		{"underline 3", func(b *Builder) { b.Underline(3) }, ErrArgument},
		{"font C", func(b *Builder) { b.Font(2) }, ErrArgument},
		{"justify", func(b *Builder) { b.Justify(3) }, ErrArgument},
		{"spacing", func(b *Builder) { b.LineSpacing(256) }, ErrArgument},
		{"feed", func(b *Builder) { b.Feed(-1) }, ErrArgument},
		{"pulse pin", func(b *Builder) { b.Pulse(3, 10, 10) }, ErrArgument},
		{"cut mode", func(b *Builder) { b.Cut(7) }, ErrArgument},
		{"qr module", func(b *Builder) { b.QR("x", QROptions{Module: 17}) }, ErrArgument},
		{"qr empty", func(b *Builder) { b.QR("", QROptions{}) }, ErrQR},
		{"qr too long", func(b *Builder) { b.QR(string(bytes.Repeat([]byte("é"), 3000)), QROptions{}) }, ErrQR},
		{"barcode", func(b *Builder) { b.Code128("Ж", BarcodeOptions{}) }, ErrBarcode},
		{"barcode module", func(b *Builder) { b.Code128("A", BarcodeOptions{Module: 7}) }, ErrArgument},
		{"barcode too wide", func(b *Builder) { b.Code128("ABCDEFGHIJKLMNOPQRST", BarcodeOptions{Module: 3}) }, ErrBarcode},
		{"qr too wide", func(b *Builder) { b.QR(string(bytes.Repeat([]byte("x"), 100)), QROptions{Module: 16}) }, ErrQR},
		{"raster qr too wide", func(b *Builder) { b.QRImage(string(bytes.Repeat([]byte("x"), 100)), QROptions{Module: 16}) }, ErrQR},
		{"code page", func(b *Builder) { b.CodePage("KOI8-R") }, ErrUnknownCodePage},
		{"code page not on profile", func(b *Builder) {
			p := Epson
			p.CodePages = map[string]byte{"PC437": 0}
			*b = *NewBuilder(io.Discard, p)
			b.CodePage("PC866")
		}, ErrUnknownCodePage},
		{"image", func(b *Builder) { b.Image(image.NewGray(image.Rect(0, 0, 0, 0)), ImageOptions{}) }, ErrImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			b := NewBuilder(&buf, Epson)
			tt.f(b)
			if err := b.Flush(); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRasterizeDithering(t *testing.T) {
	// A flat 25 % grey: thresholding gives no black at all, Floyd–Steinberg about a
	// quarter of the dots black, spread over the area.
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 191
	}
	th, err := Rasterize(img, ImageOptions{Dither: Threshold})
	if err != nil {
		t.Fatal(err)
	}
	if n := countBlack(th); n != 0 {
		t.Errorf("threshold: %d black dots in light grey, want 0", n)
	}
	fs, err := Rasterize(img, ImageOptions{Dither: FloydSteinberg})
	if err != nil {
		t.Fatal(err)
	}
	n := countBlack(fs)
	if n < 64*64*20/100 || n > 64*64*30/100 {
		t.Errorf("Floyd–Steinberg: %d of %d dots black, want about 25 %%", n, 64*64)
	}
	// Spread: every 8×8 block has some black.
	for by := 0; by < 64; by += 8 {
		for bx := 0; bx < 64; bx += 8 {
			k := 0
			for y := by; y < by+8; y++ {
				for x := bx; x < bx+8; x++ {
					if fs.Black(x, y) {
						k++
					}
				}
			}
			if k == 0 {
				t.Errorf("block at %d,%d has no black dot", bx, by)
			}
		}
	}
}

func TestRasterizeScalesAndFlattens(t *testing.T) {
	img := image.NewNRGBA(image.Rect(10, 10, 1010, 110)) // transparent, offset bounds
	for x := 10; x < 1010; x++ {
		img.Set(x, 60, color.NRGBA{A: 255})
		img.Set(x, 61, color.NRGBA{A: 255})
	}
	r, err := Rasterize(img, ImageOptions{MaxWidth: 500, Dither: Threshold})
	if err != nil {
		t.Fatal(err)
	}
	if r.Width != 500 || r.Height != 50 {
		t.Fatalf("scaled to %dx%d, want 500x50", r.Width, r.Height)
	}
	if !r.Black(250, 25) || r.Black(250, 5) || r.Black(250, 45) {
		t.Errorf("line not where expected: %v %v %v", r.Black(250, 25), r.Black(250, 5), r.Black(250, 45))
	}
}

func countBlack(r *Raster) int {
	n := 0
	for y := range r.Height {
		for x := range r.Width {
			if r.Black(x, y) {
				n++
			}
		}
	}
	return n
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in   string
		cols int
		want []string
	}{
		{"Концерт на Щурците в зала 1", 10, []string{"Концерт на", "Щурците в", "зала 1"}},
		{"abc", 10, []string{"abc"}},
		{"", 10, []string{""}},
		{"a\nb c", 3, []string{"a", "b c"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"  many   spaces  ", 20, []string{"many spaces"}},
	}
	for _, tt := range tests {
		got := Wrap(tt.in, tt.cols)
		if len(got) != len(tt.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.cols, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.cols, got, tt.want)
				break
			}
		}
	}
}

func TestColumns(t *testing.T) {
	tests := []struct {
		l, r string
		cols int
		want string
	}{
		{"Вход", "20,00 €", 20, "Вход         20,00 €"},
		{"Много дълго име на билет", "9,00", 16, "Много дълго 9,00"},
		{"a", "b", 3, "a b"},
		{"x", "toolong", 5, "toolong"},
	}
	for _, tt := range tests {
		if got := Columns(tt.l, tt.r, tt.cols); got != tt.want {
			t.Errorf("Columns(%q, %q, %d) = %q, want %q", tt.l, tt.r, tt.cols, got, tt.want)
		}
	}
}

func TestLookupProfile(t *testing.T) {
	p, err := LookupProfile("Clone", 576)
	if err != nil {
		t.Fatal(err)
	}
	if p.Dots != 576 || p.Columns != 48 || !p.CancelKanji {
		t.Errorf("clone at 576 = %+v", p)
	}
	if _, err := LookupProfile("nope", 0); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("unknown profile error = %v", err)
	}
	for _, name := range ProfileNames() {
		p, _ := LookupProfile(name, 0)
		for page := range p.CodePages {
			if _, ok := lookupCodePage(page); !ok {
				t.Errorf("profile %s names code page %s this package cannot transcode", name, page)
			}
		}
		// Every model prints Bulgarian (PC866 at least) and the euro sign on some page.
		for _, need := range []string{"PC437", "PC866"} {
			if _, ok := p.CodePages[need]; !ok {
				t.Errorf("profile %s lacks %s", name, need)
			}
		}
		var buf bytes.Buffer
		if got := NewBuilder(&buf, p).CodePage("PC866").Printable("€ „“ №"); got != "€ „“ №" {
			t.Errorf("profile %s prints %q", name, got)
		}
	}
}

func TestQRVersionSize(t *testing.T) {
	// Builder.QR checks the width from the version number; it must match the symbol.
	for _, data := range []string{"1", "TK1:0001", strings.Repeat("TK1:SOF01:D7:000123:", 8), string(bytes.Repeat([]byte("Ж"), 200))} {
		for level := QRLevelL; level <= QRLevelH; level++ {
			q, err := qrcode.New(data, level.recovery())
			if err != nil {
				t.Fatal(err)
			}
			bm, err := qrBitmap([]byte(data), level)
			if err != nil {
				t.Fatal(err)
			}
			if 17+4*q.VersionNumber != len(bm) {
				t.Errorf("%d bytes level %v: version %d, symbol %d modules", len(data), level, q.VersionNumber, len(bm))
			}
		}
	}
}

func TestBuilderRaster(t *testing.T) {
	logo := image.NewGray(image.Rect(0, 0, 20, 3))
	for i := range logo.Pix {
		logo.Pix[i] = uint8(i * 4)
	}
	r, err := Rasterize(logo, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Printing the raster or its Gray image with threshold gives the same bytes.
	a := build(t, Epson, func(b *Builder) { b.Raster(r) })
	c := build(t, Epson, func(b *Builder) { b.Image(r.Gray(), ImageOptions{Dither: Threshold}) })
	if !bytes.Equal(a, c) || len(a) != 8+3*3 {
		t.Errorf("Raster % x\nImage  % x", a, c)
	}
	for _, bad := range []*Raster{nil, {Width: 8, Height: 2, Bits: []byte{1}}, {Width: 600, Height: 1, Bits: make([]byte, 75)}} {
		var buf bytes.Buffer
		b := NewBuilder(&buf, Epson)
		if err := b.Raster(bad).Flush(); !errors.Is(err, ErrImage) {
			t.Errorf("Raster(%v): %v", bad, err)
		}
	}
}

// TestCode128OtherSets: code set A (with a control character), a shift to set C and
// back, FNC3, as other software may send them, decode to the right symbols (the virtual
// printer's test reads their bars back).
func TestCode128OtherSets(t *testing.T) {
	tests := []struct {
		arg     string
		symbols []int // without check and stop
		text    string
	}{
		{"{AAB\tC", []int{103, 33, 34, 73, 35}, "AB\tC"},
		{"{AX{C\x0c\x22{Bz", []int{103, 56, 99, 12, 34, 100, 90}, "X1234z"},
		{"{Bab{{", []int{104, 65, 66, 91}, "ab{"},
		{"{B{3ok", []int{104, 96, 79, 75}, "ok"},
	}
	for _, tt := range tests {
		sym, text, err := code128Symbols([]byte(tt.arg))
		if err != nil {
			t.Fatalf("%q: %v", tt.arg, err)
		}
		if text != tt.text || len(sym) != len(tt.symbols)+2 || sym[len(sym)-1] != 106 {
			t.Errorf("%q: %v %q", tt.arg, sym, text)
			continue
		}
		for i, v := range tt.symbols {
			if sym[i] != v {
				t.Errorf("%q: symbols %v, want %v...", tt.arg, sym, tt.symbols)
				break
			}
		}
	}
	for _, bad := range []string{"AB", "{B", "{Q12", "{C\x64", "{A\x7f", "{B\x80"} {
		if _, _, err := code128Symbols([]byte(bad)); !errors.Is(err, ErrBarcode) {
			t.Errorf("%q: %v, want ErrBarcode", bad, err)
		}
	}
}
