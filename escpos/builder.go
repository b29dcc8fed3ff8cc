// Package escpos speaks ESC/POS, the command language of receipt printers: a Builder
// encodes text (transcoded to the printer's code page), styles, QR codes, CODE128
// barcodes, raster images and cuts; the status functions read DLE EOT and ASB replies;
// Parse decodes a byte stream back into commands. The virtual printer, which draws a
// stream as a picture of the paper and plays a scripted printer, is package
// escpos/virtual.
package escpos

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Control bytes.
const (
	nul = 0x00
	eot = 0x04
	ht  = 0x09
	lf  = 0x0a
	ff  = 0x0c
	cr  = 0x0d
	dle = 0x10
	can = 0x18
	esc = 0x1b
	fs  = 0x1c
	gs  = 0x1d
)

const (
	fontAWidth  = 12 // font A cell, dots
	fontAHeight = 24
)

// Align is a justification for ESC a.
type Align byte

// Justifications.
const (
	Left   Align = 0
	Center Align = 1
	Right  Align = 2
)

// CutMode selects the cut of GS V.
type CutMode byte

// Cuts.
const (
	FullCut    CutMode = 0
	PartialCut CutMode = 1
)

// Builder encodes ESC/POS commands for one printer profile onto an io.Writer. Like
// bufio.Writer it buffers and keeps the first error: after an error every method does
// nothing, and Err or Flush reports it. Methods return the Builder so calls chain.
type Builder struct {
	w        *bufio.Writer
	prof     Profile
	page     *codePage   // the code page selected with CodePage
	sent     *codePage   // the page the printer is in; nil: not known (before the first ESC t)
	others   []*codePage // the profile's pages by ESC t number (see otherPages)
	width    int         // character width multiple set with Size (ESC @ resets it to 1)
	font     Font        // font set with Font (ESC @ resets it to font A)
	err      error
	scratch  []byte
	degraded []Degradation
}

// NewBuilder returns a Builder writing to w for the printer described by p. The current
// code page starts as p.DefaultCodePage (PC437 when empty); select another with CodePage.
func NewBuilder(w io.Writer, p Profile) *Builder {
	b := &Builder{w: bufio.NewWriterSize(w, 4096), prof: p, width: 1}
	name := p.DefaultCodePage
	if name == "" {
		name = "PC437"
	}
	b.page, _ = lookupCodePage(name)
	if b.page == nil {
		b.page, _ = lookupCodePage("PC437")
	}
	return b
}

// Profile returns the printer profile the Builder encodes for.
func (b *Builder) Profile() Profile { return b.prof }

// Err returns the first error met, or nil.
func (b *Builder) Err() error { return b.err }

// Flush writes any buffered bytes to the underlying writer and returns the first error.
func (b *Builder) Flush() error {
	if b.err != nil {
		return b.err
	}
	if err := b.w.Flush(); err != nil {
		b.err = fmt.Errorf("escpos: write: %w", err)
	}
	return b.err
}

func (b *Builder) fail(err error) *Builder {
	if b.err == nil {
		b.err = err
	}
	return b
}

// Raw writes p unchanged. It is the escape hatch for commands the Builder lacks.
func (b *Builder) Raw(p ...byte) *Builder {
	if b.err != nil {
		return b
	}
	if _, err := b.w.Write(p); err != nil {
		b.err = fmt.Errorf("escpos: write: %w", err)
	}
	return b
}

// Init resets the printer (ESC @) and leaves Chinese double-byte mode when the profile
// says so (FS .). ESC @ resets the code page to the printer's power-on choice, so the
// page is selected again (ESC t) before the next character that needs it.
func (b *Builder) Init() *Builder {
	b.Raw(esc, '@')
	b.width, b.font, b.sent = 1, FontA, nil
	if b.prof.CancelKanji {
		b.Raw(fs, '.')
	}
	return b
}

// CodePage selects the character table by name ("PC437", "PC866", "WPC1251", ...) and
// transcodes later text into it. The ESC t with the profile's number goes out before
// the first character outside ASCII, so that no ESC t is sent that another replaces
// before it is used.
func (b *Builder) CodePage(name string) *Builder {
	if b.err != nil {
		return b
	}
	cp, ok := lookupCodePage(name)
	if _, known := b.prof.CodePages[name]; !ok || !known {
		return b.fail(fmt.Errorf("escpos: code page %q on %s: %w", name, b.prof.Name, ErrUnknownCodePage))
	}
	b.page = cp
	return b
}

// CodePageName returns the name of the current code page.
func (b *Builder) CodePageName() string { return b.page.name }

// emit writes segments, with an ESC t before each that needs another page than the
// printer is in.
func (b *Builder) emit(segs []segment) {
	for _, sg := range segs {
		if !sg.ascii() && sg.page != b.sent {
			if n, ok := b.prof.CodePages[sg.page.name]; ok {
				b.Raw(esc, 't', n)
			}
			b.sent = sg.page
		}
		b.Raw(sg.bytes...)
	}
}

// Text writes s transcoded for the printer. A newline in s becomes LF; other control
// characters are dropped, so text cannot carry a command. A character goes out in the
// current code page, or, where that page lacks it, in another page of the model that has
// it (ESC t before the run and back after). Characters no page of the model has degrade
// visibly: an accented letter prints as its base letter, Cyrillic is transliterated to
// Latin on a page without Cyrillic, "€" is "EUR" where no page has a euro sign, and
// anything else is '?' (see Degraded).
func (b *Builder) Text(s string) *Builder {
	if b.err != nil {
		return b
	}
	note := func(d Degradation) {
		if len(b.degraded) < 64 {
			b.degraded = append(b.degraded, d)
		}
	}
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.Raw(lf)
		}
		b.emit(b.segments(line, note))
	}
	return b
}

// Line writes s and a line feed.
func (b *Builder) Line(s string) *Builder { return b.Text(s).Raw(lf) }

// LF prints the line buffer and feeds one line.
func (b *Builder) LF() *Builder { return b.Raw(lf) }

// Bold turns emphasis (ESC E) on or off.
func (b *Builder) Bold(on bool) *Builder { return b.Raw(esc, 'E', boolByte(on)) }

// Font selects font A (12×24 dots) or the smaller font B (9×17 dots) with ESC M.
func (b *Builder) Font(f Font) *Builder {
	if f > FontB {
		return b.fail(fmt.Errorf("escpos: font %d: %w", f, ErrArgument))
	}
	b.font = f
	return b.Raw(esc, 'M', byte(f))
}

// Underline sets underline (ESC -): 0 off, 1 one dot, 2 two dots thick.
func (b *Builder) Underline(dots int) *Builder {
	if dots < 0 || dots > 2 {
		return b.fail(fmt.Errorf("escpos: underline %d: %w", dots, ErrArgument))
	}
	return b.Raw(esc, '-', byte(dots))
}

// Size sets the character magnification (GS !): width and height 1..8 times.
func (b *Builder) Size(width, height int) *Builder {
	if width < 1 || width > 8 || height < 1 || height > 8 {
		return b.fail(fmt.Errorf("escpos: size %dx%d: %w", width, height, ErrArgument))
	}
	b.width = width
	return b.Raw(gs, '!', byte(width-1)<<4|byte(height-1))
}

// Justify sets the justification (ESC a) of the following lines, barcodes and images.
func (b *Builder) Justify(a Align) *Builder {
	if a > Right {
		return b.fail(fmt.Errorf("escpos: justify %d: %w", a, ErrArgument))
	}
	return b.Raw(esc, 'a', byte(a))
}

// LineSpacing sets the line feed amount to dots (ESC 3 n).
func (b *Builder) LineSpacing(dots int) *Builder {
	if dots < 0 || dots > 255 {
		return b.fail(fmt.Errorf("escpos: line spacing %d: %w", dots, ErrArgument))
	}
	return b.Raw(esc, '3', byte(dots))
}

// DefaultLineSpacing restores the default line feed amount (ESC 2).
func (b *Builder) DefaultLineSpacing() *Builder { return b.Raw(esc, '2') }

// Feed prints the line buffer and feeds n lines (ESC d n), n up to 255.
func (b *Builder) Feed(lines int) *Builder {
	if lines < 0 || lines > 255 {
		return b.fail(fmt.Errorf("escpos: feed %d: %w", lines, ErrArgument))
	}
	return b.Raw(esc, 'd', byte(lines))
}

// Cut cuts the paper (GS V 0 full, GS V 1 partial) where it is, without feeding. On a
// printer without cutter it feeds the paper to the tear bar instead (ESC d 4).
func (b *Builder) Cut(mode CutMode) *Builder {
	if mode > PartialCut {
		return b.fail(fmt.Errorf("escpos: cut %d: %w", mode, ErrArgument))
	}
	if !b.prof.Cutter {
		return b.Feed(4)
	}
	return b.Raw(gs, 'V', byte(mode))
}

// FeedCut feeds the paper to the cutting position plus dots and cuts (GS V 65/66 n), the
// usual end of a receipt. Without a cutter it only feeds.
func (b *Builder) FeedCut(mode CutMode, dots int) *Builder {
	if mode > PartialCut || dots < 0 || dots > 255 {
		return b.fail(fmt.Errorf("escpos: feed cut %d %d: %w", mode, dots, ErrArgument))
	}
	if !b.prof.Cutter {
		return b.Feed(4)
	}
	return b.Raw(gs, 'V', 65+byte(mode), byte(dots))
}

// Pulse sends a pulse to the cash drawer connector pin (ESC p m t1 t2): pin 2 or 5,
// on and off times in milliseconds (sent in 2 ms units, up to 510 ms).
func (b *Builder) Pulse(pin int, onMs, offMs int) *Builder {
	if (pin != 2 && pin != 5) || onMs < 0 || onMs > 510 || offMs < 0 || offMs > 510 {
		return b.fail(fmt.Errorf("escpos: pulse pin %d %d/%d ms: %w", pin, onMs, offMs, ErrArgument))
	}
	m := byte(0)
	if pin == 5 {
		m = 1
	}
	return b.Raw(esc, 'p', m, byte(onMs/2), byte(offMs/2))
}

func boolByte(on bool) byte {
	if on {
		return 1
	}
	return 0
}
