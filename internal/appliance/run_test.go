package appliance

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/journal"
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

// TestStopFinishesTheSaleInProgress stops the kiosk (as SIGTERM does) while a sale is
// printing: the sale is committed, its tickets print to the end, and Run returns after.
func TestStopFinishesTheSaleInProgress(t *testing.T) {
	c := testState(t)
	printer := &testPrinter{printTime: 500 * time.Millisecond, started: make(chan struct{})}
	a, err := Open(&c, Parts{Keypad: &scriptKeys{keys: typed(saleKeys)}, Printer: printer}, Options{StatusEvery: time.Hour, Logger: slog.New(slog.DiscardHandler)})
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
