package escpos

import (
	"image"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// glyph is a font A character cell: one row of 12 bits per dot row, bit 11 leftmost.
type glyph [fontAHeight]uint16

// glyphs draws characters with Go Mono (which has Cyrillic) sized so that one advance
// is the 12-dot font A cell, and caches each cell as dots.
var glyphs = struct {
	sync.Mutex
	face  font.Face
	base  int
	err   error
	cells map[rune]*glyph
	once  sync.Once
}{cells: map[rune]*glyph{}}

func loadFace() {
	f, err := opentype.Parse(gomono.TTF)
	if err != nil {
		glyphs.err = err
		return
	}
	size := 20.0
	for range 3 { // converge on a 12-dot advance
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			glyphs.err = err
			return
		}
		adv, _ := face.GlyphAdvance('0')
		if adv.Round() == fontAWidth || adv <= 0 {
			glyphs.face = face
			break
		}
		size = size * fontAWidth / (float64(adv) / 64)
		glyphs.face = face
	}
	m := glyphs.face.Metrics()
	asc, desc := m.Ascent.Ceil(), m.Descent.Ceil()
	glyphs.base = (fontAHeight-asc-desc)/2 + asc
}

// cell returns the dots of r in the 12×24 font A cell.
func cell(r rune) *glyph {
	glyphs.Lock()
	defer glyphs.Unlock()
	glyphs.once.Do(loadFace)
	if g, ok := glyphs.cells[r]; ok {
		return g
	}
	g := new(glyph)
	if glyphs.face != nil && r > ' ' {
		dst := image.NewAlpha(image.Rect(0, 0, fontAWidth, fontAHeight))
		d := font.Drawer{Dst: dst, Src: image.Opaque, Face: glyphs.face, Dot: fixed.P(0, glyphs.base)}
		d.DrawString(string(r))
		for y := range fontAHeight {
			for x := range fontAWidth {
				if dst.Pix[y*dst.Stride+x] >= 0x70 {
					g[y] |= 1 << (fontAWidth - 1 - x)
				}
			}
		}
	}
	if len(glyphs.cells) < 4096 {
		glyphs.cells[r] = g
	}
	return g
}

// warmGlyphs draws every character of every known code page into the cache, so that
// later renders take the same code paths whatever was drawn before (fuzzing relies on it).
func warmGlyphs() {
	for _, name := range CodePageNames() {
		cp, _ := lookupCodePage(name)
		for b := 0x20; b <= 0xff; b++ {
			cell(cp.decode(byte(b)))
		}
	}
}
