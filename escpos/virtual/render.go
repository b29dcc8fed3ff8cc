// Package virtual is a virtual ESC/POS printer: Render draws a byte stream as the paper
// would come out (a picture with a real font, real QR codes and barcodes, and a UTF-8
// transcript), and Printer plays a printer with scripted states at the far end of a
// serial line, pseudo-terminal or socket, answering DLE EOT and ASB as a real one does.
package virtual

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"ticketkiosk/escpos"
)

// RenderOptions configure the virtual printer.
type RenderOptions struct {
	Width     int            // paper width in dots; 0 takes Profile.Dots
	Profile   escpos.Profile // code page numbering and width; the zero value means Epson
	MaxHeight int            // the paper is cut off below this many dots (0: 32768)
}

// Paper is what the virtual printer printed.
type Paper struct {
	// Text is a UTF-8 transcript: the printed text decoded from its code page, one line
	// per LF, and markers on lines of their own: "[QR: data]", "[CODE128: data]",
	// "[IMAGE wxh]", "--- cut ---".
	Text      string
	QRCodes   []string // payloads of the printed QR codes, in order (bytes as sent)
	Barcodes  []string // data of the printed barcodes, in order (bytes as sent)
	Images    int      // raster images printed
	Cuts      int      // cuts (and feed-and-cuts)
	Skipped   int      // unknown escape sequences skipped
	Wrapped   int      // lines wider than the paper that the printer broke (text went on on the next line)
	Truncated bool     // the paper grew past MaxHeight (or the transcript past 1 MiB) and was cut off
	Image     *image.Gray
}

// WritePNG writes the picture of the paper as a PNG.
func (p *Paper) WritePNG(w io.Writer) error {
	if err := png.Encode(w, p.Image); err != nil {
		return fmt.Errorf("escpos: png: %w", err)
	}
	return nil
}

const (
	defaultLineSpacing = 30 // dots, 1/6 inch at 180 dpi: Epson's default
	maxPaperWidth      = 4096
	defaultMaxHeight   = 32768
	maxTranscript      = 1 << 20
)

// Render prints stream on the virtual printer: it decodes the commands, keeps the
// printer's modes (code page, bold, underline, size, justification, line spacing, QR and
// barcode settings) and draws text with a real font, QR codes with a real QR encoder,
// barcodes as bars, raster images and cuts. A stream cut short renders up to the cut and
// returns the Paper with an error wrapping escpos.ErrTruncated.
func Render(stream []byte, o RenderOptions) (*Paper, error) {
	cmds, perr := escpos.Parse(stream)
	if o.Profile.CodePages == nil {
		o.Profile = escpos.Epson
	}
	if o.Width <= 0 {
		o.Width = o.Profile.Dots
	}
	o.Width = min(max(o.Width, 8), maxPaperWidth)
	if o.MaxHeight <= 0 {
		o.MaxHeight = defaultMaxHeight
	}
	r := newRenderer(o)
	for _, c := range cmds {
		r.do(c)
	}
	r.flushLine(false)
	r.paper.Text = r.text.String()
	r.paper.Image = r.image()
	if perr != nil {
		return r.paper, perr
	}
	return r.paper, nil
}

type item struct {
	r         rune
	img       *escpos.Command // an ESC * bit image instead of a character
	font      escpos.Font
	w, h      int // magnification
	bold      bool
	underline int
}

type renderer struct {
	o     RenderOptions
	paper *Paper
	text  strings.Builder
	pix   []byte // rows of o.Width grey dots, grown as the paper feeds
	y     int    // top of the next line, dots

	pages     [256]func(byte) rune // decoders by ESC t number
	page      func(byte) rune
	font      escpos.Font
	bold      bool
	underline int
	w, h      int
	align     int
	spacing   int

	line      []item
	lineWidth int

	graphics        *escpos.Command // GS ( L fn 112 data waiting for fn 50
	qrSize, qrLevel int
	qrData          []byte
	bcHeight, bcMod int
	hri             int
}

func newRenderer(o RenderOptions) *renderer {
	r := &renderer{o: o, paper: &Paper{}}
	// The profile's numbers first; a number it lacks is read as the first built-in
	// profile that has it, so a stream from another printer still decodes.
	for k, p := range []escpos.Profile{o.Profile, escpos.Epson, escpos.Clone, escpos.Rongta} {
		// Sorted, so that the first name wins a number two names share.
		names := slices.Sorted(maps.Keys(p.CodePages))
		for i := len(names) - 1; i >= 0; i-- {
			n := p.CodePages[names[i]]
			if cp, ok := escpos.CodePageDecoder(names[i]); ok && (k == 0 || r.pages[n] == nil) {
				r.pages[n] = cp
			}
		}
	}
	r.reset()
	return r
}

// reset is ESC @: every mode back to its power-on value.
func (r *renderer) reset() {
	name := r.o.Profile.DefaultCodePage
	if name == "" {
		name = "PC437"
	}
	r.page, _ = escpos.CodePageDecoder(name)
	if r.page == nil {
		r.page, _ = escpos.CodePageDecoder("PC437")
	}
	r.font, r.bold, r.underline, r.w, r.h, r.align = escpos.FontA, false, 0, 1, 1, 0
	r.spacing = defaultLineSpacing
	r.qrSize, r.qrLevel, r.qrData, r.graphics = 3, 0, nil, nil
	r.bcHeight, r.bcMod, r.hri = 162, 3, 0
}

func (r *renderer) do(c escpos.Command) {
	switch c.Op {
	case escpos.OpText:
		for _, b := range c.Data {
			r.add(r.page(b))
		}
	case escpos.OpHT:
		cw, _ := r.font.Cell()
		cols := r.lineWidth / cw
		for range 8 - cols%8 {
			r.add(' ')
		}
	case escpos.OpLF:
		r.flushLine(true)
	case escpos.OpInit:
		r.reset()
	case escpos.OpCodePage:
		if cp := r.pages[byte(c.N)]; cp != nil {
			r.page = cp
		}
	case escpos.OpBold:
		r.bold = c.N == 1
	case escpos.OpUnderline:
		r.underline = c.N
	case escpos.OpFont:
		r.font = escpos.Font(c.N & 1)
	case escpos.OpPrintMode:
		r.font = escpos.Font(c.N & 1)
		r.bold = c.N&0x08 != 0
		r.h = 1 + c.N>>4&1
		r.w = 1 + c.N>>5&1
		r.underline = c.N >> 7
	case escpos.OpSize:
		r.w = min(1+c.N>>4&7, 8)
		r.h = min(1+c.N&7, 8)
	case escpos.OpJustify:
		if len(r.line) == 0 { // justification takes effect at the start of a line
			r.align = c.N
		}
	case escpos.OpLineSpacing:
		r.spacing = c.N
	case escpos.OpDefaultLineSpacing:
		r.spacing = defaultLineSpacing
	case escpos.OpFeed:
		n := c.N
		if n == 0 && len(r.line) > 0 {
			n = 1
		}
		for range n {
			r.flushLine(true)
		}
	case escpos.OpFeedDots:
		if len(r.line) > 0 {
			r.printLine(c.N)
			r.write("\n")
		} else {
			r.y += c.N
		}
	case escpos.OpQRSize:
		if c.N >= 1 && c.N <= 16 {
			r.qrSize = c.N
		}
	case escpos.OpQRLevel:
		r.qrLevel = c.N
	case escpos.OpQRStore:
		r.qrData = c.Data
	case escpos.OpQRPrint:
		r.qr()
	case escpos.OpBarcodeHeight:
		if c.N >= 1 {
			r.bcHeight = c.N
		}
	case escpos.OpBarcodeWidth:
		if c.N >= 1 && c.N <= 6 {
			r.bcMod = c.N
		}
	case escpos.OpHRI:
		r.hri = c.N
	case escpos.OpBarcode:
		r.barcode(c)
	case escpos.OpRaster:
		r.raster(c)
	case escpos.OpBitImage:
		r.bitImage(c)
	case escpos.OpGraphicsStore:
		r.graphics = &c
	case escpos.OpGraphicsPrint:
		if g := r.graphics; g != nil {
			r.graphics = nil
			r.flushLine(false)
			r.drawRaster(g.W, g.H, (g.W+7)/8, g.Data, g.N, g.M)
		}
	case escpos.OpCut:
		r.flushLine(false)
		if c.N >= 65 {
			r.y += c.M
		}
		r.cut()
	case escpos.OpUnknown:
		r.paper.Skipped++
	}
}

// add puts a character into the line buffer, printing the line first when it is full.
func (r *renderer) add(ch rune) {
	it := item{r: ch, font: r.font, w: r.w, h: r.h, bold: r.bold, underline: r.underline}
	cw, _ := it.font.Cell()
	if r.lineWidth+it.w*cw > r.o.Width && len(r.line) > 0 {
		r.printLine(r.spacing) // the printer wraps a full line by itself
		r.paper.Wrapped++
	}
	r.line = append(r.line, it)
	r.lineWidth += it.w * cw
	r.write(string(ch))
}

// flushLine ends the current line. With lf it is a line feed (an empty line still feeds
// the line spacing); without, it only prints pending characters (before a QR code, an
// image, a cut).
func (r *renderer) flushLine(lf bool) {
	if len(r.line) == 0 && !lf {
		return
	}
	r.printLine(r.spacing)
	r.write("\n")
}

// printLine draws the line buffer and advances the paper by the line height (at least
// feed dots).
func (r *renderer) printLine(feed int) {
	height := 0
	for _, it := range r.line {
		if it.img != nil {
			_, h, _, _ := bitImageSize(it.img)
			height = max(height, h)
			continue
		}
		_, ch := it.font.Cell()
		height = max(height, it.h*ch)
	}
	x := r.alignX(r.lineWidth)
	for _, it := range r.line {
		if it.img != nil {
			w, h, hs, vs := bitImageSize(it.img)
			r.drawBitImage(x, r.y+height-h, it.img, hs, vs)
			x += w
			continue
		}
		cw, ch := it.font.Cell()
		top := r.y + height - it.h*ch // characters stand on a common baseline
		r.drawChar(x, top, it)
		x += it.w * cw
	}
	r.line = r.line[:0]
	r.lineWidth = 0
	r.y += max(height, feed)
}

func (r *renderer) alignX(w int) int {
	switch r.align {
	case 1:
		return max(0, (r.o.Width-w)/2)
	case 2:
		return max(0, r.o.Width-w)
	}
	return 0
}

func (r *renderer) drawChar(x0, y0 int, it item) {
	g := cell(it.r, it.font)
	cw, ch := it.font.Cell()
	const left = 1 << (fontAWidth - 1)
	if it.w == 1 && it.h == 1 && x0 >= 0 && x0+cw <= r.o.Width && y0 >= 0 && y0+ch <= r.o.MaxHeight {
		// The common case, wholly on the paper: set the dots directly.
		r.grow(y0 + ch)
		for cy := range ch {
			row := g[cy]
			if it.bold {
				row |= row >> 1
			}
			if it.underline > 0 && cy >= ch-it.underline {
				row = (1<<cw - 1) << (fontAWidth - cw)
			}
			if row == 0 {
				continue
			}
			dots := r.pix[(y0+cy)*r.o.Width+x0:]
			for cx := range cw {
				if row&(left>>cx) != 0 {
					dots[cx] = 0
				}
			}
		}
		return
	}
	for cy := range ch {
		row := g[cy]
		if it.bold {
			row |= row >> 1 // emphasis: every dot doubled to the right
		}
		if it.underline > 0 && cy >= ch-it.underline {
			row = (1<<cw - 1) << (fontAWidth - cw)
		}
		for cx := range cw {
			if row&(left>>cx) != 0 {
				r.fill(x0+cx*it.w, y0+cy*it.h, it.w, it.h)
			}
		}
	}
}

// fill blackens a rectangle of dots, growing the paper as needed and clipping to it.
func (r *renderer) fill(x, y, w, h int) {
	x0, x1 := max(x, 0), min(x+w, r.o.Width)
	y0, y1 := max(y, 0), min(y+h, r.o.MaxHeight)
	if y+h > r.o.MaxHeight {
		r.paper.Truncated = true
	}
	if x0 >= x1 || y0 >= y1 {
		return
	}
	r.grow(y1)
	for yy := y0; yy < y1; yy++ {
		row := r.pix[yy*r.o.Width:]
		for xx := x0; xx < x1; xx++ {
			row[xx] = 0
		}
	}
}

// grow makes rows of paper available, white, doubling the allocation as the paper
// feeds (never beyond MaxHeight).
func (r *renderer) grow(rows int) {
	need := rows * r.o.Width
	if need <= len(r.pix) {
		return
	}
	n := max(need, 2*len(r.pix), 256*r.o.Width)
	n = max(min(n, r.o.MaxHeight*r.o.Width), need)
	p := make([]byte, n)
	copy(p, r.pix)
	white := p[len(r.pix):]
	white[0] = 0xff
	for i := 1; i < len(white); i *= 2 {
		copy(white[i:], white[:i])
	}
	r.pix = p
}

func (r *renderer) image() *image.Gray {
	h := min(max(r.y, 1), r.o.MaxHeight)
	if r.y > r.o.MaxHeight {
		r.paper.Truncated = true
	}
	r.grow(h)
	return &image.Gray{Pix: r.pix[:h*r.o.Width], Stride: r.o.Width, Rect: image.Rect(0, 0, r.o.Width, h)}
}

// markerText shows a payload in a transcript marker: UTF-8 as it is, other bytes as
// U+FFFD, control characters as \xNN so that the marker stays on one line.
func markerText(p []byte) string {
	var sb strings.Builder
	for _, r := range strings.ToValidUTF8(string(p), "\uFFFD") {
		if r < 0x20 || r == 0x7f || r == '\\' {
			fmt.Fprintf(&sb, "\\x%02x", r)
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// write appends to the transcript, up to maxTranscript bytes.
func (r *renderer) write(s string) {
	if r.text.Len()+len(s) > maxTranscript {
		r.paper.Truncated = true
		return
	}
	r.text.WriteString(s)
}

// marker writes a transcript line of its own.
func (r *renderer) marker(s string) {
	r.write(s)
	r.write("\n")
}

func (r *renderer) qr() {
	r.flushLine(false)
	bm, err := escpos.QRModules(r.qrData, escpos.QRLevel(r.qrLevel))
	if err != nil {
		r.marker("[QR: unprintable]")
		return
	}
	size := len(bm) * r.qrSize
	if size > r.o.Width {
		// A printer does not print a symbol wider than its paper.
		r.marker("[QR not printed, " + strconv.Itoa(size) + " dots wide: " + markerText(r.qrData) + "]")
		return
	}
	r.marker("[QR: " + markerText(r.qrData) + "]")
	r.paper.QRCodes = append(r.paper.QRCodes, string(r.qrData))
	x0 := r.alignX(size)
	for y, row := range bm {
		for x, black := range row {
			if black {
				r.fill(x0+x*r.qrSize, r.y+y*r.qrSize, r.qrSize, r.qrSize)
			}
		}
	}
	r.y += size
}

func (r *renderer) barcode(c escpos.Command) {
	r.flushLine(false)
	if c.N != 73 {
		// Another symbology: a labelled box where its bars would be.
		label := markerText(c.Data)
		r.marker(fmt.Sprintf("[BARCODE %d: %s]", c.N, label))
		r.paper.Barcodes = append(r.paper.Barcodes, string(c.Data))
		w := min(r.o.Width, max((len(c.Data)+2)*11*r.bcMod, (utf8.RuneCountInString(label)+2)*fontAWidth))
		x := r.alignX(w)
		r.fill(x, r.y, w, 2)
		r.fill(x, r.y+r.bcHeight-2, w, 2)
		r.fill(x, r.y, 2, r.bcHeight)
		r.fill(x+w-2, r.y, 2, r.bcHeight)
		y := r.y
		r.y += max(0, (r.bcHeight-fontAHeight)/2)
		r.hriText(label) // the data, centred in the box
		r.y = y + r.bcHeight
		return
	}
	mods, text, err := escpos.Code128Modules(c.Data)
	if err != nil {
		r.marker("[CODE128: unprintable]")
		return
	}
	w := len(mods) * r.bcMod
	if w > r.o.Width {
		// A printer does not print a barcode wider than its paper.
		r.marker("[CODE128 not printed, " + strconv.Itoa(w) + " dots wide: " + markerText([]byte(text)) + "]")
		return
	}
	r.marker("[CODE128: " + markerText([]byte(text)) + "]")
	r.paper.Barcodes = append(r.paper.Barcodes, text)
	if r.hri&1 != 0 {
		r.hriText(text)
	}
	x0 := r.alignX(w)
	for i, black := range mods {
		if black {
			r.fill(x0+i*r.bcMod, r.y, r.bcMod, r.bcHeight)
		}
	}
	r.y += r.bcHeight
	if r.hri&2 != 0 {
		r.hriText(text)
	}
}

func (r *renderer) hriText(s string) {
	x := r.alignX(len(s) * fontAWidth)
	for _, ch := range s {
		r.drawChar(x, r.y, item{r: ch, w: 1, h: 1})
		x += fontAWidth
	}
	r.y += fontAHeight
}

func (r *renderer) raster(c escpos.Command) {
	r.flushLine(false)
	// Modes 1 and 3 double the width, 2 and 3 the height.
	r.drawRaster(c.W*8, c.H, c.W, c.Data, 1+c.N&1, 1+c.N>>1&1)
}

// drawRaster prints w×h dots (rows of stride bytes, MSB leftmost) scaled hs×vs at the
// justification, on lines of their own.
func (r *renderer) drawRaster(w, h, stride int, data []byte, hs, vs int) {
	r.marker(fmt.Sprintf("[IMAGE %dx%d]", w, h))
	r.paper.Images++
	x0 := r.alignX(w * hs)
	for y := range h {
		row := data[y*stride : (y+1)*stride]
		for xb, bits := range row {
			if bits == 0 {
				continue
			}
			for bit := range 8 {
				if bits&(0x80>>bit) != 0 && xb*8+bit < w {
					r.fill(x0+(xb*8+bit)*hs, r.y+y*vs, hs, vs)
				}
			}
		}
	}
	r.y += h * vs
}

// bitImage puts an ESC * column image into the line buffer, where it prints with the
// line like a (large) character.
func (r *renderer) bitImage(c escpos.Command) {
	w, h, _, _ := bitImageSize(&c)
	if r.lineWidth+w > r.o.Width && len(r.line) > 0 {
		r.printLine(r.spacing)
		r.paper.Wrapped++
	}
	r.write(fmt.Sprintf("[IMAGE %dx%d]", w, h))
	r.paper.Images++
	r.line = append(r.line, item{img: &c})
	r.lineWidth += w
}

// bitImageSize returns the printed size of an ESC * image and its dot scale: 8-dot
// modes print each bit three dots tall, single-density modes two dots wide (Epson's
// densities at 180 dpi).
func bitImageSize(c *escpos.Command) (w, h, hs, vs int) {
	hs, vs = 1, 1
	rows := 8
	if c.N == 0 || c.N == 32 {
		hs = 2
	}
	if c.N < 32 {
		vs = 3
	} else {
		rows = 24
	}
	return c.W * hs, rows * vs, hs, vs
}

func (r *renderer) drawBitImage(x0, y0 int, c *escpos.Command, hs, vs int) {
	per := 1
	if c.N >= 32 {
		per = 3
	}
	for col := range c.W {
		for k := range per {
			bits := c.Data[col*per+k]
			for bit := range 8 {
				if bits&(0x80>>bit) != 0 {
					r.fill(x0+col*hs, y0+(k*8+bit)*vs, hs, vs)
				}
			}
		}
	}
}

func (r *renderer) cut() {
	r.marker("--- cut ---")
	r.paper.Cuts++
	r.y += 4
	for x := 0; x < r.o.Width; x += 16 {
		r.fill(x, r.y, 8, 2)
	}
	r.y += 6
}
