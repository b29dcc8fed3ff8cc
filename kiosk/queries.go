package kiosk

import (
	"fmt"
	"strings"

	"ticketkiosk/catalog"
)

// SaleSummary is what a screen shows of a sale before acting on it (a void).
type SaleSummary struct {
	No       uint64 // the sale number (journal.Sale.No)
	Seq      uint64 // the seq of its entry
	Event    string // the event's id
	Tickets  int
	Total    int64  // in minor units of Currency
	Currency string // ISO 4217
	Voided   bool   // the sale was voided: neither a reprint nor a void will take it
}

// SaleSummary returns the summary of sale number no (journal.Sale.No) for the session: a
// supervisor may see any sale of this kiosk, a cashier only its own (as with reports). Any
// other number, and a failure to read it, is ErrNoSuchSale; a session whose user is gone or disabled is
// ErrSessionEnded. A voided sale is still returned, with Voided set, so a screen can refuse
// a reprint or a void of it before asking for an approval.
func (k *Kiosk) SaleSummary(s *Session, no uint64) (SaleSummary, error) {
	u, err := k.current(s)
	if err != nil {
		return SaleSummary{}, err
	}
	seq, err := k.saleSeq(no)
	if err != nil {
		return SaleSummary{}, err
	}
	e, st, err := k.opt.Store.Sale(seq)
	if err != nil || e.Sale == nil {
		return SaleSummary{}, fmt.Errorf("%w: %d", ErrNoSuchSale, no)
	}
	if u.Role != catalog.RoleSupervisor && !strings.EqualFold(e.Actor, u.Email) {
		return SaleSummary{}, fmt.Errorf("%w: %d", ErrNoSuchSale, no)
	}
	sale := e.Sale
	return SaleSummary{No: no, Seq: seq, Event: sale.Event, Tickets: len(sale.Tickets), Total: sale.Total, Currency: sale.Currency,
		Voided: st.Voided}, nil
}
