package hub

import (
	"errors"
	"fmt"
	"unicode"

	"ticketkiosk/ledger"
)

// MaxGateLen is the longest gate name CheckIn takes.
const MaxGateLen = 64

// CheckIn admits a ticket at a gate: what Verify takes (a scanned code or a short code),
// verified as Verify does, then marked used in the ledger, durably, in one transaction with
// the sale's state. The answer is Valid with the new CheckIn when it was admitted now; Used
// with the first check-in when it was checked in before (nothing changes); Voided, NotAtHub
// or BadTicket as from Verify, and then nothing is recorded. A gate name is at most
// MaxGateLen printable characters; it may be empty.
func (h *Hub) CheckIn(input, gate string, l *ledger.Ledger) (Verification, error) {
	if err := validGate(gate); err != nil {
		return Verification{}, err
	}
	v, err := h.Verify(input, l)
	if err != nil || v.Verdict != Valid {
		return v, err
	}
	c, err := l.CheckIn(ledger.TicketOf(v.Facts), gate, h.opt.Clock.Now())
	switch {
	case err == nil:
		v.CheckIn = &c
	case errors.Is(err, ledger.ErrUsed): // another gate, just now
		v.Verdict, v.CheckIn, v.Reason = Used, &c, usedReason(c)
	case errors.Is(err, ledger.ErrVoided): // a void ingested just now
		v.Verdict, v.Reason = Voided, "the sale was voided"
	default:
		return v, fmt.Errorf("hub: check-in: %w", err)
	}
	if v.CheckIn != nil {
		h.opt.Logger.Info("check-in", "ticket", v.Facts.Short(), "gate", gate, "verdict", v.Verdict)
	}
	return v, nil
}

func validGate(gate string) error {
	if len(gate) > MaxGateLen {
		return fmt.Errorf("%w: gate name longer than %d bytes", ErrInvalid, MaxGateLen)
	}
	for _, r := range gate {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%w: gate name %q has a character that does not print", ErrInvalid, gate)
		}
	}
	return nil
}
