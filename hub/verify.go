package hub

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ticketkiosk/catalog"
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
	if opt.Clock == nil {
		opt.Clock = h.opt.Clock
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
	Valid     Verdict = "valid"   // signed by its device, sold, not voided, not checked in
	Used      Verdict = "used"    // valid, but checked in before (Verification.CheckIn says when and where)
	Voided    Verdict = "void"    // signed and sold, but the sale was voided
	NotAtHub  Verdict = "unknown" // signed, but the hub has no such sale (not synced yet, or never sold)
	BadTicket Verdict = "bad"     // malformed, unknown device or bad signature
)

// Verification is what Verify (or CheckIn) found.
type Verification struct {
	Verdict Verdict
	Facts   journal.TicketFacts
	Sale    *journal.Entry  // the sale entry when the hub has it
	Reason  string          // why not valid
	CheckIn *ledger.CheckIn `json:",omitempty"` // Used: the first check-in; after CheckIn admitted it: this one
}

// Verify checks a ticket: what a gate read (see journal.ScannedCode: white space around it
// and the ticket URL before it are dropped) or the short code printed under the QR code
// (DEVICE-SEQ-N, in any case). A code's signature is checked with the issuing device's key
// from the catalogue, then the ledger (sold, not voided, the code is exactly the sale's
// ticket, not checked in). A short code is not signed: it is looked up in the ledger, and
// the code the sale holds for it is verified.
func (h *Hub) Verify(input string, l *ledger.Ledger) (Verification, error) {
	keys, err := h.Keys()
	if err != nil {
		return Verification{}, err
	}
	url, err := h.Setting(SettingTicketURL)
	if err != nil {
		return Verification{}, err
	}
	code := journal.ScannedCode(input, url)
	if t, ok := parseShort(code); ok {
		return h.verifyShort(t, keys, l)
	}
	return h.verifyCode(code, keys, l)
}

// verifyCode verifies a code given in its one spelling.
func (h *Hub) verifyCode(code string, keys journal.KeyFunc, l *ledger.Ledger) (Verification, error) {
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
	case errors.Is(err, ledger.ErrRejected):
		v.Verdict, v.Reason = BadTicket, fmt.Sprintf("sale %d of device %s: %v", f.Sale, f.Device, err)
		return v, nil
	case err != nil:
		return v, fmt.Errorf("hub: verify: %w", err)
	}
	v.Sale = sale
	if s := sale.Sale; s == nil || saleCode(s, f.N) != code {
		v.Verdict, v.Reason = NotAtHub, "the sale the hub has does not hold this ticket"
		return v, nil
	}
	if st.Voided {
		v.Verdict, v.Reason = Voided, fmt.Sprintf("the sale was voided (entry %d)", st.VoidedBy)
		return v, nil
	}
	c, used, err := l.CheckedIn(ledger.TicketOf(f))
	if err != nil {
		return v, fmt.Errorf("hub: verify: %w", err)
	}
	if used {
		v.Verdict, v.CheckIn, v.Reason = Used, &c, usedReason(c)
		return v, nil
	}
	v.Verdict = Valid
	return v, nil
}

// verifyShort verifies the ticket a short code names through the code its sale holds.
func (h *Hub) verifyShort(t ledger.Ticket, keys journal.KeyFunc, l *ledger.Ledger) (Verification, error) {
	devs, err := h.Devices("")
	if err != nil {
		return Verification{}, err
	}
	// Short codes print the device id in capitals: ids are matched without regard to case,
	// an exact match first.
	id := ""
	for _, d := range devs {
		if d.ID == t.Device || (id == "" && strings.EqualFold(d.ID, t.Device)) {
			id = d.ID
		}
	}
	v := Verification{Facts: journal.TicketFacts{Device: t.Device, Sale: t.Sale, N: t.N}}
	if id == "" {
		v.Verdict, v.Reason = BadTicket, fmt.Sprintf("%v: %q", journal.ErrCodeUnknownDevice, t.Device)
		return v, nil
	}
	v.Facts.Device = id
	sale, _, err := l.Sale(id, t.Sale)
	switch {
	case errors.Is(err, ledger.ErrNotFound), errors.Is(err, ledger.ErrNotASale):
		v.Verdict, v.Reason = NotAtHub, fmt.Sprintf("the hub has no sale %d of device %s", t.Sale, id)
		return v, nil
	case errors.Is(err, ledger.ErrRejected):
		v.Verdict, v.Reason = BadTicket, fmt.Sprintf("sale %d of device %s: %v", t.Sale, id, err)
		return v, nil
	case err != nil:
		return v, fmt.Errorf("hub: verify: %w", err)
	}
	code := ""
	if sale.Sale != nil {
		code = saleCode(sale.Sale, t.N)
	}
	if code == "" {
		v.Verdict, v.Reason = NotAtHub, fmt.Sprintf("sale %d of device %s has no ticket %d", t.Sale, id, t.N)
		return v, nil
	}
	return h.verifyCode(code, keys, l)
}

// parseShort reads a short code DEVICE-SEQ-N (journal.TicketFacts.Short).
func parseShort(s string) (ledger.Ticket, bool) {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return ledger.Ticket{}, false
	}
	j := strings.LastIndexByte(s[:i], '-')
	if j < 0 {
		return ledger.Ticket{}, false
	}
	dev := s[:j]
	seq, err1 := strconv.ParseUint(s[j+1:i], 10, 64)
	n, err2 := strconv.ParseUint(s[i+1:], 10, 16)
	if err1 != nil || err2 != nil || seq == 0 || n == 0 || catalog.ValidID(dev) != nil {
		return ledger.Ticket{}, false
	}
	return ledger.Ticket{Device: dev, Sale: seq, N: int(n)}, true
}

// saleCode returns the code of ticket n of a sale, or "".
func saleCode(s *journal.Sale, n int) string {
	for _, t := range s.Tickets {
		if t.N == n {
			return t.Code
		}
	}
	return ""
}

func usedReason(c ledger.CheckIn) string {
	gate := c.Gate
	if gate == "" {
		gate = "(no gate named)"
	}
	return fmt.Sprintf("checked in at %s, gate %s", c.Time.UTC().Format(time.RFC3339), gate)
}
