package hub

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// LedgerFile is the hub's central journal in the hub directory.
const LedgerFile = "ledger.db"

// LedgerPath returns the path of the hub's ledger.
func (h *Hub) LedgerPath() string { return filepath.Join(h.dir, LedgerFile) }

// OpenLedger opens the hub's ledger with counter days in each outlet's time zone.
func (h *Hub) OpenLedger(opt ledger.Options) (*ledger.Ledger, error) {
	if opt.Location == nil {
		opt.Location = h.locations()
	}
	if opt.Logger == nil {
		opt.Logger = h.opt.Logger
	}
	if opt.Now == nil {
		opt.Now = h.opt.Clock.Now
	}
	return ledger.Open(h.LedgerPath(), opt)
}

// locations returns outlet time zones, read from the catalogue and cached; an outlet not
// seen before is read again.
func (h *Hub) locations() func(outlet string) *time.Location {
	cache := map[string]*time.Location{}
	return func(outlet string) *time.Location {
		if loc, ok := cache[outlet]; ok {
			return loc
		}
		o, err := h.Outlet(outlet)
		if err != nil {
			h.opt.Logger.Warn("outlet time zone unknown, counting in UTC", "outlet", outlet, "err", err)
			return time.UTC
		}
		loc := o.Location()
		cache[outlet] = loc
		return loc
	}
}

// Verdict is the outcome of checking a ticket code.
type Verdict string

// Verdicts.
const (
	Valid     Verdict = "valid"   // signed by its device, sold, not voided
	Voided    Verdict = "void"    // signed and sold, but the sale was voided
	NotAtHub  Verdict = "unknown" // signed, but the hub has no such sale (not synced yet, or never sold)
	BadTicket Verdict = "bad"     // malformed, unknown device or bad signature
)

// Verification is what Verify found.
type Verification struct {
	Verdict Verdict
	Facts   journal.TicketFacts
	Sale    *journal.Entry // the sale entry when the hub has it
	Reason  string         // why not valid
}

// Verify checks a ticket code: its signature with the issuing device's key from the
// catalogue, then the ledger (sold, not voided, and the code is the sale's ticket).
func (h *Hub) Verify(code string, l *ledger.Ledger) (Verification, error) {
	keys, err := h.Keys()
	if err != nil {
		return Verification{}, err
	}
	f, err := journal.VerifyCode(code, keys)
	if err != nil {
		return Verification{Verdict: BadTicket, Facts: f, Reason: err.Error()}, nil
	}
	v := Verification{Facts: f}
	sale, st, err := l.Sale(f.Device, f.Sale)
	switch {
	case errors.Is(err, ledger.ErrNotFound), errors.Is(err, ledger.ErrNotASale):
		v.Verdict, v.Reason = NotAtHub, fmt.Sprintf("the hub has no sale %d of device %s", f.Sale, f.Device)
		return v, nil
	case err != nil:
		return v, fmt.Errorf("hub: verify: %w", err)
	}
	v.Sale = sale
	if s := sale.Sale; s == nil || !hasTicket(s, f) {
		v.Verdict, v.Reason = NotAtHub, "the sale the hub has does not hold this ticket"
		return v, nil
	}
	if st.Voided {
		v.Verdict, v.Reason = Voided, fmt.Sprintf("the sale was voided (entry %d)", st.VoidedBy)
		return v, nil
	}
	v.Verdict = Valid
	return v, nil
}

// hasTicket reports whether the sale holds the ticket the facts describe.
func hasTicket(s *journal.Sale, f journal.TicketFacts) bool {
	if s.Event != f.Event || len(s.Tickets) != f.Of {
		return false
	}
	for _, t := range s.Tickets {
		if g, _, _, err := journal.ParseCode(t.Code); err == nil && g == f {
			return true
		}
	}
	return false
}
