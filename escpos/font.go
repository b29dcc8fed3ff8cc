package escpos

// Font selects one of the printer's two resident fonts.
type Font byte

// Resident fonts.
const (
	FontA Font = 0 // 12×24 dots: 48 columns on 80 mm, 32 on 58 mm
	FontB Font = 1 // 9×17 dots: 64 columns on 80 mm, 42 on 58 mm
)

// Cell returns the font's character cell in dots.
func (f Font) Cell() (w, h int) {
	if f == FontB {
		return 9, 17
	}
	return fontAWidth, fontAHeight
}
