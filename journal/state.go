package journal

import (
	"errors"
	"fmt"
)

// ErrAlreadyVoided is a void of a sale that an earlier void entry cancelled.
var ErrAlreadyVoided = errors.New("journal: sale already voided")

// SaleState is what happened to a sale after it was made, as far as the entries that refer
// to it tell: the fact that the kiosk's store and the hub's ledger keep beside each sale.
// Both keep it as this JSON.
type SaleState struct {
	Voided bool `json:"voided,omitempty"` // a void entry cancelled it
	// VoidedBy is the seq of that void entry. The hub's ledger keeps it; the kiosk's store
	// does not (its file format predates it), so there it reads 0.
	VoidedBy  uint64 `json:"voided_by,omitempty"`
	Copies    int    `json:"copies,omitempty"`    // reprints so far
	Unprinted bool   `json:"unprinted,omitempty"` // its tickets failed to print and no copy has printed since
}

// SaleRef returns the seq of the sale whose state e changes: its own seq for a sale, the
// sale it names for a void, a reprint or a print_failed, and 0 for every other kind.
func (e *Entry) SaleRef() uint64 {
	switch {
	case e.Kind == KindSale && e.Sale != nil:
		return e.Seq
	case e.Kind == KindVoid && e.Void != nil:
		return e.Void.Sale
	case e.Kind == KindReprint && e.Reprint != nil:
		return e.Reprint.Sale
	case e.Kind == KindPrintFailed && e.Print != nil:
		return e.Print.Sale
	}
	return 0
}

// Next returns the state of a sale after the entry e that refers to it (e.SaleRef() is the
// sale): a sale starts from the zero state; a void cancels it, or is ErrAlreadyVoided when
// the sale was cancelled before; a reprint counts the copy, which printed; a print_failed
// marks it unprinted. An entry that changes no sale is an error. On an error st is returned
// unchanged.
func (st SaleState) Next(e *Entry) (SaleState, error) {
	if e.SaleRef() == 0 {
		return st, fmt.Errorf("journal: a %s entry at seq %d changes no sale", e.Kind, e.Seq)
	}
	switch e.Kind {
	case KindSale:
		return SaleState{}, nil
	case KindVoid:
		if st.Voided {
			return st, fmt.Errorf("%w: sale %d", ErrAlreadyVoided, e.Void.Sale)
		}
		st.Voided, st.VoidedBy = true, e.Seq
	case KindReprint:
		st.Copies, st.Unprinted = e.Reprint.Copy, false
	case KindPrintFailed:
		st.Unprinted = true
	}
	return st, nil
}
