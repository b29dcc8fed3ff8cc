package journal

import (
	"errors"
	"testing"
)

func TestSaleRef(t *testing.T) {
	for _, tc := range []struct {
		e    Entry
		want uint64
	}{
		{Entry{Seq: 7, Kind: KindSale, Sale: &Sale{}}, 7},
		{Entry{Seq: 9, Kind: KindVoid, Void: &Void{Sale: 7}}, 7},
		{Entry{Seq: 9, Kind: KindReprint, Reprint: &Reprint{Sale: 5, Copy: 1}}, 5},
		{Entry{Seq: 9, Kind: KindPrintFailed, Print: &Print{Sale: 3}}, 3},
		{Entry{Seq: 9, Kind: KindUserCreated, User: &UserFact{Email: "a@x"}}, 0},
		{Entry{Seq: 9, Kind: KindUserDisabled, User: &UserFact{Email: "a@x"}}, 0},
		{Entry{Seq: 9, Kind: KindLoginLocked, Lock: &Lock{User: "a@x"}}, 0},
		{Entry{Seq: 9, Kind: KindConfigApplied, Config: &Config{Version: 2}}, 0},
		{Entry{Seq: 9, Kind: KindVoid}, 0}, // a kind without its fact
		{Entry{Seq: 9, Kind: KindSale, Void: &Void{Sale: 7}}, 0},
	} {
		if got := tc.e.SaleRef(); got != tc.want {
			t.Errorf("SaleRef of %s with %+v = %d, want %d", tc.e.Kind, tc.e, got, tc.want)
		}
	}
}

// TestSaleStateNext is every transition from every kind of state.
func TestSaleStateNext(t *testing.T) {
	var (
		fresh    = SaleState{}
		unprint  = SaleState{Unprinted: true}
		copied   = SaleState{Copies: 2}
		voided   = SaleState{Voided: true, VoidedBy: 4}
		voidedUn = SaleState{Voided: true, VoidedBy: 4, Unprinted: true, Copies: 1}

		sale       = &Entry{Seq: 3, Kind: KindSale, Sale: &Sale{}}
		void       = &Entry{Seq: 8, Kind: KindVoid, Void: &Void{Sale: 3}}
		reprint    = &Entry{Seq: 8, Kind: KindReprint, Reprint: &Reprint{Sale: 3, Copy: 3}}
		failed     = &Entry{Seq: 8, Kind: KindPrintFailed, Print: &Print{Sale: 3, Error: "jam"}}
		user       = &Entry{Seq: 8, Kind: KindUserCreated, User: &UserFact{Email: "a@x"}}
		locked     = &Entry{Seq: 8, Kind: KindLoginLocked, Lock: &Lock{User: "a@x"}}
		config     = &Entry{Seq: 8, Kind: KindConfigApplied, Config: &Config{Version: 1}}
		disabled   = &Entry{Seq: 8, Kind: KindUserDisabled, User: &UserFact{Email: "a@x"}}
		factlessRe = &Entry{Seq: 8, Kind: KindReprint}
	)
	for _, tc := range []struct {
		name string
		from SaleState
		e    *Entry
		want SaleState
		err  error // nil, ErrAlreadyVoided, or errAny
	}{
		{"sale starts fresh", fresh, sale, fresh, nil},
		{"sale resets", voidedUn, sale, fresh, nil},
		{"void", fresh, void, SaleState{Voided: true, VoidedBy: 8}, nil},
		{"void keeps copies and unprinted", SaleState{Copies: 1, Unprinted: true}, void, SaleState{Voided: true, VoidedBy: 8, Copies: 1, Unprinted: true}, nil},
		{"void of a voided sale", voided, void, voided, ErrAlreadyVoided},
		{"void of a voided sale the kiosk kept", SaleState{Voided: true}, void, SaleState{Voided: true}, ErrAlreadyVoided},
		{"reprint counts the copy", fresh, reprint, SaleState{Copies: 3}, nil},
		{"reprint prints what did not", unprint, reprint, SaleState{Copies: 3}, nil},
		{"reprint replaces the count", copied, reprint, SaleState{Copies: 3}, nil},
		{"reprint of a voided sale", voidedUn, reprint, SaleState{Voided: true, VoidedBy: 4, Copies: 3}, nil},
		{"print failed", fresh, failed, unprint, nil},
		{"print failed of a copy", copied, failed, SaleState{Copies: 2, Unprinted: true}, nil},
		{"print failed again", unprint, failed, unprint, nil},
		{"print failed of a voided sale", voided, failed, SaleState{Voided: true, VoidedBy: 4, Unprinted: true}, nil},
		{"user created changes no sale", copied, user, copied, errAny},
		{"user disabled changes no sale", copied, disabled, copied, errAny},
		{"login locked changes no sale", copied, locked, copied, errAny},
		{"config applied changes no sale", copied, config, copied, errAny},
		{"reprint without its fact", copied, factlessRe, copied, errAny},
	} {
		got, err := tc.from.Next(tc.e)
		switch {
		case tc.err == nil && err != nil, tc.err != nil && err == nil:
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
		case tc.err != nil && tc.err != errAny && !errors.Is(err, tc.err):
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
		}
		if got != tc.want {
			t.Errorf("%s: %+v → %+v, want %+v", tc.name, tc.from, got, tc.want)
		}
	}
}

var errAny = errors.New("any error")

// TestSaleStateOverAJournal follows one sale through the entries a kiosk writes about it.
func TestSaleStateOverAJournal(t *testing.T) {
	entries := []*Entry{
		{Seq: 2, Kind: KindSale, Sale: &Sale{}},
		{Seq: 3, Kind: KindPrintFailed, Print: &Print{Sale: 2}},
		{Seq: 4, Kind: KindReprint, Reprint: &Reprint{Sale: 2, Copy: 1}},
		{Seq: 5, Kind: KindPrintFailed, Print: &Print{Sale: 2}},
		{Seq: 6, Kind: KindReprint, Reprint: &Reprint{Sale: 2, Copy: 2}},
		{Seq: 7, Kind: KindVoid, Void: &Void{Sale: 2}},
	}
	var st SaleState
	for _, e := range entries {
		var err error
		if st, err = st.Next(e); err != nil {
			t.Fatalf("seq %d: %v", e.Seq, err)
		}
	}
	if want := (SaleState{Voided: true, VoidedBy: 7, Copies: 2}); st != want {
		t.Fatalf("after the journal: %+v, want %+v", st, want)
	}
}
