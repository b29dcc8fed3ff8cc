package kiosk

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"ticketkiosk/catalog"
	"ticketkiosk/escpos"
	"ticketkiosk/store"
)

// unconfigured returns a kiosk like r's on a fresh store, with no config yet.
func unconfigured(t *testing.T, r *rig) *Kiosk {
	t.Helper()
	empty, err := store.Open(filepath.Join(t.TempDir(), "empty.db"), store.Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { empty.Close() })
	k, err := New(Options{Store: empty, Key: deviceKey, Clock: r.clock, Printer: r.printer, Layout: textLayout{}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestIdleScreenShowsTheProblem: Status.Problem (what keeps the kiosk from the hub) stands
// on the idle screen of a configured kiosk and of one without a config, on 4×20 and 2×16,
// in the kiosk's language, on rows of its own when it does not fit one; without one the
// screen is as before.
func TestIdleScreenShowsTheProblem(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	bare := unconfigured(t, r)
	for _, c := range []struct {
		name       string
		k          *Kiosk
		rows, cols int
		want       []string
	}{
		{"configured 4x20", r.k, 4, 20, []string{"Брокер:", "отказан достъп"}}, // the rig's outlet speaks Bulgarian
		{"configured 2x16", r.k, 2, 16, []string{"Брокер", "отказан достъп"}},
		{"no config 4x20", bare, 4, 20, []string{"Broker:", "not authorised"}}, // FlowOptions.Locale's default
		{"no config 2x16", bare, 2, 16, []string{"Broker", "not authorised"}},
	} {
		f := NewFlow(c.k, FlowOptions{Rows: c.rows, Cols: c.cols})
		before := f.Screen()
		f.SetStatus(Status{Problem: Problem{Kind: ProblemBroker, Reason: "not_authorised"}})
		s := f.Screen()
		if len(s) != c.rows {
			t.Errorf("%s: %d rows:\n%s", c.name, len(s), s)
		}
		for _, w := range c.want {
			if !strings.Contains(s.String(), w) {
				t.Errorf("%s: idle screen lacks %q:\n%s", c.name, w, s)
			}
		}
		f.SetStatus(Status{})
		if again := f.Screen(); !again.Equal(before) {
			t.Errorf("%s: without a problem the screen changed:\n%s\nwas\n%s", c.name, again, before)
		}
	}
}

// TestGoldenProblemScreens records the idle screen with each kind of problem (and a reason
// the flow has no words for, shown as its code), of a configured kiosk and of one without
// a config, on 4×20 and 2×16 in Bulgarian and English: testdata/screens/problems.txt.
func TestGoldenProblemScreens(t *testing.T) {
	problems := []Problem{
		{Kind: ProblemBroker, Reason: "not_authorised"},
		{Kind: ProblemBroker, Reason: "bad_credentials"},
		{Kind: ProblemConfig, Reason: "bad_signature"},
		{Kind: ProblemConfig, Reason: "wrong_device"},
		{Kind: ProblemConfig, Reason: "no_such_code"},
	}
	kinds := map[ProblemKind]string{ProblemBroker: "broker", ProblemConfig: "config"}
	var b strings.Builder
	for _, sz := range []struct{ rows, cols int }{{4, 20}, {2, 16}} {
		for _, loc := range []catalog.Locale{catalog.LocaleBG, catalog.LocaleEN} {
			r := newRig(t, catalog.DeliveryPrint)
			setLocale(t, r, loc)
			for _, c := range []struct {
				name string
				k    *Kiosk
			}{{"configured", r.k}, {"no config", unconfigured(t, r)}} {
				f := NewFlow(c.k, FlowOptions{Rows: sz.rows, Cols: sz.cols, Locale: loc})
				for _, p := range problems {
					s, _ := f.SetStatus(Status{Unsynced: 2, Printer: escpos.Status{Online: true}, Problem: p})
					fmt.Fprintf(&b, "== %dx%d %s %s: %s %s\n%s", sz.rows, sz.cols, loc, c.name, kinds[p.Kind], p.Reason, frame(s, sz.cols))
				}
			}
		}
	}
	goldenScreens(t, "problems.txt", b.String())
}

// TestProblemTexts: every kind and reason has words in both languages, the kind's fit 14
// columns (beside the link glyph on 16) and the reason's 16, so that each stands on a row
// of its own on 2×16; an unknown reason
// is shown as its code.
func TestProblemTexts(t *testing.T) {
	for kind, reasons := range problemReasons {
		if int(kind) >= len(problemHeads) {
			t.Fatalf("kind %d has reasons but no name", kind)
		}
		for l, head := range problemHeads[kind] {
			if head == "" || utf8.RuneCountInString(head) > 14 {
				t.Errorf("kind %d in language %d: %q", kind, l, head)
			}
		}
		for code, words := range reasons {
			if !(Problem{Kind: kind, Reason: code}).Known() {
				t.Errorf("%d %s not known", kind, code)
			}
			for l, w := range words {
				if w == "" || utf8.RuneCountInString(w) > 16 {
					t.Errorf("%d %s in language %d: %q", kind, code, l, w)
				}
			}
			if words[0] == words[1] && code != "tls" {
				t.Errorf("%d %s: the Bulgarian is the English %q", kind, code, words[0])
			}
		}
	}
	for _, p := range []Problem{{Kind: ProblemConfig, Reason: "not_authorised"}, {Kind: ProblemBroker, Reason: "bad_signature"}, {Kind: ProblemNone, Reason: "x"}} {
		if p.Known() {
			t.Errorf("%+v known", p)
		}
	}
	for _, l := range []lang{0, 1} {
		if _, reason := l.problem(Problem{Kind: ProblemConfig, Reason: "new_code"}); reason != "new_code" {
			t.Errorf("an unknown code in language %d says %q", l, reason)
		}
	}
}
