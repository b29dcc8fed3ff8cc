package kiosk

import (
	"context"
	"errors"
	"strconv"

	"ticketkiosk/catalog"
)

// saleFlow are the fields of a reprint or a void of a sale made before.
type saleFlow struct {
	action msg         // mReprint or mVoid
	no     uint64      // the sale number typed (journal.Sale.No)
	void   SaleSummary // the sale the void asks about
}

// startSaleAction starts a reprint or a void (action) from the main menu.
func (f *Flow) startSaleAction(action msg) {
	f.sale.action = action
	f.to(stSaleNo)
}

// saleScreens defines a reprint (the sale's number, then a supervisor's approval unless
// the session is one) and a void (the number, then the sale to confirm).
func saleScreens(s *[numStates]screen) {
	s[stSaleNo] = screen{
		kind:  kindField,
		title: func(f *Flow) string { return f.tr(f.sale.action) },
		note:  mSaleNumber,
		enter: func(f *Flow) {
			sale := f.sell.last
			if f.sale.action == mReprint {
				// A sale whose tickets did not print (a printer fault, a power cut mid-job) is
				// what a reprint is most likely for: offer the newest.
				if owed, err := f.k.Unprinted(f.sess); err == nil && len(owed) > 0 {
					sale = owed[len(owed)-1]
				}
			}
			value := ""
			if sale > 0 {
				value = strconv.FormatUint(sale, 10)
			}
			f.digitsField(10, value)
		},
		back: goTo(stMenu),
		submit: func(f *Flow, ctx context.Context, v string) {
			n, err := strconv.ParseUint(v, 10, 64)
			f.sale.no = n
			if err != nil || n == 0 {
				f.say(stSaleNo, false, f.tr(mNoSuchSale, n))
				return
			}
			// What the core would refuse is refused here, before anyone approves it.
			sum, err := f.k.SaleSummary(f.sess, n)
			if err == nil && sum.Voided {
				err = ErrAlreadyVoided
			}
			if err != nil {
				f.refuse(stSaleNo, err)
				return
			}
			switch {
			case f.sale.action == mVoid:
				f.sale.void = sum
				f.to(stVoidAsk)
			case f.isSupervisor():
				f.reprint(ctx, f.sess.User) // a supervisor approves its own reprint
			default:
				f.to(stApproveID)
			}
		},
	}
	prompt{
		id: stApproveID, pass: stApprovePass, idTitle: mApproveID, passTitle: mApprovePass,
		cancel: goTo(stSaleNo),
		check: func(f *Flow, ctx context.Context, id, password string) error {
			u, err := f.k.Approve(id, password)
			if err != nil {
				return err
			}
			f.reprint(ctx, u)
			return nil
		},
	}.define(s)
	s[stVoidAsk] = screen{
		kind: kindText,
		back: goTo(stSaleNo),
		text: func(f *Flow) (string, []item, string) {
			l := f.lang()
			v := f.sale.void
			name := v.Event
			if e, ok := f.config().Event(v.Event); ok {
				name = e.Title
			}
			lines := append([]item{{name: name}}, f.ticketsTotal(v.Tickets, v.Total, v.Currency)...)
			return l.tr(mVoidAsk, f.sale.no), lines, l.tr(mHintYesNo)
		},
		proceed: func(f *Flow, _ context.Context) {
			f.progress(mSaving)
			if _, err := f.k.Void(f.sess, f.sale.no, f.sess.User, "voided at the kiosk"); err != nil {
				f.refuse(stSaleNo, err)
				return
			}
			f.say(stMenu, true, f.tr(mVoided, f.sale.no))
		},
	}
}

// reprint prints the sale again with the approver's approval.
func (f *Flow) reprint(ctx context.Context, approver catalog.User) {
	f.progress(mPrinting)
	e, err := f.k.Reprint(ctx, f.sess, f.sale.no, approver)
	if err != nil {
		next := stSaleNo
		if errors.Is(err, ErrPrintFailed) {
			next = stMenu
		}
		f.refuse(next, err)
		return
	}
	f.say(stMenu, true, f.tr(mReprinted, f.sale.no, e.Reprint.Copy))
}
