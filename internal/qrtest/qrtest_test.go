package qrtest

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

func encode(t *testing.T, text string) image.Image {
	t.Helper()
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	return q.Image(256)
}

func TestDecodeOne(t *testing.T) {
	if got := DecodeOne(t, encode(t, "TK1:TEST/42")); got != "TK1:TEST/42" {
		t.Errorf("DecodeOne = %q", got)
	}
}

func TestDecodePNG(t *testing.T) {
	data, err := qrcode.Encode("https://t.example/t/X", qrcode.Medium, 256)
	if err != nil {
		t.Fatal(err)
	}
	if got := DecodePNG(t, data); got != "https://t.example/t/X" {
		t.Errorf("DecodePNG = %q", got)
	}
}

func TestDecodeTwo(t *testing.T) {
	page := image.NewGray(image.Rect(0, 0, 256, 560))
	draw.Draw(page, page.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(page, image.Rect(0, 0, 256, 256), encode(t, "first"), image.Point{}, draw.Src)
	draw.Draw(page, image.Rect(0, 300, 256, 556), encode(t, "second"), image.Point{}, draw.Src)
	got := Decode(t, page)
	seen := map[string]bool{}
	for _, s := range got {
		seen[s] = true
	}
	if len(got) != 2 || !seen["first"] || !seen["second"] {
		t.Errorf("Decode = %q, want first and second", got)
	}
}
