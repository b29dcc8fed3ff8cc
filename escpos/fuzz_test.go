package escpos

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	// The virtual printer's golden tickets, every command the parser skips, and
	// barcodes, QR settings, rasters and truncated commands.
	golden, _ := filepath.Glob("virtual/testdata/*.bin")
	for _, name := range golden {
		if stream, err := os.ReadFile(name); err == nil {
			f.Add(stream)
		}
	}
	for _, tc := range skipped {
		f.Add(append([]byte("Y"), tc.cmd...))
	}
	f.Add([]byte("\x1d(k\x03\x001C\x10\x1d(k\x03\x001E3\x1d(k\x05\x001P0ab\x1d(k\x03\x001Q0"))
	f.Add([]byte("\x1dkI\x05{C\x0c\"8\x1dk\x02123456789012\x00"))
	f.Add([]byte("\x1dv0\x03\x02\x00\x02\x00\xff\x00\xaa\x55"))
	f.Add([]byte{0x1b})
	f.Add([]byte{0x1d, 'v', '0', 0, 0xff, 0xff, 0xff, 0xff})
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
				if err := ParseStatusByte(&again, n, StatusByte(s, n)); err != nil {
					t.Fatalf("StatusByte(%d) of %+v is rejected: %v", n, s, err)
				}
			}
			if again, _ := ParseStatus([4]byte{StatusByte(s, 1), StatusByte(s, 2), StatusByte(s, 3), StatusByte(s, 4)}); again != s {
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
			back := ASB(a)
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
// FuzzVirtualPrinter feeds host bytes in random chunks: the printer never panics, answers
// at most one byte per query, and keeps exactly the stream minus its queries.
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

// FuzzCheck walks any stream against every model: no panic, and an error names only
// unsupported commands and truncation.
func FuzzCheck(f *testing.F) {
	golden, _ := filepath.Glob("virtual/testdata/*.bin")
	for _, name := range golden {
		if stream, err := os.ReadFile(name); err == nil {
			f.Add(stream)
		}
	}
	f.Add([]byte("\x1b*!\x02\x00\xff\x00\xff\x00\xff\x00\n\x1b*\x01\x01\x00\x81\n\x1bt\x49\xc6"))
	f.Add([]byte("\x1d(L\x0e\x000p0\x01\x011\x0c\x00\x02\x00\xff\xff\x80\x10\x1d(L\x02\x0002\x10\x04\x01\x1da\x0f"))
	models := Models()
	f.Fuzz(func(t *testing.T, stream []byte) {
		for _, p := range models {
			err := p.Check(stream)
			if err == nil {
				continue
			}
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				if !errors.Is(e, ErrUnsupported) && !errors.Is(e, ErrTruncated) {
					t.Fatalf("%s: %v", p.Name, e)
				}
			}
		}
	})
}
