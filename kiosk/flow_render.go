package kiosk

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
)

// textLayout wraps the lines of a text screen: it returns the title, the lines, the hint
// when it has a row of its own (4 rows and more, when the lines fit above it), and how many
// lines a page shows. Otherwise the hint is the last line, and lines that need scrolling
// leave the last column to the scroll marks. A line with a detail that does not fit beside
// its name breaks in two, the name and then the detail at the right: neither is cut.
func (f *Flow) textLayout() (title string, lines []string, hint string, page int) {
	s := &screens[f.st]
	title, raw, hint := s.text(f)
	rows, cols := f.opt.Rows, f.opt.Cols
	page = rows
	if !s.bare {
		page--
	}
	wrapAll := func(w int) []string {
		var out []string
		for _, it := range raw {
			if it.detail != "" {
				if utf8.RuneCountInString(it.name)+1+utf8.RuneCountInString(it.detail) <= w {
					out = append(out, pair(it.name, it.detail, w))
				} else {
					name := strings.TrimLeft(it.name, " ")
					indent := it.name[:len(it.name)-len(name)] // a report's type under its event
					for _, l := range wrap(name, w-len(indent)) {
						out = append(out, indent+l)
					}
					out = append(out, pair("", it.detail, w))
				}
				continue
			}
			out = append(out, wrap(it.name, w)...)
		}
		return out
	}
	if hint != "" && rows >= 4 {
		if lines = wrapAll(cols); len(lines) <= page-1 {
			return title, lines, hint, page - 1
		}
	}
	if hint != "" {
		raw = append(raw, item{name: hint})
	}
	if lines = wrapAll(cols); len(lines) > page {
		lines = wrapAll(cols - 1)
	}
	return title, lines, "", page
}

// render draws the current screen.
func (f *Flow) render() Screen {
	s := &screens[f.st]
	if s.render != nil {
		return s.render(f)
	}
	rows, cols := f.opt.Rows, f.opt.Cols
	out := make(Screen, 0, rows)
	switch s.kind {
	case kindField:
		out = append(out, fit(s.title(f), cols), f.ed.Display(cols))
		if s.note != mNone && rows >= 3 {
			out = append(out, fit(f.tr(s.note), cols))
		}
	case kindList:
		out = append(out, fit(s.title(f), cols))
		items := s.items(f)
		page := rows - 1
		f.top = window(f.top, f.sel, len(items), page)
		scrolls := len(items) > page
		for i := f.top; i < len(items) && i < f.top+page; i++ {
			sel, num := " ", "  "
			if i == f.sel {
				sel = string(markSel)
			}
			if i < 9 {
				num = strconv.Itoa(i+1) + " "
			}
			mark := ""
			if scrolls {
				mark = " "
				if i == f.top && f.top > 0 {
					mark = string(markUp)
				}
				if i == f.top+page-1 && i < len(items)-1 {
					mark = string(markDown)
				}
			}
			w := cols - 3 - utf8.RuneCountInString(mark)
			out = append(out, sel+num+pair(items[i].name, items[i].detail, w)+mark)
		}
	case kindText:
		title, lines, hint, page := f.textLayout()
		if !s.bare {
			out = append(out, fit(title, cols))
		}
		f.top = max(0, min(f.top, len(lines)-page))
		for i := f.top; i < len(lines) && i < f.top+page; i++ {
			if len(lines) <= page {
				out = append(out, fit(lines[i], cols))
				continue
			}
			mark := " "
			if i == f.top && f.top > 0 {
				mark = string(markUp)
			}
			if i == f.top+page-1 && i < len(lines)-1 {
				mark = string(markDown)
			}
			out = append(out, fit(lines[i], cols-1)+mark)
		}
		if hint != "" {
			for len(out) < rows-1 {
				out = append(out, fit("", cols))
			}
			out = append(out, fit(hint, cols))
		}
	}
	for len(out) < rows {
		out = append(out, fit("", cols))
	}
	return out[:rows]
}

// renderIdle draws the idle screen: the outlet's name with the link glyph, the printer's
// state, the unsent entries, and how to log in.
func (f *Flow) renderIdle() Screen {
	rows, cols := f.opt.Rows, f.opt.Cols
	l := f.lang()
	glyph := device.GlyphSynced
	switch {
	case !f.status.Online:
		glyph = device.GlyphOffline
	case f.status.Unsynced > 0:
		glyph = device.GlyphPending
	}
	cfg, err := f.k.Config()
	if err != nil {
		out := Screen{pair("", string(glyph), cols)}
		for _, s := range wrap(l.tr(mNoConfig), cols) {
			out = append(out, fit(s, cols))
		}
		for len(out) < rows {
			out = append(out, fit("", cols))
		}
		return out[:rows]
	}
	out := Screen{pair(cfg.Outlet.Name, string(glyph), cols)}
	printer := ""
	if cfg.Outlet.Delivery == catalog.DeliveryPrint {
		printer = l.printerWords(f.status.Printer)
		if f.status.PrinterErr != nil {
			printer = l.tr(mPrinterNoAnswer)
		}
	}
	if rows == 2 {
		left := printer
		if left == "" {
			left = l.tr(mIdleLogin)
		}
		right := ""
		if f.status.Unsynced > 0 {
			right = strconv.FormatUint(f.status.Unsynced, 10)
		}
		return append(out, pair(left, right, cols))
	}
	var lines []string
	if printer != "" {
		lines = append(lines, l.tr(mPrinter, printer))
	}
	lines = append(lines, l.tr(mUnsent, f.status.Unsynced))
	for len(out) < rows-1 && len(lines) > 0 {
		out = append(out, fit(lines[0], cols))
		lines = lines[1:]
	}
	for len(out) < rows-1 {
		out = append(out, fit("", cols))
	}
	return append(out, fit(l.tr(mIdleLogin), cols))
}
