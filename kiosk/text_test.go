package kiosk

import (
	"testing"
	"time"
	"unicode/utf8"

	"ticketkiosk/device"
)

// edStep is one step of an editor script: a key at a time offset, or a Tick.
type edStep struct {
	key  device.Key
	tick bool
	at   time.Duration
}

// edScript turns a compact script into steps, each 100 ms after the previous one:
// digits and letters are KeyChar, '#' Symbol, '<' Backspace, '^' Up, 'v' Down, and '|'
// a Tick 1.5 s later (past the multi-tap pause).
func edScript(s string) []edStep {
	var out []edStep
	at := time.Duration(0)
	for _, r := range s {
		at += 100 * time.Millisecond
		switch r {
		case '#':
			out = append(out, edStep{key: device.Key{Kind: device.KeySymbol}, at: at})
		case '<':
			out = append(out, edStep{key: device.Key{Kind: device.KeyBackspace}, at: at})
		case '^':
			out = append(out, edStep{key: device.Key{Kind: device.KeyUp}, at: at})
		case 'v':
			out = append(out, edStep{key: device.Key{Kind: device.KeyDown}, at: at})
		case '|':
			at += 1500 * time.Millisecond
			out = append(out, edStep{tick: true, at: at})
		default:
			out = append(out, edStep{key: device.Char(r), at: at})
		}
	}
	return out
}

func TestEditor(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		ed     Editor
		script string
		want   string // Value after the script, before any commit
		show   string // Display(16), "" to skip
	}{
		{"keyboard text", Editor{}, "ann@x.org", "ann@x.org", "ann@x.org_      "},
		{"keyboard backspace", Editor{}, "abc<<d", "ad", ""},
		{"backspace on empty", Editor{}, "<<a", "a", ""},
		{"keyboard digits pass through", Editor{}, "3000", "3000", ""},
		{"digit field drops letters", Editor{Kind: FieldDigits}, "1a2b3", "123", "123_            "},
		{"digit field ignores symbol", Editor{Kind: FieldDigits}, "1#2", "12", ""},
		{"max length", Editor{Kind: FieldDigits, Max: 4}, "123456", "1234", "1234            "},
		{"multi-tap one letter", Editor{MultiTap: true}, "2", "a", "a            abc"},
		{"multi-tap cycles", Editor{MultiTap: true}, "222", "c", ""},
		{"multi-tap digit last", Editor{MultiTap: true}, "2222", "2", ""},
		{"multi-tap wraps", Editor{MultiTap: true}, "22222", "a", ""},
		{"multi-tap seven has four letters", Editor{MultiTap: true}, "77777", "7", ""},
		{"other key commits", Editor{MultiTap: true}, "2663", "and", ""},
		{"pause commits same key", Editor{MultiTap: true}, "2|22", "ab", ""},
		{"ann-pass", Editor{MultiTap: true}, "266|66111727777|7777", "ann-pass", ""},
		{"symbol cycles", Editor{MultiTap: true}, "###", "-", ""},
		{"symbol then letter", Editor{MultiTap: true}, "2#3", "a@d", ""},
		{"email by multi-tap", Editor{MultiTap: true}, "2|22#3|33##3388", "ab@de.eu", ""},
		{"one holds dot and at", Editor{MultiTap: true}, "2|11|2", "a@a", ""},
		{"zero is zero", Editor{MultiTap: true}, "00", "00", ""},
		{"upper case", Editor{MultiTap: true}, "^22", "B", "B            ABC"},
		{"digit mode", Editor{MultiTap: true}, "^^2233", "2233", "2233_        123"},
		{"down goes back to digits", Editor{MultiTap: true}, "v12", "12", ""},
		{"mode change commits", Editor{MultiTap: true}, "2^2", "aA", ""},
		{"backspace drops pending", Editor{MultiTap: true}, "266<", "a", ""},
		{"backspace after commit", Editor{MultiTap: true}, "26|<", "a", ""},
		{"masked", Editor{Masked: true}, "secret", "secret", "******_         "},
		{"masked shows pending letter", Editor{Masked: true, MultiTap: true}, "263", "amd", "**d          abc"},
		{"multi-tap respects max", Editor{MultiTap: true, Max: 2}, "234", "ad", ""},
		{"digit field on keypad", Editor{Kind: FieldDigits, MultiTap: true}, "22^33", "2233", "2233_           "},
		{"long text shows its tail", Editor{}, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "LMNOPQRSTUVWXYZ_"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := c.ed
			for _, s := range edScript(c.script) {
				if s.tick {
					e.Tick(t0.Add(s.at))
				} else {
					e.Key(s.key, t0.Add(s.at))
				}
			}
			if got := e.Value(); got != c.want {
				t.Errorf("Value = %q, want %q", got, c.want)
			}
			if c.show != "" {
				if got := e.Display(16); got != c.show {
					t.Errorf("Display = %q, want %q", got, c.show)
				}
			}
			e.Commit()
			if got := e.Value(); got != c.want {
				t.Errorf("after Commit Value = %q, want %q", got, c.want)
			}
			if e.Pending() {
				t.Error("pending after Commit")
			}
		})
	}
}

func TestEditorTick(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	e := Editor{MultiTap: true, Pause: 800 * time.Millisecond}
	if !e.Key(device.Char('5'), t0) {
		t.Fatal("5 did not change the field")
	}
	if e.Tick(t0.Add(799 * time.Millisecond)) {
		t.Error("Tick before the pause committed")
	}
	if !e.Pending() {
		t.Error("letter not pending before the pause")
	}
	// A press of the same key after the pause starts a new letter.
	if !e.Tick(t0.Add(800 * time.Millisecond)) {
		t.Error("Tick at the pause did not commit")
	}
	e.Key(device.Char('5'), t0.Add(900*time.Millisecond))
	if got := e.Value(); got != "jj" {
		t.Errorf("Value = %q, want jj", got)
	}
	// Without a Tick, a late second press also starts a new letter.
	e.Key(device.Char('5'), t0.Add(3*time.Second))
	if got := e.Value(); got != "jjj" {
		t.Errorf("Value = %q, want jjj", got)
	}
	if e.Tick(t0.Add(3 * time.Second)) {
		t.Error("Tick right after a key committed")
	}
}

func TestEditorKeysLeftToCaller(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for _, k := range []device.Key{{Kind: device.KeyOK}, {Kind: device.KeyCancel}, {Kind: device.KeyNone}} {
		e := Editor{MultiTap: true}
		e.Key(device.Char('2'), now)
		if e.Key(k, now) {
			t.Errorf("%v changed the field", k)
		}
		if e.Value() != "a" || !e.Pending() {
			t.Errorf("%v: Value %q pending %v", k, e.Value(), e.Pending())
		}
	}
	// Up and Down belong to the caller in keyboard and digit fields.
	for _, e := range []Editor{{}, {Kind: FieldDigits, MultiTap: true}} {
		if e.Key(device.Key{Kind: device.KeyUp}, now) || e.Key(device.Key{Kind: device.KeyDown}, now) {
			t.Errorf("%+v: Up/Down changed the field", e)
		}
	}
}

func TestEditorSet(t *testing.T) {
	e := Editor{Max: 3, MultiTap: true}
	e.Key(device.Char('2'), time.Time{})
	e.Set("12345")
	if e.Value() != "123" || e.Pending() {
		t.Errorf("Set: Value %q pending %v", e.Value(), e.Pending())
	}
	if e.Len() != 3 {
		t.Errorf("Len = %d", e.Len())
	}
}

// FuzzEditor feeds any key sequence to a multi-tap editor and checks that Display always
// fits its width and Max is never passed.
func FuzzEditor(f *testing.F) {
	f.Add("266|66111727777|7777", uint8(0), 16)
	f.Add("2|22#3|33##3388", uint8(1), 20)
	f.Add("^^123<<<v##x", uint8(2), 16)
	f.Add("\u0000\u00ff\U0010ffff", uint8(3), 1)
	f.Fuzz(func(t *testing.T, script string, flags uint8, width int) {
		width = 1 + flAbs(width)%64
		e := Editor{MultiTap: flags&1 != 0, Masked: flags&2 != 0, Max: int(flags >> 4)}
		if flags&4 != 0 {
			e.Kind = FieldDigits
		}
		t0 := time.Time{}
		for _, s := range edScript(script) {
			if s.tick {
				e.Tick(t0.Add(s.at))
			} else {
				e.Key(s.key, t0.Add(s.at))
			}
			if d := e.Display(width); utf8.RuneCountInString(d) != width {
				t.Fatalf("Display(%d) = %q", width, d)
			}
			if e.Max > 0 && e.Len() > e.Max {
				t.Fatalf("Len %d > Max %d", e.Len(), e.Max)
			}
		}
	})
}

func flAbs(n int) int {
	if n < 0 {
		if n == -n { // the smallest int
			return 0
		}
		return -n
	}
	return n
}

// TestEditorOffer: an offered value is selected: the first character typed replaces it,
// Backspace edits it, OK takes it as it is.
func TestEditorOffer(t *testing.T) {
	for _, multiTap := range []bool{false, true} {
		e := Editor{Kind: FieldDigits, MultiTap: multiTap}
		e.Offer("2002")
		if d := e.Display(10); d != "[2002]    " {
			t.Errorf("offered shows %q", d)
		}
		for _, r := range "2003" {
			e.Key(device.Char(r), time.Time{})
		}
		if e.Value() != "2003" {
			t.Errorf("typed over an offer: %q, want 2003", e.Value())
		}
		e.Offer("2002")
		e.Key(device.Key{Kind: device.KeyBackspace}, time.Time{})
		if e.Value() != "200" {
			t.Errorf("Backspace on an offer: %q, want 200", e.Value())
		}
	}
	e := Editor{MultiTap: true}
	e.Offer("ann@x.org")
	e.Key(device.Char('2'), time.Time{})
	e.Commit()
	if e.Value() != "a" {
		t.Errorf("a multi-tap letter over an offer: %q, want a", e.Value())
	}
	e.Offer("ann")
	e.Key(device.Key{Kind: device.KeyUp}, time.Time{}) // a mode change keeps the offer
	e.Key(device.Char('x'), time.Time{})
	if e.Value() != "x" {
		t.Errorf("after a mode change: %q, want x", e.Value())
	}
}
