package escpos

import (
	"sort"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

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

// CodePageNames lists the code page names this package can transcode, sorted.
func CodePageNames() []string {
	names := make([]string, 0, len(charmaps))
	for n := range charmaps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// codePage is one printer character table with its encoder.
type codePage struct {
	name     string
	cm       *charmap.Charmap
	cyrillic bool // holds the Bulgarian alphabet
}

func lookupCodePage(name string) (*codePage, bool) {
	cm, ok := charmaps[name]
	if !ok {
		return nil, false
	}
	_, cyr := cm.EncodeRune('Ж')
	return &codePage{name: name, cm: cm, cyrillic: cyr}, true
}

// encode appends s to dst in the page's bytes. Control characters are dropped (a tab
// becomes a space) so that text can never smuggle a command to the printer. A character
// the page lacks degrades visibly: Cyrillic is transliterated to Latin, other characters
// use their transliteration (€ is "EUR", – is "-") and anything else becomes '?'.
func (cp *codePage) encode(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\t' {
			r = ' '
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			i += size // C0/C1 controls and invalid UTF-8 (RuneError is handled below)
			continue
		}
		if b, ok := cp.byteFor(r); ok {
			dst = append(dst, b)
			i += size
			continue
		}
		// Collect the run of characters the page cannot hold and transliterate it as a
		// whole, so that a word in capitals stays in capitals ("ЩАСТИЕ" → "SHTASTIE").
		j := i
		for j < len(s) {
			r2, n := utf8.DecodeRuneInString(s[j:])
			if _, ok := cp.byteFor(r2); ok || r2 < 0x20 {
				break
			}
			j += n
		}
		for _, t := range translit.String(s[i:j]) {
			if b, ok := cp.byteFor(t); ok {
				dst = append(dst, b)
			} else {
				dst = append(dst, '?')
			}
		}
		i = j
	}
	return dst
}

// byteFor returns the page's byte for r. Printable ASCII maps to itself on every page.
func (cp *codePage) byteFor(r rune) (byte, bool) {
	if r >= 0x20 && r < 0x7f {
		return byte(r), true
	}
	if r == utf8.RuneError || r < 0x20 || r == 0x7f {
		return 0, false
	}
	b, ok := cp.cm.EncodeRune(r)
	if !ok || b < 0x80 {
		return 0, false
	}
	return b, true
}

// decode turns page bytes back into text.
func (cp *codePage) decode(b byte) rune {
	if b < 0x80 {
		return rune(b)
	}
	return cp.cm.DecodeByte(b)
}
