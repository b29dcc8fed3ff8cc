package kiosk

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
)

// textLayout lays a text screen out: it returns the title (empty when it has no row of
// its own), the lines, the hint, and how many lines a page shows. The hint always has the
// last row, so that the key it names is never out of view. The title has the first row
// when two rows are left for the lines; on a 2-row display it scrolls as the first line
// (or gives way, on a screen that does not scroll). Lines that need scrolling leave the
// last column to the scroll marks (and the one before to a space, see markGap); on a screen whose Up and Down do something else
// (noScroll) lines that do not fit are left out, so the screens put theirs in order of
// need. A line with a detail that does not fit beside its name breaks in two, the name and
// then the detail at the right: neither is cut.
func (f *Flow) textLayout() (title string, lines []string, hint string, page int) {
	s := &screens[f.st]
	title, raw, hint := s.text(f)
	rows, cols := f.opt.Rows, f.opt.Cols
	page = rows
	if hint != "" {
		page--
	}
	if title != "" {
		if page >= 2 {
			page--
		} else {
			if !s.noScroll {
				raw = append([]item{{name: title}}, raw...)
			}
			title = ""
		}
	}
	wrapAll := func(w int) []string {
		var out []string
		for _, it := range raw {
			right := it.detail
			if it.count != "" {
				right = strings.TrimSpace(it.count + " " + it.detail)
			}
			if right == "" {
				out = append(out, wrap(it.name, w)...)
				continue
			}
			if utf8.RuneCountInString(it.name)+1+utf8.RuneCountInString(right) <= w {
				out = append(out, pair(it.name, right, w))
				continue
			}
			name := strings.TrimLeft(it.name, " ")
			indent := it.name[:len(it.name)-len(name)] // a report's type under its event
			for _, l := range wrap(name, w-len(indent)) {
				out = append(out, indent+l)
			}
			if utf8.RuneCountInString(right) <= w || it.count == "" || it.detail == "" {
				out = append(out, pair("", right, w))
			} else {
				out = append(out, pair("", it.count, w), pair("", it.detail, w))
			}
		}
		return out
	}
	if lines = wrapAll(cols); len(lines) > page {
		if s.noScroll {
			lines = lines[:page]
		} else {
			lines = wrapAll(cols - 1 - len(f.markGap()))
		}
	}
	return title, lines, hint, page
}

// markGap is what stands between a line and its scroll mark: a space from 20 columns up,
// so that a mark does not read as part of the text ("Последните 7 дниv"); nothing on
// narrower displays, where a column more of text is worth more.
func (f *Flow) markGap() string {
	if f.opt.Cols >= 20 {
		return " "
	}
	return ""
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
				mark = f.markGap() + " "
				if i == f.top && f.top > 0 {
					mark = f.markGap() + string(markUp)
				}
				if i == f.top+page-1 && i < len(items)-1 {
					mark = f.markGap() + string(markDown)
				}
			}
			w := cols - 3 - utf8.RuneCountInString(mark)
			out = append(out, sel+num+pair(items[i].name, items[i].detail, w)+mark)
		}
	case kindText:
		title, lines, hint, page := f.textLayout()
		if title != "" {
			out = append(out, fit(title, cols))
		}
		f.top = max(0, min(f.top, len(lines)-page))
		for i := f.top; i < len(lines) && i < f.top+page; i++ {
			if len(lines) <= page {
				out = append(out, fit(lines[i], cols))
				continue
			}
			mark := f.markGap() + " "
			if i == f.top && f.top > 0 {
				mark = f.markGap() + string(markUp)
			}
			if i == f.top+page-1 && i < len(lines)-1 {
				mark = f.markGap() + string(markDown)
			}
			out = append(out, fit(lines[i], cols-utf8.RuneCountInString(mark))+mark)
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
// problemLines lays out p in l ("Broker: not authorised") in cols: one row when it fits,
// else the kind on a row and the reason below it.
func (l lang) problemLines(p Problem, cols int) []string {
	head, reason := l.problem(p)
	if one := l.problemText(p); utf8.RuneCountInString(one) <= cols || head == "" {
		return wrap(one, cols)
	}
	return append(wrap(head+":", cols), wrap(reason, cols)...)
}

// problemRows lays out p on a display of 2 rows: on the second, below top (the outlet's
// name, "" without a config), when it fits there beside right (the unsent count); else the
// kind takes top's place beside the glyph and the reason the second row.
func (l lang) problemRows(p Problem, top, glyph, right string, cols int) Screen {
	room := cols
	if right != "" {
		room -= utf8.RuneCountInString(right) + 1
	}
	if one := l.problemText(p); utf8.RuneCountInString(one) <= room {
		return Screen{pair(top, glyph, cols), pair(one, right, cols)}
	}
	head, reason := l.problem(p)
	return Screen{pair(head, glyph, cols), pair(reason, right, cols)}
}

// problemText says p in l on one line: "Broker: not authorised".
func (l lang) problemText(p Problem) string {
	head, reason := l.problem(p)
	if head == "" {
		return reason
	}
	return head + ": " + reason
}

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
		if p := f.status.Problem; p.Kind != ProblemNone && rows == 2 {
			return l.problemRows(p, "", string(glyph), "", cols) // what is wrong says more than "not configured"
		}
		out := Screen{pair("", string(glyph), cols)}
		text := wrap(l.tr(mNoConfig), cols)
		if p := f.status.Problem; p.Kind != ProblemNone {
			text = append(text, l.problemLines(p, cols)...)
		}
		for _, s := range text {
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
		right := ""
		if f.status.Unsynced > 0 {
			right = strconv.FormatUint(f.status.Unsynced, 10)
		}
		if p := f.status.Problem; p.Kind != ProblemNone {
			return l.problemRows(p, cfg.Outlet.Name, string(glyph), right, cols)
		}
		left := printer
		if left == "" {
			left = l.tr(mIdleLogin)
		}
		return append(out, pair(left, right, cols))
	}
	var lines []string
	if f.status.Problem.Kind != ProblemNone {
		lines = append(lines, l.problemLines(f.status.Problem, cols)...)
	}
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
