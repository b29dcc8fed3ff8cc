package virtual

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"ticketkiosk/escpos"
)

func addStreamSeeds(f *testing.F) {
	// Tickets, and the modes the picture depends on (the parser's own seeds are in
	// escpos's FuzzParse).
	f.Add(encodeTicket(f, escpos.Epson, "bg", false))
	f.Add(encodeTicket(f, escpos.Clone, "en", false))
	f.Add(encodeTicket(f, escpos.Clone, "bg", true))
	f.Add([]byte("\x1b!\xb8Big\n\x1d!\x77X\n\x1ba\x02R\n\x1bJ\xff\x1bd\xff\x1dVB\x10"))
	f.Add([]byte("\x1d(L\x0e\x000p0\x02\x011\x0c\x00\x02\x00\xff\xff\x80\x10\x1d(L\x02\x0002"))
	f.Add([]byte("\x1b3\x18\x1b*!\x02\x00\xff\x00\xff\x00\xff\x00\nA\x1b*\x00\x01\x00\x81\n"))
	f.Add([]byte("Y\x1b!AZ\x1d(L\x06\x000pAAAA\x1b\x01\n"))
}

func FuzzRender(f *testing.F) {
	addStreamSeeds(f)
	warmGlyphs() // a glyph drawn for the first time would look like new coverage
	f.Fuzz(func(t *testing.T, stream []byte) {
		width := 384
		if len(stream)%2 == 1 {
			width = 576
		}
		p, err := Render(stream, RenderOptions{Width: width, Profile: escpos.Clone, MaxHeight: 4096})
		if err != nil && !errors.Is(err, escpos.ErrTruncated) {
			t.Fatalf("error %v does not wrap ErrTruncated", err)
		}
		if p == nil || p.Image == nil {
			t.Fatal("no paper")
		}
		if b := p.Image.Bounds(); b.Dx() != width || b.Dy() < 1 || b.Dy() > 4096 {
			t.Fatalf("paper %v", b)
		}
		if !utf8.ValidString(p.Text) {
			t.Fatalf("transcript not UTF-8: %q", p.Text)
		}
	})
}

func FuzzText(f *testing.F) {
	f.Add("Концерт на Щурците — 20,00 €", uint8(0))
	f.Add("a\x1b@b\x1dV\x00\x10\x04\x01", uint8(1))
	f.Add("日本 ★ \xff\xfe", uint8(2))
	f.Add("ЩАСТИЕ", uint8(3))
	f.Add("Книжарница „Хеликон“ № 5 — 20 €", uint8(1))
	pages := []string{"PC437", "PC866", "WPC1251", "PC858", "MIK"}
	warmGlyphs()
	f.Fuzz(func(t *testing.T, s string, page uint8) {
		name := pages[int(page)%len(pages)]
		s = strings.ReplaceAll(s, "\n", " ")
		var buf bytes.Buffer
		b := escpos.NewBuilder(&buf, escpos.Rongta)
		b.CodePage(name).Text(s).LF()
		want := b.Printable(s) + "\n"
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
		// Only text, line feeds and page switches (ESC t).
		cmds, err := escpos.Parse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cmds {
			if c.Op != escpos.OpText && c.Op != escpos.OpLF && c.Op != escpos.OpCodePage {
				t.Fatalf("%v from %q", c, s)
			}
		}
		// The printer wraps long lines on paper; the transcript keeps the text's lines.
		p, err := Render(buf.Bytes(), RenderOptions{Profile: escpos.Rongta, MaxHeight: 1024})
		if err != nil {
			t.Fatal(err)
		}
		if p.Text != want {
			t.Fatalf("%s: %q printed as %q, want %q", name, s, p.Text, want)
		}
	})
}

func FuzzVirtualPrinter(f *testing.F) {
	f.Add(encodeTicket(f, escpos.Epson, "bg", false), uint8(7))
	f.Add(append(queries(), "\x1dv0\x00\x01\x00\x03\x00\x10\x04\x01\x1da\x0f\x10\x04\x04"...), uint8(1))
	f.Add([]byte("\x10\x04\x05\x10\x04\x00\x10\x14\x08\x10"), uint8(3))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		v := NewPrinter()
		size := int(chunk%32) + 1
		for p := stream; len(p) > 0; {
			n := min(size, len(p))
			if _, err := v.Write(p[:n]); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		replies := v.ReadReplies()
		cmds, _ := escpos.Parse(stream)
		var want []byte
		asb := false
		for _, c := range cmds {
			if c.Op == escpos.OpStatusQuery {
				continue
			}
			if c.Op == escpos.OpASB && c.N != 0 {
				asb = true
			}
			want = append(want, c.Raw...)
		}
		if !asb && len(replies) > v.Queries() {
			t.Fatalf("%d replies to %d queries", len(replies), v.Queries())
		}
		if !bytes.Equal(v.Job(), want) {
			t.Fatalf("job % x, want % x", v.Job(), want)
		}
	})
}
