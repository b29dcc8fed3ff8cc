package escpos

import (
	"cmp"
	"fmt"
	"slices"
	"unicode/utf8"
)

// A segment is text in one code page's bytes. Segments of printable ASCII only print the
// same on every page and cost no page switch.
type segment struct {
	page  *codePage
	bytes []byte
}

func (s segment) ascii() bool {
	for _, c := range s.bytes {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// Degradation is text that did not print as written: no code page of the model has it,
// so it printed as its base letter, a transliteration, a conventional spelling or '?'.
type Degradation struct {
	Text    string // as written
	Printed string // as printed
	Reason  string // e.g. "no code page of Epson TM-T88IV has it"
}

// String returns e.g. `"€" printed as "EUR": no code page of … has it`.
func (d Degradation) String() string {
	return fmt.Sprintf("%q printed as %q: %s", d.Text, d.Printed, d.Reason)
}

// otherPages returns the profile's pages other than the current one that this package
// can transcode, by ESC t number, built once per Builder.
func (b *Builder) otherPages() []*codePage {
	if b.others == nil {
		b.others = []*codePage{}
		names := make([]string, 0, len(b.prof.CodePages))
		for n := range b.prof.CodePages {
			names = append(names, n)
		}
		slices.SortFunc(names, func(x, y string) int {
			return cmp.Or(cmp.Compare(b.prof.CodePages[x], b.prof.CodePages[y]), cmp.Compare(x, y))
		})
		for _, n := range names {
			if cp, ok := lookupCodePage(n); ok {
				b.others = append(b.others, cp)
			}
		}
	}
	return b.others
}

// segments encodes s (one line, no newline) for the printer. Each character goes out in
// the code page in use if it has it, else in the current page (CodePage), else in the
// first other page of the model that has it (ESC t per run): so „“, € and № print
// wherever any page of the model holds them. What no page holds degrades in the current
// page as Text describes, and is reported to note (when not nil).
func (b *Builder) segments(s string, note func(Degradation)) []segment {
	var segs []segment
	cur := b.sent
	if cur == nil {
		cur = b.page
	}
	put := func(cp *codePage, p ...byte) {
		if n := len(segs); n > 0 && (segs[n-1].page == cp || segment{bytes: p}.ascii()) {
			segs[n-1].bytes = append(segs[n-1].bytes, p...)
			return
		}
		if n := len(segs); n > 0 && segs[n-1].ascii() {
			segs[n-1].page = cp // ASCII prints the same in cp
			segs[n-1].bytes = append(segs[n-1].bytes, p...)
			return
		}
		segs = append(segs, segment{page: cp, bytes: p})
	}
	exact := func(r rune) (*codePage, byte, bool) {
		for _, cp := range append([]*codePage{cur, b.page}, b.otherPages()...) {
			if c, ok := cp.byteFor(r); ok {
				return cp, c, true
			}
		}
		return nil, 0, false
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\t' {
			r = ' '
		}
		if control(r) {
			i += size
			continue
		}
		if cp, c, ok := exact(r); ok {
			put(cp, c)
			if c >= 0x80 {
				cur = cp
			}
			i += size
			continue
		}
		if c, ok := b.page.byteOrBase(r); ok {
			put(b.page, c)
			if c >= 0x80 {
				cur = b.page
			}
			if note != nil {
				note(Degradation{Text: string(r), Printed: string(b.page.decode(c)), Reason: "no code page of " + b.modelName() + " has it"})
			}
			i += size
			continue
		}
		// The run that no page holds degrades as a whole in the current page.
		j := i
		for j < len(s) {
			r2, n := utf8.DecodeRuneInString(s[j:])
			if control(r2) {
				break
			}
			if _, _, ok := exact(r2); ok {
				break
			}
			if _, ok := b.page.byteOrBase(r2); ok {
				break
			}
			j += n
		}
		enc := b.page.encode(nil, s[i:j])
		put(b.page, enc...)
		if !(segment{bytes: enc}).ascii() {
			cur = b.page
		}
		if note != nil {
			note(Degradation{Text: s[i:j], Printed: b.page.decodeAll(enc), Reason: "no code page of " + b.modelName() + " has it"})
		}
		i = j
	}
	return segs
}

func (b *Builder) modelName() string {
	if b.prof.Model != "" {
		return b.prof.Model
	}
	return b.prof.Name
}

// control reports the characters Text drops: C0 and C1 controls and DEL.
func control(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// decodeAll turns page bytes back into text.
func (cp *codePage) decodeAll(p []byte) string {
	out := make([]rune, len(p))
	for i, c := range p {
		out[i] = cp.decode(c)
	}
	return string(out)
}

// Degraded returns what did not print as written so far, and why.
func (b *Builder) Degraded() []Degradation { return slices.Clone(b.degraded) }
