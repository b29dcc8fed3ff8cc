// Package clock is the one source of time for the runtime code (the appliance's main loop,
// the MQTT engines, the hub, the keypad drivers), in the style of tailscale's tstime: a
// Clock interface with Now, timers, tickers, AfterFunc and Since, where a nil Clock means
// the real one. Production code passes nothing; a test that needs to control time runs its
// code inside testing/synctest, whose bubble fakes the real clock, and passes nothing
// either. A Clock of its own is for the rare test that cannot run in a bubble.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and makes timers and tickers whose notion of time it controls. Each
// method follows its namesake in package time; NewTimer and NewTicker also return the
// channel, since an interface cannot carry the C field.
type Clock interface {
	// Now returns the current time, as time.Now.
	Now() time.Time
	// NewTimer returns a timer that fires once after d, as time.NewTimer.
	NewTimer(d time.Duration) (Timer, <-chan time.Time)
	// NewTicker returns a ticker that fires every d, as time.NewTicker.
	NewTicker(d time.Duration) (Ticker, <-chan time.Time)
	// AfterFunc calls f in its own goroutine after d, as time.AfterFunc.
	AfterFunc(d time.Duration, f func()) Timer
	// Since returns the time elapsed since t, as time.Since.
	Since(t time.Time) time.Duration
}

// Timer stops or resets a timer made by a Clock; *time.Timer is one.
type Timer interface {
	// Reset changes the timer to fire after d, as (*time.Timer).Reset.
	Reset(d time.Duration) bool
	// Stop prevents the timer from firing, as (*time.Timer).Stop.
	Stop() bool
}

// Ticker stops or resets a ticker made by a Clock; *time.Ticker is one.
type Ticker interface {
	// Reset changes the ticker's period to d, as (*time.Ticker).Reset.
	Reset(d time.Duration)
	// Stop turns the ticker off, as (*time.Ticker).Stop.
	Stop()
}

// Real is the Clock of the running machine (and, inside a testing/synctest bubble, the
// bubble's fake clock): each method calls its namesake in package time.
type Real struct{}

var _ Clock = Real{}

// Or returns c, or Real when c is nil: the way a struct field or option of type Clock
// that was left unset means the real clock.
func Or(c Clock) Clock {
	if c == nil {
		return Real{}
	}
	return c
}

// Now calls time.Now.
func (Real) Now() time.Time { return time.Now() }

// NewTimer calls time.NewTimer.
func (Real) NewTimer(d time.Duration) (Timer, <-chan time.Time) {
	t := time.NewTimer(d)
	return t, t.C
}

// NewTicker calls time.NewTicker.
func (Real) NewTicker(d time.Duration) (Ticker, <-chan time.Time) {
	t := time.NewTicker(d)
	return t, t.C
}

// AfterFunc calls time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Since calls time.Since.
func (Real) Since(t time.Time) time.Duration { return time.Since(t) }

// Sleep waits d on c (nil: the real clock), returning early when ctx is done. It reports
// whether the whole of d passed.
func Sleep(ctx context.Context, c Clock, d time.Duration) bool {
	t, ch := Or(c).NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-ch:
		return true
	}
}

// After returns a channel that receives the time once d has passed on c (nil: the real
// clock), as time.After. Where the wait may be abandoned, prefer NewTimer and Stop.
func After(c Clock, d time.Duration) <-chan time.Time {
	_, ch := Or(c).NewTimer(d)
	return ch
}

// Wall is the wall clock as a journal entry records it: the time from Clock (nil: the real
// clock) and whether that time is synchronised, from IsSynced (nil: it is). It is the
// journal.Clock the kiosk's store stamps entries with.
type Wall struct {
	Clock    Clock
	IsSynced func() bool
}

// Now returns the time of w's Clock.
func (w Wall) Now() time.Time { return Or(w.Clock).Now() }

// Synced reports whether w's time is synchronised.
func (w Wall) Synced() bool { return w.IsSynced == nil || w.IsSynced() }
