package kiosk

import (
	"context"
	"errors"
	"math"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// reportFlow are the fields of a report on the display.
type reportFlow struct {
	scope      Scope
	users      []catalog.User // the users a supervisor may choose
	event      string         // "" for all
	periodName string
	from       journal.Day // the first day of a range
	result     *journal.Report
}

var scopes = []msg{mScopeMe, mScopeOutlet, mScopeUser}
var periods = []msg{mWhole, mToday, mYesterday, m7Days, mThisMonth, mRange}

// startReports starts a report from the main menu: a supervisor chooses whose sales, a
// cashier sees its own.
func (f *Flow) startReports(context.Context) {
	if f.isSupervisor() {
		f.to(stScope)
		return
	}
	f.report.scope = Scope{Kind: ScopeMe}
	f.to(stRepEvent)
}

// printTodaysReport prints today's report of the outlet, from the main menu.
func (f *Flow) printTodaysReport(ctx context.Context) {
	f.report.scope, f.report.event, f.report.periodName = Scope{Kind: ScopeOutlet}, "", f.tr(mToday)
	p := journal.Today(f.k.Now(), f.config().Outlet.Location())
	r, err := f.k.Report(f.sess, f.report.scope, "", p)
	if err != nil {
		f.refuse(stMenu, err)
		return
	}
	f.report.result = r
	f.printReport(ctx, stMenu)
}

// reportScreens defines a report: whose sales (supervisors), which event, which period
// (a range typed as two dates), and the report, which OK prints where there is a printer.
func reportScreens(s *[numStates]screen) {
	s[stScope] = screen{
		kind:  kindList,
		title: title(mScope),
		back:  goTo(stMenu),
		items: func(f *Flow) []item { return f.names(scopes) },
		choose: func(f *Flow, _ context.Context, i int) {
			switch scopes[i] {
			case mScopeMe:
				f.report.scope = Scope{Kind: ScopeMe}
			case mScopeOutlet:
				f.report.scope = Scope{Kind: ScopeOutlet}
			case mScopeUser:
				users, err := f.k.Subtree(f.sess)
				if err != nil {
					f.refuse(stScope, err)
					return
				}
				if len(users) == 0 {
					f.say(stScope, false, f.tr(mNoUsers))
					return
				}
				f.report.users = users
				f.to(stScopeUser)
				return
			}
			f.to(stRepEvent)
		},
	}
	s[stScopeUser] = screen{
		kind:  kindList,
		title: title(mUser),
		back:  goTo(stScope),
		items: func(f *Flow) []item { return emails(f.report.users) },
		choose: func(f *Flow, _ context.Context, i int) {
			f.report.scope = Scope{Kind: ScopeUser, User: f.report.users[i].Email}
			f.to(stRepEvent)
		},
	}
	s[stRepEvent] = screen{
		kind:  kindList,
		title: func(f *Flow) string { return f.tr(mReport) + ": " + f.scopeName() },
		back: func(f *Flow) {
			if f.isSupervisor() {
				f.to(stScope)
			} else {
				f.to(stMenu)
			}
		},
		items: func(f *Flow) []item {
			out := []item{{name: f.tr(mAllEvents)}}
			for _, e := range f.config().Events {
				out = append(out, item{name: e.Title})
			}
			return out
		},
		choose: func(f *Flow, _ context.Context, i int) {
			f.report.event = ""
			if evs := f.config().Events; i > 0 && i <= len(evs) {
				f.report.event = evs[i-1].ID
			}
			f.to(stPeriod)
		},
	}
	s[stPeriod] = screen{
		kind:  kindList,
		title: title(mPeriod),
		back:  goTo(stRepEvent),
		items: func(f *Flow) []item { return f.names(periods) },
		choose: func(f *Flow, _ context.Context, i int) {
			now, loc := f.k.Now(), f.config().Outlet.Location()
			var p journal.Period
			switch periods[i] {
			case mWhole:
				p = journal.Whole()
			case mToday:
				p = journal.Today(now, loc)
			case mYesterday:
				p = journal.Yesterday(now, loc)
			case m7Days:
				p = journal.LastDays(now, loc, 7)
			case mThisMonth:
				p = journal.ThisMonth(now, loc)
			case mRange:
				f.to(stFrom)
				return
			}
			f.report.periodName = f.tr(periods[i])
			f.runReport(p)
		},
	}
	s[stFrom] = dayField(mFrom, stPeriod, func(f *Flow, d journal.Day) {
		f.report.from = d
		f.to(stTo)
	})
	s[stTo] = dayField(mTo, stFrom, func(f *Flow, d journal.Day) {
		from, to := f.report.from, d
		if to < from {
			from, to = to, from
		}
		l := f.lang()
		f.report.periodName = l.date(from.Date(), false) + "-" + l.date(to.Date(), false)
		f.runReport(journal.Period{From: from, To: to})
	})
	s[stReport] = screen{
		kind: kindText,
		back: goTo(stPeriod),
		text: (*Flow).reportText,
		proceed: func(f *Flow, ctx context.Context) {
			if f.hasPrinter() {
				f.printReport(ctx, stReport)
			}
		},
	}
}

// dayField is a screen of a date of a range (two such screens), typed as 8 digits,
// YYYYMMDD: take takes the day; anything else is refused back to the screen.
func dayField(m msg, back state, take func(f *Flow, d journal.Day)) screen {
	return screen{
		kind:  kindField,
		title: title(m),
		enter: func(f *Flow) { f.digitsField(8, "") },
		back:  goTo(back),
		submit: func(f *Flow, _ context.Context, v string) {
			if len(v) == 8 {
				if d, err := journal.ParseDay(v[:4] + "-" + v[4:6] + "-" + v[6:]); err == nil {
					take(f, d)
					return
				}
			}
			f.say(f.st, false, f.tr(mBadDate, v))
		},
	}
}

// runReport makes the report of the chosen scope and event over p and shows it.
func (f *Flow) runReport(p journal.Period) {
	r, err := f.k.Report(f.sess, f.report.scope, f.report.event, p)
	if err != nil {
		f.refuse(stPeriod, err)
		return
	}
	f.report.result = r
	f.to(stReport)
}

// printReport prints the report shown, then goes to next.
func (f *Flow) printReport(ctx context.Context, next state) {
	f.progress(mPrinting)
	title := f.tr(mReport) + " " + f.scopeName() + " " + f.report.periodName
	err := f.k.PrintReport(ctx, f.sess, title, f.report.result)
	var perr *PrinterError
	switch {
	case errors.As(err, &perr) && errors.Is(err, ErrPrintFailed):
		f.say(next, false, f.tr(mReportNotPrinted, f.printerWords(perr)))
	case err != nil:
		f.refuse(next, err)
	default:
		f.say(next, true, f.tr(mReportPrinted))
	}
}

// noAmount marks a report line of tickets without money (the voided).
const noAmount = math.MinInt64

// scopeName is whose sales the report covers.
func (f *Flow) scopeName() string {
	switch f.report.scope.Kind {
	case ScopeOutlet:
		return f.config().Outlet.Name
	case ScopeUser:
		return f.report.scope.User
	}
	if f.sess != nil {
		return f.sess.User.Email
	}
	return ""
}

// reportText lays a report out: whose it is, a line per ticket type with its tickets and
// money (under a line per event when it covers every event), the total, and the tickets
// voided. A count carries its unit and stays apart from the amount (see item.count).
func (f *Flow) reportText() (string, []item, string) {
	l := f.lang()
	cfg := f.config()
	figures := func(name string, tickets, amount int64) item {
		it := item{name: name, count: l.tr(mPieces, tickets)}
		if amount != noAmount {
			it.detail = l.money(amount, cfg.Outlet.Currency)
		}
		return it
	}
	lines := []item{{name: f.scopeName()}}
	r := f.report.result
	lastEvent := ""
	for _, row := range r.Rows {
		ev, ok := cfg.Event(row.Event)
		evName, typeName := row.Event, row.Type
		if ok {
			evName = ev.Title
			if t, ok := ev.Type(row.Type); ok {
				typeName = t.Name
			}
		}
		indent := ""
		if f.report.event == "" {
			indent = " "
			if row.Event != lastEvent {
				lines = append(lines, item{name: evName})
				lastEvent = row.Event
			}
		}
		lines = append(lines, figures(indent+typeName, row.Tickets, row.Amount))
	}
	if len(r.Rows) == 0 {
		lines = append(lines, item{name: l.tr(mNoSales)})
	}
	lines = append(lines, figures(l.tr(mTotal), r.Total.Tickets, r.Total.Amount))
	if r.Total.Voided > 0 {
		lines = append(lines, figures(l.tr(mVoidedCount), r.Total.Voided, noAmount))
	}
	hint := l.tr(mHintBack)
	if f.hasPrinter() {
		hint = l.tr(mHintPrint)
	}
	return l.tr(mReport) + ": " + f.report.periodName, lines, hint
}
