package kiosk

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/testkit"
)

var updateScreens = flag.Bool("update", false, "rewrite the golden screens in testdata/screens")

// goldenStep is one screen of the golden tour: a script played before it is recorded,
// and a change to the rig first when set.
type goldenStep struct {
	name   string
	setup  func(r *rig)
	script string
}

// goldenTour visits every kind of screen: idle, login, menus of both roles, the sale
// from the events to the done screen, a printer refusal, reports with scrolling, the
// reprint approval, void, new user, and a buyer email on an email outlet.
var goldenTour = []goldenStep{
	{name: "idle"},
	{name: "login id", script: "3000"},
	{name: "password", script: "⏎ann-p"},
	{name: "cashier menu", script: "ass⏎"},
	{name: "events", script: "1⏎"},
	{name: "ticket types", script: "⏎"},
	{name: "quantity", script: "2⏎2"},
	{name: "confirm", script: "⏎"},
	{name: "printer out of paper", setup: func(r *rig) { r.printer.status = escpos.Status{Online: true, PaperEnd: true} }, script: "⏎"},
	{name: "done", setup: func(r *rig) { r.printer.status = escpos.Status{Online: true} }, script: "⏎⏎"},
	{name: "sold out", script: "⏎2⏎9⏎⏎"},
	{name: "report period", script: "⏎⎋⎋⎋⎋2⏎⏎"},
	{name: "report", script: "2⏎"},
	{name: "report scrolled", script: "↓↓"},
	{name: "reprint approval", script: "⎋⎋⎋⎋3⏎⏎"},
	{name: "refused approval", script: "3000⏎ann-pass⏎"},
	{name: "supervisor menu", script: "⏎⎋⎋⎋↓↓↓⏎1000⏎boss-pass⏎"},
	{name: "supervisor menu scrolled", script: "↓↓↓↓"},
	{name: "report scope", script: "2⏎"},
	{name: "report users", script: "3⏎"},
	{name: "void ask", script: "⎋⎋5⏎1⏎"},
	{name: "voided", script: "⏎"},
	{name: "new user role", script: "⏎6⏎dan@example.org⏎7000⏎"},
	{name: "new user password", script: "⏎dan-pa"},
}

// goldenEmail is the tour of an email outlet's sale.
var goldenEmail = []goldenStep{
	{name: "email idle"},
	{name: "buyer email", script: "3000⏎ann-pass⏎1⏎⏎⏎⏎buyer@exa"},
	{name: "email confirm", script: "mple.org⏎"},
	{name: "email done", script: "⏎"},
}

// goldenKeypad is the login and a buyer email on a digit keypad with multi-tap.
var goldenKeypad = []goldenStep{
	{name: "keypad login id", script: "3000"},
	{name: "keypad pending letter", script: "⏎266"},
	{name: "keypad committed", script: "⏸"},
	{name: "keypad upper case", script: "↑2"},
	{name: "keypad digits", script: "↑2"},
	{name: "keypad buyer symbol", script: "⌫⌫⌫↑66⏸66111727777⏸7777⏎1⏎⏎⏎⏎2⏸22♯"},
}

// goldenGlyphs shows the device glyphs as visible characters in the golden files.
var goldenGlyphs = strings.NewReplacer(
	string(device.GlyphSynced), "✓",
	string(device.GlyphOffline), "✗",
	string(device.GlyphPending), "↑",
)

func frame(s Screen, cols int) string {
	var b strings.Builder
	edge := "+" + strings.Repeat("-", cols) + "+\n"
	b.WriteString(edge)
	for _, row := range s {
		b.WriteString("|" + goldenGlyphs.Replace(row) + "|\n")
	}
	b.WriteString(edge)
	return b.String()
}

func playTour(t *testing.T, delivery catalog.Delivery, loc catalog.Locale, rows, cols int, multiTap bool, steps []goldenStep, b *strings.Builder) {
	r := newRig(t, delivery)
	setLocale(t, r, loc) // in every locale, so that sale numbers are the same

	d := newDriver(t, r, FlowOptions{Rows: rows, Cols: cols, MultiTap: multiTap})
	d.screen, _ = d.f.SetStatus(Status{Online: true, Unsynced: 2, Printer: escpos.Status{Online: true, PaperNearEnd: true}})
	for _, s := range steps {
		if s.setup != nil {
			s.setup(r)
		}
		d.run(s.script)
		fmt.Fprintf(b, "== %s: %s\n%s", s.name, s.script, frame(d.screen, cols))
	}
}

// goldenScreens compares got with testdata/screens/name (rewrites it with -update), and
// names the first line that differs.
func goldenScreens(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "screens", name)
	want, compare := testkit.Golden(t, path, []byte(got), *updateScreens)
	if !compare || got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Fatalf("%s differs at line %d:\n got %q\nwant %q\n(run with -update if the change is meant)", path, i+1, gl[i], wl[i])
		}
	}
	t.Fatalf("%s: %d lines, want %d", path, len(gl), len(wl))
}

func TestGoldenScreens(t *testing.T) {
	sizes := []struct {
		rows, cols int
		locales    []catalog.Locale
	}{
		{4, 20, []catalog.Locale{catalog.LocaleBG, catalog.LocaleEN}},
		{2, 16, []catalog.Locale{catalog.LocaleBG, catalog.LocaleEN}},
		{8, 40, []catalog.Locale{catalog.LocaleEN}},
	}
	for _, sz := range sizes {
		for _, loc := range sz.locales {
			name := fmt.Sprintf("%dx%d_%s.txt", sz.rows, sz.cols, loc)
			t.Run(name, func(t *testing.T) {
				var b strings.Builder
				playTour(t, catalog.DeliveryPrint, loc, sz.rows, sz.cols, false, goldenTour, &b)
				playTour(t, catalog.DeliveryEmail, loc, sz.rows, sz.cols, false, goldenEmail, &b)
				playTour(t, catalog.DeliveryEmail, loc, sz.rows, sz.cols, true, goldenKeypad, &b)
				goldenScreens(t, name, b.String())
			})
		}
	}
}
