// Package translit turns Cyrillic text into Latin letters for devices that cannot show
// Cyrillic (an HD44780 ROM A00, a printer code page without it), using the official
// Bulgarian system (Streamlined System, law of 2009) with the Russian letters added.
package translit

import (
	"strings"
	"unicode"
)

var table = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p",
	'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "ts", 'ч': "ch",
	'ш': "sh", 'щ': "sht", 'ъ': "a", 'ь': "y", 'ю': "yu", 'я': "ya",
	'ы': "y", 'э': "e", 'ё': "yo", 'ѝ': "i", 'є': "ye", 'і': "i", 'ї': "yi", 'ґ': "g",
	'№': "No", '€': "EUR", '«': "\"", '»': "\"", '„': "\"", '“': "\"", '”': "\"",
	'–': "-", '—': "-", '…': "...", '’': "'", '‘': "'",
}

// Rune returns the Latin spelling of r and whether there is one. Upper-case letters give
// a capitalised spelling ("Ж" is "Zh").
func Rune(r rune) (string, bool) {
	if s, ok := table[r]; ok {
		return s, true
	}
	lower := unicode.ToLower(r)
	if lower == r {
		return "", false
	}
	s, ok := table[lower]
	if !ok {
		return "", false
	}
	return strings.ToUpper(s[:1]) + s[1:], true
}

// String transliterates every Cyrillic letter of s and leaves everything else as it is.
// A word written all in capitals stays in capitals ("ЩАСТИЕ" is "SHTASTIE").
func String(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		t, ok := Rune(r)
		if !ok {
			b.WriteRune(r)
			continue
		}
		if (r == 'я' || r == 'Я') && i > 0 && (rs[i-1] == 'и' || rs[i-1] == 'И') && wordEnd(rs, i) {
			t = t[1:] // "-ия" at the end of a word is "-ia" (София, Sofia)
		}
		if len(t) > 1 && unicode.IsUpper(r) && upperNeighbour(rs, i) {
			t = strings.ToUpper(t)
		}
		b.WriteString(t)
	}
	return b.String()
}

func wordEnd(rs []rune, i int) bool {
	return i+1 == len(rs) || !unicode.IsLetter(rs[i+1])
}

func upperNeighbour(rs []rune, i int) bool {
	if i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
		return unicode.IsUpper(rs[i+1])
	}
	if i > 0 && unicode.IsLetter(rs[i-1]) {
		return unicode.IsUpper(rs[i-1])
	}
	return false
}
