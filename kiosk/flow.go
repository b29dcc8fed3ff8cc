package kiosk

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/escpos"
)

// FlowOptions configure a Flow.
type FlowOptions struct {
	// Rows and Cols are the display's size: 2×16, 4×20, a terminal's 8×40, ... Smaller
	// sizes are raised to 2×16.
	Rows, Cols int
	// MultiTap says the keys are a digit keypad: text fields read digits as multi-tap
	// letters (see Editor). False for keyboards.
	MultiTap bool
	// TapPause is the multi-tap commit pause; default DefaultTapPause.
	TapPause time.Duration
	// NoteTime is how long a note of success stays before the flow moves on by itself;
	// default 3s. Refusals stay until a key is pressed, and so does a note before a
	// screen whose OK acts (the report, whose OK prints it).
	NoteTime time.Duration
	// Progress, if set, is called with the screen to show before a call that may take a
	// while (checking a password, printing, saving), since the flow returns its next
	// screen only when the call is done.
	Progress func(Screen)
	// Locale is the language before any configuration is applied; default English.
	Locale catalog.Locale
	Logger *slog.Logger
}

// Status is what the idle screen tells about the kiosk's links; the daemon sets it.
type Status struct {
	Online     bool          // connected to the hub
	Unsynced   uint64        // journal entries the hub has not acknowledged
	Printer    escpos.Status // the printer's last answer
	PrinterErr error         // the printer did not answer (Printer is then unknown)
	// Problem is what keeps the kiosk from the hub (the broker refused its password, a
	// config was refused), shown on the idle screen in the outlet's language; zero when none.
	Problem Problem
}

// Flow is the kiosk's screen flow: a state machine that takes keys and the time and
// returns what the display shows. It starts no goroutine and does no I/O of its own; it
// calls the Kiosk for everything (login, selling, printing, reports). It is not safe for
// concurrent use: one goroutine feeds it keys and ticks.
//
// Each screen is defined once, in the table screens (see screen); the sub-flows' files
// (flow_login.go, flow_sell.go, flow_report.go, flow_sale.go, flow_users.go) define
// theirs and keep their fields in a struct of their own.
type Flow struct {
	k   *Kiosk
	opt FlowOptions
	log *slog.Logger

	st     state
	sel    int // the selected item of a list
	top    int // the first row shown of a list or text
	ed     *Editor
	sess   *Session
	status Status
	last   time.Time // the last key

	// The sub-flows' fields: logout zeroes them all.
	cred   credentials
	sell   sellFlow
	report reportFlow
	sale   saleFlow
	users  usersFlow
	unlock unlockFlow

	// message
	note     string
	noteNext state
	noteEnd  time.Time // zero: stays until a key
}

// state is a screen of the flow: an index in screens.
type state uint8

const (
	stIdle state = iota
	stLoginID
	stLoginPass
	stMenu
	stEvents
	stTypes
	stQty
	stBuyer
	stConfirm
	stDone
	stScope
	stScopeUser
	stRepEvent
	stPeriod
	stFrom
	stTo
	stReport
	stSaleNo
	stApproveID
	stApprovePass
	stVoidAsk
	stNewEmail
	stNewCode
	stRole
	stNewPass
	stNewPass2
	stDisable
	stDisableAsk
	stMessage
	stUnlock
	numStates
)

// kind is how a screen takes keys and shows itself.
type kind uint8

const (
	kindList  kind = iota + 1 // items to choose from
	kindField                 // one text field
	kindText                  // lines to read, OK to go on
)

// screen is the definition of one screen: its kind, how it shows, what entering it sets
// up, and what its keys do. A screen sets the functions its kind uses; a nil back or
// proceed ignores the key.
type screen struct {
	kind kind
	// title is the top row of a list or field screen (a text screen's comes with text).
	title func(f *Flow) string
	// enter runs when the flow comes to the screen: it makes the field, sets the selection.
	enter func(f *Flow)
	// keys, when set, takes every key instead of the kind's handling.
	keys func(f *Flow, ctx context.Context, k device.Key, now time.Time)
	// back answers Cancel.
	back func(f *Flow)

	// items are a list's lines; choose acts on OK on item i.
	items  func(f *Flow) []item
	choose func(f *Flow, ctx context.Context, i int)

	// submit takes a field's value on OK (trimmed, unless the field is masked); note is
	// the row under the field, on displays that have one.
	submit func(f *Flow, ctx context.Context, v string)
	note   msg

	// text returns a text screen's title, lines and hint; proceed answers OK. A text
	// screen without a title (the message) has no title row.
	text    func(f *Flow) (title string, lines []item, hint string)
	proceed func(f *Flow, ctx context.Context)
	// noScroll says Up and Down do something else on the screen (its keys take them):
	// lines that do not fit are left out, not scrolled to.
	noScroll bool

	// render, when set, draws the screen instead of its kind.
	render func(f *Flow) Screen
}

// screens are the screens' definitions, by state. A definition refers to other screens
// (f.to(stMenu)), and f.to reads this table: Go refuses a variable whose initialiser
// refers back to itself, so init fills it, each sub-flow's part from its own file.
var screens [numStates]screen

func init() {
	for _, define := range []func(*[numStates]screen){coreScreens, loginScreens, sellScreens,
		reportScreens, saleScreens, userScreens, unlockScreens} {
		define(&screens)
	}
	for st, s := range screens {
		if s.kind == 0 {
			panic(fmt.Sprintf("kiosk: screen %d has no definition", st))
		}
	}
}

// goTo returns a function that goes to screen st (the back of most screens).
func goTo(st state) func(f *Flow) { return func(f *Flow) { f.to(st) } }

// title returns a title function that shows m.
func title(m msg) func(f *Flow) string { return func(f *Flow) string { return f.tr(m) } }

// coreScreens defines the idle screen, the message and the main menu.
func coreScreens(s *[numStates]screen) {
	s[stIdle] = screen{
		kind: kindText,
		keys: func(f *Flow, _ context.Context, k device.Key, now time.Time) {
			if _, err := f.k.Config(); err != nil || k.Kind == device.KeyCancel {
				return
			}
			f.cred.id = ""
			f.to(stLoginID)
			if k.Kind == device.KeyChar {
				f.ed.Key(k, now)
			}
		},
		render: (*Flow).renderIdle,
	}
	s[stMessage] = screen{
		kind: kindText,
		keys: func(f *Flow, _ context.Context, k device.Key, _ time.Time) {
			if k.Kind == device.KeyUp || k.Kind == device.KeyDown {
				f.scroll(k)
				return
			}
			f.to(f.noteNext)
		},
		text: func(f *Flow) (string, []item, string) { return "", []item{{name: f.note}}, "" },
	}
	s[stMenu] = screen{
		kind: kindList,
		title: func(f *Flow) string {
			name := f.sess.User.Email
			if i := strings.IndexByte(name, '@'); i > 0 {
				name = name[:i]
			}
			return f.tr(mMenu) + ": " + name
		},
		items:  func(f *Flow) []item { return f.names(f.menu()) },
		choose: func(f *Flow, ctx context.Context, i int) { f.menuEntry(f.menu()[i]).start(f, ctx) },
	}
}

// menuEntry is an entry of the main menu: its text, whether the session sees it, and the
// sub-flow it starts.
type menuEntry struct {
	m     msg
	shown func(f *Flow) bool
	start func(f *Flow, ctx context.Context)
}

// menuEntries are the main menu's entries in order. Reprint is offered where the outlet
// prints tickets, printing a report where the kiosk has a printer.
var menuEntries = []menuEntry{
	{mSell, nil, (*Flow).startSell},
	{mReports, nil, (*Flow).startReports},
	{mPrintReport, func(f *Flow) bool { return f.isSupervisor() && f.hasPrinter() }, (*Flow).printTodaysReport},
	{mReprint, (*Flow).printed, func(f *Flow, _ context.Context) { f.startSaleAction(mReprint) }},
	{mVoid, (*Flow).isSupervisor, func(f *Flow, _ context.Context) { f.startSaleAction(mVoid) }},
	{mNewUser, (*Flow).isSupervisor, (*Flow).startNewUser},
	{mDisableUser, (*Flow).isSupervisor, (*Flow).startDisable},
	{mUnlock, (*Flow).anyLocked, (*Flow).startUnlock},
	{mLogout, nil, func(f *Flow, _ context.Context) { f.logout() }},
}

// menu is the main menu of the session's role.
func (f *Flow) menu() []msg {
	var out []msg
	for _, e := range menuEntries {
		if e.shown == nil || e.shown(f) {
			out = append(out, e.m)
		}
	}
	return out
}

// menuEntry returns the entry of m.
func (f *Flow) menuEntry(m msg) menuEntry {
	for _, e := range menuEntries {
		if e.m == m {
			return e
		}
	}
	panic(fmt.Sprintf("kiosk: no menu entry %d", m))
}

// NewFlow returns a Flow on the idle screen.
func NewFlow(k *Kiosk, opt FlowOptions) *Flow {
	opt.Rows = max(opt.Rows, 2)
	opt.Cols = max(opt.Cols, 16)
	if opt.NoteTime <= 0 {
		opt.NoteTime = 3 * time.Second
	}
	if opt.Locale == "" {
		opt.Locale = catalog.LocaleEN
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Flow{k: k, opt: opt, log: log, last: k.Now()}
}

// Session returns the logged-in user's session, or nil.
func (f *Flow) Session() *Session { return f.sess }

// Screen returns what the display shows now.
func (f *Flow) Screen() Screen { return f.render() }

// SetStatus sets what the idle screen tells; it returns the screen and whether it changed.
func (f *Flow) SetStatus(s Status) (Screen, bool) {
	before := f.render()
	f.status = s
	after := f.render()
	return after, !after.Equal(before)
}

// Tick moves the flow on with time: it commits a pending multi-tap letter after its pause,
// ends a note after FlowOptions.NoteTime, and logs out (back to the idle screen) after the
// outlet's Policy.IdleLogoutSec without a key. It returns the screen and whether it changed.
func (f *Flow) Tick(now time.Time) (Screen, bool) {
	before := f.render()
	if f.st != stIdle && now.Sub(f.last) >= f.idleLimit() {
		f.logout()
	}
	if f.ed != nil {
		f.ed.Tick(now)
	}
	if f.st == stMessage && !f.noteEnd.IsZero() && !now.Before(f.noteEnd) {
		f.to(f.noteNext)
	}
	after := f.render()
	return after, !after.Equal(before)
}

func (f *Flow) idleLimit() time.Duration {
	var p catalog.Policy
	if cfg, err := f.k.Config(); err == nil {
		p = cfg.Policy
	}
	return time.Duration(p.WithDefaults().IdleLogoutSec) * time.Second
}

// Key applies one key press and returns the next screen. Calls into the Kiosk (login,
// selling, printing) run within ctx.
func (f *Flow) Key(ctx context.Context, k device.Key) Screen {
	now := f.k.Now()
	f.last = now
	f.key(ctx, k, now)
	return f.render()
}

// logout ends the session and zeroes every sub-flow's fields: the flow is as new, on the
// idle screen, with the status it was last given.
func (f *Flow) logout() {
	if f.sess != nil {
		f.log.Info("logout", "user", f.sess.User.Email)
	}
	*f = Flow{k: f.k, opt: f.opt, log: f.log, status: f.status, last: f.last}
}

// lang is the outlet's language.
func (f *Flow) lang() lang {
	if cfg, err := f.k.Config(); err == nil && cfg.Outlet.Locale != "" {
		return langOf(cfg.Outlet.Locale)
	}
	return langOf(f.opt.Locale)
}

func (f *Flow) tr(m msg, args ...any) string { return f.lang().tr(m, args...) }

func (f *Flow) config() *catalog.DeviceConfig {
	cfg, err := f.k.Config()
	if err != nil {
		return &catalog.DeviceConfig{}
	}
	return cfg
}

func (f *Flow) money(minor int64) string { return f.lang().money(minor, f.config().Outlet.Currency) }

// isSupervisor reports whether the session's user is a supervisor in the applied config
// (a new config may have changed its role since the login).
func (f *Flow) isSupervisor() bool {
	u, err := f.k.current(f.sess)
	return err == nil && u.Role == catalog.RoleSupervisor
}

func (f *Flow) printed() bool { return f.config().Outlet.Delivery == catalog.DeliveryPrint }

// hasPrinter reports whether the kiosk has a printer to print reports on.
func (f *Flow) hasPrinter() bool { return f.k.HasPrinter() }

// to enters screen st with a fresh list position and no field; the screen's enter sets
// up the rest.
func (f *Flow) to(st state) {
	f.st, f.sel, f.top, f.ed = st, 0, 0, nil
	if enter := screens[st].enter; enter != nil {
		enter(f)
	}
}

// textField makes the screen's field one of text: masked for a password, starting with
// digits on a multi-tap keypad where an id is more likely a code than an email. A value
// (what was typed before a refusal) is offered: the first key typed replaces it.
func (f *Flow) textField(max int, masked, digitsFirst bool, value string) {
	f.ed = &Editor{Kind: FieldText, MultiTap: f.opt.MultiTap, Masked: masked, Max: max, Pause: f.opt.TapPause}
	if digitsFirst && f.opt.MultiTap {
		f.ed.Mode = TapDigits
	}
	f.ed.Offer(value)
}

// digitsField makes the screen's field one of digits; a value is offered, as textField's.
func (f *Flow) digitsField(max int, value string) {
	f.ed = &Editor{Kind: FieldDigits, Max: max}
	f.ed.Offer(value)
}

// back answers Cancel on the current screen.
func (f *Flow) back() {
	if back := screens[f.st].back; back != nil {
		back(f)
	}
}

// key applies a key to the current screen.
func (f *Flow) key(ctx context.Context, k device.Key, now time.Time) {
	s := &screens[f.st]
	if s.keys != nil {
		s.keys(f, ctx, k, now)
		return
	}
	switch s.kind {
	case kindField:
		switch k.Kind {
		case device.KeyOK:
			f.ed.Commit()
			v := f.ed.Value()
			if !f.ed.Masked { // a password is taken as typed
				v = strings.TrimSpace(v)
			}
			s.submit(f, ctx, v)
		case device.KeyCancel:
			f.back()
		default:
			f.ed.Key(k, now)
		}
	case kindList:
		n := len(s.items(f))
		switch {
		case k.Kind == device.KeyUp:
			f.sel = max(0, f.sel-1)
		case k.Kind == device.KeyDown:
			f.sel = max(0, min(n-1, f.sel+1))
		case k.IsDigit():
			i := int(k.Rune - '1')
			if k.Rune == '0' {
				i = 9
			}
			if i < n {
				f.sel = i
			}
		case k.Kind == device.KeyOK && n > 0:
			s.choose(f, ctx, f.sel)
		case k.Kind == device.KeyCancel:
			f.back()
		}
	case kindText:
		switch k.Kind {
		case device.KeyUp, device.KeyDown:
			f.scroll(k)
		case device.KeyOK:
			if s.proceed != nil {
				s.proceed(f, ctx)
			}
		case device.KeyCancel:
			f.back()
		}
	}
}

// scroll moves the text of a text screen by one row.
func (f *Flow) scroll(k device.Key) {
	if k.Kind == device.KeyUp {
		f.top = max(0, f.top-1)
		return
	}
	_, lines, _, page := f.textLayout()
	if f.top+page < len(lines) {
		f.top++
	}
}

// item is one line of a list or a text: a name and, right aligned, a detail. A text's
// item may have a count (a report's tickets) before the detail: where the three do not
// fit on one line the name takes a line and the figures the next, and where the figures
// do not fit on one either, the count and the detail take a line each; an amount never
// runs into a count.
type item struct{ name, detail, count string }

// names returns the items that show ms.
func (f *Flow) names(ms []msg) []item {
	l := f.lang()
	out := make([]item, len(ms))
	for i, m := range ms {
		out[i] = item{name: l.tr(m)}
	}
	return out
}

// emails returns the items that show the users' emails.
func emails(users []catalog.User) []item {
	out := make([]item, len(users))
	for i, u := range users {
		out[i] = item{name: u.Email}
	}
	return out
}
