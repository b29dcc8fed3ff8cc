package escpos

import (
	"strings"
	"unicode/utf8"
)

// Wrap breaks s into lines of at most cols characters (runes, not bytes), at spaces where
// it can and inside words longer than a line. Newlines in s end lines; runs of spaces at a
// break are dropped. It never returns an empty slice for cols > 0.
func Wrap(s string, cols int) []string {
	if cols <= 0 {
		return []string{s}
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := []rune{}
		for _, word := range strings.Fields(para) {
			w := []rune(word)
			if len(line) > 0 && len(line)+1+len(w) <= cols {
				line = append(line, ' ')
				line = append(line, w...)
				continue
			}
			if len(line) > 0 {
				out = append(out, string(line))
				line = line[:0]
			}
			for len(w) > cols {
				out = append(out, string(w[:cols]))
				w = w[cols:]
			}
			line = append(line, w...)
		}
		out = append(out, string(line))
	}
	return out
}

// Columns lays out left and right on one line of cols characters (runes): the right part
// flush right, at least one space between them. A left part too long is cut short so
// that the right part (usually a price) always shows in full.
func Columns(left, right string, cols int) string {
	l, r := utf8.RuneCountInString(left), utf8.RuneCountInString(right)
	if r >= cols {
		return right
	}
	room := cols - r - 1
	if l > room {
		left = string([]rune(left)[:room])
		l = room
	}
	return left + strings.Repeat(" ", cols-l-r) + right
}

// Printable returns s as it will print: characters no page of the model has are
// transliterated or replaced by '?' and controls other than newline dropped, so that
// layout can count the columns that really print ("20,00 €" is "20,00 EUR" on a model
// whose pages have no euro sign).
func (b *Builder) Printable(s string) string {
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		var sb strings.Builder
		for _, sg := range b.segments(p, nil) {
			sb.WriteString(sg.page.decodeAll(sg.bytes))
		}
		parts[i] = sb.String()
	}
	return strings.Join(parts, "\n")
}

// Columns writes one line with left and right laid out by the package function Columns
// over the line's width in characters (for the current font, divided by the width set
// with Size), after degrading both to the current code page.
func (b *Builder) Columns(left, right string) *Builder {
	return b.Line(Columns(b.Printable(left), b.Printable(right), b.columns()))
}

// Wrapped writes s word-wrapped to the line's width in characters (for the current font,
// divided by the width set with Size), one Line per wrapped line.
func (b *Builder) Wrapped(s string) *Builder {
	for _, l := range Wrap(b.Printable(s), b.columns()) {
		b.Line(l)
	}
	return b
}

// columns is the characters a line holds in the current font and width: the model's
// Fonts entry where it has one.
func (b *Builder) columns() int {
	cols := b.prof.Columns
	if b.font == FontB {
		w, _ := FontB.Cell()
		cols = b.prof.Dots / w
		if c := b.prof.Fonts[FontB].Columns; c > 0 {
			cols = c
		}
	}
	return max(cols/max(b.width, 1), 1)
}
