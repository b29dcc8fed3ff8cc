package kiosk

import (
	"strings"
	"unicode/utf8"
)

// Screen is what the display shows: exactly the display's rows, each exactly its columns
// in runes (padded with spaces), one rune per character cell. The device glyphs
// (device.GlyphSynced, ...) are single runes that a display driver maps to its own
// characters; Cyrillic is left for the driver to transliterate when its ROM lacks it.
type Screen []string

// String returns the rows joined by newlines.
func (s Screen) String() string { return strings.Join(s, "\n") }

// Equal reports whether s and o show the same.
func (s Screen) Equal(o Screen) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Scroll markers in the last column of a list or a text, after a space: more above, more
// below.
const (
	markUp   = '^'
	markDown = 'v'
	markSel  = '>' // the selected item
	markCut  = '.' // ends a cut word
)

// fit returns s cut or padded to exactly w runes. A cut string ends in '.', the mark of an
// abbreviation, after the last letter kept: an opening bracket or a separator left at the
// cut goes ("Семеен (2+2)" is "Семеен.", not "Семеен (.").
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := utf8.RuneCountInString(s)
	if n == w {
		return s
	}
	if n < w {
		return s + strings.Repeat(" ", w-n)
	}
	r := []rune(s)
	if w == 1 {
		return string(r[:1])
	}
	cut := strings.TrimRight(string(r[:w-1]), " ([{<-/+=,:;")
	if cut == "" {
		cut = string(r[:w-1])
	}
	return cut + string(markCut) + strings.Repeat(" ", w-1-utf8.RuneCountInString(cut))
}

// pair returns left and right in w runes, right aligned at the end; left is cut to make
// room, right only when it alone is wider than w.
func pair(left, right string, w int) string {
	rn := utf8.RuneCountInString(right)
	if rn == 0 {
		return fit(left, w)
	}
	if rn >= w {
		return fit(right, w)
	}
	ln := utf8.RuneCountInString(left)
	if ln == 0 {
		return strings.Repeat(" ", w-rn) + right
	}
	room := w - rn - 1
	if ln > room {
		return fit(left, room) + " " + right
	}
	return left + strings.Repeat(" ", w-ln-rn) + right
}

// center returns s centred in w runes.
func center(s string, w int) string {
	n := utf8.RuneCountInString(s)
	if n >= w {
		return fit(s, w)
	}
	l := (w - n) / 2
	return strings.Repeat(" ", l) + s + strings.Repeat(" ", w-n-l)
}

// wrap breaks s into lines of at most w runes at spaces; a word longer than w is split.
// Newlines in s start new lines.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		var line []rune
		for _, word := range strings.Fields(para) {
			wr := []rune(word)
			for len(wr) > 0 {
				switch {
				case len(line) == 0 && len(wr) <= w:
					line, wr = wr, nil
				case len(line) > 0 && len(line)+1+len(wr) <= w:
					line = append(append(line, ' '), wr...)
					wr = nil
				case len(line) > 0:
					out = append(out, string(line))
					line = nil
				default: // a word longer than the line
					out = append(out, string(wr[:w]))
					wr = wr[w:]
				}
			}
		}
		if len(line) > 0 || len(out) == 0 {
			out = append(out, string(line))
		}
	}
	return out
}

// window returns the first row of a page of rows rows that shows item sel of n items,
// keeping top when sel is already visible.
func window(top, sel, n, rows int) int {
	if rows <= 0 || n <= rows {
		return 0
	}
	if sel < top {
		top = sel
	}
	if sel >= top+rows {
		top = sel - rows + 1
	}
	return max(0, min(top, n-rows))
}
