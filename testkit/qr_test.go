package testkit

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

func encodeQR(t *testing.T, text string) image.Image {
	t.Helper()
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	return q.Image(256)
}

func TestQRCode(t *testing.T) {
	if got := QRCode(t, encodeQR(t, "TK1:TEST/42")); got != "TK1:TEST/42" {
		t.Errorf("QRCode = %q", got)
	}
}

func TestQRCodePNG(t *testing.T) {
	data, err := qrcode.Encode("https://t.example/t/X", qrcode.Medium, 256)
	if err != nil {
		t.Fatal(err)
	}
	if got := QRCodePNG(t, data); got != "https://t.example/t/X" {
		t.Errorf("QRCodePNG = %q", got)
	}
}

func TestQRCodesTwo(t *testing.T) {
	page := image.NewGray(image.Rect(0, 0, 256, 560))
	draw.Draw(page, page.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(page, image.Rect(0, 0, 256, 256), encodeQR(t, "first"), image.Point{}, draw.Src)
	draw.Draw(page, image.Rect(0, 300, 256, 556), encodeQR(t, "second"), image.Point{}, draw.Src)
	got := QRCodes(t, page)
	seen := map[string]bool{}
	for _, s := range got {
		seen[s] = true
	}
	if len(got) != 2 || !seen["first"] || !seen["second"] {
		t.Errorf("QRCodes = %q, want first and second", got)
	}
}
