package kiosk

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/journal"
	"ticketkiosk/store"
)

// testClock is a settable clock.
type testClock struct {
	mu     sync.Mutex
	t      time.Time
	synced bool
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *testClock) Synced() bool { return c.synced }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// scriptPrinter is a printer double for the core's unit tests: a settable status and an
// optional failure of the next job. The drivers' own tests use real connections.
type scriptPrinter struct {
	mu      sync.Mutex
	status  escpos.Status
	offline bool
	failJob error
	jobs    [][]byte
	names   []string // device.JobName of each job printed
}

func (p *scriptPrinter) Status(ctx context.Context) (escpos.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return escpos.Status{}, errors.New("printer offline")
	}
	return p.status, nil
}

func (p *scriptPrinter) Print(ctx context.Context, job []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failJob != nil {
		err := p.failJob
		p.failJob = nil
		return err
	}
	p.jobs = append(p.jobs, job)
	p.names = append(p.names, device.JobName(ctx))
	return nil
}
func (p *scriptPrinter) Halt() error    { return nil }
func (p *scriptPrinter) String() string { return "script" }

// textLayout renders tickets as plain lines, so tests can see what would print.
type textLayout struct{}

func (textLayout) Tickets(cfg *catalog.DeviceConfig, sale *journal.Entry, copy int) ([]byte, error) {
	var out []byte
	for _, t := range sale.Sale.Tickets {
		line := fmt.Sprintf("%s %s %d/%d %s", cfg.Outlet.Name, sale.Sale.Event, t.N, len(sale.Sale.Tickets), t.Code)
		if copy > 0 {
			line += fmt.Sprintf(" COPY %d", copy)
		}
		out = append(out, line+"\n"...)
	}
	return out, nil
}

func (textLayout) Report(cfg *catalog.DeviceConfig, title string, r *journal.Report, at time.Time) ([]byte, error) {
	return []byte(fmt.Sprintf("%s %d %d\n", title, r.Total.Tickets, r.Total.Amount)), nil
}

var deviceKey = ed25519.NewKeyFromSeed([]byte("kiosk test device key seed......"))

func deviceKeys(dev string) (ed25519.PublicKey, bool) {
	return deviceKey.Public().(ed25519.PublicKey), dev == "k1"
}

var hashes = map[string]string{}
var hashMu sync.Mutex

// hash returns a bcrypt hash of pw, cached across tests (bcrypt is slow on purpose).
func hash(t testing.TB, pw string) string {
	hashMu.Lock()
	defer hashMu.Unlock()
	if h, ok := hashes[pw]; ok {
		return h
	}
	h, err := catalog.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	hashes[pw] = h
	return h
}

var eventStart = time.Date(2027, 3, 14, 19, 0, 0, 0, time.UTC)

func testConfig(t testing.TB, delivery catalog.Delivery) *catalog.DeviceConfig {
	return &catalog.DeviceConfig{
		Version:  1,
		DeviceID: "k1",
		IssuedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Outlet:   catalog.Outlet{ID: "sofia", Name: "Книжарница", Delivery: delivery, Locale: catalog.LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"},
		Events: []catalog.Event{
			{ID: "e1", Title: "Концерт", Venue: "НДК", Start: eventStart,
				Types: []catalog.TicketType{{ID: "std", Name: "Стандартен", Price: 1250}, {ID: "kid", Name: "Детски", Price: 600}}},
			{ID: "past", Title: "Минало", Venue: "Зала", Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				Types: []catalog.TicketType{{ID: "std", Name: "Стандартен", Price: 1000}}},
		},
		Allot: map[string]map[string]int64{"e1": {"kid": 5}},
		Users: []catalog.User{
			{Email: "boss@example.org", Code: "1000", Role: catalog.RoleSupervisor, Outlet: "sofia", PasswordHash: hash(t, "boss-pass")},
			{Email: "sup@example.org", Code: "2000", Role: catalog.RoleSupervisor, Outlet: "sofia", PasswordHash: hash(t, "sup-pass"), CreatedBy: "boss@example.org"},
			{Email: "ann@example.org", Code: "3000", Role: catalog.RoleCashier, Outlet: "sofia", PasswordHash: hash(t, "ann-pass"), CreatedBy: "sup@example.org"},
			{Email: "other@example.org", Code: "4000", Role: catalog.RoleSupervisor, Outlet: "sofia", PasswordHash: hash(t, "other-pass")},
			{Email: "carl@example.org", Code: "5000", Role: catalog.RoleCashier, Outlet: "sofia", PasswordHash: hash(t, "carl-pass"), CreatedBy: "other@example.org"},
			{Email: "gone@example.org", Code: "6000", Role: catalog.RoleCashier, Outlet: "sofia", PasswordHash: hash(t, "gone-pass"), Disabled: true},
		},
	}
}

type rig struct {
	k       *Kiosk
	st      *store.Store
	clock   *testClock
	printer *scriptPrinter
	path    string
}

func newRig(t testing.TB, delivery catalog.Delivery) *rig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	st, err := store.Open(path, store.Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &testClock{t: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), synced: true}
	if _, err := st.ApplyConfig(testConfig(t, delivery), []byte("{}"), clock); err != nil {
		t.Fatal(err)
	}
	p := &scriptPrinter{status: okStatus}
	k, err := New(Options{Store: st, Key: deviceKey, Clock: clock, Printer: p, Layout: textLayout{}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{k: k, st: st, clock: clock, printer: p, path: path}
}

func (r *rig) login(t testing.TB, id, pw string) *Session {
	t.Helper()
	s, err := r.k.Login(id, pw)
	if err != nil {
		t.Fatalf("login %s: %v", id, err)
	}
	return s
}

func (r *rig) sell(t testing.TB, s *Session, o Order) *Sale {
	t.Helper()
	sale, err := r.k.Sell(context.Background(), s, o)
	if err != nil {
		t.Fatalf("sell %+v: %v", o, err)
	}
	return sale
}

var okStatus = escpos.Status{Online: true}

var quiet = slog.New(slog.DiscardHandler)
