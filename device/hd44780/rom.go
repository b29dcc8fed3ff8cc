package hd44780

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"ticketkiosk/device"
	"ticketkiosk/internal/translit"
)

// ROM is the character generator ROM of an Display-compatible display, which decides the
// codes of characters beyond ASCII.
type ROM string

// The ROMs the Display driver knows.
const (
	// ROMA00 is the Japanese ROM (the common one): ASCII without \ and ~ (¥ and → are in
	// their place), katakana, a few Greek letters and umlauts. Bulgarian is transliterated
	// to Latin; other accented letters lose their accents.
	ROMA00 ROM = "a00"
	// ROMA02 is the European ROM: ASCII and the Latin-1 letters at their Latin-1 codes
	// (0xC0-0xFF, but for Ø and ø). It has Cyrillic capitals only, so Bulgarian is still
	// transliterated, which keeps mixed-case words readable.
	ROMA02 ROM = "a02"
	// ROMCyrillic is the ASCII + Cyrillic ROM of the displays sold as "Russian" or
	// "Cyrillic" (Winstar, MELT and their clones): Cyrillic letters that look like Latin
	// ones use the Latin codes, the others sit at 0xA0-0xC7 and 0xE0-0xE6. Bulgarian is
	// shown in Cyrillic.
	ROMCyrillic ROM = "cyrillic"
)

// ParseROM returns the ROM named s ("a00", "a02" or "cyrillic"; "" is a00).
func ParseROM(s string) (ROM, error) {
	switch r := ROM(strings.ToLower(s)); r {
	case "":
		return ROMA00, nil
	case ROMA00, ROMA02, ROMCyrillic:
		return r, nil
	}
	return "", fmt.Errorf("hd44780: unknown ROM %q (want a00, a02 or cyrillic)", s)
}

// CGRAM slots of the glyphs.
const (
	cgSynced  = 0
	cgOffline = 1
	cgPending = 2
)

// glyphBitmaps are the 5×8 custom characters, top row first, loaded into CGRAM slots 0-2.
var glyphBitmaps = [3][8]byte{
	cgSynced: { // a check mark
		0b00000,
		0b00001,
		0b00011,
		0b10110,
		0b11100,
		0b01000,
		0b00000,
		0b00000,
	},
	cgOffline: { // a cross
		0b00000,
		0b10001,
		0b01010,
		0b00100,
		0b01010,
		0b10001,
		0b00000,
		0b00000,
	},
	cgPending: { // an hourglass
		0b11111,
		0b10001,
		0b01010,
		0b00100,
		0b01010,
		0b10101,
		0b11111,
		0b00000,
	},
}

// cyrillicCodes maps А..я (U+0410..U+044F) to the codes of ROMCyrillic.
var cyrillicCodes = [64]byte{
	// А    Б     В     Г     Д     Е     Ж     З     И     Й     К     Л     М     Н     О     П
	0x41, 0xa0, 0x42, 0xa1, 0xe0, 0x45, 0xa3, 0xa4, 0xa5, 0xa6, 0x4b, 0xa7, 0x4d, 0x48, 0x4f, 0xa8,
	// Р    С     Т     У     Ф     Х     Ц     Ч     Ш     Щ     Ъ     Ы     Ь     Э     Ю     Я
	0x50, 0x43, 0x54, 0xa9, 0xaa, 0x58, 0xe1, 0xab, 0xac, 0xe2, 0xad, 0xae, 0x62, 0xaf, 0xb0, 0xb1,
	// а    б     в     г     д     е     ж     з     и     й     к     л     м     н     о     п
	0x61, 0xb2, 0xb3, 0xb4, 0xe3, 0x65, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0x6f, 0xbe,
	// р    с     т     у     ф     х     ц     ч     ш     щ     ъ     ы     ь     э     ю     я
	0x70, 0x63, 0xbf, 0x79, 0xe4, 0x78, 0xe5, 0xc0, 0xc1, 0xe6, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
}

// a00Codes are the non-ASCII characters of ROM A00 this driver uses.
var a00Codes = map[rune]byte{
	'¥': 0x5c, '→': 0x7e, '←': 0x7f, '°': 0xdf, 'ä': 0xe1, 'ß': 0xe2, 'µ': 0xe4,
	'ö': 0xef, 'ü': 0xf5, 'π': 0xf7, '÷': 0xfd, '·': 0xa5,
}

// unaccented spells the Latin-1 letters without their accents.
var unaccented = map[rune]string{
	'À': "A", 'Á': "A", 'Â': "A", 'Ã': "A", 'Ä': "A", 'Å': "A", 'Æ': "AE", 'Ç': "C",
	'È': "E", 'É': "E", 'Ê': "E", 'Ë': "E", 'Ì': "I", 'Í': "I", 'Î': "I", 'Ï': "I",
	'Ð': "D", 'Ñ': "N", 'Ò': "O", 'Ó': "O", 'Ô': "O", 'Õ': "O", 'Ö': "O", 'Ø': "O",
	'Ù': "U", 'Ú': "U", 'Û': "U", 'Ü': "U", 'Ý': "Y", 'Þ': "Th", 'ß': "ss",
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae", 'ç': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ð': "d", 'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'þ': "th", 'ÿ': "y",
	'×': "x", '\u00a0': " ",
}

// Encode returns the character codes that show s on a display with this ROM, cut to n
// cells. Glyph runes become their CGRAM codes; characters the ROM lacks are
// transliterated or shown as '?'.
func (rom ROM) Encode(s string, n int) []byte {
	if rom != ROMCyrillic {
		s = translit.String(s) // whole words, for the capitals rule
	}
	out := make([]byte, 0, n)
	for _, r := range s {
		if len(out) >= n {
			break
		}
		out = rom.appendRune(out, r)
	}
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func (rom ROM) appendRune(out []byte, r rune) []byte {
	switch r {
	case device.GlyphSynced:
		return append(out, cgSynced)
	case device.GlyphOffline:
		return append(out, cgOffline)
	case device.GlyphPending:
		return append(out, cgPending)
	}
	if r >= 0x20 && r < 0x7f {
		if rom == ROMA00 {
			switch r {
			case '\\':
				return append(out, '/')
			case '~':
				return append(out, '-')
			}
		}
		return append(out, byte(r))
	}
	switch rom {
	case ROMA00:
		if c, ok := a00Codes[r]; ok {
			return append(out, c)
		}
	case ROMA02:
		if r >= 0xa0 && r <= 0xff && r != 'Ø' && r != 'ø' {
			return append(out, byte(r))
		}
	case ROMCyrillic:
		switch {
		case r >= 'А' && r <= 'я':
			return append(out, cyrillicCodes[r-'А'])
		case r == 'Ё':
			return append(out, 0xa2)
		case r == 'ё':
			return append(out, 0xb5)
		case r == 'Ѝ':
			return append(out, cyrillicCodes['И'-'А'])
		case r == 'ѝ':
			return append(out, cyrillicCodes['и'-'А'])
		}
		if t, ok := translit.Rune(r); ok {
			return rom.appendASCII(out, t)
		}
	}
	if t, ok := unaccented[r]; ok {
		return rom.appendASCII(out, t)
	}
	if r == utf8.RuneError || r < 0x20 || r == 0x7f {
		return append(out, ' ')
	}
	return append(out, '?')
}

func (rom ROM) appendASCII(out []byte, s string) []byte {
	for _, r := range s {
		out = rom.appendRune(out, r)
	}
	return out
}
