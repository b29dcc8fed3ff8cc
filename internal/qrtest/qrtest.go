// Package qrtest decodes QR codes from images for tests: rendered receipts, email
// attachments. It uses a real decoder (gozxing), so a test that passes read the code the
// way a gate scanner would.
package qrtest

import (
	"image"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/multi/qrcode"
)

// Decode returns the text of every QR code in img, failing the test when there is none.
func Decode(t testing.TB, img image.Image) []string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeMultiReader().DecodeMultiple(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("QR decode: %v", err)
	}
	out := make([]string, 0, len(res))
	for _, r := range res {
		out = append(out, r.GetText())
	}
	return out
}
