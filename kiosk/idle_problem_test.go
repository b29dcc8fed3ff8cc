package kiosk

import (
	"path/filepath"
	"strings"
	"testing"

	"ticketkiosk/catalog"
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
// on rows of its own when it does not fit one; without one the screen is as before.
func TestIdleScreenShowsTheProblem(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	bare := unconfigured(t, r)
	for _, c := range []struct {
		name       string
		k          *Kiosk
		rows, cols int
		want       []string
	}{
		{"configured 4x20", r.k, 4, 20, []string{"Broker:", "not authorised"}},
		{"configured 2x16", r.k, 2, 16, []string{"Broker:"}},
		{"no config 4x20", bare, 4, 20, []string{"Broker:", "not authorised"}},
		{"no config 2x16", bare, 2, 16, []string{"Broker:"}},
	} {
		f := NewFlow(c.k, FlowOptions{Rows: c.rows, Cols: c.cols})
		before := f.Screen()
		f.SetStatus(Status{Problem: "Broker: not authorised"})
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
