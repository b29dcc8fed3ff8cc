package kiosk

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ticketkiosk/catalog"
)

// TestScreensComplete checks that every screen sets what its kind uses, so that no key on
// any screen meets a missing function.
func TestScreensComplete(t *testing.T) {
	for st := range numStates {
		s := screens[st]
		if s.keys == nil && s.render == nil {
			switch {
			case s.kind == kindList && (s.title == nil || s.items == nil || s.choose == nil):
				t.Errorf("list screen %d lacks its title, items or choose", st)
			case s.kind == kindField && (s.title == nil || s.submit == nil || s.enter == nil):
				t.Errorf("field screen %d lacks its title, submit or field", st)
			}
		}
		if s.kind == kindText && s.render == nil && s.text == nil {
			t.Errorf("text screen %d has no text", st)
		}
	}
}

// TestFlowVoidAfterSessionEnded: the void screen shows a sale only to a live session; a
// supervisor disabled by a new config is logged out at the sale number, not shown the sale.
func TestFlowVoidAfterSessionEnded(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	seq := r.sell(t, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}}).Entry.Seq
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20, Logger: quiet})
	d.run("2000⏎sup-pass⏎5⏎")
	d.shows("Анулиране")
	reconfigure(t, r, func(c *catalog.DeviceConfig) {
		c.Users = append([]catalog.User(nil), c.Users...)
		for i := range c.Users {
			if c.Users[i].Code == "2000" {
				c.Users[i].Disabled = true
			}
		}
	})
	d.run(strconv.FormatUint(seq, 10) + "⏎")
	d.shows("Сесията приключи")
	d.lacks("Концерт")
	if d.f.Session() != nil {
		t.Fatal("session survived the user's disabling")
	}
}

// TestFlowRefusedFieldReplaced: a field that comes back after a refusal holds what was
// typed, selected: the first key replaces it instead of appending to it.
func TestFlowRefusedFieldReplaced(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20, Logger: quiet})
	d.run("3000⏎wrong⏎")
	d.shows("Грешен код или парола")
	d.run("⏎")
	d.shows("[3000]")
	d.run("2000⏎sup-pass⏎")
	d.shows("Меню: sup")

	d.run("6⏎dan@example.org⏎3000⏎1⏎dan-pass⏎dan-pass⏎")
	d.shows("Кодът е зает")
	d.run("⏎⏎") // the email is taken as it was
	d.shows("[3000]")
	d.run("7003⏎1⏎dan-pass⏎dan-pass⏎")
	d.shows("dan@example.org")
	if u, ok := r.st.User("dan@example.org"); !ok || u.Code != "7003" {
		t.Fatalf("created %+v, want code 7003", u)
	}
}

// TestFlowChecksBeforeApproval: a reprint or a void that the core would refuse is refused
// at the sale number, before anyone is asked to approve it.
func TestFlowChecksBeforeApproval(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	sup := r.login(t, "2000", "sup-pass")
	saleNo := r.sell(t, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}}).Entry.Sale.No
	no := strconv.FormatUint(saleNo, 10)
	if _, err := r.k.Void(sup, saleNo, sup.User, ""); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20, Logger: quiet})
	d.run("3000⏎ann-pass⏎3⏎99⏎")
	d.shows("Няма продажба 99")
	d.run("⏎")
	d.shows("Повторен печат")
	d.run(no + "⏎")
	d.shows("Продажба " + no + " вече е анулирана")
	d.run("⏎⎋4⏎2000⏎sup-pass⏎5⏎" + no + "⏎")
	d.shows("Продажба " + no + " вече е анулирана")
	d.lacks("Анулиране на")
}

// TestFlowReportPrintsOnce: the message that a report printed waits for its key, since it
// goes back to the report, whose OK prints: a note that timed out there turned the OK that
// meant to dismiss it into a second print.
func TestFlowReportPrintsOnce(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20, Logger: quiet})
	d.run("3000⏎ann-pass⏎2⏎⏎2⏎")
	d.shows("Отчет: Днес")
	d.run("⏎")
	d.shows("Отчетът е отпечатан")
	d.wait(10 * time.Second)
	d.shows("Отчетът е отпечатан")
	d.run("⏎")
	d.shows("Отчет: Днес")
	if jobs := d.jobs(); len(jobs) != 1 {
		t.Fatalf("%d jobs printed, want 1: %q", len(jobs), jobs)
	}
}

// TestFlowEventsOrder: the events on sale come first, by date, then those that are not,
// by date, each with why it is not on sale; the cashier need not pick one to find out.
func TestFlowEventsOrder(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	now := r.clock.Now() // 29.11.2026
	types := []catalog.TicketType{{ID: "std", Name: "Стандартен", Price: 1000}}
	reconfigure(t, r, func(c *catalog.DeviceConfig) {
		c.Events = append(c.Events[:len(c.Events):len(c.Events)],
			catalog.Event{ID: "a-ended", Title: "Свършила", Start: now.AddDate(0, 1, 0), SaleTo: now.Add(-time.Hour), Types: types},
			catalog.Event{ID: "b-later", Title: "Хамлет", Start: now.AddDate(0, 1, 17), Types: types},
			catalog.Event{ID: "c-soon", Title: "Скоро", Start: now.AddDate(0, 6, 0), SaleFrom: now.AddDate(0, 0, 6), Types: types})
	})
	d := newDriver(t, r, FlowOptions{Rows: 8, Cols: 20, Logger: quiet})
	d.run("3000⏎ann-pass⏎1⏎")
	want := []string{
		">1 15.01 Хамлет",
		" 2 14.03 Концерт",
		" 3 01.01 Мин. минало",
		" 4 29.12 Свъ. спряно",
		" 5 29.05 С. от 05.12",
	}
	for i, w := range want {
		if got := strings.TrimRight(d.screen[i+1], " "); got != w {
			t.Errorf("row %d = %q, want %q\n%s", i+1, got, w, d.screen)
		}
	}
}

// TestFlowReportCountsApart: on the report screen a count and an amount never run
// together ("Общо    18 603,00 €" read as 18,603 €): the count carries its unit, and a
// line too long for the display breaks between the name and the figures.
func TestFlowReportCountsApart(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	r.sell(t, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 18}}})
	glued := regexp.MustCompile(`\d \d[\d ]*,\d\d`)
	for _, size := range [][2]int{{4, 20}, {2, 16}} {
		d := newDriver(t, r, FlowOptions{Rows: size[0], Cols: size[1], Logger: quiet})
		d.run("3000⏎ann-pass⏎2⏎⏎1⏎")
		var seen []string
		for range 8 {
			seen = append(seen, d.screen...)
			d.run("↓")
		}
		text := strings.Join(seen, "\n")
		for _, row := range seen {
			if glued.MatchString(row) {
				t.Errorf("%dx%d: a count runs into an amount: %q\n%s", size[0], size[1], row, text)
			}
		}
		if !strings.Contains(text, "18 бр.") || !strings.Contains(text, "225,00 €") || !strings.Contains(text, "Стандартен") {
			t.Errorf("%dx%d: the report lacks its figures or the type's whole name:\n%s", size[0], size[1], text)
		}
	}
}

// walkTours plays the golden tours, and a capped type's quantity, on 4×20 and 2×16
// displays in both languages, calling check after every step.
func walkTours(t *testing.T, check func(where string, d *flowDriver)) {
	tours := []struct {
		delivery catalog.Delivery
		steps    []goldenStep
	}{
		{catalog.DeliveryPrint, goldenTour},
		{catalog.DeliveryEmail, goldenEmail},
		{catalog.DeliveryPrint, []goldenStep{{name: "capped quantity", setup: func(r *rig) {
			reconfigure(t, r, func(c *catalog.DeviceConfig) { c.Allot = map[string]map[string]int64{"e1": {"std": 200}} })
		}, script: "3000⏎ann-pass⏎1⏎⏎⏎"}}},
	}
	for _, size := range [][2]int{{4, 20}, {2, 16}} {
		for _, loc := range []catalog.Locale{catalog.LocaleBG, catalog.LocaleEN} {
			for _, tour := range tours {
				r := newRig(t, tour.delivery)
				setLocale(t, r, loc)
				d := newDriver(t, r, FlowOptions{Rows: size[0], Cols: size[1], Logger: quiet})
				for _, s := range tour.steps {
					if s.setup != nil {
						s.setup(r)
					}
					d.run(s.script)
					check(fmt.Sprintf("%dx%d %s %q", size[0], size[1], loc, s.name), d)
				}
			}
		}
	}
}

// TestFlowHintsShow: on 4×20 and 2×16 displays, every text screen of the golden tours
// that has a hint shows it on its last row, whatever its lines, and a screen whose Up and
// Down do something else (the quantity) shows no scroll mark: nothing of it is out of
// reach.
func TestFlowHintsShow(t *testing.T) {
	walkTours(t, func(where string, d *flowDriver) {
		sc := screens[d.f.st]
		if sc.kind != kindText || sc.text == nil {
			return
		}
		if _, _, hint := sc.text(d.f); hint != "" && strings.TrimRight(d.screen[len(d.screen)-1], " ") != hint {
			t.Errorf("%s: the hint %q is not on the last row:\n%s", where, hint, d.screen)
		}
		for _, row := range d.screen {
			if last := []rune(row)[len([]rune(row))-1]; sc.noScroll && (last == markUp || last == markDown) {
				t.Errorf("%s: a scroll mark where Up and Down do something else:\n%s", where, d.screen)
			}
		}
	})
}

// TestFlowTextNotGlued: on 20 columns a scroll mark never touches the text before it
// ("Последните 7 дниv"; on 16 every column is text), and no list entry of the menus is
// cut.
func TestFlowTextNotGlued(t *testing.T) {
	walkTours(t, func(where string, d *flowDriver) {
		if d.opt.Cols < 20 {
			return
		}
		for _, row := range d.screen {
			r := []rune(row)
			if n := len(r); (r[n-1] == markUp || r[n-1] == markDown) && r[n-2] != ' ' {
				t.Errorf("%s: a scroll mark glued to the text: %q", where, row)
			}
		}
	})
	var labels []msg
	for _, e := range menuEntries {
		labels = append(labels, e.m)
	}
	labels = append(append(append(labels, periods...), scopes...), mCashier, mSupervisor)
	for _, loc := range []catalog.Locale{catalog.LocaleBG, catalog.LocaleEN} {
		for _, m := range labels {
			// A list's row on 20 columns: the selection, the number, the text, a space and
			// the scroll mark.
			if s := langOf(loc).tr(m); utf8.RuneCountInString(s) > 20-5 {
				t.Errorf("%s: %q is cut on 20 columns", loc, s)
			}
		}
	}
	if got := fit("Семеен (2+2)", 9); got != "Семеен.  " {
		t.Errorf("fit cut to %q, want the word without its open bracket", got)
	}
}
