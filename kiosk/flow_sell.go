package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
)

// sellFlow are the fields of a sale.
type sellFlow struct {
	events []EventView
	ev     int // index in events
	ty     int // index in the event's types
	qty    int
	fresh  bool // the next digit replaces qty
	buyer  string
	sale   *Sale  // the sale made, for the done screen
	last   uint64 // the session's last sale, which the sale number field offers
}

// events returns the events linked to the outlet in the order the list shows them: those
// on sale first, each part by date (then id).
func (f *Flow) events() ([]EventView, error) {
	evs, err := f.k.Events()
	slices.SortStableFunc(evs, func(a, b EventView) int {
		if a.OnSale != b.OnSale {
			if a.OnSale {
				return -1
			}
			return 1
		}
		if c := a.Event.Start.Compare(b.Event.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Event.ID, b.Event.ID)
	})
	return evs, err
}

// notOnSale says why an event is not on sale at now: it is past, its sale has closed, or
// it opens on a later day.
func (f *Flow) notOnSale(e *catalog.Event, now time.Time) string {
	l := f.lang()
	switch {
	case !e.SaleFrom.IsZero() && now.Before(e.SaleFrom):
		return l.tr(mSaleFrom, l.date(e.SaleFrom.In(f.config().Outlet.Location()), false))
	case !e.Start.IsZero() && !now.Before(e.Start):
		return l.tr(mSalePast)
	}
	return l.tr(mSaleEnded)
}

// startSell starts a sale from the main menu: the events linked to the outlet.
func (f *Flow) startSell(context.Context) {
	evs, err := f.events()
	if err != nil {
		f.refuse(stMenu, err)
		return
	}
	if len(evs) == 0 {
		f.say(stMenu, false, f.tr(mNoEvents))
		return
	}
	f.sell.events, f.sell.ev, f.sell.ty = evs, 0, 0
	f.to(stEvents)
}

// sellScreens defines a sale: the event, the ticket type, the quantity, the buyer's email
// where the outlet emails tickets, the confirmation, and the sale made.
func sellScreens(s *[numStates]screen) {
	s[stEvents] = screen{
		kind:  kindList,
		title: title(mEvents),
		enter: func(f *Flow) { f.sel = f.sell.ev },
		back:  goTo(stMenu),
		items: func(f *Flow) []item {
			l := f.lang()
			loc := f.config().Outlet.Location()
			now := f.k.Now()
			out := make([]item, len(f.sell.events))
			for i, e := range f.sell.events {
				out[i] = item{name: l.date(e.Event.Start.In(loc), false) + " " + e.Event.Title}
				if !e.OnSale {
					out[i].detail = f.notOnSale(e.Event, now)
				}
			}
			return out
		},
		choose: func(f *Flow, _ context.Context, i int) {
			f.sell.ev, f.sell.ty = i, 0
			if !f.sell.events[i].OnSale {
				f.say(stEvents, false, f.tr(mNotOnSale))
				return
			}
			f.to(stTypes)
		},
	}
	s[stTypes] = screen{
		kind:  kindList,
		title: func(f *Flow) string { return f.sell.events[f.sell.ev].Event.Title },
		enter: func(f *Flow) { f.sel = f.sell.ty },
		back:  goTo(stEvents),
		items: func(f *Flow) []item {
			if f.sell.ev >= len(f.sell.events) {
				return nil
			}
			out := []item{}
			for _, t := range f.sell.events[f.sell.ev].Types {
				right := f.money(t.Price)
				// What is left shows on the quantity screen; in the list it would squeeze the
				// names of a 20-column display into look-alikes ("Ст." and "Ст."), so a narrow
				// list shows it only when few are left.
				if t.Capped && (f.opt.Cols >= 32 || t.Left < 10 && f.opt.Cols >= 20) {
					right = "(" + strconv.FormatInt(t.Left, 10) + ") " + right
				}
				out = append(out, item{name: t.Name, detail: right})
			}
			return out
		},
		choose: func(f *Flow, _ context.Context, i int) {
			f.sell.ty = i
			if t := f.sell.events[f.sell.ev].Types[i]; t.Capped && t.Left <= 0 {
				f.say(stTypes, false, f.tr(mSoldOut, 0))
				return
			}
			f.to(stQty)
		},
	}
	s[stQty] = screen{
		kind:     kindText,
		enter:    func(f *Flow) { f.sell.qty, f.sell.fresh = 1, true },
		keys:     func(f *Flow, _ context.Context, k device.Key, _ time.Time) { f.qtyKey(k) },
		noScroll: true, // Up and Down step the quantity
		back:     goTo(stTypes),
		text: func(f *Flow) (string, []item, string) {
			l := f.lang()
			t := f.sell.events[f.sell.ev].Types[f.sell.ty]
			cursor := ""
			if !f.sell.fresh {
				cursor = "_"
			}
			// The screen does not scroll (Up and Down step the quantity): its lines come in
			// order of need, what is left before the price of one, on one line where both fit.
			lines := []item{{name: l.tr(mQty, f.sell.qty) + cursor, detail: f.money(int64(f.sell.qty) * t.Price)}}
			each := "x " + f.money(t.Price)
			switch left := l.tr(mLeft, t.Left); {
			case !t.Capped:
				lines = append(lines, item{name: each})
			case utf8.RuneCountInString(each)+1+utf8.RuneCountInString(left) <= f.opt.Cols:
				lines = append(lines, item{name: each, detail: left})
			default:
				lines = append(lines, item{name: left}, item{name: each})
			}
			return t.Name, lines, l.tr(mHintQty)
		},
	}
	s[stBuyer] = screen{
		kind:  kindField,
		title: title(mBuyer),
		enter: func(f *Flow) { f.textField(catalog.MaxEmailLen, false, false, f.sell.buyer) },
		back:  goTo(stQty),
		submit: func(f *Flow, _ context.Context, v string) {
			f.sell.buyer = v
			if err := catalog.ValidEmail(v); err != nil {
				f.say(stBuyer, false, f.tr(mBadEmail))
				return
			}
			f.to(stConfirm)
		},
	}
	s[stConfirm] = screen{
		kind: kindText,
		back: func(f *Flow) {
			if f.printed() {
				f.to(stQty)
			} else {
				f.to(stBuyer)
			}
		},
		text: func(f *Flow) (string, []item, string) {
			l := f.lang()
			ev := f.sell.events[f.sell.ev]
			t := ev.Types[f.sell.ty]
			lines := []item{
				{name: fmt.Sprintf("%d x %s", f.sell.qty, t.Name)},
				{name: l.tr(mTotal), detail: f.money(int64(f.sell.qty) * t.Price)},
			}
			hint := l.tr(mHintPrint)
			if !f.printed() {
				// The address just typed comes first: on 4 rows the total is a scroll away
				// (it showed on the quantity screen).
				lines = append([]item{{name: f.sell.buyer}}, lines...)
				hint = l.tr(mHintSell)
			}
			return ev.Event.Title, lines, hint
		},
		proceed: (*Flow).confirmSale,
	}
	s[stDone] = screen{
		kind: kindText,
		back: goTo(stMenu),
		text: func(f *Flow) (string, []item, string) {
			l := f.lang()
			s := f.sell.sale.Entry.Sale
			lines := f.ticketsTotal(len(s.Tickets), s.Total, s.Currency)
			if s.Buyer != "" {
				// The address alone where "Email to" would push it to a line of its own.
				to := l.tr(mEmailTo, s.Buyer)
				if utf8.RuneCountInString(to) > f.opt.Cols {
					to = s.Buyer
				}
				lines = append(lines, item{name: to})
			}
			var perr *PrinterError
			if errors.As(f.sell.sale.PrintErr, &perr) {
				lines = append(lines, item{name: l.tr(mNotPrinted, f.printerWords(perr))})
			}
			return l.tr(mSaleNo, f.sell.sale.Entry.Sale.No), lines, l.tr(mHintDone)
		},
		proceed: func(f *Flow, _ context.Context) { f.another() },
	}
}

// ticketsTotal are the lines of a sale's tickets and total: one ("Билети: 2  12,00 €"), or
// two where they do not fit on one.
func (f *Flow) ticketsTotal(tickets int, total int64, currency string) []item {
	l := f.lang()
	n, money := l.tr(mTickets, tickets), l.money(total, currency)
	if utf8.RuneCountInString(n)+1+utf8.RuneCountInString(money) <= f.opt.Cols {
		return []item{{name: n, detail: money}}
	}
	return []item{{name: n}, {name: l.tr(mTotal), detail: money}}
}

// qtyKey takes the keys of the quantity screen: digits type the quantity, Up and Down
// step it, OK goes on.
func (f *Flow) qtyKey(k device.Key) {
	switch {
	case k.IsDigit():
		d := int(k.Rune - '0')
		switch {
		case f.sell.fresh:
			f.sell.qty = d
		case f.sell.qty*10+d <= 99:
			f.sell.qty = f.sell.qty*10 + d
		}
		f.sell.fresh = false
	case k.Kind == device.KeyBackspace:
		f.sell.qty /= 10
		f.sell.fresh = false
	case k.Kind == device.KeyUp:
		f.sell.qty = min(f.sell.qty+1, MaxOrderTickets)
		f.sell.fresh = false
	case k.Kind == device.KeyDown:
		f.sell.qty = max(f.sell.qty-1, 1)
		f.sell.fresh = false
	case k.Kind == device.KeyCancel:
		f.back()
	case k.Kind == device.KeyOK:
		if f.sell.qty < 1 || f.sell.qty > MaxOrderTickets {
			f.say(stQty, false, f.tr(mBadQuantity, MaxOrderTickets))
			return
		}
		if f.printed() {
			f.to(stConfirm)
		} else {
			f.to(stBuyer)
		}
	}
}

// confirmSale makes the order on the confirm screen.
func (f *Flow) confirmSale(ctx context.Context) {
	ev := f.sell.events[f.sell.ev]
	t := ev.Types[f.sell.ty]
	o := Order{Event: ev.Event.ID, Lines: []OrderLine{{Type: t.ID, Qty: f.sell.qty}}}
	if !f.printed() {
		o.Buyer = f.sell.buyer
		f.progress(mSaving)
	} else {
		f.progress(mPrinting)
	}
	sale, err := f.k.Sell(ctx, f.sess, o)
	if err != nil {
		next := stConfirm
		switch {
		case errors.Is(err, ErrSoldOut), errors.Is(err, ErrBadQuantity):
			next = stQty
			if !f.reload() {
				next = stEvents
			}
		case errors.Is(err, ErrNotOnSale), errors.Is(err, ErrUnknownEvent), errors.Is(err, ErrUnknownType):
			f.reload()
			next = stEvents
		case errors.Is(err, ErrBadEmail), errors.Is(err, ErrEmailRequired):
			next = stBuyer
		}
		f.refuse(next, err)
		return
	}
	f.sell.sale, f.sell.last = sale, sale.Entry.Sale.No
	f.to(stDone)
}

// reload reads the events again (what is left changes with every sale, and a new config
// may change the events), keeping the chosen event and type by id. It reports whether
// both are still there.
func (f *Flow) reload() bool {
	var evID, typeID string
	if f.sell.ev < len(f.sell.events) {
		evID = f.sell.events[f.sell.ev].Event.ID
		if f.sell.ty < len(f.sell.events[f.sell.ev].Types) {
			typeID = f.sell.events[f.sell.ev].Types[f.sell.ty].ID
		}
	}
	evs, err := f.events()
	if err != nil {
		evs = nil
	}
	f.sell.events, f.sell.ev, f.sell.ty = evs, 0, 0
	for i, e := range evs {
		if e.Event.ID != evID {
			continue
		}
		f.sell.ev = i
		for j, t := range e.Types {
			if t.ID == typeID {
				f.sell.ty = j
				return true
			}
		}
	}
	return false
}

// another starts a new order for the same event.
func (f *Flow) another() {
	found := f.reload()
	f.sell.buyer = ""
	switch {
	case len(f.sell.events) == 0:
		f.to(stMenu)
	case !found:
		f.to(stEvents)
	default:
		f.to(stTypes)
	}
}
