package escpos

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func addStreamSeeds(f *testing.F) {
	f.Add(encodeTicket(f, Epson, "bg", false))
	f.Add(encodeTicket(f, Clone, "en", false))
	for _, tc := range skipped {
		f.Add(append([]byte("Y"), tc.cmd...))
	}
	f.Add([]byte("\x1d(k\x03\x001C\x10\x1d(k\x03\x001E3\x1d(k\x05\x001P0ab\x1d(k\x03\x001Q0"))
	f.Add([]byte("\x1dkI\x05{C\x0c\"8\x1dk\x02123456789012\x00"))
	f.Add([]byte("\x1dv0\x03\x02\x00\x02\x00\xff\x00\xaa\x55"))
	f.Add([]byte("\x1b!\xb8Big\n\x1d!\x77X\n\x1ba\x02R\n\x1bJ\xff\x1bd\xff\x1dVB\x10"))
	f.Add([]byte("\x1d(L\x0e\x000p0\x02\x011\x0c\x00\x02\x00\xff\xff\x80\x10\x1d(L\x02\x0002"))
	f.Add([]byte("\x1b3\x18\x1b*!\x02\x00\xff\x00\xff\x00\xff\x00\nA\x1b*\x00\x01\x00\x81\n"))
	f.Add([]byte{0x1b})
	f.Add([]byte{0x1d, 'v', '0', 0, 0xff, 0xff, 0xff, 0xff})
}

func FuzzParse(f *testing.F) {
	addStreamSeeds(f)
	f.Fuzz(func(t *testing.T, stream []byte) {
		cmds, err := Parse(stream)
		if err != nil && !errors.Is(err, ErrTruncated) {
			t.Fatalf("error %v does not wrap ErrTruncated", err)
		}
		off := 0
		for _, c := range cmds {
			if c.Offset != off || len(c.Raw) == 0 || !bytes.Equal(c.Raw, stream[off:off+len(c.Raw)]) {
				t.Fatalf("command %v at %d does not continue the stream at %d", c, c.Offset, off)
			}
			if c.Op == OpText {
				for _, b := range c.Data {
					if b < 0x20 {
						t.Fatalf("control byte %#x in text %q", b, c.Data)
					}
				}
			}
			off += len(c.Raw)
		}
		if (err == nil) != (off == len(stream)) {
			t.Fatalf("parsed %d of %d bytes, err %v", off, len(stream), err)
		}
	})
}

func FuzzRender(f *testing.F) {
	addStreamSeeds(f)
	warmGlyphs() // a glyph drawn for the first time would look like new coverage
	f.Fuzz(func(t *testing.T, stream []byte) {
		width := 384
		if len(stream)%2 == 1 {
			width = 576
		}
		p, err := Render(stream, RenderOptions{Width: width, Profile: Clone, MaxHeight: 4096})
		if err != nil && !errors.Is(err, ErrTruncated) {
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

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte{0x12, 0x12, 0x12, 0x12})
	f.Add([]byte{0x1a, 0x32, 0x12, 0x7e})
	f.Add([]byte{0x1a, 0x16, 0x12, 0x1e})
	f.Add([]byte{0x10, 0x00, 0x0f, 0x00})
	f.Add([]byte{0xff, 0x00, 0x13, 0x92})
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) != 4 {
			if _, err := ParseASB(p); !errors.Is(err, ErrStatus) {
				t.Fatalf("ParseASB of %d bytes: %v", len(p), err)
			}
			return
		}
		s, err := ParseStatus([4]byte(p))
		if err == nil {
			for n := 1; n <= 4; n++ {
				var again Status
				if err := again.ParseStatusByte(n, s.StatusByte(n)); err != nil {
					t.Fatalf("StatusByte(%d) of %+v is rejected: %v", n, s, err)
				}
			}
			if again, _ := ParseStatus([4]byte{s.StatusByte(1), s.StatusByte(2), s.StatusByte(3), s.StatusByte(4)}); again != s {
				t.Fatalf("% x → %+v → %+v", p, s, again)
			}
		} else if !errors.Is(err, ErrStatus) {
			t.Fatalf("error %v does not wrap ErrStatus", err)
		}
		if s.String() == "" {
			t.Fatalf("empty description of %+v", s)
		}
		a, err := ParseASB(p)
		if err == nil {
			back := a.ASB()
			if again, err := ParseASB(back[:]); err != nil || again != a {
				t.Fatalf("ASB % x → %+v → % x → %+v, %v", p, a, back, again, err)
			}
		} else if !errors.Is(err, ErrStatus) {
			t.Fatalf("ASB error %v does not wrap ErrStatus", err)
		}
	})
}

// FuzzText checks the encoder's promise for any text: only printable bytes and LF reach
// the printer, and the virtual printer reads back exactly what Printable says.
func FuzzText(f *testing.F) {
	f.Add("Концерт на Щурците — 20,00 €", uint8(0))
	f.Add("a\x1b@b\x1dV\x00\x10\x04\x01", uint8(1))
	f.Add("日本 ★ \xff\xfe", uint8(2))
	f.Add("ЩАСТИЕ", uint8(3))
	pages := []string{"PC437", "PC866", "WPC1251", "PC858", "MIK"}
	warmGlyphs()
	f.Fuzz(func(t *testing.T, s string, page uint8) {
		name := pages[int(page)%len(pages)]
		s = strings.ReplaceAll(s, "\n", " ")
		var buf bytes.Buffer
		b := NewBuilder(&buf, Rongta)
		b.CodePage(name).Text(s).LF()
		want := b.Printable(s) + "\n"
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
		for _, c := range buf.Bytes()[3:] {
			if c < 0x20 && c != '\n' || c == 0x7f {
				t.Fatalf("control byte %#x from %q", c, s)
			}
		}
		// The printer wraps long lines on paper; the transcript keeps the text's lines.
		p, err := Render(buf.Bytes(), RenderOptions{Profile: Rongta, MaxHeight: 1024})
		if err != nil {
			t.Fatal(err)
		}
		if p.Text != want {
			t.Fatalf("%s: %q printed as %q, want %q", name, s, p.Text, want)
		}
	})
}

// FuzzVirtualPrinter feeds host bytes in random chunks: the printer never panics, answers
// at most one byte per query, and keeps exactly the stream minus its queries.
func FuzzVirtualPrinter(f *testing.F) {
	f.Add(encodeTicket(f, Epson, "bg", false), uint8(7))
	f.Add(append(queries(), "\x1dv0\x00\x01\x00\x03\x00\x10\x04\x01\x1da\x0f\x10\x04\x04"...), uint8(1))
	f.Add([]byte("\x10\x04\x05\x10\x04\x00\x10\x14\x08\x10"), uint8(3))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		v := NewVirtualPrinter()
		size := int(chunk%32) + 1
		for p := stream; len(p) > 0; {
			n := min(size, len(p))
			if _, err := v.Write(p[:n]); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		replies := v.ReadReplies()
		cmds, _ := Parse(stream)
		var want []byte
		asb := false
		for _, c := range cmds {
			if c.Op == OpStatusQuery {
				continue
			}
			if c.Op == OpASB && c.N != 0 {
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

// rw replays fuzz bytes as a printer's replies and swallows what is written.
type rw struct{ r *bytes.Reader }

func (x rw) Read(p []byte) (int, error)  { return x.r.Read(p) }
func (x rw) Write(p []byte) (int, error) { return len(p), nil }

// FuzzQueryStatus reads arbitrary reply bytes: a status, ErrStatus or a read error.
func FuzzQueryStatus(f *testing.F) {
	f.Add([]byte{0x12, 0x12, 0x12, 0x12})
	f.Add([]byte{0x10, 0, 0, 0, 0x1a, 0x16, 0x12, 0x1e})
	f.Add([]byte{0xff})
	f.Add([]byte{0x12})
	f.Fuzz(func(t *testing.T, replies []byte) {
		s, err := QueryStatus(rw{bytes.NewReader(replies)})
		if err != nil {
			if !errors.Is(err, ErrStatus) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if s.String() == "" {
			t.Fatal("empty description")
		}
	})
}
