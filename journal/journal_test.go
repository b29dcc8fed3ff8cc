package journal

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

var testKey = ed25519.NewKeyFromSeed([]byte("device key seed for tests only.."))

func keys(dev string) (ed25519.PublicKey, bool) {
	if dev == "k1" {
		return testKey.Public().(ed25519.PublicKey), true
	}
	return nil, false
}

func sale(seq uint64, prev Hash, actor string, qty int) Entry {
	e := Entry{V: Version, Device: "k1", Seq: seq, Time: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC).UnixMilli(),
		ClockSynced: true, Actor: actor, Kind: KindSale, Prev: prev,
		Sale: &Sale{No: seq, Outlet: "o1", Event: "e1", Currency: "EUR", Delivery: "print",
			Lines: []Line{{Type: "std", Qty: qty, Price: 1250}}, Total: int64(qty) * 1250}}
	for i := 1; i <= qty; i++ {
		c, err := NewCode(TicketFacts{Device: "k1", Sale: seq, N: i, Of: qty, Event: "e1", Type: "std"}, testKey)
		if err != nil {
			panic(err)
		}
		e.Sale.Tickets = append(e.Sale.Tickets, Ticket{N: i, Type: "std", Code: c})
	}
	return e
}

func chain(n int) []Entry {
	var out []Entry
	prev := ZeroHash
	for i := 1; i <= n; i++ {
		e := sale(uint64(i), prev, "ana@example.org", 1+i%3)
		prev = e.Hash()
		out = append(out, e)
	}
	return out
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	e := chain(1)[0]
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != e.Hash() {
		t.Fatal("decoded entry hashes differently")
	}
	b2, _ := got.Encode()
	if string(b2) != string(b) {
		t.Fatalf("encoding is not canonical:\n%s\n%s", b, b2)
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, _ := chain(1)[0].Encode()
	cases := map[string]string{
		"unknown field": strings.Replace(string(good), `"v":2`, `"v":2,"extra":2`, 1),
		"bad version":   strings.Replace(string(good), `"v":2`, `"v":7`, 1),
		"version 1":     strings.Replace(string(good), `"v":2`, `"v":1`, 1),
		"no sale no":    strings.Replace(string(good), `"no":1,`, ``, 1),
		"sale no zero":  strings.Replace(string(good), `"no":1,`, `"no":0,`, 1),
		"seq zero":      strings.Replace(string(good), `"seq":1`, `"seq":0`, 1),
		"bad total":     strings.Replace(string(good), `"total":2500`, `"total":1`, 1),
		"unknown kind":  strings.Replace(string(good), `"kind":"sale"`, `"kind":"gift"`, 1),
		"wrong fact":    strings.Replace(string(good), `"kind":"sale"`, `"kind":"void"`, 1),
		"trailing":      string(good) + "{}",
		"stray brace":   string(good) + "}",
		"stray bracket": string(good) + " ]",
		"not json":      "[",
	}
	for name, in := range cases {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Decode = %v, want ErrMalformed", name, err)
		}
	}
}

func TestVerifyChain(t *testing.T) {
	es := chain(10)
	if err := VerifyChain(nil, es); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	if err := VerifyChain(&es[3], es[4:]); err != nil {
		t.Fatalf("chain after 4: %v", err)
	}
	cases := []struct {
		name    string
		mutate  func(es []Entry) []Entry
		wantSeq uint64
	}{
		{"tampered amount", func(es []Entry) []Entry {
			es[4].Sale.Lines[0].Price = 1
			es[4].Sale.Total = int64(es[4].Sale.Lines[0].Qty)
			return es
		}, 6},
		{"gap", func(es []Entry) []Entry { return append(es[:5:5], es[6:]...) }, 6},
		{"reordered", func(es []Entry) []Entry { es[2], es[3] = es[3], es[2]; return es }, 3},
		{"bad first", func(es []Entry) []Entry { return es[1:] }, 1},
		{"replaced prev", func(es []Entry) []Entry { es[7].Prev = Hash{1}; return es }, 8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyChain(nil, tc.mutate(chain(10)))
			var ce *ChainError
			if !errors.As(err, &ce) || !errors.Is(err, ErrChain) {
				t.Fatalf("VerifyChain = %v, want a ChainError", err)
			}
			if ce.Seq != tc.wantSeq {
				t.Fatalf("first bad seq %d, want %d (%v)", ce.Seq, tc.wantSeq, err)
			}
		})
	}
}

func TestDeltasAndVoid(t *testing.T) {
	sofia, _ := time.LoadLocation("Europe/Sofia")
	s := sale(1, ZeroHash, "bob@example.org", 2)
	// 23:30 UTC on the 28th is the 29th in Sofia.
	s.Time = time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC).UnixMilli()
	ds := Deltas(&s, nil, sofia)
	want, _ := ParseDay("2026-11-29")
	if len(ds) != 1 || ds[0].Day != want || ds[0].Tickets != 2 || ds[0].Amount != 2500 || ds[0].User != "bob@example.org" {
		t.Fatalf("sale deltas %+v", ds)
	}
	v := Entry{V: Version, Device: "k1", Seq: 2, Kind: KindVoid, Actor: "ana@example.org", Time: s.Time + 86400000, Void: &Void{Sale: 1, Approver: "ana@example.org"}}
	vd := Deltas(&v, &s, sofia)
	if len(vd) != 1 || vd[0].Day != want || vd[0].Tickets != -2 || vd[0].Amount != -2500 || vd[0].Voided != 2 || vd[0].User != "bob@example.org" {
		t.Fatalf("void deltas %+v", vd)
	}
}

func TestPeriods(t *testing.T) {
	sofia, _ := time.LoadLocation("Europe/Sofia")
	now := time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC) // the 30th in Sofia
	d30, _ := ParseDay("2026-11-30")
	d1, _ := ParseDay("2026-11-01")
	cases := []struct {
		name string
		p    Period
		want Period
	}{
		{"today", Today(now, sofia), Period{d30, d30}},
		{"yesterday", Yesterday(now, sofia), Period{d30 - 1, d30 - 1}},
		{"7 days", LastDays(now, sofia, 7), Period{d30 - 6, d30}},
		{"this month", ThisMonth(now, sofia), Period{d1, d30}},
	}
	for _, c := range cases {
		if c.p != c.want {
			t.Errorf("%s = %v..%v, want %v..%v", c.name, c.p.From, c.p.To, c.want.From, c.want.To)
		}
	}
	if !Whole().Contains(d30) || Today(now, sofia).Contains(d30-1) {
		t.Error("Contains is wrong")
	}
}

func TestReport(t *testing.T) {
	r := NewReport(Whole())
	r.Add(Key{Event: "e2", Type: "a"}, Tally{Tickets: 1, Amount: 10})
	r.Add(Key{Event: "e1", Type: "b"}, Tally{Tickets: 2, Amount: 20})
	r.Add(Key{Event: "e2", Type: "a", User: "x"}, Tally{Tickets: 3, Amount: 30})
	r.Sort()
	if len(r.Rows) != 2 || r.Rows[0].Event != "e1" || r.Rows[1].Tickets != 4 || r.Total.Amount != 60 {
		t.Fatalf("report %+v", r)
	}
}

func FuzzDecode(f *testing.F) {
	for _, e := range chain(3) {
		b, _ := e.Encode()
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"device":"k1","seq":2,"kind":"void","void":{"sale":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			return
		}
		b, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		e2, err := Decode(b)
		if err != nil || e2.Hash() != e.Hash() {
			t.Fatalf("re-encoded entry does not decode to the same: %v", err)
		}
	})
}
