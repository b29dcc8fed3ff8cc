package kiosk

import (
	"errors"
	"testing"

	"ticketkiosk/catalog"
)

// TestSaleSummaryRoles: a supervisor sees any sale, a cashier only its own, and nobody
// sees an entry that is not a sale or a sale after the session ended.
func TestSaleSummaryRoles(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	carl := r.login(t, "5000", "carl-pass")
	boss := r.login(t, "1000", "boss-pass")
	two := Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 2}}}
	annSale := r.sell(t, ann, two).Entry.Sale.No
	carlSale := r.sell(t, carl, two).Entry.Sale.No
	if annSale != 1 || carlSale != 2 {
		t.Fatalf("sale numbers %d and %d, want 1 and 2", annSale, carlSale)
	}

	want := SaleSummary{No: annSale, Seq: 2, Event: "e1", Tickets: 2, Total: 2500, Currency: "EUR"}
	for _, s := range []*Session{ann, boss} {
		got, err := r.k.SaleSummary(s, annSale)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", s.User.Email, got, err, want)
		}
	}
	if _, err := r.k.SaleSummary(boss, carlSale); err != nil {
		t.Errorf("supervisor, another's sale: %v", err)
	}
	if _, err := r.k.SaleSummary(ann, carlSale); !errors.Is(err, ErrNoSuchSale) {
		t.Errorf("cashier, another's sale: %v, want ErrNoSuchSale", err)
	}
	if _, err := r.k.SaleSummary(boss, carlSale+1); !errors.Is(err, ErrNoSuchSale) {
		t.Errorf("no such sale number: %v, want ErrNoSuchSale", err)
	}
	// No sale has number 0.
	if _, err := r.k.SaleSummary(boss, 0); !errors.Is(err, ErrNoSuchSale) {
		t.Errorf("sale number 0: %v, want ErrNoSuchSale", err)
	}
	if _, err := r.k.SaleSummary(nil, annSale); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("no session: %v, want ErrSessionEnded", err)
	}
	gone := &Session{User: catalog.User{Email: "gone@example.org", Role: catalog.RoleSupervisor}}
	if _, err := r.k.SaleSummary(gone, annSale); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("disabled user: %v, want ErrSessionEnded", err)
	}
}
