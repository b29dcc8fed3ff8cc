package ledger

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestCheckIn: a ticket is used once; the second check-in says when and where the first
// was, also after the ledger is reopened; void, unknown and foreign tickets are refused and
// leave nothing behind.
func TestCheckIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := open(t, path, Options{})
	c := newChain("k1", "books")
	c.sale("ana@x", "e1", 2, 1000)
	c.sale("ana@x", "e1", 1, 1000)
	c.void(2)
	c.user("bob@x")
	if _, err := l.Ingest("k1", c.entries); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 19, 30, 0, 0, time.UTC)
	first, err := l.CheckIn(Ticket{"k1", 1, 2}, "north", at)
	if err != nil || !first.Time.Equal(at) || first.Gate != "north" {
		t.Fatalf("first check-in %+v, %v", first, err)
	}
	again, err := l.CheckIn(Ticket{"k1", 1, 2}, "south", at.Add(time.Hour))
	if !errors.Is(err, ErrUsed) || again != first {
		t.Fatalf("second check-in %+v, %v; want ErrUsed with %+v", again, err, first)
	}
	// The other ticket of the sale is its own.
	if _, err := l.CheckIn(Ticket{"k1", 1, 1}, "south", at); err != nil {
		t.Fatalf("ticket 1 of the same sale: %v", err)
	}
	refused := []struct {
		name string
		t    Ticket
		want error
	}{
		{"voided", Ticket{"k1", 2, 1}, ErrVoided},
		{"not a sale", Ticket{"k1", 3, 1}, ErrNotASale},
		{"no such entry", Ticket{"k1", 9, 1}, ErrNotFound},
		{"no such ticket", Ticket{"k1", 1, 3}, ErrNotFound},
		{"ticket 0", Ticket{"k1", 1, 0}, ErrNotFound},
		{"unknown device", Ticket{"k9", 1, 1}, ErrNotFound},
	}
	for _, r := range refused {
		if _, err := l.CheckIn(r.t, "north", at); !errors.Is(err, r.want) {
			t.Errorf("%s: %v, want %v", r.name, err, r.want)
		}
		if _, ok, err := l.CheckedIn(r.t); ok || err != nil {
			t.Errorf("%s: a refused check-in was recorded (%v)", r.name, err)
		}
	}
	l.Close()
	l = open(t, path, Options{})
	got, ok, err := l.CheckedIn(Ticket{"k1", 1, 2})
	if err != nil || !ok || got != first {
		t.Fatalf("after reopening: %+v %v %v, want %+v", got, ok, err, first)
	}
}

// TestCheckInOnceUnderRace: gates checking the same ticket at once admit it once.
func TestCheckInOnceUnderRace(t *testing.T) {
	l := open(t, filepath.Join(t.TempDir(), "ledger.db"), Options{NoSync: true})
	c := newChain("k1", "books")
	c.sale("ana@x", "e1", 1, 1000)
	if _, err := l.Ingest("k1", c.entries); err != nil {
		t.Fatal(err)
	}
	const gates = 8
	var wg sync.WaitGroup
	errs := make([]error, gates)
	for i := range gates {
		wg.Go(func() {
			_, errs[i] = l.CheckIn(Ticket{"k1", 1, 1}, "g", time.Now())
		})
	}
	wg.Wait()
	admitted := 0
	for _, err := range errs {
		switch {
		case err == nil:
			admitted++
		case !errors.Is(err, ErrUsed):
			t.Fatal(err)
		}
	}
	if admitted != 1 {
		t.Fatalf("%d gates admitted the ticket, want 1", admitted)
	}
}
