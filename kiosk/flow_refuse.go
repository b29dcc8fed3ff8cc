package kiosk

import (
	"errors"
	"time"

	"ticketkiosk/escpos"
)

// say shows text, then goes to next: after a key, or for a note (a success) also after
// NoteTime, unless next is a text screen. A text screen's OK acts (prints, sells, voids):
// a note that timed out into one would turn the OK meant to dismiss it into that act.
func (f *Flow) say(next state, note bool, text string) {
	f.to(stMessage)
	f.note, f.noteNext, f.noteEnd = text, next, time.Time{}
	if note && screens[next].kind != kindText {
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
		return l.tr(mPrintFailed, f.sale.no, f.printerWords(perr))
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
				return l.tr(s.msg, f.sale.no)
			case mPrintFailed:
				return l.tr(s.msg, f.sale.no, l.tr(mPrintError))
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
	{ErrNotLocked, mNotLocked},
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
