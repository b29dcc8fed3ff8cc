package testkit

// The QR helpers decode codes from images for tests: rendered receipts, email attachments.
// They use a real decoder (gozxing), so a test that passes read the code the way a gate
// scanner would.

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/multi/qrcode"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// hints makes the decoder look harder, as a gate scanner does.
var hints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}

// QRCodes returns the text of every QR code in img, failing the test when there is none.
func QRCodes(t testing.TB, img image.Image) []string {
	t.Helper()
	bmp := bitmap(t, img)
	res, err := qrcode.NewQRCodeMultiReader().DecodeMultiple(bmp, hints)
	if err != nil {
		t.Fatalf("QR decode: %v", err)
	}
	out := make([]string, 0, len(res))
	for _, r := range res {
		out = append(out, r.GetText())
	}
	return out
}

// QRCode returns the text of the QR code in img, which holds one, failing the test when
// there is none.
func QRCode(t testing.TB, img image.Image) string {
	t.Helper()
	bmp := bitmap(t, img)
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		t.Fatalf("QR decode: %v", err)
	}
	return res.GetText()
}

func bitmap(t testing.TB, img image.Image) *gozxing.BinaryBitmap {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	return bmp
}

// QRCodePNG returns the text of the QR code in a PNG picture, which holds one, failing the
// test when the picture or the code does not decode.
func QRCodePNG(t testing.TB, data []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("PNG decode: %v", err)
	}
	return QRCode(t, img)
}
