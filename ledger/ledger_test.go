package ledger

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
)

// chain builds a device's journal the way the store does: seq from 1, each entry carrying
// the hash of the one before.
type chain struct {
	device  string
	outlet  string
	entries []*journal.Entry
	sales   uint64 // sale numbers given
	t       time.Time
}

func newChain(device, outlet string) *chain {
	return &chain{device: device, outlet: outlet, t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *chain) add(e *journal.Entry) *journal.Entry {
	e.V = journal.Version
	e.Device = c.device
	e.Seq = uint64(len(c.entries) + 1)
	if e.Time == 0 {
		e.Time = c.t.UnixMilli()
	}
	e.ClockSynced = true
	if n := len(c.entries); n > 0 {
		e.Prev = c.entries[n-1].Hash()
	}
	if err := e.Validate(); err != nil {
		panic(err)
	}
	c.entries = append(c.entries, e)
	c.t = c.t.Add(time.Minute)
	return e
}

func (c *chain) sale(actor, event string, qty int, price int64) *journal.Entry {
	c.sales++
	s := &journal.Sale{No: c.sales, Outlet: c.outlet, Event: event, Currency: "EUR", Delivery: "print",
		Lines: []journal.Line{{Type: "std", Qty: qty, Price: price}}, Total: int64(qty) * price}
	for i := 1; i <= qty; i++ {
		s.Tickets = append(s.Tickets, journal.Ticket{N: i, Type: "std", Code: "CODE"})
	}
	return c.add(&journal.Entry{Kind: journal.KindSale, Actor: actor, Sale: s})
}

func (c *chain) void(sale uint64) *journal.Entry {
	return c.add(&journal.Entry{Kind: journal.KindVoid, Actor: "sup@x", Void: &journal.Void{Sale: sale, Approver: "sup@x"}})
}

func (c *chain) user(email string) *journal.Entry {
	return c.add(&journal.Entry{Kind: journal.KindUserCreated, Actor: "sup@x", User: &journal.UserFact{Email: email, Role: "cashier"}})
}

func (c *chain) slice(from, to uint64) []*journal.Entry { return c.entries[from-1 : to] }

// calendar is a settable wall time over the real timers: the format test's entries and
// alarms carry 2026 dates, which a synctest bubble (it starts in 2000) cannot give.
type calendar struct {
	clock.Real
	t time.Time
}

func (c *calendar) Now() time.Time { return c.t }

func open(t *testing.T, path string, opt Options) *Ledger {
	t.Helper()
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	l, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func counters(t *testing.T, l *Ledger) map[string]journal.Tally {
	t.Helper()
	out := map[string]journal.Tally{}
	err := l.Counters(func(outlet string, k journal.Key, tl journal.Tally) {
		out[outlet+"|"+k.Day.String()+"|"+k.User+"|"+k.Event+"|"+k.Type] = tl
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIngestInOrderAndReordered(t *testing.T) {
	l := open(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	c := newChain("d1", "o1")
	c.sale("ann@x", "ev", 2, 1000) // 1
	c.user("bob@x")                // 2
	c.sale("bob@x", "ev", 1, 1000) // 3
	c.void(1)                      // 4
	c.sale("ann@x", "ev", 3, 500)  // 5

	// The second batch arrives first: nothing of it can be stored yet.
	r, err := l.IngestBatch("d1", c.slice(3, 5))
	if err != nil {
		t.Fatal(err)
	}
	if r.Upto != 0 || r.Stored != 0 || r.Held != 3 {
		t.Fatalf("batch beyond the gap: %+v", r)
	}
	// The first batch, in reverse order within the message.
	r, err = l.IngestBatch("d1", []*journal.Entry{c.entries[1], c.entries[0]})
	if err != nil {
		t.Fatal(err)
	}
	if r.Upto != 2 || r.Stored != 2 {
		t.Fatalf("first batch: %+v", r)
	}
	upto, err := l.Ingest("d1", c.slice(3, 5))
	if err != nil || upto != 5 {
		t.Fatalf("resent batch: upto %d, %v", upto, err)
	}
	got := counters(t, l)
	want := map[string]journal.Tally{
		"o1|2026-03-01|ann@x|ev|std": {Tickets: 3, Amount: 1500, Voided: 2}, // 2 sold, voided, then 3 sold
		"o1|2026-03-01|bob@x|ev|std": {Tickets: 1, Amount: 1000},
	}
	if len(got) != len(want) {
		t.Fatalf("counters %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("counter %s = %+v, want %+v", k, got[k], v)
		}
	}
	sale, st, err := l.Sale("d1", 1)
	if err != nil || !st.Voided || st.VoidedBy != 4 || sale.Sale.Total != 2000 {
		t.Fatalf("sale 1: %+v, %v", st, err)
	}
	if _, st, err := l.Sale("d1", 3); err != nil || st.Voided {
		t.Fatalf("sale 3: %+v, %v", st, err)
	}
	if _, _, err := l.Sale("d1", 2); !errors.Is(err, ErrNotASale) {
		t.Fatalf("user entry as a sale: %v", err)
	}
	if _, _, err := l.Sale("d1", 9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown sale: %v", err)
	}
	if _, _, err := l.Sale("d9", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown device: %v", err)
	}
	devs, err := l.Devices()
	if err != nil || len(devs) != 1 {
		t.Fatalf("devices %v, %v", devs, err)
	}
	if d := devs[0]; d.ID != "d1" || d.LastSeq != 5 || d.Entries != 5 || d.LastHash != c.entries[4].Hash() || !d.GapSince.IsZero() || d.Alarms != 0 {
		t.Fatalf("device status %+v", d)
	}
	e, err := l.Entry("d1", 2)
	if err != nil || e.User.Email != "bob@x" || e.Hash() != c.entries[1].Hash() {
		t.Fatalf("entry 2: %+v, %v", e, err)
	}
	var seqs []uint64
	if err := l.Each("d1", 2, func(e *journal.Entry) bool { seqs = append(seqs, e.Seq); return e.Seq < 4 }); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 3 || seqs[0] != 2 || seqs[2] != 4 {
		t.Fatalf("Each from 2 until 4: %v", seqs)
	}
	// The feed lists what was stored in the order it was stored.
	var feed []uint64
	if err := l.Feed(0, func(pos uint64, device string, e *journal.Entry) bool {
		if device != "d1" || pos != uint64(len(feed)+1) {
			t.Errorf("feed %d: %s seq %d", pos, device, e.Seq)
		}
		feed = append(feed, e.Seq)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(feed) != 5 || feed[0] != 1 || feed[4] != 5 || l.FeedEnd() != 5 {
		t.Fatalf("feed %v end %d", feed, l.FeedEnd())
	}
}

func TestDuplicatesAreNotCountedTwice(t *testing.T) {
	var notified []uint64
	l := open(t, filepath.Join(t.TempDir(), "ledger.db"), Options{OnStored: func(device string, stored []*journal.Entry) {
		for _, e := range stored {
			notified = append(notified, e.Seq)
		}
	}})
	c := newChain("d1", "o1")
	for range 4 {
		c.sale("ann@x", "ev", 1, 700)
	}
	if upto, err := l.Ingest("d1", c.slice(1, 3)); err != nil || upto != 3 {
		t.Fatalf("upto %d, %v", upto, err)
	}
	r, err := l.IngestBatch("d1", c.slice(1, 4)) // 1..3 again, with 4 new
	if err != nil {
		t.Fatal(err)
	}
	if r.Upto != 4 || r.Stored != 1 || r.Duplicates != 3 || len(r.Alarms) != 0 {
		t.Fatalf("%+v", r)
	}
	r, err = l.IngestBatch("d1", append(c.slice(1, 4), c.entries[3])) // all duplicates, one twice
	if err != nil || r.Duplicates != 5 || r.Stored != 0 || r.Upto != 4 {
		t.Fatalf("%+v, %v", r, err)
	}
	if got := counters(t, l)["o1|2026-03-01|ann@x|ev|std"]; got.Tickets != 4 || got.Amount != 2800 {
		t.Fatalf("counter %+v after duplicates", got)
	}
	if len(notified) != 4 {
		t.Fatalf("OnStored saw %v", notified)
	}
}

func TestConflictBrokenChainAndForeignAreAlarms(t *testing.T) {
	l := open(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	c := newChain("d1", "o1")
	c.sale("ann@x", "ev", 1, 100)
	c.sale("ann@x", "ev", 1, 100)
	if upto, err := l.Ingest("d1", c.slice(1, 2)); err != nil || upto != 2 {
		t.Fatalf("upto %d, %v", upto, err)
	}
	// A reset device: seq 2 again with other content.
	other := newChain("d1", "o1")
	other.sale("ann@x", "ev", 1, 100)
	other.sale("bob@x", "ev", 1, 100)
	r, err := l.IngestBatch("d1", other.slice(2, 2))
	if err != nil || r.Upto != 1 || len(r.Alarms) != 1 || r.Alarms[0].Kind != AlarmConflict || r.Alarms[0].Seq != 2 {
		t.Fatalf("conflict (the device must keep its seq 2): %+v, %v", r, err)
	}
	// Seq 3 that does not follow the stored seq 2.
	other.sale("bob@x", "ev", 1, 100)
	r, err = l.IngestBatch("d1", other.slice(3, 3))
	if err != nil || r.Upto != 2 || r.Stored != 0 || len(r.Alarms) != 1 || r.Alarms[0].Kind != AlarmChain {
		t.Fatalf("broken chain: %+v, %v", r, err)
	}
	// The same broken entry again counts up the same alarm.
	if _, err := l.IngestBatch("d1", other.slice(3, 3)); err != nil {
		t.Fatal(err)
	}
	// An entry of d2 published in d1's journal.
	d2 := newChain("d2", "o1")
	d2.sale("x@x", "ev", 1, 100)
	r, err = l.IngestBatch("d1", d2.slice(1, 1))
	if err != nil || r.Stored != 0 || len(r.Alarms) != 1 || r.Alarms[0].Kind != AlarmForeign {
		t.Fatalf("foreign: %+v, %v", r, err)
	}
	alarms, err := l.Alarms()
	if err != nil || len(alarms) != 3 {
		t.Fatalf("alarms %v, %v", alarms, err)
	}
	kinds := map[AlarmKind]Alarm{}
	for _, a := range alarms {
		kinds[a.Kind] = a
	}
	if kinds[AlarmChain].Count != 2 || kinds[AlarmConflict].Count != 1 || kinds[AlarmForeign].Count != 1 {
		t.Fatalf("alarm counts %v", alarms)
	}
	devs, _ := l.Devices()
	if len(devs) != 1 || devs[0].Alarms != 3 || devs[0].LastSeq != 2 || devs[0].Entries != 2 {
		t.Fatalf("devices %+v", devs)
	}
	if got := counters(t, l)["o1|2026-03-01|ann@x|ev|std"]; got.Tickets != 2 {
		t.Fatalf("counter %+v", got)
	}
	if _, err := l.Entry("d2", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("foreign entry stored: %v", err)
	}
}

// TestGapThatPersistsIsAnAlarm runs in a synctest bubble: the ledger's real clock is the
// bubble's, and the minute the gap must last passes in a sleep.
func TestGapThatPersistsIsAnAlarm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := open(t, filepath.Join(t.TempDir(), "ledger.db"), Options{GapTimeout: time.Minute})
		c := newChain("d1", "o1")
		for range 6 {
			c.sale("ann@x", "ev", 1, 100)
		}
		if upto, _ := l.Ingest("d1", c.slice(1, 2)); upto != 2 {
			t.Fatalf("upto %d", upto)
		}
		opened := time.Now()
		r, err := l.IngestBatch("d1", c.slice(4, 6))
		if err != nil || r.Upto != 2 || r.Held != 3 || len(r.Alarms) != 0 {
			t.Fatalf("fresh gap: %+v, %v", r, err)
		}
		devs, _ := l.Devices()
		if !devs[0].GapSince.Equal(opened) || devs[0].Held != 6 {
			t.Fatalf("gap status %+v", devs[0])
		}
		time.Sleep(time.Minute - time.Second) // not yet as old as GapTimeout
		r, err = l.IngestBatch("d1", c.slice(4, 6))
		if err != nil || len(r.Alarms) != 0 {
			t.Fatalf("a gap younger than GapTimeout: %+v, %v", r, err)
		}
		time.Sleep(time.Second)
		r, err = l.IngestBatch("d1", c.slice(4, 6))
		if err != nil || len(r.Alarms) != 1 || r.Alarms[0].Kind != AlarmGap || r.Alarms[0].Seq != 3 {
			t.Fatalf("old gap: %+v, %v", r, err)
		}
		// The missing entry arrives: the gap closes.
		if upto, err := l.Ingest("d1", c.slice(3, 6)); err != nil || upto != 6 {
			t.Fatalf("upto %d, %v", upto, err)
		}
		devs, _ = l.Devices()
		if !devs[0].GapSince.IsZero() || devs[0].Held != 0 || devs[0].Alarms != 1 {
			t.Fatalf("closed gap status %+v", devs[0])
		}
	})
}

func TestCountersByOutletInItsTimeZone(t *testing.T) {
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	l := open(t, filepath.Join(t.TempDir(), "ledger.db"), Options{Location: func(outlet string) *time.Location {
		if outlet == "sofia" {
			return sofia
		}
		return nil
	}})
	late := time.Date(2026, 3, 1, 22, 30, 0, 0, time.UTC) // 00:30 on 2 March in Sofia
	a := newChain("d1", "sofia")
	a.t = late
	a.sale("ann@x", "ev", 1, 100)
	b := newChain("d2", "london")
	b.t = late
	b.sale("ann@x", "ev", 1, 100)
	b.void(1)
	for _, c := range []*chain{a, b} {
		if upto, err := l.Ingest(c.device, c.entries); err != nil || upto != uint64(len(c.entries)) {
			t.Fatalf("%s: upto %d, %v", c.device, upto, err)
		}
	}
	got := counters(t, l)
	if got["sofia|2026-03-02|ann@x|ev|std"] != (journal.Tally{Tickets: 1, Amount: 100}) {
		t.Errorf("sofia counters %v", got)
	}
	if got["london|2026-03-01|ann@x|ev|std"] != (journal.Tally{Voided: 1}) {
		t.Errorf("london counters %v", got)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := newChain("d1", "o1")
	for range 3 {
		c.sale("ann@x", "ev", 1, 100)
	}
	if _, err := l.Ingest("d1", c.slice(1, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	l.Close()
	if _, err := l.Ingest("d1", c.slice(3, 3)); !errors.Is(err, ErrClosed) {
		t.Fatalf("ingest after close: %v", err)
	}
	l = open(t, path, Options{})
	if upto, err := l.Ingest("d1", c.slice(2, 3)); err != nil || upto != 3 {
		t.Fatalf("after reopen: upto %d, %v", upto, err)
	}
	if got := counters(t, l)["o1|2026-03-01|ann@x|ev|std"]; got.Tickets != 3 {
		t.Fatalf("counter %+v", got)
	}
}

func TestCounterKeyRoundTrip(t *testing.T) {
	for _, k := range []journal.Key{
		{Day: 0, User: "a@x", Event: "e", Type: "t"},
		{Day: journal.MinDay, User: "", Event: "", Type: ""},
		{Day: -5, User: "ann@x", Event: "ev", Type: "std"},
	} {
		outlet, got, ok := parseCounterKey(counterKey("o1", k))
		if !ok || outlet != "o1" || got != k {
			t.Errorf("%+v: %q %+v %v", k, outlet, got, ok)
		}
	}
}

func TestIngestAllDevicesInOneCommit(t *testing.T) {
	var notified []string
	l := open(t, filepath.Join(t.TempDir(), "ledger.db"), Options{OnStored: func(device string, stored []*journal.Entry) {
		notified = append(notified, device)
	}})
	a, b := newChain("a", "o1"), newChain("b", "o2")
	for range 3 {
		a.sale("ann@x", "ev", 1, 100)
		b.sale("bob@x", "ev", 2, 100)
	}
	got, err := l.IngestAll(map[string][]*journal.Entry{
		"a": a.slice(1, 3),
		"b": {b.entries[2], b.entries[0]}, // seq 2 missing: only 1 is stored
	})
	if err != nil || got["a"] != 3 || got["b"] != 1 || len(got) != 2 {
		t.Fatalf("IngestAll: %v, %v", got, err)
	}
	if len(notified) != 2 || notified[0] != "a" || notified[1] != "b" {
		t.Fatalf("OnStored for %v", notified)
	}
	c := counters(t, l)
	if c["o1|2026-03-01|ann@x|ev|std"].Tickets != 3 || c["o2|2026-03-01|bob@x|ev|std"].Tickets != 2 {
		t.Fatalf("counters %v", c)
	}
	if _, err := l.IngestAll(map[string][]*journal.Entry{"": nil}); err == nil {
		t.Fatal("empty device id accepted")
	}
}
