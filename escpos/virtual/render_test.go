package virtual

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"

	"ticketkiosk/escpos"
	"ticketkiosk/testkit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// ticketCode is a ~150-character alphanumeric payload like a signed ticket code.
const ticketCode = "TK1:SOF01:D7:000123:20261129T1930:" +
	"7Q2X4M9KD3LP8W6ZB5N0RT1YV4HC9FJ2GS8AE3UX6QK0MD7PL5WZ1BN8RT4YV0HC3FJ9GS2AE6UX1QK5MD0PL8WZ4BN7RT2YV9HC6FJ3GS0AE5UX8QK2MD1"

type ticketText struct {
	title, event, venue, when, seat, price, total, footer string
}

var tickets = map[string]ticketText{
	"bg": {"БИЛЕТ", "Щурците — концерт", "НДК, зала 1, София", "29.11.2026 19:30", "Ред 12, място 7", "Правостоящ", "20,00 €", "Благодарим Ви! Приятно изкарване."},
	"en": {"TICKET", "The Crickets - live", "NDK Hall 1, Sofia", "29 Nov 2026 19:30", "Row 12, seat 7", "Standing", "EUR 20.00", "Thank you! Enjoy the show."},
}

// sampleTicket writes a typical ticket: header, six lines of text, QR, cut.
// Bulgarian tickets use page (WPC1251 when empty, PC866 where the model lacks it).
func sampleTicket(b *escpos.Builder, lang, page string, rasterQR bool) {
	tt := tickets[lang]
	cols := b.Profile().Columns
	b.Init()
	if lang == "bg" {
		if _, ok := b.Profile().CodePages["WPC1251"]; page == "" && ok {
			page = "WPC1251"
		} else if page == "" {
			page = "PC866"
		}
		b.CodePage(page)
	}
	b.Justify(escpos.Center).Bold(true).Size(2, 2).Line(tt.title).Size(1, 1).Bold(false)
	b.Wrapped(tt.event)
	b.Justify(escpos.Left).Line(tt.venue).Line(tt.when).Line(tt.seat)
	b.Columns(tt.price, tt.total)
	b.Underline(1).Line(strings.Repeat("-", cols)).Underline(0)
	b.Justify(escpos.Center)
	if rasterQR {
		b.QRImage(ticketCode, escpos.QROptions{Module: 4, Level: escpos.QRLevelM})
	} else {
		b.QR(ticketCode, escpos.QROptions{Module: 4, Level: escpos.QRLevelM})
	}
	b.LF().Wrapped(tt.footer).Feed(2).FeedCut(escpos.PartialCut, 0)
}

func encodeTicket(tb testing.TB, p escpos.Profile, lang string, rasterQR bool) []byte {
	tb.Helper()
	return encodeTicketPage(tb, p, lang, "", rasterQR)
}

func encodeTicketPage(tb testing.TB, p escpos.Profile, lang, page string, rasterQR bool) []byte {
	tb.Helper()
	var buf bytes.Buffer
	b := escpos.NewBuilder(&buf, p)
	sampleTicket(b, lang, page, rasterQR)
	if err := b.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name, page string
		prof       escpos.Profile
		lang       string
	}{
		{"ticket_bg_58", "", escpos.Clone, "bg"},
		{"ticket_en_58", "", escpos.Clone, "en"},
		{"ticket_bg_80", "", escpos.Epson, "bg"},
		{"ticket_en_80", "", escpos.Epson, "en"},
		{"ticket_bg_80_pc866", "PC866", escpos.Epson, "bg"},
		{"ticket_bg_58_pc437", "", escpos.Clone, "bg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := encodeTicketPage(t, tc.prof, tc.lang, tc.page, false)
			if tc.name == "ticket_bg_58_pc437" {
				// The same ticket for a printer without Cyrillic: transliterated.
				var buf bytes.Buffer
				latin := tc.prof
				latin.CodePages = map[string]byte{"PC437": 0}
				b := escpos.NewBuilder(&buf, latin)
				tt := tickets["bg"]
				b.Init().Line(tt.title).Line(tt.event).Line(tt.venue).Line(tt.total).Line(tt.footer)
				if err := b.Flush(); err != nil {
					t.Fatal(err)
				}
				stream = buf.Bytes()
			}
			paper, err := Render(stream, RenderOptions{Profile: tc.prof})
			if err != nil {
				t.Fatal(err)
			}
			if paper.Image.Bounds().Dx() != tc.prof.Dots {
				t.Errorf("paper %d dots wide, want %d", paper.Image.Bounds().Dx(), tc.prof.Dots)
			}
			var pngBuf bytes.Buffer
			if err := paper.WritePNG(&pngBuf); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name+".bin", stream)
			checkGolden(t, tc.name+".txt", []byte(paper.Text))
			goldenPNG(t, tc.name+".png", pngBuf.Bytes())
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	want, compare := testkit.Golden(t, filepath.Join("testdata", name), got, *update)
	if !compare {
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\ngot  %q\nwant %q", name, trim(got), trim(want))
	}
}

// goldenPNG compares pictures by their dots, not by the PNG encoder's bytes.
func goldenPNG(t *testing.T, name string, got []byte) {
	t.Helper()
	data, compare := testkit.Golden(t, filepath.Join("testdata", name), got, *update)
	if !compare {
		return
	}
	want, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	g, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if g.Bounds() != want.Bounds() {
		t.Fatalf("%s: picture %v, golden %v", name, g.Bounds(), want.Bounds())
	}
	diff := 0
	b := g.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, _, _, _ := g.At(x, y).RGBA()
			r2, _, _, _ := want.At(x, y).RGBA()
			if r1 != r2 {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Errorf("%s: %d dots differ from the golden picture", name, diff)
	}
}

func trim(b []byte) []byte {
	if len(b) > 300 {
		return b[:300]
	}
	return b
}

func TestRoundTripText(t *testing.T) {
	lines := []string{"Hello, world!", "Концерт на Щурците", "Цена: 20,00 €", "Ред 12 / място 7", "ЖЮЯ жюя ЪЬ ъь"}
	for _, prof := range []escpos.Profile{escpos.Epson, escpos.Clone, escpos.Rongta} {
		for _, page := range []string{"WPC1251", "PC866", "MIK"} {
			if _, ok := prof.CodePages[page]; !ok {
				continue
			}
			var buf bytes.Buffer
			b := escpos.NewBuilder(&buf, prof)
			b.Init().CodePage(page)
			for _, l := range lines {
				b.Line(l)
			}
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
			paper, err := Render(buf.Bytes(), RenderOptions{Profile: prof})
			if err != nil {
				t.Fatal(err)
			}
			// PC866 and MIK have no euro sign: it comes from another page of the printer.
			want := strings.Join(lines, "\n") + "\n"
			if paper.Text != want {
				t.Errorf("%s %s: transcript\n%q\nwant\n%q", prof.Name, page, paper.Text, want)
			}
		}
	}
}

func TestRoundTripQR(t *testing.T) {
	for _, raster := range []bool{false, true} {
		for _, prof := range []escpos.Profile{escpos.Epson, escpos.Clone} {
			stream := encodeTicket(t, prof, "bg", raster)
			paper, err := Render(stream, RenderOptions{Profile: prof})
			if err != nil {
				t.Fatal(err)
			}
			if got := testkit.QRCode(t, paper.Image); got != ticketCode {
				t.Errorf("raster=%v %s: decoded %q, want %q", raster, prof.Name, got, ticketCode)
			}
			if raster {
				if len(paper.QRCodes) != 0 || paper.Images != 1 {
					t.Errorf("raster QR: QRCodes %q, Images %d", paper.QRCodes, paper.Images)
				}
			} else if len(paper.QRCodes) != 1 || paper.QRCodes[0] != ticketCode {
				t.Errorf("native QR: QRCodes %q", paper.QRCodes)
			}
		}
	}
}

func TestRenderQRSettings(t *testing.T) {
	// The module size and level that were sent decide the symbol's size on paper.
	for _, tc := range []struct {
		module int
		level  escpos.QRLevel
	}{{3, escpos.QRLevelL}, {5, escpos.QRLevelH}, {8, escpos.QRLevelQ}} {
		var buf bytes.Buffer
		b := escpos.NewBuilder(&buf, escpos.Epson)
		b.Init().Line("top").QR("TK1:TEST/42?sig=AbCdEf-0123", escpos.QROptions{Module: tc.module, Level: tc.level}).LF().Line("bottom")
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
		paper, err := Render(buf.Bytes(), RenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := testkit.QRCode(t, paper.Image); got != "TK1:TEST/42?sig=AbCdEf-0123" {
			t.Errorf("decoded %q", got)
		}
		bm, _ := escpos.QRModules([]byte("TK1:TEST/42?sig=AbCdEf-0123"), tc.level)
		want := len(bm) * tc.module
		box := blackBox(paper.Image, 30, 30+want) // below the "top" line
		if box.Dx() != want {
			t.Errorf("module %d level %v: symbol %d dots wide, want %d", tc.module, tc.level, box.Dx(), want)
		}
	}
}

func TestRoundTripCode128(t *testing.T) {
	for _, data := range []string{"TK-2026-000123", "1234567890", "A{B}c 99"} {
		var buf bytes.Buffer
		b := escpos.NewBuilder(&buf, escpos.Epson)
		b.Init().Line("barcode:").Justify(escpos.Center).Code128(data, escpos.BarcodeOptions{Height: 60, Module: 2, HRI: escpos.HRIBelow}).Feed(2)
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
		paper, err := Render(buf.Bytes(), RenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := "barcode:\n[CODE128: " + data + "]\n\n\n"; paper.Text != want {
			t.Errorf("transcript %q, want %q", paper.Text, want)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(paper.Image)
		if err != nil {
			t.Fatal(err)
		}
		res, err := oned.NewCode128Reader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("%q: CODE128 decode: %v", data, err)
		}
		if res.GetText() != data {
			t.Errorf("decoded %q, want %q", res.GetText(), data)
		}
	}
}

// blackBox returns the bounding box of black dots in rows y0..y1.
func blackBox(g *image.Gray, y0, y1 int) image.Rectangle {
	r := image.Rectangle{Min: image.Pt(1<<30, 1<<30)}
	for y := max(y0, 0); y < min(y1, g.Rect.Dy()); y++ {
		for x := 0; x < g.Rect.Dx(); x++ {
			if g.Pix[y*g.Stride+x] < 128 {
				r.Min.X, r.Min.Y = min(r.Min.X, x), min(r.Min.Y, y)
				r.Max.X, r.Max.Y = max(r.Max.X, x+1), max(r.Max.Y, y+1)
			}
		}
	}
	if r.Max.X == 0 {
		return image.Rectangle{}
	}
	return r
}

func renderOne(t *testing.T, f func(b *escpos.Builder)) *Paper {
	t.Helper()
	var buf bytes.Buffer
	b := escpos.NewBuilder(&buf, escpos.Epson)
	f(b)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	p, err := Render(buf.Bytes(), RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRenderStyles(t *testing.T) {
	plain := renderOne(t, func(b *escpos.Builder) { b.Line("MMMM") })
	pb := blackBox(plain.Image, 0, 30)
	if pb.Empty() || pb.Max.X > 4*12 || pb.Min.X > 4 {
		t.Fatalf("plain MMMM at %v", pb)
	}
	dw := renderOne(t, func(b *escpos.Builder) { b.Size(2, 1).Line("MMMM") })
	if box := blackBox(dw.Image, 0, 30); box.Dx() < 2*pb.Dx()-4 || box.Dx() > 2*pb.Dx()+4 {
		t.Errorf("double width %v, plain %v", box, pb)
	}
	dh := renderOne(t, func(b *escpos.Builder) { b.Size(1, 2).Line("MMMM") })
	if box := blackBox(dh.Image, 0, 60); box.Dy() < 2*pb.Dy()-4 || box.Dx() > pb.Dx()+2 {
		t.Errorf("double height %v, plain %v", box, pb)
	}
	small := renderOne(t, func(b *escpos.Builder) { b.Font(escpos.FontB).Line("MMMM") })
	if box := blackBox(small.Image, 0, 30); box.Dx() > 4*9 || box.Dx() < 4*9-6 || box.Dy() > 17 {
		t.Errorf("font B MMMM at %v", box)
	}
	bold := renderOne(t, func(b *escpos.Builder) { b.Bold(true).Line("MMMM") })
	if black(bold.Image) <= black(plain.Image) {
		t.Errorf("bold has %d black dots, plain %d", black(bold.Image), black(plain.Image))
	}
	ul := renderOne(t, func(b *escpos.Builder) { b.Underline(2).Line("a b") })
	for x := 0; x < 36; x++ {
		if ul.Image.Pix[23*ul.Image.Stride+x] != 0 || ul.Image.Pix[22*ul.Image.Stride+x] != 0 {
			t.Fatalf("underline missing at x=%d", x)
		}
	}
	center := renderOne(t, func(b *escpos.Builder) { b.Justify(escpos.Center).Line("MMMM") })
	if box := blackBox(center.Image, 0, 30); box.Min.X < 576/2-30 || box.Max.X > 576/2+30 {
		t.Errorf("centred text at %v", box)
	}
	right := renderOne(t, func(b *escpos.Builder) { b.Justify(escpos.Right).Line("MMMM") })
	if box := blackBox(right.Image, 0, 30); box.Max.X < 570 || box.Min.X < 576-48 {
		t.Errorf("right-justified text at %v", box)
	}
	// Justification changes only at the start of a line.
	mid := renderOne(t, func(b *escpos.Builder) { b.Text("MM").Justify(escpos.Right).Line("MM") })
	if box := blackBox(mid.Image, 0, 30); box.Min.X > 4 {
		t.Errorf("mid-line ESC a moved the line to %v", box)
	}
}

func black(g *image.Gray) int {
	n := 0
	for _, p := range g.Pix {
		if p < 128 {
			n++
		}
	}
	return n
}

func TestRenderLayout(t *testing.T) {
	// A line longer than the paper wraps; feeds and line spacing move the paper.
	long := strings.Repeat("x", 60)
	p := renderOne(t, func(b *escpos.Builder) { b.Line(long) })
	if p.Image.Rect.Dy() != 60 || p.Text != long+"\n" || p.Wrapped != 1 {
		t.Errorf("60 characters on 48 columns: %d dots tall, text %q, %d wrapped", p.Image.Rect.Dy(), p.Text, p.Wrapped)
	}
	p = renderOne(t, func(b *escpos.Builder) { b.LineSpacing(50).Line("a").Line("b") })
	if p.Image.Rect.Dy() != 100 {
		t.Errorf("two lines at 50-dot spacing: %d dots tall", p.Image.Rect.Dy())
	}
	p = renderOne(t, func(b *escpos.Builder) { b.Feed(3) })
	if p.Image.Rect.Dy() != 90 || p.Text != "\n\n\n" {
		t.Errorf("ESC d 3: %d dots, %q", p.Image.Rect.Dy(), p.Text)
	}
	p = renderOne(t, func(b *escpos.Builder) { b.Text("a").Raw(0x09).Text("b").LF() })
	if p.Text != "a       b\n" {
		t.Errorf("tab: %q", p.Text)
	}
	p = renderOne(t, func(b *escpos.Builder) { b.Line("x").Cut(escpos.FullCut).Line("y") })
	if p.Cuts != 1 || p.Text != "x\n--- cut ---\ny\n" {
		t.Errorf("cut: %d, %q", p.Cuts, p.Text)
	}
	// The dashed cut line: dashes and gaps across the width.
	found := false
	for y := 30; y < 42; y++ {
		row := p.Image.Pix[y*p.Image.Stride : (y+1)*p.Image.Stride]
		if row[0] == 0 && row[10] == 0xff && row[16] == 0 && row[565] == 0 {
			found = true
		}
	}
	if !found {
		t.Error("no dashed cut line")
	}
}

func TestRenderImage(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 100, 40)) // all black
	p := renderOne(t, func(b *escpos.Builder) {
		b.Line("logo").Justify(escpos.Center).Image(img, escpos.ImageOptions{Dither: escpos.Threshold}).Justify(escpos.Left).Line("end")
	})
	if p.Images != 1 || p.Text != "logo\n[IMAGE 104x40]\nend\n" {
		t.Errorf("image: %d, %q", p.Images, p.Text)
	}
	box := blackBox(p.Image, 30, 70)
	if box != image.Rect(236, 30, 336, 70) {
		t.Errorf("image drawn at %v, want centred 100×40 below the first line", box)
	}
}

func TestRenderKeepsCodePageAcrossInit(t *testing.T) {
	// ESC @ resets the code page: bytes after it decode as the default page.
	stream := []byte("\x1bt\x2e\xc6\n\x1b@\xc6\n")
	p, err := Render(stream, RenderOptions{Profile: escpos.Epson})
	if err != nil {
		t.Fatal(err)
	}
	if p.Text != "Ж\n╞\n" {
		t.Errorf("transcript %q", p.Text)
	}
}

func TestRenderTruncated(t *testing.T) {
	stream := encodeTicket(t, escpos.Epson, "bg", true)
	cut := stream[:len(stream)*2/3] // inside the raster QR
	p, err := Render(cut, RenderOptions{})
	if !errors.Is(err, escpos.ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if p == nil || !strings.Contains(p.Text, "Щурците") {
		t.Fatalf("the part before the cut was not rendered: %+v", p)
	}
}

func TestRenderBounds(t *testing.T) {
	// 2000 lines × 30 dots is past the default 32768-dot bound: the picture stops there.
	p := renderOne(t, func(b *escpos.Builder) {
		for range 2000 {
			b.Line("line")
		}
	})
	if !p.Truncated || p.Image.Rect.Dy() != defaultMaxHeight || strings.Count(p.Text, "\n") != 2000 {
		t.Errorf("2000 lines: truncated %v, height %d, %d transcript lines", p.Truncated, p.Image.Rect.Dy(), strings.Count(p.Text, "\n"))
	}
	// 20000 × ESC d 255 asks for 5.1 million empty lines: the transcript stops at 1 MiB.
	stream := bytes.Repeat([]byte{0x1b, 'd', 255}, 20000)
	p, err := Render(stream, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Truncated || len(p.Text) > maxTranscript || len(p.Text) < maxTranscript-1 {
		t.Errorf("feeds: truncated %v, transcript %d bytes", p.Truncated, len(p.Text))
	}
}

func TestMarkerText(t *testing.T) {
	for in, want := range map[string]string{
		"TK1:ok":           "TK1:ok",
		"билет":            "билет",
		"a\nb":             `a\x0ab`,
		"\xf0\xe2 x":       "\ufffd x",
		`back\slash`:       `back\x5cslash`,
		"tab\there\x7fend": `tab\x09here\x7fend`,
	} {
		if got := markerText([]byte(in)); got != want {
			t.Errorf("markerText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderBitImage(t *testing.T) {
	// A logo as other drivers send it: line spacing 24, then 24-dot double-density
	// bands (ESC * 33), each ended by LF. Two solid 48×24 bands stack without a gap.
	band := append([]byte{0x1b, '*', 33, 48, 0}, bytes.Repeat([]byte{0xff}, 48*3)...)
	stream := []byte{0x1b, '3', 24}
	stream = append(stream, band...)
	stream = append(stream, '\n')
	stream = append(stream, band...)
	stream = append(stream, '\n', 0x1b, '*', 0, 2, 0, 0x80, 0x01, '\n')
	p, err := Render(stream, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Text != "[IMAGE 48x24]\n[IMAGE 48x24]\n[IMAGE 4x24]\n" || p.Images != 3 {
		t.Errorf("transcript %q, %d images", p.Text, p.Images)
	}
	if box := blackBox(p.Image, 0, 48); box != image.Rect(0, 0, 48, 48) {
		t.Errorf("bands drawn at %v", box)
	}
	// 8-dot single density: bits three dots tall, two wide; top bit of column 0, bottom
	// bit of column 1.
	if box := blackBox(p.Image, 48, 72); box != image.Rect(0, 48, 4, 72) {
		t.Errorf("8-dot image at %v", box)
	}
	g := p.Image
	if g.GrayAt(1, 50).Y != 0 || g.GrayAt(3, 50).Y != 255 || g.GrayAt(3, 70).Y != 0 || g.GrayAt(1, 70).Y != 255 {
		t.Error("8-dot image bits misplaced")
	}
}

func TestRenderTooWide(t *testing.T) {
	// On 58 mm paper a long CODE128 at module 3 and a big QR at module 16 do not fit:
	// the printer leaves them out, and so do the lists. 26 characters in set B are
	// start + 26 + check symbols of 11 modules and a 13-module stop: 321 × 3 = 963 dots.
	// (The Builder refuses them for a 58 mm profile, so encode for wide paper.)
	var buf bytes.Buffer
	b := escpos.NewBuilder(&buf, escpos.Clone.WithDots(2048))
	b.Code128("ABCDEFGHIJKLMNOPQRSTUVWXYZ", escpos.BarcodeOptions{Module: 3}).
		QR(strings.Repeat("X", 100), escpos.QROptions{Module: 16}).
		Code128("SHORT", escpos.BarcodeOptions{Module: 2})
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	p, err := Render(buf.Bytes(), RenderOptions{Profile: escpos.Clone})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(p.Text, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "[CODE128 not printed, 963 dots wide: ABC") ||
		!strings.HasPrefix(lines[1], "[QR not printed, ") || lines[2] != "[CODE128: SHORT]" {
		t.Errorf("transcript %q", p.Text)
	}
	if len(p.QRCodes) != 0 || len(p.Barcodes) != 1 {
		t.Errorf("QR codes %q, barcodes %q", p.QRCodes, p.Barcodes)
	}
}

func TestRenderOtherBarcode(t *testing.T) {
	// EAN-13 (GS k 2) is not drawn as bars: a box with its data inside.
	p, err := Render([]byte("\x1dh\x50\x1dk\x024006381333931\x00"), RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Text != "[BARCODE 2: 4006381333931]\n" || len(p.Barcodes) != 1 || p.Image.Rect.Dy() != 80 {
		t.Errorf("transcript %q, barcodes %q, height %d", p.Text, p.Barcodes, p.Image.Rect.Dy())
	}
	if black(p.Image) < 2*(2*180+2*80) {
		t.Errorf("box and label: only %d black dots", black(p.Image))
	}
}

func TestRenderOtherPrintersNumbers(t *testing.T) {
	// A clone's stream (WPC1251 = 73) rendered without saying so still decodes; the
	// profile given wins where numbers clash (Rongta's 6 is WPC1251).
	clone := build(t, escpos.Clone, func(b *escpos.Builder) { b.CodePage("WPC1251").Line("Щурците") })
	if p, _ := Render(clone, RenderOptions{}); p.Text != "Щурците\n" {
		t.Errorf("clone stream with the default profile: %q", p.Text)
	}
	rongta := build(t, escpos.Rongta, func(b *escpos.Builder) { b.CodePage("WPC1251").Line("Щурците") })
	if p, _ := Render(rongta, RenderOptions{Profile: escpos.Rongta}); p.Text != "Щурците\n" {
		t.Errorf("rongta stream: %q", p.Text)
	}
	custom, err := escpos.Clone.WithCodePage("WPC1251", 17) // clashes with the built-in PC866 = 17
	if err != nil {
		t.Fatal(err)
	}
	stream := build(t, custom, func(b *escpos.Builder) { b.CodePage("WPC1251").Line("Щурците") })
	if p, _ := Render(stream, RenderOptions{Profile: custom}); p.Text != "Щурците\n" {
		t.Errorf("custom numbering: %q", p.Text)
	}
}

func TestCode128OtherSets(t *testing.T) {
	// Code set A (with a control character), a shift to set C and back, FNC3, as other
	// software may send them; the renderer draws them and gozxing reads them back.
	tests := []struct{ arg, text string }{
		{"{AAB\tC", "AB\tC"},
		{"{AX{C\x0c\x22{Bz", "X1234z"},
		{"{Bab{{", "ab{"},
		{"{B{3ok", "ok"},
	}
	for _, tt := range tests {
		if strings.Contains(tt.arg, "{3") {
			continue // gozxing drops FNC3 readings
		}
		stream := append([]byte("\x1dh\x40\x1dw\x02\x1dkI"), byte(len(tt.arg)))
		stream = append(append(stream, tt.arg...), '\n', '\n')
		p, err := Render(append([]byte("\n"), stream...), RenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(p.Image)
		res, err := oned.NewCode128Reader().Decode(bmp, nil)
		if err != nil || res.GetText() != tt.text {
			t.Errorf("%q: gozxing read %v, %v; want %q", tt.arg, res, err, tt.text)
		}
	}
}

func TestCode128AllSymbols(t *testing.T) {
	// Every set B character and every set C pair, read back by gozxing: the bar width
	// table is right for all data symbols.
	var data []string
	for c := 0x20; c < 0x7f; c += 8 {
		var s []byte
		for k := c; k < min(c+8, 0x7f); k++ {
			s = append(s, byte(k))
		}
		data = append(data, "x"+string(s))
	}
	for p := 0; p < 100; p += 10 {
		var s strings.Builder
		for k := p; k < p+10; k++ {
			fmt.Fprintf(&s, "%02d", k)
		}
		data = append(data, s.String())
	}
	for _, d := range data {
		var buf bytes.Buffer
		b := escpos.NewBuilder(&buf, escpos.Epson)
		b.LF().Code128(d, escpos.BarcodeOptions{Height: 40, Module: 2}).Feed(1)
		if err := b.Flush(); err != nil {
			t.Fatalf("%q: %v", d, err)
		}
		p, err := Render(buf.Bytes(), RenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(p.Image)
		res, err := oned.NewCode128Reader().Decode(bmp, nil)
		if err != nil || res.GetText() != d {
			t.Errorf("%q: gozxing read %v, %v", d, res, err)
		}
	}
}

func TestRenderGraphics(t *testing.T) {
	// GS ( L fn 112 stores a 12×2 raster (12 dots: two bytes a row, the last 4 bits
	// unused), at double width; fn 50 prints it. Then the same by GS 8 L, normal size.
	store := []byte{0x1d, '(', 'L', 14, 0, 48, 112, 48, 2, 1, 49, 12, 0, 2, 0, 0xff, 0xff, 0x80, 0x10}
	print := []byte{0x1d, '(', 'L', 2, 0, 48, 50}
	big := []byte{0x1d, '8', 'L', 14, 0, 0, 0, 48, 112, 48, 1, 1, 49, 12, 0, 2, 0, 0xff, 0xff, 0x80, 0x10}
	stream := append(append(append(append([]byte{}, store...), print...), big...), print...)
	cmds, err := escpos.Parse(stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 4 || cmds[0].String() != "GRAPHICS-STORE 12x2" || cmds[1].Op != escpos.OpGraphicsPrint || cmds[2].Op != escpos.OpGraphicsStore {
		t.Fatalf("commands %v", cmds)
	}
	p, err := Render(stream, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Text != "[IMAGE 12x2]\n[IMAGE 12x2]\n" || p.Images != 2 {
		t.Errorf("transcript %q", p.Text)
	}
	if box := blackBox(p.Image, 0, 2); box != image.Rect(0, 0, 24, 2) {
		t.Errorf("double-width graphics at %v", box)
	}
	if box := blackBox(p.Image, 2, 4); box != image.Rect(0, 2, 12, 4) {
		t.Errorf("graphics at %v", box)
	}
	// Row 1 has dots 0 and 11 only; the padding bits beyond 12 dots never print.
	if p.Image.GrayAt(0, 3).Y != 0 || p.Image.GrayAt(11, 3).Y != 0 || p.Image.GrayAt(5, 3).Y != 255 {
		t.Error("graphics row 1 misdrawn")
	}
	// Printing with nothing stored prints nothing.
	if p, _ := Render(print, RenderOptions{}); p.Text != "" || p.Images != 0 {
		t.Errorf("empty buffer printed %q", p.Text)
	}
}

func build(t *testing.T, p escpos.Profile, f func(b *escpos.Builder)) []byte {
	t.Helper()
	var buf bytes.Buffer
	b := escpos.NewBuilder(&buf, p)
	f(b)
	if err := b.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return buf.Bytes()
}
