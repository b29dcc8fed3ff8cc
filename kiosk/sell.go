package kiosk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/journal"
)

// OrderLine asks for Qty tickets of a type.
type OrderLine struct {
	Type string
	Qty  int
}

// Order is what a cashier asks for: tickets of one event, and the buyer's email where the
// outlet delivers by email.
type Order struct {
	Event string
	Lines []OrderLine
	Buyer string
}

// TypeView is a ticket type as the sell screen shows it.
type TypeView struct {
	catalog.TicketType
	Capped bool  // the type has an allotment
	Left   int64 // tickets left when Capped
}

// EventView is a linked event as the sell screen shows it.
type EventView struct {
	Event  *catalog.Event
	OnSale bool
	Types  []TypeView
}

// Events returns the events linked to the outlet, each with whether it is on sale now and
// what is left of each ticket type.
func (k *Kiosk) Events() ([]EventView, error) {
	cfg, err := k.Config()
	if err != nil {
		return nil, err
	}
	now := k.opt.Clock.Now()
	out := make([]EventView, 0, len(cfg.Events))
	for i := range cfg.Events {
		e := &cfg.Events[i]
		v := EventView{Event: e, OnSale: e.OnSale(now)}
		for _, t := range e.Types {
			tv := TypeView{TicketType: t}
			if n, ok := cfg.Allotment(e.ID, t.ID); ok {
				tv.Capped = true
				tv.Left = max(0, n-k.opt.Store.Sold(e.ID, t.ID))
			}
			v.Types = append(v.Types, tv)
		}
		out = append(out, v)
	}
	return out, nil
}

// checkOrder validates an order made at now against the config and returns its lines priced.
func checkOrder(cfg *catalog.DeviceConfig, o Order, now time.Time) (*catalog.Event, []journal.Line, error) {
	ev, ok := cfg.Event(o.Event)
	if !ok {
		return nil, nil, ErrUnknownEvent
	}
	if !ev.OnSale(now) {
		return nil, nil, ErrNotOnSale
	}
	switch cfg.Outlet.Delivery {
	case catalog.DeliveryPrint:
		if o.Buyer != "" {
			return nil, nil, ErrEmailNotAllowed
		}
	case catalog.DeliveryEmail:
		if o.Buyer == "" {
			return nil, nil, ErrEmailRequired
		}
		if err := catalog.ValidEmail(o.Buyer); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrBadEmail, err)
		}
	}
	if len(o.Lines) == 0 {
		return nil, nil, ErrBadQuantity
	}
	total := 0
	merged := map[string]int{}
	var order []string
	for _, l := range o.Lines {
		if _, ok := ev.Type(l.Type); !ok {
			return nil, nil, fmt.Errorf("%w: %q", ErrUnknownType, l.Type)
		}
		if l.Qty <= 0 {
			return nil, nil, ErrBadQuantity
		}
		if _, seen := merged[l.Type]; !seen {
			order = append(order, l.Type)
		}
		merged[l.Type] += l.Qty
		total += l.Qty
	}
	if total > MaxOrderTickets {
		return nil, nil, fmt.Errorf("%w: at most %d tickets per order", ErrBadQuantity, MaxOrderTickets)
	}
	lines := make([]journal.Line, 0, len(order))
	for _, id := range order {
		t, _ := ev.Type(id)
		lines = append(lines, journal.Line{Type: id, Qty: merged[id], Price: t.Price})
	}
	return ev, lines, nil
}

// Sale is the result of Sell.
type Sale struct {
	Entry *journal.Entry
	// PrintErr is set when the sale was committed but its tickets did not print; the sale
	// is marked unprinted and a reprint is owed.
	PrintErr error
}

// Sell makes an order. Where the outlet prints, the printer must report ready first (print
// then confirm); the sale is committed with its counters in one transaction, then printed.
// A print failure after the commit keeps the sale, journals print_failed and is returned
// in Sale.PrintErr. Where the outlet emails, the sale is committed and the hub emails it.
func (k *Kiosk) Sell(ctx context.Context, s *Session, o Order) (*Sale, error) {
	u, err := k.current(s)
	if err != nil {
		return nil, err
	}
	cfg, err := k.Config()
	if err != nil {
		return nil, err
	}
	o.Buyer = strings.TrimSpace(o.Buyer)
	ev, lines, err := checkOrder(cfg, o, k.opt.Clock.Now())
	if err != nil {
		return nil, err
	}
	printed := cfg.Outlet.Delivery == catalog.DeliveryPrint
	if printed {
		k.printMu.Lock()
		defer k.printMu.Unlock()
		if err := k.ready(ctx); err != nil {
			return nil, err
		}
	}
	entry, err := k.opt.Store.Append(k.opt.Clock, u.Email, func(tx journal.Tx, e *journal.Entry) error {
		for _, l := range lines {
			if n, capped := cfg.Allotment(ev.ID, l.Type); capped {
				if left := n - tx.Sold(ev.ID, l.Type); int64(l.Qty) > left {
					return &SoldOutError{Type: l.Type, Left: max(0, left)}
				}
			}
		}
		sale := &journal.Sale{Outlet: cfg.Outlet.ID, Event: ev.ID, Currency: cfg.Outlet.Currency,
			Delivery: string(cfg.Outlet.Delivery), Buyer: o.Buyer, Lines: lines}
		n := 0
		for _, l := range lines {
			sale.Total += int64(l.Qty) * l.Price
			n += l.Qty
		}
		i := 0
		for _, l := range lines {
			for q := 0; q < l.Qty; q++ {
				i++
				code, err := journal.NewCode(journal.TicketFacts{Device: k.opt.Store.Device(), Sale: e.Seq, N: i, Of: n, Event: ev.ID, Type: l.Type}, k.opt.Key)
				if err != nil {
					return err
				}
				sale.Tickets = append(sale.Tickets, journal.Ticket{N: i, Type: l.Type, Code: code})
			}
		}
		if printed {
			if err := tx.Printing(e.Seq); err != nil {
				return err
			}
		}
		e.Kind = journal.KindSale
		e.Sale = sale
		return nil
	})
	if err != nil {
		return nil, err
	}
	k.appended(entry)
	k.log.Info("sale", "no", entry.Sale.No, "seq", entry.Seq, "user", u.Email, "event", ev.ID, "tickets", len(entry.Sale.Tickets), "total", entry.Sale.Total)
	out := &Sale{Entry: entry}
	if printed {
		out.PrintErr = k.printSale(ctx, cfg, entry, 0)
	}
	return out, nil
}

// ready asks the printer whether a ticket can print now.
func (k *Kiosk) ready(ctx context.Context) error {
	if k.opt.Printer == nil || k.opt.Layout == nil {
		return &PrinterError{Err: ErrPrinterNotReady, Cause: errors.New("no printer configured")}
	}
	st, err := k.PrinterStatus(ctx)
	if err != nil {
		return &PrinterError{Err: ErrPrinterNotReady, Status: st, Cause: err}
	}
	if !st.Ready() {
		return &PrinterError{Err: ErrPrinterNotReady, Status: st}
	}
	return nil
}

// SaleJobName is the name of the print job of sale number no's tickets (device.WithJobName):
// sale-0001, and sale-0001-copy2 for its second copy. The file printer names its files
// after it, so the demo's tickets are found by the number the cashier saw.
func SaleJobName(no uint64, copy int) string {
	name := fmt.Sprintf("sale-%04d", no)
	if copy > 0 {
		name += fmt.Sprintf("-copy%d", copy)
	}
	return name
}

// printSale prints a committed sale's tickets (copy > 0 for a reprint); on failure it
// journals print_failed and returns a *PrinterError. The caller holds printMu.
func (k *Kiosk) printSale(ctx context.Context, cfg *catalog.DeviceConfig, sale *journal.Entry, copy int) error {
	job, err := k.opt.Layout.Tickets(cfg, sale, copy)
	if err == nil {
		pctx, cancel := context.WithTimeout(device.WithJobName(ctx, SaleJobName(sale.Sale.No, copy)), k.opt.PrintTimeout)
		err = k.opt.Printer.Print(pctx, job)
		cancel()
	}
	if err == nil {
		if derr := k.opt.Store.PrintDone(sale.Seq); derr != nil {
			// The mark stays: after a restart the sale is offered for a reprint it did not
			// need, which is safe.
			k.log.Warn("could not clear the printing mark", "no", sale.Sale.No, "sale", sale.Seq, "err", derr)
		}
		return nil
	}
	perr := &PrinterError{Err: ErrPrintFailed, Cause: err}
	if st, serr := k.PrinterStatus(context.WithoutCancel(ctx)); serr == nil {
		perr.Status = st
	}
	k.log.Error("tickets did not print", "no", sale.Sale.No, "sale", sale.Seq, "err", err, "printer", perr.Status.String())
	entry, jerr := k.opt.Store.Append(k.opt.Clock, sale.Actor, func(_ journal.Tx, e *journal.Entry) error {
		e.Kind = journal.KindPrintFailed
		e.Print = &journal.Print{Sale: sale.Seq, Error: err.Error()}
		return nil
	})
	if jerr != nil {
		k.log.Error("could not journal a print failure", "sale", sale.Seq, "err", jerr)
	}
	k.appended(entry)
	return perr
}

// Unprinted returns the sale numbers of the sales whose tickets did not print and still
// owe a reprint, oldest first: any such sale to a supervisor, a cashier's own to a cashier
// (as with reports).
func (k *Kiosk) Unprinted(s *Session) ([]uint64, error) {
	u, err := k.current(s)
	if err != nil {
		return nil, err
	}
	seqs, err := k.opt.Store.Unprinted()
	if err != nil {
		return nil, err
	}
	var nos []uint64
	for _, seq := range seqs {
		e, _, err := k.opt.Store.Sale(seq)
		if err == nil && (u.Role == catalog.RoleSupervisor || strings.EqualFold(e.Actor, u.Email)) {
			nos = append(nos, e.Sale.No)
		}
	}
	return nos, nil
}

// saleSeq returns the seq of the sale entry numbered no; ErrNoSuchSale when there is none.
func (k *Kiosk) saleSeq(no uint64) (uint64, error) {
	seq, err := k.opt.Store.SaleSeq(no)
	if err != nil || no == 0 {
		return 0, fmt.Errorf("%w: %d", ErrNoSuchSale, no)
	}
	return seq, nil
}

// ErrInterrupted is the cause journaled for a print job that a crash or power cut cut short.
var ErrInterrupted = errors.New("interrupted: the kiosk stopped while printing")

// RecoverInterrupted journals print_failed for every sale whose tickets were being printed
// when the kiosk stopped (a crash, a power cut), so each is marked unprinted and a reprint
// is offered: no ticket is dropped silently. kioskd calls it at start-up. It returns the
// sale numbers of the sales concerned (what a cashier types to reprint them).
func (k *Kiosk) RecoverInterrupted() ([]uint64, error) {
	seqs, err := k.opt.Store.Interrupted()
	if err != nil {
		return nil, err
	}
	var nos []uint64
	for _, seq := range seqs {
		sale, _, err := k.opt.Store.Sale(seq)
		if err != nil {
			return nil, err
		}
		entry, err := k.opt.Store.Append(k.opt.Clock, sale.Actor, func(_ journal.Tx, e *journal.Entry) error {
			e.Kind = journal.KindPrintFailed
			e.Print = &journal.Print{Sale: seq, Error: ErrInterrupted.Error()}
			return nil
		})
		if err != nil {
			return nil, err
		}
		k.appended(entry)
		k.log.Warn("a print job was cut short by a stop; the sale is marked unprinted for a reprint", "no", sale.Sale.No, "sale", seq)
		nos = append(nos, sale.Sale.No)
	}
	return nos, nil
}

// approvedSale is what a reprint and a void start from: the session's current user, the
// approver as the applied config has it now (a supervisor still), and the entry of sale
// number saleNo.
func (k *Kiosk) approvedSale(s *Session, saleNo uint64, approver catalog.User) (u, approved catalog.User, saleSeq uint64, err error) {
	if u, err = k.current(s); err != nil {
		return
	}
	if approved, err = k.approver(approver); err != nil {
		return
	}
	saleSeq, err = k.saleSeq(saleNo)
	return
}

// Reprint prints the tickets of sale number saleNo (journal.Sale.No) again, marked "COPY
// n", with a supervisor's approval. The reprint is journaled once it is committed to
// print; a failure journals print_failed.
func (k *Kiosk) Reprint(ctx context.Context, s *Session, saleNo uint64, approver catalog.User) (*journal.Entry, error) {
	u, approver, saleSeq, err := k.approvedSale(s, saleNo, approver)
	if err != nil {
		return nil, err
	}
	cfg, err := k.Config()
	if err != nil {
		return nil, err
	}
	if cfg.Outlet.Delivery != catalog.DeliveryPrint {
		return nil, ErrNotPrinted
	}
	k.printMu.Lock()
	defer k.printMu.Unlock()
	if err := k.ready(ctx); err != nil {
		return nil, err
	}
	var sale *journal.Entry
	entry, err := k.opt.Store.Append(k.opt.Clock, u.Email, func(tx journal.Tx, e *journal.Entry) error {
		se, st, err := liveSale(tx, saleSeq)
		if err != nil {
			return err
		}
		sale = se
		if err := tx.Printing(saleSeq); err != nil {
			return err
		}
		e.Kind = journal.KindReprint
		e.Reprint = &journal.Reprint{Sale: saleSeq, Copy: st.Copies + 1, Approver: approver.Email}
		return nil
	})
	if err != nil {
		return nil, err
	}
	k.appended(entry)
	if err := k.printSale(ctx, cfg, sale, entry.Reprint.Copy); err != nil {
		return entry, err
	}
	return entry, nil
}

// Void cancels sale number saleNo (journal.Sale.No) with a supervisor's approval; its
// tickets leave the totals and the allotment is free again.
func (k *Kiosk) Void(s *Session, saleNo uint64, approver catalog.User, reason string) (*journal.Entry, error) {
	u, approver, saleSeq, err := k.approvedSale(s, saleNo, approver)
	if err != nil {
		return nil, err
	}
	entry, err := k.opt.Store.Append(k.opt.Clock, u.Email, func(tx journal.Tx, e *journal.Entry) error {
		if _, _, err := liveSale(tx, saleSeq); err != nil {
			return err
		}
		e.Kind = journal.KindVoid
		e.Void = &journal.Void{Sale: saleSeq, Approver: approver.Email, Reason: reason}
		return nil
	})
	if err != nil {
		return nil, err
	}
	k.appended(entry)
	k.log.Info("void", "no", saleNo, "sale", saleSeq, "user", u.Email, "approver", approver.Email)
	return entry, nil
}

// approver re-reads a supervisor's approval from the applied config: an approval given
// before a new config demoted or disabled its supervisor is ErrNotSupervisor.
func (k *Kiosk) approver(a catalog.User) (catalog.User, error) {
	u, ok := k.opt.Store.User(a.Email)
	if !ok || u.Disabled || u.Role != catalog.RoleSupervisor {
		return catalog.User{}, ErrNotSupervisor
	}
	return u, nil
}

// liveSale returns the sale seq and its state for a reprint or a void: ErrNoSuchSale when
// there is no such sale, ErrAlreadyVoided when it was voided.
func liveSale(tx journal.Tx, seq uint64) (*journal.Entry, journal.SaleState, error) {
	e, st, err := tx.Sale(seq)
	if err != nil {
		return nil, st, fmt.Errorf("%w: %d", ErrNoSuchSale, seq)
	}
	if st.Voided {
		return nil, st, ErrAlreadyVoided
	}
	return e, st, nil
}
