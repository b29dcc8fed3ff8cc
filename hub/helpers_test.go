package hub

import (
	"crypto/ed25519"
	"crypto/sha256"
	"log/slog"
	"sync"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// fakeClock is a settable calendar: Now and Since follow the time the test sets (sale
// dates, outbox retry times in 2026, which a synctest bubble, starting in 2000, cannot
// give); timers and tickers are the real ones.
type fakeClock struct {
	clock.Real
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var quiet = slog.New(slog.DiscardHandler)

func newHub(t testing.TB) (*Hub, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	opt := Options{Clock: clk, Logger: quiet, NoSync: true}
	if _, err := Init(dir, opt); err != nil {
		t.Fatal(err)
	}
	h, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return h, clk
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func bcryptHash(t testing.TB) string {
	t.Helper()
	h, err := catalog.HashPassword("s3cret-pass")
	must(t, err)
	return h
}

var concert = catalog.Event{
	ID: "concert", Title: "Концерт", Venue: "НДК, зала 1",
	Start: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC),
	Types: []catalog.TicketType{{ID: "std", Name: "Стандартен", Price: 1250}, {ID: "vip", Name: "VIP", Price: 4000}},
}

// device is a simulated kiosk: its key and its journal chain.
type device struct {
	id   string
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	seq  uint64
	nos  uint64 // sale numbers given
	prev journal.Hash
}

// newDevice makes a device whose key follows from its id, so that its ticket codes, and the
// QR images the tests decode, are the same every run (gozxing's detector misreads about 1
// in 100 clean images: a random key made that a flaky test).
func newDevice(t testing.TB, id string) *device {
	seed := sha256.Sum256([]byte("test device " + id))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return &device{id: id, pub: priv.Public().(ed25519.PublicKey), priv: priv}
}

// next fills the chain fields of e, and a sale's number, and returns it.
func (d *device) next(e *journal.Entry, at time.Time, actor string) *journal.Entry {
	if e.Sale != nil && e.Sale.No == 0 {
		d.nos++
		e.Sale.No = d.nos
	}
	d.seq++
	e.V, e.Device, e.Seq, e.Time, e.ClockSynced, e.Actor, e.Prev = journal.Version, d.id, d.seq, at.UnixMilli(), true, actor, d.prev
	d.prev = e.Hash()
	return e
}

// sale makes a sale entry with signed ticket codes: qty tickets of each type.
func (d *device) sale(t testing.TB, outlet, delivery, buyer string, at time.Time, actor string, ev catalog.Event, qty map[string]int) *journal.Entry {
	t.Helper()
	s := &journal.Sale{Outlet: outlet, Event: ev.ID, Currency: "EUR", Delivery: delivery, Buyer: buyer}
	n := 0
	for _, tt := range ev.Types {
		if q := qty[tt.ID]; q > 0 {
			s.Lines = append(s.Lines, journal.Line{Type: tt.ID, Qty: q, Price: tt.Price})
			s.Total += int64(q) * tt.Price
			n += q
		}
	}
	seq := d.seq + 1
	i := 0
	for _, l := range s.Lines {
		for range l.Qty {
			i++
			code, err := journal.NewCode(journal.TicketFacts{Device: d.id, Sale: seq, N: i, Of: n, Event: ev.ID, Type: l.Type}, d.priv)
			must(t, err)
			s.Tickets = append(s.Tickets, journal.Ticket{N: i, Type: l.Type, Code: code})
		}
	}
	return d.next(&journal.Entry{Kind: journal.KindSale, Sale: s}, at, actor)
}

func (d *device) void(sale uint64, at time.Time, actor string) *journal.Entry {
	return d.next(&journal.Entry{Kind: journal.KindVoid, Void: &journal.Void{Sale: sale, Approver: actor}}, at, actor)
}

func openLedger(t testing.TB, h *Hub) *ledger.Ledger {
	t.Helper()
	l, err := h.OpenLedger(ledger.Options{NoSync: true})
	must(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

func ingest(t testing.TB, l *ledger.Ledger, d *device, es ...*journal.Entry) {
	t.Helper()
	r, err := l.IngestBatch(d.id, es)
	must(t, err)
	if r.Stored != len(es) || len(r.Alarms) > 0 {
		t.Fatalf("ingest: %+v", r)
	}
}
