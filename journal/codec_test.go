package journal

import (
	"bytes"
	"strings"
	"testing"
)

var counterKeys = []Key{
	{Day: MinDay},
	{Day: MinDay, User: "a@x", Event: "e1", Type: "std"}, // a whole-period total
	{Day: -5, User: "", Event: "", Type: ""},
	{Day: 0, User: "a@x", Event: "e", Type: "t"},
	{Day: 20513, User: "ann@example.org", Event: "e1", Type: "std"},
	{Day: 20513, User: "ann@example.org", Event: "e1", Type: "with\x00nul"}, // the type is the rest
	{Day: 20514, User: "Ана@пример.бг", Event: "концерт", Type: "детски"},
	{Day: MaxDay, User: "x", Event: "y", Type: "z"},
}

// TestKeyEncoding pins the bytes: they are in every store and ledger file.
func TestKeyEncoding(t *testing.T) {
	for _, tc := range []struct {
		k    Key
		want string
	}{
		{Key{Day: MinDay}, "\x00\x00\x00\x00\x00\x00"},
		{Key{Day: -1, User: "u", Event: "e", Type: "t"}, "\x7f\xff\xff\xffu\x00e\x00t"},
		{Key{Day: 0, User: "u", Event: "e", Type: "t"}, "\x80\x00\x00\x00u\x00e\x00t"},
		{Key{Day: 20513, User: "a@x", Event: "e1", Type: "std"}, "\x80\x00\x50\x21a@x\x00e1\x00std"},
		{Key{Day: MaxDay, User: "u"}, "\xff\xff\xff\xffu\x00\x00"},
	} {
		if got := string(AppendKey(nil, tc.k)); got != tc.want {
			t.Errorf("AppendKey(%+v) = %q, want %q", tc.k, got, tc.want)
		}
		if got := string(AppendDay(nil, tc.k.Day)); got != tc.want[:KeyDayLen] {
			t.Errorf("AppendDay(%d) = %q, want %q", tc.k.Day, got, tc.want[:KeyDayLen])
		}
	}
	if got := string(AppendKey([]byte("o1\x00"), Key{Day: 0, User: "u"})); got != "o1\x00\x80\x00\x00\x00u\x00\x00" {
		t.Errorf("AppendKey after a prefix = %q", got)
	}
}

func TestKeyRoundTripAndOrder(t *testing.T) {
	for i, k := range counterKeys {
		b := AppendKey(nil, k)
		if got, ok := ParseKey(b); !ok || got != k {
			t.Errorf("ParseKey(AppendKey(%+v)) = %+v, %v", k, got, ok)
		}
		var p KeyParts
		if ok := p.Split(b); !ok || p.Day != k.Day || string(p.User) != k.User || string(p.Event) != k.Event || string(p.Type) != k.Type {
			t.Errorf("KeyParts.Split(AppendKey(%+v)) = %+v, %v", k, p, ok)
		}
		if i > 0 && counterKeys[i-1].Day < k.Day && bytes.Compare(AppendKey(nil, counterKeys[i-1]), b) >= 0 {
			t.Errorf("a key of day %d does not sort before one of day %d", counterKeys[i-1].Day, k.Day)
		}
	}
}

func TestParseKeyRefuses(t *testing.T) {
	for _, b := range []string{
		"",
		"\x80\x00\x00",           // short of a day
		"\x80\x00\x00\x00",       // a day only
		"\x80\x00\x00\x00u",      // no NUL after the user
		"\x80\x00\x00\x00user",   // no NUL at all
		"\x80\x00\x00\x00u\x00e", // no NUL after the event
	} {
		if k, ok := ParseKey([]byte(b)); ok {
			t.Errorf("ParseKey(%q) = %+v, want refused", b, k)
		}
		if new(KeyParts).Split([]byte(b)) {
			t.Errorf("KeyParts.Split(%q) accepted", b)
		}
	}
}

func TestTallyEncoding(t *testing.T) {
	for _, tl := range []Tally{{}, {Tickets: 3, Amount: 3750, Voided: 1}, {Tickets: -2, Amount: -2500, Voided: 0}, {Tickets: 1 << 62, Amount: -1 << 63, Voided: 1<<63 - 1}} {
		b := AppendTally(nil, tl)
		if len(b) != TallySize {
			t.Fatalf("%d bytes", len(b))
		}
		if got := ParseTally(b); got != tl {
			t.Errorf("ParseTally(AppendTally(%+v)) = %+v", tl, got)
		}
	}
	want := "\x00\x00\x00\x00\x00\x00\x00\x03" + "\x00\x00\x00\x00\x00\x00\x0e\xa6" + "\xff\xff\xff\xff\xff\xff\xff\xff"
	if got := string(AppendTally(nil, Tally{Tickets: 3, Amount: 3750, Voided: -1})); got != want {
		t.Errorf("AppendTally = %q, want %q", got, want)
	}
	for _, b := range []string{"", "\x01", strings.Repeat("\x01", TallySize-1), strings.Repeat("\x01", TallySize+1)} {
		if got := ParseTally([]byte(b)); got != (Tally{}) {
			t.Errorf("ParseTally of %d bytes = %+v", len(b), got)
		}
	}
}

// FuzzParseKey: whatever bytes a file holds, ParseKey does not panic, KeyParts.Split agrees with
// it, and a key it accepts encodes back to the same bytes (one key, one encoding).
func FuzzParseKey(f *testing.F) {
	for _, k := range counterKeys {
		f.Add(AppendKey(nil, k))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, ok := ParseKey(b)
		var p KeyParts
		if pok := p.Split(b); ok != pok {
			t.Fatalf("ParseKey ok %v, KeyParts.Split ok %v", ok, pok)
		}
		if !ok {
			return
		}
		if p.Day != k.Day || string(p.User) != k.User || string(p.Event) != k.Event || string(p.Type) != k.Type {
			t.Fatalf("KeyParts.Split %+v, ParseKey %+v", p, k)
		}
		if again := AppendKey(nil, k); !bytes.Equal(again, b) {
			t.Fatalf("%q parses as %+v, which encodes as %q", b, k, again)
		}
	})
}

// FuzzKeyRoundTrip: every key whose user and event hold no NUL comes back from its
// encoding, and keys sort by day first.
func FuzzKeyRoundTrip(f *testing.F) {
	for _, k := range counterKeys {
		f.Add(int32(k.Day), k.User, k.Event, k.Type, int32(k.Day)+1)
	}
	f.Fuzz(func(t *testing.T, day int32, user, event, typ string, other int32) {
		if strings.IndexByte(user, 0) >= 0 || strings.IndexByte(event, 0) >= 0 {
			return
		}
		k := Key{Day: Day(day), User: user, Event: event, Type: typ}
		b := AppendKey(nil, k)
		if got, ok := ParseKey(b); !ok || got != k {
			t.Fatalf("ParseKey(AppendKey(%+v)) = %+v, %v", k, got, ok)
		}
		o := AppendKey(nil, Key{Day: Day(other)})
		if c := bytes.Compare(b, o); (day < other && c >= 0) || (day > other && c <= 0) {
			t.Fatalf("day %d sorts %d against day %d", day, c, other)
		}
	})
}
