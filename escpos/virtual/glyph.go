package virtual

import (
	"image"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"ticketkiosk/escpos"
)

// The font A cell, in dots (escpos.FontA.Cell().
const (
	fontAWidth  = 12
	fontAHeight = 24
)

// glyph is a character cell: one row of bits per dot row, bit 11 leftmost (font B uses
// the left 9 bits of its 17 rows).
type glyph [fontAHeight]uint16

type glyphKey struct {
	r rune
	f escpos.Font
}

// glyphs draws characters with Go Mono (which has Cyrillic) sized so that one advance
// is the font's cell width, and caches each cell as dots.
var glyphs = struct {
	sync.Mutex
	faces [2]font.Face
	base  [2]int
	cells map[glyphKey]*glyph
	once  sync.Once
}{cells: map[glyphKey]*glyph{}}

func loadFaces() {
	f, err := opentype.Parse(gomono.TTF)
	if err != nil {
		return // cells stay blank; the picture still shows layout, QR codes and images
	}
	for _, fn := range []escpos.Font{escpos.FontA, escpos.FontB} {
		w, h := fn.Cell()
		size := 20.0 * float64(w) / fontAWidth
		var face font.Face
		for range 3 { // converge on an advance of one cell width
			face, err = opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				return
			}
			adv, _ := face.GlyphAdvance('0')
			if adv.Round() == w || adv <= 0 {
				break
			}
			size = size * float64(w) / (float64(adv) / 64)
		}
		m := face.Metrics()
		asc, desc := m.Ascent.Ceil(), m.Descent.Ceil()
		glyphs.faces[fn] = face
		glyphs.base[fn] = (h-asc-desc)/2 + asc
	}
}

// cell returns the dots of r in the font's cell.
func cell(r rune, fn escpos.Font) *glyph {
	glyphs.Lock()
	defer glyphs.Unlock()
	glyphs.once.Do(loadFaces)
	k := glyphKey{r, fn & 1}
	if g, ok := glyphs.cells[k]; ok {
		return g
	}
	g := new(glyph)
	w, h := k.f.Cell()
	if face := glyphs.faces[k.f]; face != nil && r > ' ' {
		dst := image.NewAlpha(image.Rect(0, 0, w, h))
		d := font.Drawer{Dst: dst, Src: image.Opaque, Face: face, Dot: fixed.P(0, glyphs.base[k.f])}
		d.DrawString(string(r))
		for y := range h {
			for x := range w {
				if dst.Pix[y*dst.Stride+x] >= 0x70 {
					g[y] |= 1 << (fontAWidth - 1 - x)
				}
			}
		}
	}
	if len(glyphs.cells) < 8192 {
		glyphs.cells[k] = g
	}
	return g
}

// warmGlyphs draws every character of every known code page into the cache, so that
// later renders take the same code paths whatever was drawn before (fuzzing relies on it).
func warmGlyphs() {
	for _, name := range escpos.CodePageNames() {
		decode, _ := escpos.CodePageDecoder(name)
		for b := 0x20; b <= 0xff; b++ {
			cell(decode(byte(b)), escpos.FontA)
			cell(decode(byte(b)), escpos.FontB)
		}
	}
}
