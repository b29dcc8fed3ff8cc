package virtual

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"testing"

	"ticketkiosk/escpos"
	"ticketkiosk/testkit"
)

var imageModes = []escpos.ImageMode{escpos.ImageRaster, escpos.ImageGraphics, escpos.ImageColumn24, escpos.ImageColumn8}

// onlyMode is the Epson profile with one image command and no QR command.
func onlyMode(m escpos.ImageMode) escpos.Profile {
	p := escpos.Epson
	p.Name, p.QR, p.Images = "only "+m.String(), false, []escpos.ImageMode{m}
	return p
}

// TestQRImageModes: a QR code sent with each image command prints a symbol that
// decodes, centred, with no command the profile lacks.
func TestQRImageModes(t *testing.T) {
	for _, m := range imageModes {
		t.Run(m.String(), func(t *testing.T) {
			p := onlyMode(m)
			var buf bytes.Buffer
			b := escpos.NewBuilder(&buf, p)
			b.Init().Justify(escpos.Center).Line("top").QRImage(ticketCode, escpos.QROptions{Module: 4, Level: escpos.QRLevelM}).
				Justify(escpos.Left).Line("end")
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
			stream := buf.Bytes()
			if err := p.Check(stream); err != nil {
				t.Errorf("stream has commands the profile lacks: %v", err)
			}
			for _, other := range imageModes {
				if other != m && onlyMode(other).Check(stream) == nil {
					t.Errorf("the %v stream passes the check for %v", m, other)
				}
			}
			paper, err := Render(stream, RenderOptions{Profile: p})
			if err != nil {
				t.Fatal(err)
			}
			if got := testkit.QRCode(t, paper.Image); got != ticketCode {
				t.Errorf("decoded %q", got)
			}
			if paper.Wrapped != 0 || paper.Images == 0 || len(paper.QRCodes) != 0 {
				t.Errorf("%d wrapped, %d images, %d native QR", paper.Wrapped, paper.Images, len(paper.QRCodes))
			}
			box := blackBox(paper.Image, 30, paper.Image.Rect.Dy()-30)
			if mid := (box.Min.X + box.Max.X) / 2; mid < p.Dots/2-8 || mid > p.Dots/2+8 {
				t.Errorf("symbol at %v, not centred on %d dots", box, p.Dots)
			}
		})
	}
}

// TestImageModesDraw: an image prints dot for dot with GS v 0, GS ( L and ESC * 33, and
// as every third row three dots tall with ESC * 1, in bands that touch.
func TestImageModesDraw(t *testing.T) {
	const w, h = 37, 53 // neither a multiple of 8 nor of 24
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		if (i*7)%5 < 2 {
			img.Pix[i] = 0xff
		}
	}
	r, err := escpos.Rasterize(img, escpos.ImageOptions{Dither: escpos.Threshold})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range imageModes {
		t.Run(m.String(), func(t *testing.T) {
			var buf bytes.Buffer
			if err := escpos.NewBuilder(&buf, onlyMode(m)).Raster(r).Flush(); err != nil {
				t.Fatal(err)
			}
			paper, err := Render(buf.Bytes(), RenderOptions{Profile: onlyMode(m)})
			if err != nil {
				t.Fatal(err)
			}
			sameDots(t, paper, r, m)
		})
	}
}

// TestNoImageCommand: a printer without image commands refuses images, clearly.
func TestNoImageCommand(t *testing.T) {
	p := escpos.Epson
	p.Images = nil
	var buf bytes.Buffer
	err := escpos.NewBuilder(&buf, p).QRImage("x", escpos.QROptions{}).Flush()
	if !errors.Is(err, escpos.ErrImage) {
		t.Errorf("QRImage without an image command: %v", err)
	}
}

// TestModelsObeyTheirEntries: what the Builder sends for a typical ticket, on every
// model, is only what the model's entry says it obeys, and renders.
func TestModelsObeyTheirEntries(t *testing.T) {
	for _, p := range escpos.Models() {
		for _, lang := range []string{"bg", "en"} {
			raster := !p.QR
			stream := encodeTicket(t, p, lang, raster)
			if err := p.Check(stream); err != nil {
				t.Errorf("%s %s: %v", p.Name, lang, err)
			}
			paper, err := Render(stream, RenderOptions{Profile: p})
			if err != nil {
				t.Fatal(err)
			}
			if got := testkit.QRCode(t, paper.Image); got != ticketCode {
				t.Errorf("%s %s: decoded %q", p.Name, lang, got)
			}
			if paper.Wrapped != 0 {
				t.Errorf("%s %s: %d lines wrapped:\n%s", p.Name, lang, paper.Wrapped, paper.Text)
			}
		}
	}
	// And the check finds what a model lacks.
	stream := encodeTicket(t, escpos.Epson, "bg", false)
	err := escpos.Clone.Check(stream)
	for _, want := range []string{"QR-STORE", "CUT", fmt.Sprintf("CODEPAGE %d", escpos.Epson.CodePages["WPC1251"])} {
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("an Epson ticket on the clone: %v, want %s named", err, want)
		}
	}
}

// FuzzImageModes prints any small bit image with each image command: the paper shows
// exactly its dots (every third row, three tall, with ESC * 1).
func FuzzImageModes(f *testing.F) {
	f.Add(uint8(37), []byte{0xff, 0x00, 0xaa, 0x55, 0x81})
	f.Add(uint8(1), []byte{0x80})
	f.Add(uint8(200), bytes.Repeat([]byte{0xf0, 0x0f}, 700))
	f.Fuzz(func(t *testing.T, width uint8, bits []byte) {
		w := int(width)%240 + 1
		stride := (w + 7) / 8
		h := min(len(bits)/stride, 100)
		if h == 0 {
			return
		}
		r := &escpos.Raster{Width: w, Height: h, Bits: bits[:h*stride]}
		for _, m := range imageModes {
			p := onlyMode(m)
			var buf bytes.Buffer
			if err := escpos.NewBuilder(&buf, p).Raster(r).Flush(); err != nil {
				t.Fatal(err)
			}
			if err := p.Check(buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			paper, err := Render(buf.Bytes(), RenderOptions{Profile: p})
			if err != nil {
				t.Fatal(err)
			}
			sameDots(t, paper, r, m)
		}
	})
}

// sameDots fails unless the paper shows r's dots at the top left (with ESC * 1 every
// third row, three tall).
func sameDots(t *testing.T, paper *Paper, r *escpos.Raster, m escpos.ImageMode) {
	t.Helper()
	for y := range r.Height {
		for x := range r.Width {
			src := y
			if m == escpos.ImageColumn8 {
				src = y/3*3 + 1
			}
			if got := paper.Image.GrayAt(x, y).Y == 0; got != r.Black(x, src) {
				t.Fatalf("%v %dx%d: dot %d,%d black %v", m, r.Width, r.Height, x, y, got)
			}
		}
	}
}
