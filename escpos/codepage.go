package escpos

import (
	"sort"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"ticketkiosk/internal/translit"
)

// charmaps maps the code page names used in profiles to their character tables.
var charmaps = map[string]*charmap.Charmap{
	"PC437":   charmap.CodePage437,
	"PC850":   charmap.CodePage850,
	"PC852":   charmap.CodePage852,
	"PC855":   charmap.CodePage855,
	"PC858":   charmap.CodePage858,
	"PC860":   charmap.CodePage860,
	"PC863":   charmap.CodePage863,
	"PC865":   charmap.CodePage865,
	"PC866":   charmap.CodePage866,
	"WPC1250": charmap.Windows1250,
	"WPC1251": charmap.Windows1251,
	"WPC1252": charmap.Windows1252,
}

// mikHigh is the upper half of MIK, the Bulgarian DOS code page (Pravetz 16; IBM/Star
// 3021), which Bulgarian-market printers offer: the 64 Cyrillic letters in alphabetical
// order at 0x80-0xBF, box drawing and № § at 0xC0-0xDF, and PC437's 0xE0-0xFF.
var mikHigh = func() [128]rune {
	var t [128]rune
	for i := range 64 {
		t[i] = 0x410 + rune(i)
	}
	copy(t[64:], []rune("└┴┬├─┼╣║╚╔╩╦╠═╬┐░▒▓│┤№§╗╝┘┌█▄▌▐▀"))
	for b := 0xe0; b <= 0xff; b++ {
		t[b-0x80] = charmap.CodePage437.DecodeByte(byte(b))
	}
	return t
}()

// CodePageNames lists the code page names this package can transcode, sorted.
func CodePageNames() []string {
	names := make([]string, 0, len(charmaps)+1)
	for n := range charmaps {
		names = append(names, n)
	}
	names = append(names, "MIK")
	sort.Strings(names)
	return names
}

// codePage is one printer character table: the upper half decoded, and its inverse.
// Built once per name and shared; never modified afterwards.
type codePage struct {
	name     string
	dec      [128]rune // bytes 0x80-0xFF; U+FFFD where the page has no character
	enc      map[rune]byte
	cyrillic bool // holds the Bulgarian alphabet
}

var codePages = struct {
	sync.Mutex
	m map[string]*codePage
}{m: map[string]*codePage{}}

func knownCodePage(name string) bool {
	_, ok := charmaps[name]
	return ok || name == "MIK"
}

func lookupCodePage(name string) (*codePage, bool) {
	if !knownCodePage(name) {
		return nil, false
	}
	codePages.Lock()
	defer codePages.Unlock()
	if cp, ok := codePages.m[name]; ok {
		return cp, true
	}
	cp := &codePage{name: name, enc: make(map[rune]byte, 128)}
	if name == "MIK" {
		cp.dec = mikHigh
	} else {
		for i := range cp.dec {
			cp.dec[i] = charmaps[name].DecodeByte(byte(0x80 + i))
		}
	}
	for i, r := range cp.dec {
		if _, dup := cp.enc[r]; !dup && r != utf8.RuneError {
			cp.enc[r] = byte(0x80 + i)
		}
	}
	_, cp.cyrillic = cp.enc['Ж']
	codePages.m[name] = cp
	return cp, true
}

// encode appends s to dst in the page's bytes. Control characters are dropped (a tab
// becomes a space) so that text can never smuggle a command to the printer. A character
// the page lacks degrades visibly, never into another character's byte:
//   - an accented letter whose base letter the page has prints as that letter ("ѝ" → "и"
//     on PC866, "é" → "e" on PC866);
//   - on a page without Cyrillic, Cyrillic is transliterated to Latin (internal/translit);
//   - symbols with a conventional spelling use it ("€" → "EUR", "–" → "-", "„" → '"');
//   - anything else, including a Cyrillic letter missing from a Cyrillic page, is '?'.
func (cp *codePage) encode(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\t' {
			r = ' '
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			i += size // C0/C1 controls
			continue
		}
		if b, ok := cp.byteOrBase(r); ok {
			dst = append(dst, b)
			i += size
			continue
		}
		// Collect the run of characters the page cannot hold and transliterate it as a
		// whole, so that a word in capitals stays in capitals ("ЩАСТИЕ" → "SHTASTIE").
		j := i
		for j < len(s) {
			r2, n := utf8.DecodeRuneInString(s[j:])
			if _, ok := cp.byteOrBase(r2); ok || r2 < 0x20 || r2 == 0x7f || (r2 >= 0x80 && r2 < 0xa0) {
				break
			}
			j += n
		}
		run := s[i:j]
		if !cp.cyrillic {
			run = translit.String(run)
		}
		for _, t := range run {
			if b, ok := cp.byteFor(t); ok {
				dst = append(dst, b)
				continue
			}
			if !unicode.Is(unicode.Cyrillic, t) {
				if sub, ok := translit.Rune(t); ok {
					for _, u := range sub {
						if b, ok := cp.byteFor(u); ok {
							dst = append(dst, b)
						} else {
							dst = append(dst, '?')
						}
					}
					continue
				}
			}
			dst = append(dst, '?')
		}
		i = j
	}
	return dst
}

// byteOrBase returns the page's byte for r, or for r's base letter when r is a letter
// with combining marks the page lacks.
func (cp *codePage) byteOrBase(r rune) (byte, bool) {
	if b, ok := cp.byteFor(r); ok {
		return b, true
	}
	if r < 0xc0 {
		return 0, false
	}
	d := norm.NFD.String(string(r))
	base, n := utf8.DecodeRuneInString(d)
	if n == len(d) {
		return 0, false // no decomposition
	}
	for _, m := range d[n:] {
		if !unicode.Is(unicode.Mn, m) {
			return 0, false
		}
	}
	return cp.byteFor(base)
}

// byteFor returns the page's byte for r. Printable ASCII maps to itself on every page.
func (cp *codePage) byteFor(r rune) (byte, bool) {
	if r >= 0x20 && r < 0x7f {
		return byte(r), true
	}
	if r == utf8.RuneError || r < 0x20 || r == 0x7f {
		return 0, false
	}
	b, ok := cp.enc[r]
	return b, ok
}

// decode turns page bytes back into text.
func (cp *codePage) decode(b byte) rune {
	if b < 0x80 {
		return rune(b)
	}
	return cp.dec[b-0x80]
}

// CodePageDecoder returns the function that turns a byte of the named code page into
// its character (U+FFFD where the page has none), and whether the page is known.
func CodePageDecoder(name string) (func(byte) rune, bool) {
	cp, ok := lookupCodePage(name)
	if !ok {
		return nil, false
	}
	return cp.decode, true
}
