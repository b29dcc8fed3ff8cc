package virtual

import (
	"bytes"
	"io"
	"testing"

	"ticketkiosk/escpos"
)

// BenchmarkEncodeTicket encodes a typical 80 mm ticket: header, six lines of text, a QR
// code of about 150 alphanumeric characters, cut. It reports the bytes per ticket and the
// seconds they take on a serial line at 9600, 19200 and 115200 baud (8N1: 10 bits a byte).
func BenchmarkEncodeTicket(b *testing.B) {
	for _, tc := range []struct {
		name   string
		raster bool
	}{{"nativeQR", false}, {"rasterQR", true}} {
		b.Run(tc.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				cw := &countWriter{}
				bl := escpos.NewBuilder(cw, escpos.Epson)
				sampleTicket(bl, "bg", "", tc.raster)
				if err := bl.Flush(); err != nil {
					b.Fatal(err)
				}
				n = cw.n
			}
			b.ReportMetric(float64(n), "bytes/ticket")
			for _, baud := range []int{9600, 19200, 115200} {
				b.ReportMetric(float64(n*10)/float64(baud), "s@"+itoa(baud))
			}
		})
	}
}

func BenchmarkRenderTicket(b *testing.B) {
	for _, tc := range []struct {
		name   string
		raster bool
	}{{"nativeQR", false}, {"rasterQR", true}} {
		b.Run(tc.name, func(b *testing.B) {
			stream := encodeTicket(b, escpos.Epson, "bg", tc.raster)
			warmGlyphs()
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				p, err := Render(stream, RenderOptions{Profile: escpos.Epson})
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Text) == 0 {
					b.Fatal("nothing printed")
				}
			}
		})
	}
}

func BenchmarkRenderPNG(b *testing.B) {
	p, err := Render(encodeTicket(b, escpos.Epson, "bg", false), RenderOptions{Profile: escpos.Epson})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := p.WritePNG(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTicket(b *testing.B) {
	stream := encodeTicket(b, escpos.Epson, "bg", true)
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		if _, err := escpos.Parse(stream); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVirtualPrinter(b *testing.B) {
	stream := encodeTicket(b, escpos.Epson, "bg", true)
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		v := NewPrinter()
		for p := stream; len(p) > 0; {
			n := min(len(p), 64) // a serial driver's write size
			v.Write(p[:n])
			p = p[n:]
		}
		if !bytes.Equal(v.Job(), stream) {
			b.Fatal("job differs")
		}
	}
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
