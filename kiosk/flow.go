package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/journal"
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
	// default 3s. Refusals stay until a key is pressed.
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
}

// Flow is the kiosk's screen flow: a state machine that takes keys and the time and
// returns what the display shows. It starts no goroutine and does no I/O of its own; it
// calls the Kiosk for everything (login, selling, printing, reports). It is not safe for
// concurrent use: one goroutine feeds it keys and ticks.
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

	// message
	note     string
	noteNext state
	noteEnd  time.Time // zero: stays until a key
}

// credentials are the fields of the credential prompt: the login's, and a supervisor's
// approval of a reprint.
type credentials struct {
	id string // the email or kiosk code typed
}

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

// reportFlow are the fields of a report on the display.
type reportFlow struct {
	scope      Scope
	users      []catalog.User // the users a supervisor may choose
	event      string         // "" for all
	period     journal.Period
	periodName string
	from       journal.Day // the first day of a range
	result     *journal.Report
}

// saleFlow are the fields of a reprint or a void.
type saleFlow struct {
	action msg // mReprint or mVoid
	seq    uint64
	void   SaleSummary // the sale the void asks about
}

// usersFlow are the fields of creating and disabling users.
type usersFlow struct {
	nu     NewUser
	list   []catalog.User // the users a supervisor may disable
	target catalog.User   // the user to disable
}

// state is a screen of the flow.
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
)

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

func (f *Flow) isSupervisor() bool { return f.sess != nil && f.sess.IsSupervisor() }

func (f *Flow) printed() bool { return f.config().Outlet.Delivery == catalog.DeliveryPrint }

// to enters state st with a fresh list position and field.
func (f *Flow) to(st state) {
	f.st, f.sel, f.top, f.ed = st, 0, 0, nil
	text := func(max int, masked, digitsFirst bool) *Editor {
		e := &Editor{Kind: FieldText, MultiTap: f.opt.MultiTap, Masked: masked, Max: max, Pause: f.opt.TapPause}
		if digitsFirst && f.opt.MultiTap {
			e.Mode = TapDigits
		}
		return e
	}
	digits := func(max int) *Editor { return &Editor{Kind: FieldDigits, Max: max} }
	switch st {
	case stLoginID:
		f.ed = text(catalog.MaxEmailLen, false, true)
		f.ed.Set(f.cred.id)
	case stLoginPass, stApprovePass, stNewPass, stNewPass2:
		f.ed = text(72, true, false)
	case stApproveID:
		f.ed = text(catalog.MaxEmailLen, false, true)
	case stBuyer:
		f.ed = text(catalog.MaxEmailLen, false, false)
		f.ed.Set(f.sell.buyer)
	case stNewEmail:
		f.ed = text(catalog.MaxEmailLen, false, false)
		f.ed.Set(f.users.nu.Email)
	case stNewCode:
		f.ed = digits(catalog.MaxCodeLen)
		f.ed.Set(f.users.nu.Code)
	case stFrom, stTo:
		f.ed = digits(8)
	case stSaleNo:
		f.ed = digits(10)
		sale := f.sell.last
		if f.sale.action == mReprint {
			// A sale whose tickets did not print (a printer fault, a power cut mid-job) is
			// what a reprint is most likely for: offer the newest.
			if owed, err := f.k.Unprinted(); err == nil && len(owed) > 0 {
				sale = owed[len(owed)-1]
			}
		}
		if sale > 0 {
			f.ed.Set(strconv.FormatUint(sale, 10))
		}
	case stQty:
		f.sell.qty, f.sell.fresh = 1, true
	case stEvents:
		f.sel = f.sell.ev
	case stTypes:
		f.sel = f.sell.ty
	}
}

// say shows text, then goes to next: after a key, or for a note (a success) also after
// NoteTime.
func (f *Flow) say(next state, note bool, text string) {
	f.to(stMessage)
	f.note, f.noteNext, f.noteEnd = text, next, time.Time{}
	if note {
		f.noteEnd = f.k.Now().Add(f.opt.NoteTime)
	}
}

// refuse shows the message for a refusal of the core, then goes to next. A session that
// ended goes back to the idle screen.
func (f *Flow) refuse(next state, err error) {
	if errors.Is(err, ErrSessionEnded) {
		f.logout()
		next = stIdle
	}
	f.say(next, false, f.refusal(err))
}

// refusal is the message for an error of the core: one per sentinel error.
func (f *Flow) refusal(err error) string {
	l := f.lang()
	var (
		locked  *LockedError
		soldOut *SoldOutError
		perr    *PrinterError
	)
	switch {
	case errors.As(err, &locked):
		return l.tr(mLocked, locked.Until.In(f.config().Outlet.Location()).Format("15:04"))
	case errors.As(err, &soldOut):
		return l.tr(mSoldOut, soldOut.Left)
	case errors.As(err, &perr) && errors.Is(perr.Err, ErrPrintFailed):
		return l.tr(mPrintFailed, f.sale.seq, f.printerWords(perr))
	case errors.As(err, &perr):
		return l.tr(mPrinterNotReady, f.printerWords(perr))
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			switch s.msg {
			case mBadQuantity:
				return l.tr(s.msg, MaxOrderTickets)
			case mSoldOut:
				return l.tr(s.msg, 0)
			case mLocked:
				return l.tr(s.msg, "--:--")
			case mAlreadyVoided, mNoSuchSale:
				return l.tr(s.msg, f.sale.seq)
			case mPrintFailed:
				return l.tr(s.msg, f.sale.seq, l.tr(mPrintError))
			case mPrinterNotReady:
				return l.tr(s.msg, l.tr(mPrinterNoAnswer))
			}
			return l.tr(s.msg)
		}
	}
	f.log.Error("kiosk refused", "err", err)
	return l.tr(mError, err.Error())
}

// sentinels maps each sentinel error of the core to its message.
var sentinels = []struct {
	err error
	msg msg
}{
	{ErrNoConfig, mNoConfig},
	{ErrBadCredentials, mBadCredentials},
	{ErrLocked, mLocked},
	{ErrDisabled, mDisabled},
	{ErrNotSupervisor, mNotSupervisor},
	{ErrUnknownEvent, mUnknownEvent},
	{ErrNotOnSale, mNotOnSale},
	{ErrUnknownType, mUnknownType},
	{ErrBadQuantity, mBadQuantity},
	{ErrSoldOut, mSoldOut},
	{ErrEmailRequired, mEmailRequired},
	{ErrEmailNotAllowed, mEmailNotAllowed},
	{ErrBadEmail, mBadEmail},
	{ErrPrinterNotReady, mPrinterNotReady},
	{ErrPrintFailed, mPrintFailed},
	{ErrNotYourUser, mNotYourUser},
	{ErrUserExists, mUserExists},
	{ErrCodeExists, mCodeExists},
	{ErrInvalidUser, mInvalidUser},
	{ErrAlreadyVoided, mAlreadyVoided},
	{ErrNoSuchSale, mNoSuchSale},
	{ErrScope, mScopeRefused},
	{ErrNotPrinted, mNotPrintedOutlet},
	{ErrSessionEnded, mSessionEnded},
	{ErrSelfDisable, mSelfDisable},
}

// printerWords says what is wrong with the printer of a refusal.
func (f *Flow) printerWords(perr *PrinterError) string {
	l := f.lang()
	switch {
	case perr.Status == (escpos.Status{}) && perr.Cause != nil:
		return l.tr(mPrinterNoAnswer)
	case perr.Status.Ready():
		// The printer says it is fine, yet the job failed (a cable, a timeout).
		return l.tr(mPrintError)
	}
	return l.printerWords(perr.Status)
}

// progress shows text while a slow call runs.
func (f *Flow) progress(m msg) {
	if f.opt.Progress == nil {
		return
	}
	rows := make(Screen, f.opt.Rows)
	for i := range rows {
		rows[i] = fit("", f.opt.Cols)
	}
	rows[(f.opt.Rows-1)/2] = center(f.tr(m), f.opt.Cols)
	f.opt.Progress(rows)
}

// kind is how a state takes keys and shows itself.
type kind uint8

const (
	kindList  kind = iota // items to choose from
	kindField             // one text field
	kindText              // lines to read, OK to go on
)

func (st state) kind() kind {
	switch st {
	case stLoginID, stLoginPass, stBuyer, stFrom, stTo, stSaleNo, stApproveID, stApprovePass,
		stNewEmail, stNewCode, stNewPass, stNewPass2:
		return kindField
	case stQty, stConfirm, stDone, stReport, stVoidAsk, stDisableAsk, stMessage, stIdle:
		return kindText
	}
	return kindList
}

func (f *Flow) key(ctx context.Context, k device.Key, now time.Time) {
	switch f.st {
	case stIdle:
		if _, err := f.k.Config(); err != nil || k.Kind == device.KeyCancel {
			return
		}
		f.cred.id = ""
		f.to(stLoginID)
		if k.Kind == device.KeyChar {
			f.ed.Key(k, now)
		}
		return
	case stMessage:
		if k.Kind == device.KeyUp || k.Kind == device.KeyDown {
			f.scroll(k)
			return
		}
		f.to(f.noteNext)
		return
	case stQty:
		f.qtyKey(k)
		return
	}
	switch f.st.kind() {
	case kindField:
		switch k.Kind {
		case device.KeyOK:
			f.ed.Commit()
			v := f.ed.Value()
			if !f.ed.Masked { // a password is taken as typed
				v = strings.TrimSpace(v)
			}
			f.submit(ctx, v)
		case device.KeyCancel:
			f.back()
		default:
			f.ed.Key(k, now)
		}
	case kindList:
		n := len(f.items())
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
			f.choose(ctx, f.sel)
		case k.Kind == device.KeyCancel:
			f.back()
		}
	case kindText:
		switch k.Kind {
		case device.KeyUp, device.KeyDown:
			f.scroll(k)
		case device.KeyOK:
			f.proceed(ctx)
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

// back answers Cancel.
func (f *Flow) back() {
	switch f.st {
	case stLoginID:
		f.logout()
	case stLoginPass:
		f.to(stLoginID)
	case stEvents, stDone, stScope, stSaleNo, stNewEmail, stReport:
		if f.st == stReport {
			f.to(stPeriod)
			return
		}
		f.to(stMenu)
	case stTypes:
		f.to(stEvents)
	case stQty:
		f.to(stTypes)
	case stBuyer:
		f.to(stQty)
	case stConfirm:
		if f.printed() {
			f.to(stQty)
		} else {
			f.to(stBuyer)
		}
	case stScopeUser:
		f.to(stScope)
	case stRepEvent:
		if f.isSupervisor() {
			f.to(stScope)
		} else {
			f.to(stMenu)
		}
	case stPeriod:
		f.to(stRepEvent)
	case stFrom:
		f.to(stPeriod)
	case stTo:
		f.to(stFrom)
	case stApproveID, stVoidAsk:
		f.to(stSaleNo)
	case stApprovePass:
		f.to(stApproveID)
	case stNewCode:
		f.to(stNewEmail)
	case stRole:
		f.to(stNewCode)
	case stNewPass:
		f.to(stRole)
	case stNewPass2:
		f.to(stNewPass)
	case stDisable:
		f.to(stMenu)
	case stDisableAsk:
		f.to(stDisable)
	}
}

// menu is the main menu of the session's role.
// Reprint is offered where the outlet prints tickets, printing a report where the kiosk
// has a printer.
func (f *Flow) menu() []msg {
	var out []msg
	add := func(on bool, m msg) {
		if on {
			out = append(out, m)
		}
	}
	sup := f.isSupervisor()
	add(true, mSell)
	add(true, mReports)
	add(sup && f.hasPrinter(), mPrintReport)
	add(f.printed(), mReprint)
	add(sup, mVoid)
	add(sup, mNewUser)
	add(sup, mDisableUser)
	add(true, mLogout)
	return out
}

// hasPrinter reports whether the kiosk has a printer to print reports on.
func (f *Flow) hasPrinter() bool { return f.k.HasPrinter() }

var scopes = []msg{mScopeMe, mScopeOutlet, mScopeUser}
var periods = []msg{mWhole, mToday, mYesterday, m7Days, mThisMonth, mRange}
var roles = []struct {
	m msg
	r catalog.Role
}{{mCashier, catalog.RoleCashier}, {mSupervisor, catalog.RoleSupervisor}}

func roleName(r catalog.Role) msg {
	if r == catalog.RoleSupervisor {
		return mSupervisor
	}
	return mCashier
}

// item is one line of a list: a name and, right aligned, a detail.
type item struct{ name, detail string }

// items returns the lines of a list screen.
func (f *Flow) items() []item {
	l := f.lang()
	names := func(ms []msg) []item {
		out := make([]item, len(ms))
		for i, m := range ms {
			out[i] = item{name: l.tr(m)}
		}
		return out
	}
	switch f.st {
	case stMenu:
		return names(f.menu())
	case stEvents:
		loc := f.config().Outlet.Location()
		out := make([]item, len(f.sell.events))
		for i, e := range f.sell.events {
			out[i] = item{name: l.date(e.Event.Start.In(loc), false) + " " + e.Event.Title}
		}
		return out
	case stTypes:
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
			out = append(out, item{t.Name, right})
		}
		return out
	case stScope:
		return names(scopes)
	case stScopeUser:
		out := make([]item, len(f.report.users))
		for i, u := range f.report.users {
			out[i] = item{name: u.Email}
		}
		return out
	case stRepEvent:
		out := []item{{name: l.tr(mAllEvents)}}
		for _, e := range f.config().Events {
			out = append(out, item{name: e.Title})
		}
		return out
	case stPeriod:
		return names(periods)
	case stDisable:
		out := make([]item, len(f.users.list))
		for i, u := range f.users.list {
			out[i] = item{name: u.Email}
		}
		return out
	case stRole:
		out := make([]item, len(roles))
		for i, r := range roles {
			out[i] = item{name: l.tr(r.m)}
		}
		return out
	}
	return nil
}

// choose acts on item i of a list.
func (f *Flow) choose(ctx context.Context, i int) {
	switch f.st {
	case stMenu:
		f.menuItem(ctx, f.menu()[i])
	case stEvents:
		f.sell.ev, f.sell.ty = i, 0
		if !f.sell.events[i].OnSale {
			f.say(stEvents, false, f.tr(mNotOnSale))
			return
		}
		f.to(stTypes)
	case stTypes:
		f.sell.ty = i
		if t := f.sell.events[f.sell.ev].Types[i]; t.Capped && t.Left <= 0 {
			f.say(stTypes, false, f.tr(mSoldOut, 0))
			return
		}
		f.to(stQty)
	case stScope:
		switch scopes[i] {
		case mScopeMe:
			f.report.scope = Scope{Kind: ScopeMe}
		case mScopeOutlet:
			f.report.scope = Scope{Kind: ScopeOutlet}
		case mScopeUser:
			users, err := f.k.Subtree(f.sess.User.Email)
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
	case stScopeUser:
		f.report.scope = Scope{Kind: ScopeUser, User: f.report.users[i].Email}
		f.to(stRepEvent)
	case stRepEvent:
		f.report.event = ""
		if evs := f.config().Events; i > 0 && i <= len(evs) {
			f.report.event = evs[i-1].ID
		}
		f.to(stPeriod)
	case stPeriod:
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
	case stRole:
		f.users.nu.Role = roles[i].r
		f.to(stNewPass)
	case stDisable:
		f.users.target = f.users.list[i]
		f.to(stDisableAsk)
	}
}

func (f *Flow) menuItem(ctx context.Context, m msg) {
	switch m {
	case mSell:
		evs, err := f.k.Events()
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
	case mReports:
		if f.isSupervisor() {
			f.to(stScope)
			return
		}
		f.report.scope = Scope{Kind: ScopeMe}
		f.to(stRepEvent)
	case mPrintReport:
		f.report.scope, f.report.event, f.report.periodName = Scope{Kind: ScopeOutlet}, "", f.tr(mToday)
		p := journal.Today(f.k.Now(), f.config().Outlet.Location())
		r, err := f.k.Report(f.sess, f.report.scope, "", p)
		if err != nil {
			f.refuse(stMenu, err)
			return
		}
		f.report.result, f.report.period = r, p
		f.printReport(ctx, stMenu)
	case mReprint, mVoid:
		f.sale.action = m
		f.to(stSaleNo)
	case mNewUser:
		f.users.nu = NewUser{}
		f.to(stNewEmail)
	case mDisableUser:
		users, err := f.k.Subtree(f.sess.User.Email)
		if err != nil {
			f.refuse(stMenu, err)
			return
		}
		f.users.list = f.users.list[:0]
		for _, u := range users {
			if !u.Disabled {
				f.users.list = append(f.users.list, u)
			}
		}
		if len(f.users.list) == 0 {
			f.say(stMenu, false, f.tr(mNoUsers))
			return
		}
		f.to(stDisable)
	case mLogout:
		f.logout()
	}
}

// submit takes the value of a field on OK.
func (f *Flow) submit(ctx context.Context, v string) {
	switch f.st {
	case stLoginID:
		if v == "" {
			return
		}
		f.cred.id = v
		f.to(stLoginPass)
	case stLoginPass:
		f.progress(mChecking)
		s, err := f.k.Login(f.cred.id, v)
		if err != nil {
			f.refuse(stLoginID, err)
			return
		}
		f.sess, f.sell.last = s, 0
		f.to(stMenu)
	case stBuyer:
		f.sell.buyer = v
		if err := catalog.ValidEmail(v); err != nil {
			f.say(stBuyer, false, f.tr(mBadEmail))
			return
		}
		f.to(stConfirm)
	case stFrom, stTo:
		d, ok := parseDay(v)
		if !ok {
			f.say(f.st, false, f.tr(mBadDate, v))
			return
		}
		if f.st == stFrom {
			f.report.from = d
			f.to(stTo)
			return
		}
		from, to := f.report.from, d
		if to < from {
			from, to = to, from
		}
		l := f.lang()
		f.report.periodName = l.date(from.Date(), false) + "-" + l.date(to.Date(), false)
		f.runReport(journal.Period{From: from, To: to})
	case stSaleNo:
		n, err := strconv.ParseUint(v, 10, 64)
		f.sale.seq = n
		if err != nil || n == 0 {
			f.say(stSaleNo, false, f.tr(mNoSuchSale, n))
			return
		}
		switch {
		case f.sale.action == mVoid:
			sum, err := f.k.SaleSummary(f.sess, n)
			if err != nil {
				f.refuse(stSaleNo, err)
				return
			}
			f.sale.void = sum
			f.to(stVoidAsk)
		case f.isSupervisor():
			f.reprint(ctx, f.sess.User) // a supervisor approves its own reprint
		default:
			f.to(stApproveID)
		}
	case stApproveID:
		if v == "" {
			return
		}
		f.cred.id = v
		f.to(stApprovePass)
	case stApprovePass:
		f.progress(mChecking)
		u, err := f.k.Approve(f.cred.id, v)
		if err != nil {
			f.refuse(stApproveID, err)
			return
		}
		f.reprint(ctx, u)
	case stNewEmail:
		f.users.nu.Email = v
		if err := catalog.ValidEmail(v); err != nil {
			f.say(stNewEmail, false, f.tr(mBadEmail))
			return
		}
		f.to(stNewCode)
	case stNewCode:
		f.users.nu.Code = v
		if err := catalog.ValidCode(v); err != nil {
			f.say(stNewCode, false, f.tr(mCodeBad, catalog.MinCodeLen, catalog.MaxCodeLen))
			return
		}
		f.to(stRole)
	case stNewPass:
		if utf8.RuneCountInString(v) < catalog.MinPasswordLen || len(v) > 72 {
			f.say(stNewPass, false, f.tr(mPassShort, catalog.MinPasswordLen))
			return
		}
		f.users.nu.Password = v
		f.to(stNewPass2)
	case stNewPass2:
		if v != f.users.nu.Password {
			f.say(stNewPass, false, f.tr(mPassMismatch))
			return
		}
		f.progress(mSaving)
		u, err := f.k.CreateUser(f.sess, f.users.nu)
		if err != nil {
			f.refuse(stNewEmail, err)
			return
		}
		f.users.nu = NewUser{}
		f.say(stMenu, true, f.tr(mUserCreated, u.Email))
	}
}

// parseDay reads a date typed as 8 digits, YYYYMMDD.
func parseDay(v string) (journal.Day, bool) {
	if len(v) != 8 {
		return 0, false
	}
	d, err := journal.ParseDay(v[:4] + "-" + v[4:6] + "-" + v[6:])
	return d, err == nil
}

// proceed answers OK on a text screen.
func (f *Flow) proceed(ctx context.Context) {
	switch f.st {
	case stConfirm:
		f.confirmSale(ctx)
	case stDone:
		f.another()
	case stReport:
		if f.hasPrinter() {
			f.printReport(ctx, stReport)
		}
	case stVoidAsk:
		f.progress(mSaving)
		if _, err := f.k.Void(f.sess, f.sale.seq, f.sess.User, "voided at the kiosk"); err != nil {
			f.refuse(stSaleNo, err)
			return
		}
		f.say(stMenu, true, f.tr(mVoided, f.sale.seq))
	case stDisableAsk:
		if err := f.k.DisableUser(f.sess, f.users.target.Email); err != nil {
			f.refuse(stMenu, err)
			return
		}
		f.say(stMenu, true, f.tr(mUserDisabled, f.users.target.Email))
	}
}

// sell makes the order on the confirm screen.
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
	f.sell.sale, f.sell.last, f.sale.seq = sale, sale.Entry.Seq, sale.Entry.Seq
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
	evs, err := f.k.Events()
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

func (f *Flow) reprint(ctx context.Context, approver catalog.User) {
	f.progress(mPrinting)
	e, err := f.k.Reprint(ctx, f.sess, f.sale.seq, approver)
	if err != nil {
		next := stSaleNo
		if errors.Is(err, ErrPrintFailed) {
			next = stMenu
		}
		f.refuse(next, err)
		return
	}
	f.say(stMenu, true, f.tr(mReprinted, f.sale.seq, e.Reprint.Copy))
}

func (f *Flow) runReport(p journal.Period) {
	r, err := f.k.Report(f.sess, f.report.scope, f.report.event, p)
	if err != nil {
		f.refuse(stPeriod, err)
		return
	}
	f.report.result, f.report.period = r, p
	f.to(stReport)
}

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

// text returns the title, lines and hint of a text screen. A line with a detail is one
// row, its detail right aligned; a line without is text that wraps.
func (f *Flow) text() (title string, lines []item, hint string) {
	l := f.lang()
	txt := func(s string) item { return item{name: s} }
	switch f.st {
	case stMessage:
		return "", []item{txt(f.note)}, ""
	case stQty:
		t := f.sell.events[f.sell.ev].Types[f.sell.ty]
		cursor := ""
		if !f.sell.fresh {
			cursor = "_"
		}
		lines = []item{
			{l.tr(mQty, f.sell.qty) + cursor, f.money(int64(f.sell.qty) * t.Price)},
			txt("x " + f.money(t.Price)),
		}
		if t.Capped {
			lines = append(lines, txt(l.tr(mLeft, t.Left)))
		}
		return t.Name, lines, l.tr(mHintQty)
	case stConfirm:
		ev := f.sell.events[f.sell.ev]
		t := ev.Types[f.sell.ty]
		lines = []item{
			txt(fmt.Sprintf("%d x %s", f.sell.qty, t.Name)),
			{l.tr(mTotal), f.money(int64(f.sell.qty) * t.Price)},
		}
		hint = l.tr(mHintPrint)
		if !f.printed() {
			lines = append(lines, txt(f.sell.buyer))
			hint = l.tr(mHintSell)
		}
		return ev.Event.Title, lines, hint
	case stDone:
		s := f.sell.sale.Entry.Sale
		lines = []item{
			txt(l.tr(mTickets, len(s.Tickets))),
			{l.tr(mTotal), f.money(s.Total)},
		}
		if s.Buyer != "" {
			lines = append(lines, txt(l.tr(mEmailTo, s.Buyer)))
		}
		var perr *PrinterError
		if errors.As(f.sell.sale.PrintErr, &perr) {
			lines = append(lines, txt(l.tr(mNotPrinted, f.printerWords(perr))))
		}
		return l.tr(mSaleNo, f.sell.sale.Entry.Seq), lines, l.tr(mHintDone)
	case stVoidAsk:
		s := f.sale.void
		name := s.Event
		if e, ok := f.config().Event(s.Event); ok {
			name = e.Title
		}
		lines = []item{txt(name), txt(l.tr(mTickets, s.Tickets)), {l.tr(mTotal), l.money(s.Total, s.Currency)}}
		return l.tr(mVoidAsk, f.sale.seq), lines, l.tr(mHintYesNo)
	case stDisableAsk:
		u := f.users.target
		lines = []item{txt(u.Email), txt(u.Code + " " + l.tr(roleName(u.Role)))}
		return l.tr(mDisableAsk), lines, l.tr(mHintYesNo)
	case stReport:
		return f.reportText()
	}
	return "", nil, ""
}

// reportText lays a report out: whose it is, a line per ticket type with its tickets and
// money (under a line per event when it covers every event), and the total.
func (f *Flow) reportText() (string, []item, string) {
	l := f.lang()
	cfg := f.config()
	sum := func(t journal.Tally) string {
		return strconv.FormatInt(t.Tickets, 10) + " " + l.money(t.Amount, cfg.Outlet.Currency)
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
		lines = append(lines, item{indent + typeName, sum(row.Tally)})
	}
	if len(r.Rows) == 0 {
		lines = append(lines, item{name: l.tr(mNoSales)})
	}
	lines = append(lines, item{l.tr(mTotal), sum(r.Total)})
	if r.Total.Voided > 0 {
		lines = append(lines, item{name: l.tr(mVoidedCount, r.Total.Voided)})
	}
	hint := l.tr(mHintBack)
	if f.hasPrinter() {
		hint = l.tr(mHintPrint)
	}
	return l.tr(mReport) + ": " + f.report.periodName, lines, hint
}

// fieldNote is the row under a field, on displays that have one.
func (f *Flow) fieldNote() string {
	if f.st == stSaleNo {
		return f.tr(mSaleNumber)
	}
	return ""
}

// title is the top row of a list or field screen.
func (f *Flow) title() string {
	l := f.lang()
	switch f.st {
	case stLoginID:
		return l.tr(mLoginID)
	case stLoginPass:
		return l.tr(mPassword)
	case stMenu:
		name := f.sess.User.Email
		if i := strings.IndexByte(name, '@'); i > 0 {
			name = name[:i]
		}
		return l.tr(mMenu) + ": " + name
	case stEvents:
		return l.tr(mEvents)
	case stTypes:
		return f.sell.events[f.sell.ev].Event.Title
	case stBuyer:
		return l.tr(mBuyer)
	case stScope:
		return l.tr(mScope)
	case stScopeUser:
		return l.tr(mUser)
	case stRepEvent:
		return l.tr(mReport) + ": " + f.scopeName()
	case stPeriod:
		return l.tr(mPeriod)
	case stFrom:
		return l.tr(mFrom)
	case stTo:
		return l.tr(mTo)
	case stSaleNo:
		return l.tr(f.sale.action)
	case stApproveID:
		return l.tr(mApproveID)
	case stApprovePass:
		return l.tr(mApprovePass)
	case stNewEmail:
		return l.tr(mNewEmail)
	case stNewCode:
		return l.tr(mNewCode)
	case stRole:
		return l.tr(mRole)
	case stNewPass:
		return l.tr(mNewPass)
	case stNewPass2:
		return l.tr(mNewPass2)
	case stDisable:
		return l.tr(mDisableUser)
	}
	return ""
}

// textLayout wraps the lines of a text screen: it returns the title, the lines, the hint
// when it has a row of its own (4 rows and more, when the lines fit above it), and how many
// lines a page shows. Otherwise the hint is the last line, and lines that need scrolling
// leave the last column to the scroll marks.
func (f *Flow) textLayout() (title string, lines []string, hint string, page int) {
	title, raw, hint := f.text()
	rows, cols := f.opt.Rows, f.opt.Cols
	page = rows
	if f.st != stMessage {
		page--
	}
	wrapAll := func(w int) []string {
		var out []string
		for _, it := range raw {
			if it.detail != "" {
				out = append(out, pair(it.name, it.detail, w))
				continue
			}
			out = append(out, wrap(it.name, w)...)
		}
		return out
	}
	if hint != "" && rows >= 4 {
		if lines = wrapAll(cols); len(lines) <= page-1 {
			return title, lines, hint, page - 1
		}
	}
	if hint != "" {
		raw = append(raw, item{name: hint})
	}
	if lines = wrapAll(cols); len(lines) > page {
		lines = wrapAll(cols - 1)
	}
	return title, lines, "", page
}

// render draws the current state.
func (f *Flow) render() Screen {
	if f.st == stIdle {
		return f.renderIdle()
	}
	rows, cols := f.opt.Rows, f.opt.Cols
	out := make(Screen, 0, rows)
	switch f.st.kind() {
	case kindField:
		out = append(out, fit(f.title(), cols), f.ed.Display(cols))
		if note := f.fieldNote(); note != "" && rows >= 3 {
			out = append(out, fit(note, cols))
		}
	case kindList:
		out = append(out, fit(f.title(), cols))
		items := f.items()
		page := rows - 1
		f.top = window(f.top, f.sel, len(items), page)
		scrolls := len(items) > page
		for i := f.top; i < len(items) && i < f.top+page; i++ {
			sel, num := " ", "  "
			if i == f.sel {
				sel = string(markSel)
			}
			if i < 9 {
				num = strconv.Itoa(i+1) + " "
			}
			mark := ""
			if scrolls {
				mark = " "
				if i == f.top && f.top > 0 {
					mark = string(markUp)
				}
				if i == f.top+page-1 && i < len(items)-1 {
					mark = string(markDown)
				}
			}
			w := cols - 3 - utf8.RuneCountInString(mark)
			out = append(out, sel+num+pair(items[i].name, items[i].detail, w)+mark)
		}
	case kindText:
		title, lines, hint, page := f.textLayout()
		if f.st != stMessage {
			out = append(out, fit(title, cols))
		}
		f.top = max(0, min(f.top, len(lines)-page))
		for i := f.top; i < len(lines) && i < f.top+page; i++ {
			if len(lines) <= page {
				out = append(out, fit(lines[i], cols))
				continue
			}
			mark := " "
			if i == f.top && f.top > 0 {
				mark = string(markUp)
			}
			if i == f.top+page-1 && i < len(lines)-1 {
				mark = string(markDown)
			}
			out = append(out, fit(lines[i], cols-1)+mark)
		}
		if hint != "" {
			for len(out) < rows-1 {
				out = append(out, fit("", cols))
			}
			out = append(out, fit(hint, cols))
		}
	}
	for len(out) < rows {
		out = append(out, fit("", cols))
	}
	return out[:rows]
}

// renderIdle draws the idle screen: the outlet's name with the link glyph, the printer's
// state, the unsent entries, and how to log in.
func (f *Flow) renderIdle() Screen {
	rows, cols := f.opt.Rows, f.opt.Cols
	l := f.lang()
	glyph := device.GlyphSynced
	switch {
	case !f.status.Online:
		glyph = device.GlyphOffline
	case f.status.Unsynced > 0:
		glyph = device.GlyphPending
	}
	cfg, err := f.k.Config()
	if err != nil {
		out := Screen{pair("", string(glyph), cols)}
		for _, s := range wrap(l.tr(mNoConfig), cols) {
			out = append(out, fit(s, cols))
		}
		for len(out) < rows {
			out = append(out, fit("", cols))
		}
		return out[:rows]
	}
	out := Screen{pair(cfg.Outlet.Name, string(glyph), cols)}
	printer := ""
	if cfg.Outlet.Delivery == catalog.DeliveryPrint {
		printer = l.printerWords(f.status.Printer)
		if f.status.PrinterErr != nil {
			printer = l.tr(mPrinterNoAnswer)
		}
	}
	if rows == 2 {
		left := printer
		if left == "" {
			left = l.tr(mIdleLogin)
		}
		right := ""
		if f.status.Unsynced > 0 {
			right = strconv.FormatUint(f.status.Unsynced, 10)
		}
		return append(out, pair(left, right, cols))
	}
	var lines []string
	if printer != "" {
		lines = append(lines, l.tr(mPrinter, printer))
	}
	lines = append(lines, l.tr(mUnsent, f.status.Unsynced))
	for len(out) < rows-1 && len(lines) > 0 {
		out = append(out, fit(lines[0], cols))
		lines = lines[1:]
	}
	for len(out) < rows-1 {
		out = append(out, fit("", cols))
	}
	return append(out, fit(l.tr(mIdleLogin), cols))
}
