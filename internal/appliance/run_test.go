package appliance

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/journal"
	"ticketkiosk/kiosk"
	"ticketkiosk/store"
)

// scriptKeys is a keypad that types a script, then waits (a kiosk's keypad does not end).
type scriptKeys struct{ keys []device.Key }

func (s *scriptKeys) ReadKey(ctx context.Context) (device.Key, error) {
	if len(s.keys) == 0 {
		<-ctx.Done()
		return device.Key{}, ctx.Err()
	}
	k := s.keys[0]
	s.keys = s.keys[1:]
	return k, nil
}
func (s *scriptKeys) Halt() error    { return nil }
func (s *scriptKeys) String() string { return "script" }

// slowPrinter takes a while to print and says when a job starts.
type slowPrinter struct {
	started chan struct{}
	once    sync.Once
	mu      sync.Mutex
	jobs    int
}

func (p *slowPrinter) Status(context.Context) (escpos.Status, error) {
	return escpos.Status{Online: true}, nil
}

func (p *slowPrinter) Print(ctx context.Context, job []byte) error {
	p.once.Do(func() { close(p.started) })
	select {
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	p.mu.Lock()
	p.jobs++
	p.mu.Unlock()
	return nil
}
func (p *slowPrinter) Halt() error    { return nil }
func (p *slowPrinter) String() string { return "slow" }

// TestStopFinishesTheSaleInProgress stops the kiosk (as SIGTERM does) while a sale is
// printing: the sale is committed, its tickets print to the end, and Run returns after.
func TestStopFinishesTheSaleInProgress(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	if _, _, err := InitKey(state); err != nil {
		t.Fatal(err)
	}
	hash, _ := catalog.HashPassword("222222")
	st, err := store.Open(filepath.Join(state, StoreFile), store.Options{Device: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &catalog.DeviceConfig{Version: 1, DeviceID: "k1", IssuedAt: time.Now().UTC().Truncate(time.Second),
		Outlet: catalog.Outlet{ID: "o1", Name: "Outlet", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"},
		Events: []catalog.Event{{ID: "e1", Title: "Show", Venue: "Hall", Start: time.Now().AddDate(0, 1, 0),
			Types: []catalog.TicketType{{ID: "std", Name: "Standard", Price: 1000}}}},
		Users: []catalog.User{{Email: "c@example.org", Code: "2002", Role: catalog.RoleCashier, Outlet: "o1", PasswordHash: hash}},
	}
	if _, err := st.ApplyConfig(cfg, nil, kiosk.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	c := Defaults()
	c.DeviceID, c.StateDir = "k1", state
	c.Printer.Kind = "none"
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	var keys []device.Key
	for _, r := range "2002\n222222\n1\n1\n1\n\n\n" {
		if r == '\n' {
			keys = append(keys, device.Key{Kind: device.KeyOK})
		} else {
			keys = append(keys, device.Char(r))
		}
	}
	printer := &slowPrinter{started: make(chan struct{})}
	a, err := Open(&c, Parts{Keypad: &scriptKeys{keys: keys}, Printer: printer}, Options{StatusEvery: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-printer.started:
	case <-time.After(20 * time.Second):
		t.Fatal("the sale never reached the printer")
	}
	stop() // SIGTERM while the tickets print
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the stop")
	}
	printer.mu.Lock()
	jobs := printer.jobs
	printer.mu.Unlock()
	if jobs != 1 {
		t.Fatalf("%d jobs printed to the end, want 1", jobs)
	}
	var kinds []journal.Kind
	a.Store().Each(1, func(e *journal.Entry) bool { kinds = append(kinds, e.Kind); return true })
	a.Close()
	if len(kinds) != 2 || kinds[1] != journal.KindSale {
		t.Fatalf("journal %v, want config_applied then one sale and no print failure", kinds)
	}
}
