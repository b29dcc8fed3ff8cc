package clock

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestOrNilIsReal(t *testing.T) {
	if _, ok := Or(nil).(Real); !ok {
		t.Fatalf("Or(nil) = %T, want Real", Or(nil))
	}
	c := stopped{}
	if Or(c) != Clock(c) {
		t.Fatal("Or(c) must return c")
	}
}

// TestRealFollowsTheBubble: inside a synctest bubble the real clock is the bubble's, so
// timers, tickers, AfterFunc and Sleep fire when the goroutines are blocked, at exactly
// the time asked for.
func TestRealFollowsTheBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Clock // nil: the real clock
		start := Or(c).Now()

		tm, ch := Or(c).NewTimer(3 * time.Second)
		defer tm.Stop()
		if at := <-ch; at.Sub(start) != 3*time.Second {
			t.Fatalf("timer fired after %v, want 3s", at.Sub(start))
		}

		tk, tch := Or(c).NewTicker(time.Second)
		for i := 1; i <= 3; i++ {
			<-tch
		}
		tk.Stop()
		if got := Or(c).Since(start); got != 6*time.Second {
			t.Fatalf("after three 1s ticks Since = %v, want 6s", got)
		}

		var fired atomic.Bool
		Or(c).AfterFunc(time.Minute, func() { fired.Store(true) })
		time.Sleep(time.Minute - time.Nanosecond)
		synctest.Wait()
		if fired.Load() {
			t.Fatal("AfterFunc fired early")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if !fired.Load() {
			t.Fatal("AfterFunc did not fire after its minute")
		}

		if !Sleep(context.Background(), c, time.Hour) {
			t.Fatal("Sleep with a live context must report the whole wait")
		}
		<-After(c, time.Second)
		if got := Or(c).Since(start); got != 6*time.Second+time.Minute+time.Hour+time.Second {
			t.Fatalf("Since = %v", got)
		}
	})
}

func TestSleepStopsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if Sleep(ctx, nil, time.Hour) {
			t.Fatal("Sleep must report a cut-short wait")
		}
		if got := time.Since(start); got != time.Second {
			t.Fatalf("Sleep returned after %v, want the context's 1s", got)
		}
	})
}

// TestSleepUsesTheGivenClock: a Clock that never fires keeps Sleep waiting for the context.
func TestSleepUsesTheGivenClock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, stopped{}, 0) {
		t.Fatal("Sleep on a clock that never fires must wait for the context")
	}
}

// stopped is a Clock whose time stands still and whose timers never fire.
type stopped struct{}

func (stopped) Now() time.Time { return time.Time{} }
func (stopped) NewTimer(time.Duration) (Timer, <-chan time.Time) {
	return nop{}, make(chan time.Time)
}
func (stopped) NewTicker(time.Duration) (Ticker, <-chan time.Time) {
	return nopTicker{}, make(chan time.Time)
}
func (stopped) AfterFunc(time.Duration, func()) Timer { return nop{} }
func (stopped) Since(time.Time) time.Duration         { return 0 }

type nop struct{}

func (nop) Reset(time.Duration) bool { return false }
func (nop) Stop() bool               { return false }

type nopTicker struct{}

func (nopTicker) Reset(time.Duration) {}
func (nopTicker) Stop()               {}

func TestWall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := Wall{}
		if !w.Synced() || !w.Now().Equal(time.Now()) {
			t.Fatalf("the zero Wall: synced %v, now %v; want synced at the real time", w.Synced(), w.Now())
		}
		w = Wall{Clock: stopped{}, IsSynced: func() bool { return false }}
		if w.Synced() || !w.Now().IsZero() {
			t.Fatalf("Wall over a stopped clock, not synced: synced %v, now %v", w.Synced(), w.Now())
		}
	})
}
