package kiosk

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
	"ticketkiosk/store"
)

func TestLogin(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	cases := []struct {
		name, id, pw string
		want         error
	}{
		{"by email", "ann@example.org", "ann-pass", nil},
		{"by email, other case", "ANN@example.org", "ann-pass", nil},
		{"by code", "3000", "ann-pass", nil},
		{"wrong password", "3000", "nope", ErrBadCredentials},
		{"unknown code", "9999", "ann-pass", ErrBadCredentials},
		{"unknown email", "zed@example.org", "ann-pass", ErrBadCredentials},
		{"disabled", "gone@example.org", "gone-pass", ErrDisabled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := r.k.Login(c.id, c.pw)
			if !errors.Is(err, c.want) {
				t.Fatalf("Login = %v, want %v", err, c.want)
			}
			if c.want == nil && s.User.Email != "ann@example.org" {
				t.Fatalf("logged in as %s", s.User.Email)
			}
		})
	}
}

func TestLockoutGrowsAndSurvivesRestart(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	for i := 0; i < 4; i++ {
		if _, err := r.k.Login("3000", "bad"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	_, err := r.k.Login("3000", "bad")
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("5th failure: %v, want locked", err)
	}
	if got := le.Until.Sub(r.clock.Now()); got != time.Minute {
		t.Fatalf("first lock %v, want 1m", got)
	}
	// The right password does not help while locked.
	if _, err := r.k.Login("3000", "ann-pass"); !errors.Is(err, ErrLocked) {
		t.Fatalf("right password while locked: %v", err)
	}
	// The lock survives a restart of the store.
	r.st.Close()
	st, err := store.Open(r.path, store.Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, _ := New(Options{Store: st, Key: deviceKey, Clock: r.clock, Printer: r.printer, Layout: textLayout{}, Logger: quiet})
	if _, err := k.Login("3000", "ann-pass"); !errors.Is(err, ErrLocked) {
		t.Fatalf("after restart: %v, want still locked", err)
	}
	// After the lock, five more failures lock for twice as long.
	r.clock.Add(61 * time.Second)
	for i := 0; i < 4; i++ {
		k.Login("3000", "bad")
	}
	_, err = k.Login("3000", "bad")
	if !errors.As(err, &le) || le.Until.Sub(r.clock.Now()) != 2*time.Minute {
		t.Fatalf("second lock: %v", err)
	}
	r.clock.Add(121 * time.Second)
	if _, err := k.Login("3000", "ann-pass"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	// Every lock is journaled.
	locks := 0
	st.Each(1, func(e *journal.Entry) bool {
		if e.Kind == journal.KindLoginLocked && e.Lock.User == "ann@example.org" {
			locks++
		}
		return true
	})
	if locks != 2 {
		t.Fatalf("%d login_locked entries, want 2", locks)
	}
}

func TestSellRefusals(t *testing.T) {
	pr := newRig(t, catalog.DeliveryPrint)
	em := newRig(t, catalog.DeliveryEmail)
	ps := pr.login(t, "3000", "ann-pass")
	es := em.login(t, "3000", "ann-pass")
	one := []OrderLine{{Type: "std", Qty: 1}}
	cases := []struct {
		name string
		r    *rig
		s    *Session
		o    Order
		want error
	}{
		{"unknown event", pr, ps, Order{Event: "nope", Lines: one}, ErrUnknownEvent},
		{"past event", pr, ps, Order{Event: "past", Lines: one}, ErrNotOnSale},
		{"unknown type", pr, ps, Order{Event: "e1", Lines: []OrderLine{{Type: "vip", Qty: 1}}}, ErrUnknownType},
		{"zero quantity", pr, ps, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 0}}}, ErrBadQuantity},
		{"no lines", pr, ps, Order{Event: "e1"}, ErrBadQuantity},
		{"too many", pr, ps, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: MaxOrderTickets + 1}}}, ErrBadQuantity},
		{"over allotment", pr, ps, Order{Event: "e1", Lines: []OrderLine{{Type: "kid", Qty: 6}}}, ErrSoldOut},
		{"email on print outlet", pr, ps, Order{Event: "e1", Lines: one, Buyer: "b@example.org"}, ErrEmailNotAllowed},
		{"no email on email outlet", em, es, Order{Event: "e1", Lines: one}, ErrEmailRequired},
		{"bad email", em, es, Order{Event: "e1", Lines: one, Buyer: "b@"}, ErrBadEmail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := c.r.st.LastSeq()
			_, err := c.r.k.Sell(context.Background(), c.s, c.o)
			if !errors.Is(err, c.want) {
				t.Fatalf("Sell = %v, want %v", err, c.want)
			}
			if c.r.st.LastSeq() != before {
				t.Fatal("a refused sale wrote to the journal")
			}
		})
	}
}

func TestSellPrintsAndCounts(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	s := r.login(t, "ann@example.org", "ann-pass")
	sale := r.sell(t, s, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 2}, {Type: "kid", Qty: 1}, {Type: "std", Qty: 1}}})
	e := sale.Entry
	if sale.PrintErr != nil {
		t.Fatal(sale.PrintErr)
	}
	if len(e.Sale.Tickets) != 4 || e.Sale.Total != 3*1250+600 || len(e.Sale.Lines) != 2 {
		t.Fatalf("sale %+v", e.Sale)
	}
	for _, tk := range e.Sale.Tickets {
		f, err := journal.VerifyCode(tk.Code, deviceKeys)
		if err != nil || f.Sale != e.Seq || f.Of != 4 {
			t.Fatalf("ticket %d: %+v %v", tk.N, f, err)
		}
	}
	if len(r.printer.jobs) != 1 || strings.Count(string(r.printer.jobs[0]), "\n") != 4 {
		t.Fatalf("printed %q", r.printer.jobs)
	}
	rep, err := r.k.Report(s, Scope{Kind: ScopeMe}, "", journal.Whole())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Tickets != 4 || rep.Total.Amount != 4350 {
		t.Fatalf("report %+v", rep.Total)
	}
	ev, _ := r.k.Events()
	if ev[0].Types[1].Left != 4 || !ev[0].OnSale || ev[1].OnSale {
		t.Fatalf("events %+v", ev)
	}
}
