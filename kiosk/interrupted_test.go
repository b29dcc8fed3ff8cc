package kiosk

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

func TestPrintingMark(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	one := Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}}
	r.sell(t, ann, one)
	if got, _ := r.st.Interrupted(); len(got) != 0 {
		t.Fatalf("a printed sale is still marked printing: %v", got)
	}
	r.printer.failJob = errors.New("jam")
	r.sell(t, ann, one)
	if got, _ := r.st.Interrupted(); len(got) != 0 {
		t.Fatalf("a journaled print failure is still marked printing: %v", got)
	}
	// An email outlet prints nothing and marks nothing.
	em := newRig(t, catalog.DeliveryEmail)
	em.sell(t, em.login(t, "3000", "ann-pass"), Order{Event: "e1", Lines: one.Lines, Buyer: "b@example.org"})
	if got, _ := em.st.Interrupted(); len(got) != 0 {
		t.Fatalf("an email sale is marked printing: %v", got)
	}
}

// TestRecoverInterrupted: a sale committed whose printing never finished (the process died
// between the commit and the end of the job) is journaled as print_failed at start-up and
// offered for a reprint; nothing is left silently unprinted.
func TestRecoverInterrupted(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	// What Sell commits before it prints, as a process that dies at that moment leaves it.
	e, err := r.st.Append(r.clock, ann.User.Email, func(tx journal.Tx, e *journal.Entry) error {
		code, _ := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: e.Seq, N: 1, Of: 1, Event: "e1", Type: "std"}, deviceKey)
		e.Kind = journal.KindSale
		e.Sale = &journal.Sale{Outlet: "sofia", Event: "e1", Currency: "EUR", Delivery: "print",
			Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250, Tickets: []journal.Ticket{{N: 1, Type: "std", Code: code}}}
		return tx.Printing(e.Seq)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.k.RecoverInterrupted()
	if err != nil || len(got) != 1 || got[0] != e.Sale.No || e.Sale.No != 1 {
		t.Fatalf("RecoverInterrupted = %v, %v; want the sale number [1] (entry %d)", got, err, e.Seq)
	}
	last, _ := r.st.Entry(r.st.LastSeq())
	if last.Kind != journal.KindPrintFailed || last.Print.Sale != e.Seq || last.Print.Error != ErrInterrupted.Error() {
		t.Fatalf("last entry %+v", last)
	}
	if _, st, _ := r.st.Sale(e.Seq); !st.Unprinted {
		t.Fatal("the interrupted sale is not marked unprinted")
	}
	if again, _ := r.k.RecoverInterrupted(); len(again) != 0 {
		t.Fatalf("recovered twice: %v", again)
	}
	// The reprint it is owed prints as a copy and clears the state.
	sup, _ := r.k.Approve("2000", "sup-pass")
	if _, err := r.k.Reprint(context.Background(), ann, e.Sale.No, sup); err != nil {
		t.Fatal(err)
	}
	if _, st, _ := r.st.Sale(e.Seq); st.Unprinted || st.Copies != 1 {
		t.Fatalf("after the reprint: %+v", st)
	}
	if got, _ := r.st.Interrupted(); len(got) != 0 {
		t.Fatalf("the reprint left a printing mark: %v", got)
	}
}

// TestFlowOffersTheUnprintedSale: after a restart, the reprint screen offers the sale whose
// tickets a power cut kept from printing, so the cashier need not know its number.
func TestFlowOffersTheUnprintedSale(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	ann := r.login(t, "3000", "ann-pass")
	r.sell(t, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}})
	e, err := r.st.Append(r.clock, ann.User.Email, func(tx journal.Tx, e *journal.Entry) error {
		code, _ := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: e.Seq, N: 1, Of: 1, Event: "e1", Type: "std"}, deviceKey)
		e.Kind = journal.KindSale
		e.Sale = &journal.Sale{Outlet: "sofia", Event: "e1", Currency: "EUR", Delivery: "print",
			Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250, Tickets: []journal.Ticket{{N: 1, Type: "std", Code: code}}}
		return tx.Printing(e.Seq)
	})
	if err != nil {
		t.Fatal(err)
	}
	r.sell(t, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}}) // a later sale that printed
	if _, err := r.k.RecoverInterrupted(); err != nil {
		t.Fatal(err)
	}
	if owed, _ := r.k.Unprinted(ann); len(owed) != 1 || owed[0] != e.Sale.No || e.Sale.No != 2 {
		t.Fatalf("Unprinted = %v, want [%d] (sale number 2)", owed, e.Sale.No)
	}
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	d.run("3000⏎ann-pass⏎3⏎")
	d.shows(fmt.Sprintf("[%d]", e.Sale.No))
	d.run("⏎2000⏎sup-pass⏎")
	if owed, _ := r.k.Unprinted(ann); len(owed) != 0 {
		t.Fatalf("still owed after the reprint: %v", owed)
	}
	if last := lastEntry(t, r); last.Reprint == nil || last.Reprint.Sale != e.Seq {
		t.Fatalf("last entry %+v", last)
	}
}
