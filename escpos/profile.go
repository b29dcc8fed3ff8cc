package escpos

import (
	"fmt"
	"sort"
	"strings"
)

// Profile describes one printer model: what it can do and how it numbers its code pages.
// The zero value is not useful; start from a model (LookupModel, Models) or one of the
// generic Epson, Clone and Rongta profiles, and adjust with WithDots and WithCodePage.
type Profile struct {
	Name    string // short name, e.g. "epson" or "tm-t88v"
	Model   string // the printers it stands for, e.g. "Epson TM-T88V"
	Dots    int    // printable dots per line: 384 (58 mm), 512 or 576 (80 mm)
	Columns int    // characters per line in font A (Fonts[FontA].Columns)
	// Fonts are the resident fonts' cells and characters per line, by Font.
	Fonts     [2]FontMetrics
	CodePages map[string]byte // code page name (see CodePageNames) → ESC t number
	// DefaultCodePage is the page the printer selects after ESC @ when nothing else is
	// selected; the Builder starts with it.
	DefaultCodePage string
	CancelKanji     bool // send FS . after ESC @ (Chinese clones boot in double-byte mode)
	Cutter          bool // has an autocutter; without one Cut only feeds to the tear bar
	// QR is whether the printer draws QR codes itself (GS ( k); without it a QR code
	// must go out as an image.
	QR bool
	// Images are the bit image commands the printer obeys, the one to use first.
	Images []ImageMode
	Status StatusCommands // the status commands it answers
}

// FontMetrics is one resident font of a model: its cell in dots and the characters
// that fit a line.
type FontMetrics struct {
	Width, Height, Columns int
}

// ImageMode is a command that prints a bit image.
type ImageMode byte

// Image modes.
const (
	ImageRaster   ImageMode = iota + 1 // GS v 0: raster bit image, rows of bytes
	ImageGraphics                      // GS ( L fn 112 and fn 50: graphics data in the print buffer
	ImageColumn24                      // ESC * 33: 24-dot double-density column image, one band per line
	ImageColumn8                       // ESC * 1: 8-dot double-density column image (each dot three tall)
)

var imageModeNames = [...]string{ImageRaster: "GS v 0", ImageGraphics: "GS ( L", ImageColumn24: "ESC * 33", ImageColumn8: "ESC * 1"}

// String returns the command, e.g. "GS v 0".
func (m ImageMode) String() string {
	if int(m) < len(imageModeNames) && imageModeNames[m] != "" {
		return imageModeNames[m]
	}
	return fmt.Sprintf("ImageMode(%d)", byte(m))
}

// StatusCommands are the status commands a model answers, as bits.
type StatusCommands byte

// Status commands.
const (
	StatusRealTime StatusCommands = 1 << iota // DLE EOT n: real-time status
	StatusASB                                 // GS a n: automatic status back
)

// String lists the commands, e.g. "DLE EOT, GS a", or "none".
func (s StatusCommands) String() string {
	var parts []string
	if s&StatusRealTime != 0 {
		parts = append(parts, "DLE EOT")
	}
	if s&StatusASB != 0 {
		parts = append(parts, "GS a")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// fonts returns the usual 12×24 font A and 9×17 font B on a line of dots.
func fonts(dots int) [2]FontMetrics {
	return [2]FontMetrics{{fontAWidth, fontAHeight, dots / fontAWidth}, {9, 17, dots / 9}}
}

// epsonPages are the ESC t numbers of Epson's current thermal models (TM-T20II/III,
// TM-T88V/VI, TM-m30) for the pages this package transcodes.
var epsonPages = map[string]byte{
	"PC437": 0, "PC850": 2, "PC860": 3, "PC863": 4, "PC865": 5,
	"WPC1252": 16, "PC866": 17, "PC852": 18, "PC858": 19,
	"PC855": 34, "WPC1250": 45, "WPC1251": 46,
}

// Epson is a TM-T20 class 80 mm printer (576 dots, 48 columns). Its ESC t numbers are
// from Epson's ESC/POS command reference (character code tables page), cross-checked with
// the escpos-printer-db profiles (PC855 = 34, WPC1250 = 45, WPC1251 = 46). The TM-T88
// series prints 512 dots: use its model (LookupModel "tm-t88v").
var Epson = Profile{
	Name: "epson", Model: "Epson TM-T20 class",
	Dots: 576, Columns: 48, Fonts: fonts(576),
	CodePages:       epsonPages,
	DefaultCodePage: "PC437",
	Cutter:          true,
	QR:              true,
	Images:          []ImageMode{ImageRaster, ImageGraphics, ImageColumn24, ImageColumn8},
	Status:          StatusRealTime | StatusASB,
}

// Clone is a common Chinese 58 mm clone (Zjiang POS-58/POS-5890 and their many
// rebrands). The ESC t numbers follow the POS-5890 profile of the community
// escpos-printer-db project (PC866 = 17, WPC1251 = 73); those clones repeat the lower
// Epson-compatible numbers, and several of their self-test pages list PC866 also at 59.
// They have no QR encoder of their own (a QR code goes out as a raster image) and only
// the GS v 0 image command. Clones need FS . after ESC @ to leave their Chinese
// double-byte mode, and most 58 mm ones have no cutter.
var Clone = Profile{
	Name: "clone", Model: "Zjiang POS-5890 class (58 mm clone)",
	Dots: 384, Columns: 32, Fonts: fonts(384),
	CodePages: map[string]byte{
		"PC437": 0, "PC850": 2, "PC860": 3, "PC863": 4, "PC865": 5,
		"WPC1252": 16, "PC866": 17, "PC852": 18, "PC858": 19,
		"PC855": 60, "WPC1250": 72, "WPC1251": 73,
	},
	DefaultCodePage: "PC437",
	CancelKanji:     true,
	Images:          []ImageMode{ImageRaster},
	Status:          StatusRealTime,
}

// Rongta is a Rongta RP326-style 80 mm printer, whose ESC t table differs from Epson's
// for Cyrillic (WPC1251 = 6, PC866 = 7) and adds the Bulgarian MIK page (8). Source: the
// RP326 profile of the community escpos-printer-db project (which also marks it without
// GS ( L graphics); where it disagrees with a vendor leaflet, that profile wins.
var Rongta = Profile{
	Name: "rongta", Model: "Rongta RP326 class",
	Dots: 576, Columns: 48, Fonts: fonts(576),
	CodePages: map[string]byte{
		"PC437": 0, "PC850": 2, "PC860": 3, "PC863": 4, "PC865": 5,
		"WPC1251": 6, "PC866": 7, "MIK": 8, "WPC1252": 16, "PC852": 18, "PC858": 19,
		"PC855": 28, "WPC1250": 30,
	},
	DefaultCodePage: "PC437",
	CancelKanji:     true,
	Cutter:          true,
	QR:              true,
	Images:          []ImageMode{ImageRaster, ImageColumn24, ImageColumn8},
	Status:          StatusRealTime | StatusASB,
}

// profiles are the generic profiles and the models, by name.
var profiles = func() map[string]Profile {
	m := map[string]Profile{"epson": Epson, "clone": Clone, "rongta": Rongta}
	for _, p := range models {
		m[p.Name] = p
	}
	return m
}()

// ProfileNames lists the names LookupProfile knows, sorted: the generic profiles and
// the models.
func ProfileNames() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupProfile returns the profile with the given name (case-insensitive), set to dots
// per line when dots is not zero.
func LookupProfile(name string, dots int) (Profile, error) {
	p, ok := profiles[strings.ToLower(name)]
	if !ok {
		return Profile{}, fmt.Errorf("escpos: profile %q: %w", name, ErrUnknownProfile)
	}
	if dots != 0 {
		return p.WithDots(dots), nil
	}
	return p, nil
}

// WithDots returns a copy of p for paper of the given printable width in dots (384 for
// 58 mm, 576 for 80 mm); the columns of each font follow.
func (p Profile) WithDots(dots int) Profile {
	p.Dots = dots
	for i := range p.Fonts {
		if w := p.Fonts[i].Width; w > 0 {
			p.Fonts[i].Columns = dots / w
		}
	}
	p.Columns = dots / fontAWidth
	return p
}

// WithCodePage returns a copy of p in which code page name has ESC t number n, for a
// printer whose firmware numbers a page differently (the [printer] section of the device
// configuration gives both); another page that had number n loses it. The name must be
// one this package transcodes.
func (p Profile) WithCodePage(name string, n byte) (Profile, error) {
	if !knownCodePage(name) {
		return p, fmt.Errorf("escpos: code page %q: %w", name, ErrUnknownCodePage)
	}
	pages := make(map[string]byte, len(p.CodePages)+1)
	for k, v := range p.CodePages {
		if v != n { // the number now means name, not what it meant before
			pages[k] = v
		}
	}
	pages[name] = n
	p.CodePages = pages
	return p, nil
}

// String returns the profile's name and width, e.g. "epson 576 dots".
func (p Profile) String() string {
	return fmt.Sprintf("%s %d dots", p.Name, p.Dots)
}
