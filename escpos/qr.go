package escpos

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// QRLevel is a QR error correction level.
type QRLevel byte

// Error correction levels, as sent in GS ( k fn 69 (48 + level).
const (
	QRLevelL QRLevel = 0 // 7 %
	QRLevelM QRLevel = 1 // 15 %
	QRLevelQ QRLevel = 2 // 25 %
	QRLevelH QRLevel = 3 // 30 %
)

// String returns "L", "M", "Q" or "H".
func (l QRLevel) String() string {
	if l > QRLevelH {
		return fmt.Sprintf("QRLevel(%d)", byte(l))
	}
	return string("LMQH"[l])
}

func (l QRLevel) recovery() qrcode.RecoveryLevel {
	return [...]qrcode.RecoveryLevel{qrcode.Low, qrcode.Medium, qrcode.High, qrcode.Highest}[l]
}

// ParseQRLevel reads "L", "M", "Q" or "H" (any case).
func ParseQRLevel(s string) (QRLevel, error) {
	for l := QRLevelL; l <= QRLevelH; l++ {
		if strings.EqualFold(s, l.String()) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("escpos: QR level %q is not L, M, Q or H: %w", s, ErrArgument)
}

// QROptions shape a QR code. Zero fields take the defaults shown.
type QROptions struct {
	Module int     // module (cell) size in dots, 1..16 (6)
	Level  QRLevel // error correction (QRLevelL, the printer's default)
}

func (o QROptions) check() (QROptions, error) {
	if o.Module == 0 {
		o.Module = 6
	}
	if o.Module < 1 || o.Module > 16 || o.Level > QRLevelH {
		return o, fmt.Errorf("escpos: QR options %+v: %w", o, ErrArgument)
	}
	return o, nil
}

// maxQRData bounds a stored QR payload (the symbol holds at most 7089 digits).
const maxQRData = 7089

// QR prints data as a QR code with the printer's own encoder (GS ( k, model 2): select
// the model, set the module size and error level, store the data, print it. The payload
// is sent as bytes, unchanged. A symbol wider than the paper is an error (printers skip
// it).
func (b *Builder) QR(data string, o QROptions) *Builder {
	if b.err != nil {
		return b
	}
	o, err := o.check()
	if err != nil {
		return b.fail(err)
	}
	if data == "" || len(data) > maxQRData {
		return b.fail(fmt.Errorf("escpos: QR of %d bytes: %w", len(data), ErrQR))
	}
	q, err := qrcode.New(data, o.Level.recovery())
	if err != nil {
		return b.fail(fmt.Errorf("escpos: QR: %v: %w", err, ErrQR))
	}
	if err := b.fitQR(17+4*q.VersionNumber, o.Module); err != nil { // version v has 17+4v modules
		return b.fail(err)
	}
	b.Raw(gs, '(', 'k', 4, 0, 49, 65, 50, 0)            // fn 165: model 2
	b.Raw(gs, '(', 'k', 3, 0, 49, 67, byte(o.Module))   // fn 167: module size
	b.Raw(gs, '(', 'k', 3, 0, 49, 69, 48+byte(o.Level)) // fn 169: error correction
	n := len(data) + 3
	b.Raw(gs, '(', 'k', byte(n), byte(n>>8), 49, 80, 48) // fn 180: store
	b.Raw([]byte(data)...)
	return b.Raw(gs, '(', 'k', 3, 0, 49, 81, 48) // fn 181: print
}

// QRImage prints the same QR code as QR but encoded here and sent as an image (with the
// profile's image command), for printers without a QR encoder. It costs many more bytes
// on the wire. With ESC * 1 the module is rounded down to a multiple of 3 dots.
func (b *Builder) QRImage(data string, o QROptions) *Builder {
	if b.err != nil {
		return b
	}
	o, err := o.check()
	if err != nil {
		return b.fail(err)
	}
	bm, err := qrBitmap([]byte(data), o.Level)
	if err != nil {
		return b.fail(err)
	}
	if b.prof.ImageMode() == ImageColumn8 && o.Module%3 != 0 {
		// ESC * 1 prints a dot three tall: modules of a multiple of 3 dots stay square.
		o.Module = max(3, o.Module/3*3)
	}
	if err := b.fitQR(len(bm), o.Module); err != nil {
		return b.fail(err)
	}
	r := newRaster(len(bm)*o.Module, len(bm)*o.Module)
	for y, row := range bm {
		for x, black := range row {
			if black {
				r.fillRect(x*o.Module, y*o.Module, o.Module, o.Module)
			}
		}
	}
	return b.raster(r)
}

// fitQR checks that a symbol of n modules fits the paper (printers skip one that does
// not). The printer's encoder picks the same smallest version for the data as go-qrcode
// in all but unusual mixes of modes.
func (b *Builder) fitQR(n, module int) error {
	if n*module > b.prof.Dots {
		return fmt.Errorf("escpos: QR of %d modules at %d dots is too wide for %d-dot paper: %w", n, module, b.prof.Dots, ErrQR)
	}
	return nil
}

// qrBitmap encodes data as a QR symbol without quiet zone, one bool per module.
func qrBitmap(data []byte, level QRLevel) ([][]bool, error) {
	if len(data) == 0 || len(data) > maxQRData || level > QRLevelH {
		return nil, fmt.Errorf("escpos: QR of %d bytes: %w", len(data), ErrQR)
	}
	q, err := qrcode.New(string(data), level.recovery())
	if err != nil {
		return nil, fmt.Errorf("escpos: QR: %v: %w", err, ErrQR)
	}
	q.DisableBorder = true
	return q.Bitmap(), nil
}

// QRModules returns the QR symbol for data at the given level as rows of modules (true =
// dark), without quiet zone: the symbol a printer's own encoder draws for GS ( k, for
// decoders and virtual printers.
func QRModules(data []byte, level QRLevel) ([][]bool, error) { return qrBitmap(data, level) }
