package kiosk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/escpos"
	"ticketkiosk/journal"
)

func TestRoles(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")     // cashier created by sup
	sup := r.login(t, "2000", "sup-pass")     // supervisor created by boss
	boss := r.login(t, "1000", "boss-pass")   // supervisor created by the organiser
	other := r.login(t, "4000", "other-pass") // supervisor, not in boss's tree
	carl := r.login(t, "5000", "carl-pass")   // cashier created by other
	one := Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}}
	r.sell(t, ann, one)
	r.sell(t, carl, one)
	r.sell(t, carl, one)
	r.sell(t, sup, one) // supervisors may sell too

	newUser := NewUser{Email: "dan@example.org", Code: "7000", Role: catalog.RoleCashier, Password: "dan-pass"}
	cases := []struct {
		name string
		do   func() error
		want error
	}{
		{"cashier creates user", func() error { _, err := r.k.CreateUser(ann, newUser); return err }, ErrNotSupervisor},
		{"cashier disables user", func() error { return r.k.DisableUser(ann, "carl@example.org") }, ErrNotSupervisor},
		{"cashier outlet report", func() error { _, err := r.k.Report(ann, Scope{Kind: ScopeOutlet}, "", journal.Whole()); return err }, ErrScope},
		{"cashier user report", func() error {
			_, err := r.k.Report(ann, Scope{Kind: ScopeUser, User: "carl@example.org"}, "", journal.Whole())
			return err
		}, ErrScope},
		{"supervisor reports another's user", func() error {
			_, err := r.k.Report(sup, Scope{Kind: ScopeUser, User: "carl@example.org"}, "", journal.Whole())
			return err
		}, ErrNotYourUser},
		{"supervisor reports its creator", func() error {
			_, err := r.k.Report(sup, Scope{Kind: ScopeUser, User: "boss@example.org"}, "", journal.Whole())
			return err
		}, ErrNotYourUser},
		{"supervisor disables another's user", func() error { return r.k.DisableUser(boss, "carl@example.org") }, ErrNotYourUser},
		{"supervisor disables itself", func() error { return r.k.DisableUser(boss, "boss@example.org") }, ErrSelfDisable},
		{"duplicate email", func() error {
			_, err := r.k.CreateUser(sup, NewUser{Email: "ANN@example.org", Code: "7001", Role: catalog.RoleCashier, Password: "secret1"})
			return err
		}, ErrUserExists},
		{"duplicate code", func() error {
			_, err := r.k.CreateUser(sup, NewUser{Email: "x@example.org", Code: "3000", Role: catalog.RoleCashier, Password: "secret1"})
			return err
		}, ErrCodeExists},
		{"bad email", func() error {
			_, err := r.k.CreateUser(sup, NewUser{Email: "x@", Code: "7002", Role: catalog.RoleCashier, Password: "secret1"})
			return err
		}, ErrInvalidUser},
		{"short password", func() error {
			_, err := r.k.CreateUser(sup, NewUser{Email: "x@example.org", Code: "7003", Role: catalog.RoleCashier, Password: "123"})
			return err
		}, ErrInvalidUser},
		{"bad role", func() error {
			_, err := r.k.CreateUser(sup, NewUser{Email: "x@example.org", Code: "7004", Role: "admin", Password: "secret12"})
			return err
		}, ErrInvalidUser},
		{"cashier approves", func() error { _, err := r.k.Approve("3000", "ann-pass"); return err }, ErrNotSupervisor},
		{"void approved by a cashier", func() error { _, err := r.k.Void(ann, 1, ann.User, ""); return err }, ErrNotSupervisor},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.do(); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}

	// What each may see.
	total := func(s *Session, sc Scope) int64 {
		t.Helper()
		rep, err := r.k.Report(s, sc, "", journal.Whole())
		if err != nil {
			t.Fatalf("report %+v: %v", sc, err)
		}
		return rep.Total.Tickets
	}
	if got := total(ann, Scope{Kind: ScopeMe}); got != 1 {
		t.Errorf("ann sees %d of her own, want 1", got)
	}
	if got := total(other, Scope{Kind: ScopeOutlet}); got != 4 {
		t.Errorf("outlet total %d, want 4", got)
	}
	if got := total(other, Scope{Kind: ScopeUser, User: "carl@example.org"}); got != 2 {
		t.Errorf("other sees carl's %d, want 2", got)
	}
	// boss sees sup's report, which includes the subtree sup created (ann): transitively.
	if got := total(boss, Scope{Kind: ScopeUser, User: "sup@example.org"}); got != 2 {
		t.Errorf("boss sees sup's subtree %d, want 2", got)
	}
	if got := total(boss, Scope{Kind: ScopeUser, User: "ann@example.org"}); got != 1 {
		t.Errorf("boss sees ann's %d, want 1", got)
	}

	// A supervisor creates a user who can log in at once and is in its subtree.
	u, err := r.k.CreateUser(sup, newUser)
	if err != nil {
		t.Fatal(err)
	}
	if u.CreatedBy != "sup@example.org" || u.Outlet != "sofia" {
		t.Fatalf("created %+v", u)
	}
	dan := r.login(t, "7000", "dan-pass")
	r.sell(t, dan, one)
	if got := total(boss, Scope{Kind: ScopeUser, User: "dan@example.org"}); got != 1 {
		t.Errorf("boss sees dan's %d, want 1", got)
	}
	// Disabled, dan can no longer log in, and his open session ends.
	if err := r.k.DisableUser(sup, "dan@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.k.Login("7000", "dan-pass"); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled login: %v", err)
	}
	if _, err := r.k.Sell(context.Background(), dan, one); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("disabled user's session sells: %v", err)
	}
}

func TestVoidAndReprint(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	sup, err := r.k.Approve("2000", "sup-pass")
	if err != nil {
		t.Fatal(err)
	}
	sale := r.sell(t, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "kid", Qty: 5}}})
	if _, err := r.k.Sell(context.Background(), ann, Order{Event: "e1", Lines: []OrderLine{{Type: "kid", Qty: 1}}}); !errors.Is(err, ErrSoldOut) {
		t.Fatalf("sixth kid ticket: %v", err)
	}
	rp, err := r.k.Reprint(context.Background(), ann, sale.Entry.Sale.No, sup)
	if err != nil {
		t.Fatal(err)
	}
	if rp.Reprint.Copy != 1 || rp.Reprint.Approver != "sup@example.org" {
		t.Fatalf("reprint %+v", rp.Reprint)
	}
	rp2, _ := r.k.Reprint(context.Background(), ann, sale.Entry.Sale.No, sup)
	if rp2.Reprint.Copy != 2 {
		t.Fatalf("second copy is %d", rp2.Reprint.Copy)
	}
	if n := len(r.printer.jobs); n != 3 || !contains(r.printer.jobs[1], "COPY 1") || !contains(r.printer.jobs[2], "COPY 2") || contains(r.printer.jobs[0], "COPY") {
		t.Fatalf("jobs %q", r.printer.jobs)
	}
	// The jobs are named after the sale number (1: the first sale; its entry is seq 2).
	if got := strings.Join(r.printer.names, " "); sale.Entry.Sale.No != 1 || got != "sale-0001 sale-0001-copy1 sale-0001-copy2" {
		t.Fatalf("sale number %d, job names %q", sale.Entry.Sale.No, got)
	}
	if _, err := r.k.Void(ann, sale.Entry.Sale.No, sup, "wrong date"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.k.Void(ann, sale.Entry.Sale.No, sup, ""); !errors.Is(err, ErrAlreadyVoided) {
		t.Fatalf("second void: %v", err)
	}
	if _, err := r.k.Reprint(context.Background(), ann, sale.Entry.Sale.No, sup); !errors.Is(err, ErrAlreadyVoided) {
		t.Fatalf("reprint of a void sale: %v", err)
	}
	if _, err := r.k.Void(ann, 999, sup, ""); !errors.Is(err, ErrNoSuchSale) {
		t.Fatalf("void of no sale: %v", err)
	}
	if _, err := r.k.Void(ann, 0, sup, ""); !errors.Is(err, ErrNoSuchSale) {
		t.Fatalf("void of sale number 0: %v", err)
	}
	rep, _ := r.k.Report(ann, Scope{Kind: ScopeMe}, "", journal.Whole())
	if rep.Total.Tickets != 0 || rep.Total.Amount != 0 || rep.Total.Voided != 5 {
		t.Fatalf("after void: %+v", rep.Total)
	}
	// The allotment is free again.
	r.sell(t, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "kid", Qty: 5}}})
}

func TestPrintThenConfirm(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	one := Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 2}}}
	for _, st := range []escpos.Status{
		{Online: true, PaperEnd: true},
		{Online: true, CoverOpen: true},
		{Online: false},
	} {
		r.printer.status = st
		before := r.st.LastSeq()
		_, err := r.k.Sell(context.Background(), ann, one)
		var pe *PrinterError
		if !errors.As(err, &pe) || !errors.Is(err, ErrPrinterNotReady) || pe.Status != st {
			t.Fatalf("status %+v: %v", st, err)
		}
		if r.st.LastSeq() != before {
			t.Fatal("a sale was committed while the printer was not ready")
		}
	}
	r.printer.offline = true
	if _, err := r.k.Sell(context.Background(), ann, one); !errors.Is(err, ErrPrinterNotReady) {
		t.Fatalf("offline printer: %v", err)
	}
	r.printer.offline = false
	// Paper near end still prints.
	r.printer.status = escpos.Status{Online: true, PaperNearEnd: true}
	r.sell(t, ann, one)
	// A failure after the commit keeps the sale, marks it unprinted and owes a reprint.
	r.printer.status = escpos.Status{Online: true}
	r.printer.failJob = errors.New("write: broken pipe")
	sale := r.sell(t, ann, one)
	if !errors.Is(sale.PrintErr, ErrPrintFailed) {
		t.Fatalf("PrintErr = %v", sale.PrintErr)
	}
	_, st, err := r.st.Sale(sale.Entry.Seq)
	if err != nil || !st.Unprinted {
		t.Fatalf("sale state %+v %v", st, err)
	}
	last, _ := r.st.Entry(r.st.LastSeq())
	if last.Kind != journal.KindPrintFailed || last.Print.Sale != sale.Entry.Seq {
		t.Fatalf("last entry %+v", last)
	}
	sup, _ := r.k.Approve("2000", "sup-pass")
	if _, err := r.k.Reprint(context.Background(), ann, sale.Entry.Sale.No, sup); err != nil {
		t.Fatal(err)
	}
	_, st, _ = r.st.Sale(sale.Entry.Seq)
	if st.Unprinted || st.Copies != 1 {
		t.Fatalf("after reprint %+v", st)
	}
	rep, _ := r.k.Report(ann, Scope{Kind: ScopeMe}, "", journal.Whole())
	if rep.Total.Tickets != 4 {
		t.Fatalf("tickets %d, want 4 (the unprinted sale counts)", rep.Total.Tickets)
	}
}

func TestEmailDelivery(t *testing.T) {
	r := newRig(t, catalog.DeliveryEmail)
	r.printer.offline = true // an email outlet does not need a printer
	ann := r.login(t, "3000", "ann-pass")
	sale := r.sell(t, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}, Buyer: " buyer@example.org "})
	if sale.Entry.Sale.Buyer != "buyer@example.org" || sale.Entry.Sale.Delivery != "email" || len(r.printer.jobs) != 0 {
		t.Fatalf("sale %+v, jobs %d", sale.Entry.Sale, len(r.printer.jobs))
	}
	sup, _ := r.k.Approve("2000", "sup-pass")
	if _, err := r.k.Reprint(context.Background(), ann, sale.Entry.Sale.No, sup); !errors.Is(err, ErrNotPrinted) {
		t.Fatalf("reprint at an email outlet: %v", err)
	}
}

func TestReportPeriods(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	one := Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}}
	// 2026-11-01 .. 2026-11-29, one ticket a day at 22:30 UTC (00:30 next day in Sofia).
	r.clock.t = time.Date(2026, 10, 31, 22, 30, 0, 0, time.UTC)
	for i := 0; i < 29; i++ {
		r.sell(t, ann, one)
		r.clock.Add(24 * time.Hour)
	}
	now := r.clock.Now() // 2026-11-29 22:30 UTC = the 30th in Sofia
	loc := time.FixedZone("EET", 2*3600)
	cases := []struct {
		name string
		p    journal.Period
		want int64
	}{
		{"whole", journal.Whole(), 29},
		{"today", journal.Today(now, loc), 0},
		{"yesterday", journal.Yesterday(now, loc), 1},
		{"7 days", journal.LastDays(now, loc, 7), 6},
		{"this month", journal.ThisMonth(now, loc), 29},
	}
	for _, c := range cases {
		rep, err := r.k.Report(ann, Scope{Kind: ScopeMe}, "", c.p)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.Tickets != c.want {
			t.Errorf("%s: %d tickets, want %d", c.name, rep.Total.Tickets, c.want)
		}
	}
	from, _ := journal.ParseDay("2026-11-10")
	to, _ := journal.ParseDay("2026-11-12")
	rep, _ := r.k.Report(ann, Scope{Kind: ScopeMe}, "e1", journal.Period{From: from, To: to})
	if rep.Total.Tickets != 3 || rep.Total.Amount != 3750 {
		t.Errorf("from-to: %+v", rep.Total)
	}
	rep, _ = r.k.Report(ann, Scope{Kind: ScopeMe}, "past", journal.Whole())
	if rep.Total.Tickets != 0 {
		t.Errorf("other event: %+v", rep.Total)
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// demote applies a config in which the user of code is a cashier.
func demote(t *testing.T, r *rig, code string) {
	t.Helper()
	reconfigure(t, r, func(c *catalog.DeviceConfig) {
		c.Users = append([]catalog.User(nil), c.Users...)
		for i := range c.Users {
			if c.Users[i].Code == code {
				c.Users[i].Role = catalog.RoleCashier
			}
		}
	})
}

// TestRolesDemotedMidSession: a supervisor made a cashier by a new config loses the
// supervisor's rights at once, in the core and on the screens, although its session and
// the approval it gave were made while it was one.
func TestRolesDemotedMidSession(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	seq := r.sell(t, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}}).Entry.Sale.No
	sup := r.login(t, "2000", "sup-pass")
	approval, err := r.k.Approve("2000", "sup-pass")
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20, Logger: quiet})
	d.run("2000⏎sup-pass⏎5⏎")
	d.shows("Анулиране")
	d.run(strconv.FormatUint(seq, 10) + "⏎")
	d.shows(fmt.Sprintf("Анулиране на %d?", seq))
	demote(t, r, "2000")

	if _, err := r.k.Void(sup, seq, sup.User, ""); !errors.Is(err, ErrNotSupervisor) {
		t.Fatalf("demoted supervisor voids with its session's copy: %v", err)
	}
	if _, err := r.k.Reprint(context.Background(), ann, seq, approval); !errors.Is(err, ErrNotSupervisor) {
		t.Fatalf("demoted supervisor's approval reprints: %v", err)
	}
	d.run("⏎")
	d.shows("Само за управител")
	if e := lastEntry(t, r); e.Kind == journal.KindVoid {
		t.Fatalf("the flow voided for a demoted supervisor: %+v", e)
	}
	d.run("⏎⎋")
	d.lacks("Анулиране")
	d.run("↓↓↓↓↓↓↓")
	d.lacks("Анулиране", "Нов потребител", "Печат за днес")
}

// TestRolesSubtreeAndUnprinted: the users a supervisor may act on and the sales owed a
// reprint are told only to a live session of the right role.
func TestRolesSubtreeAndUnprinted(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	carl := r.login(t, "5000", "carl-pass")
	sup := r.login(t, "2000", "sup-pass")
	if _, err := r.k.Subtree(ann); !errors.Is(err, ErrNotSupervisor) {
		t.Fatalf("a cashier lists users: %v", err)
	}
	if _, err := r.k.Subtree(nil); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("no session lists users: %v", err)
	}
	users, err := r.k.Subtree(sup)
	if err != nil || len(users) != 1 || users[0].Email != "ann@example.org" {
		t.Fatalf("sup's subtree %v, %v", users, err)
	}
	r.printer.failJob = errors.New("jam")
	sale, err := r.k.Sell(context.Background(), ann, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}})
	if err != nil || sale.PrintErr == nil {
		t.Fatalf("sale %v, %v", sale, err)
	}
	owed := func(s *Session) []uint64 {
		t.Helper()
		seqs, err := r.k.Unprinted(s)
		if err != nil {
			t.Fatal(err)
		}
		return seqs
	}
	if got := owed(ann); len(got) != 1 || got[0] != sale.Entry.Sale.No {
		t.Fatalf("ann is owed %v, want sale number [%d]", got, sale.Entry.Sale.No)
	}
	if got := owed(sup); len(got) != 1 {
		t.Fatalf("a supervisor sees %v owed", got)
	}
	if got := owed(carl); len(got) != 0 {
		t.Fatalf("another cashier sees ann's unprinted sale: %v", got)
	}
	if _, err := r.k.Unprinted(nil); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("no session: %v", err)
	}
}
