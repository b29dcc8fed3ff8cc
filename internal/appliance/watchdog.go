package appliance

import (
	"context"
	"sync"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/internal/clock"
)

// The service manager's watchdog restarts kioskd when it stops hearing from it. The ping
// does not come from the main loop, which a sale blocks for as long as the printer takes
// (2 s status + 30 s print + 2 s status), but from a health check of its own: the main
// loop is healthy while it has shown progress within the stall limit, or while it is inside
// a hardware operation that is still within its own deadline. A slow printer keeps the
// pings coming; a loop wedged anywhere else, or a driver that overstays its deadline, stops
// them.

// Defaults of the watchdog's Options.
const (
	defaultWatchdogEvery = 10 * time.Second
	defaultStallAfter    = 15 * time.Second
	healthCheckEvery     = time.Second // how often the health check looks at the main loop
)

// liveness is what the main loop shows of its progress to the health check.
type liveness struct {
	clk  clock.Clock
	mu   sync.Mutex
	beat time.Time            // the main loop's last sign of progress
	ops  map[uint64]time.Time // hardware operations in progress: their deadlines (zero: none)
	next uint64
}

func newLiveness(clk clock.Clock) *liveness {
	clk = clock.Or(clk)
	return &liveness{clk: clk, beat: clk.Now(), ops: make(map[uint64]time.Time)}
}

// alive records that the main loop made progress now.
func (l *liveness) alive() {
	l.mu.Lock()
	l.beat = l.clk.Now()
	l.mu.Unlock()
}

// enter records that the main loop is in a hardware operation bounded by ctx's deadline;
// the function it returns ends the operation. Both count as progress.
func (l *liveness) enter(ctx context.Context) (exit func()) {
	deadline, _ := ctx.Deadline()
	l.mu.Lock()
	l.next++
	id := l.next
	l.ops[id] = deadline
	l.beat = l.clk.Now()
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.ops, id)
		l.beat = l.clk.Now()
		l.mu.Unlock()
	}
}

// healthy reports whether the main loop made progress within stall of now, counting the
// time spent in a bounded hardware operation, up to its deadline, as progress. An
// operation without a deadline counts only as the progress of entering it.
func (l *liveness) healthy(now time.Time, stall time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	last := l.beat
	for _, deadline := range l.ops {
		if deadline.IsZero() {
			continue
		}
		credited := deadline
		if credited.After(now) {
			credited = now
		}
		if credited.After(last) {
			last = credited
		}
	}
	return now.Sub(last) <= stall
}

// watch pings the watchdog every WatchdogEvery while the main loop is healthy, until ctx
// is done.
func (a *Daemon) watch(ctx context.Context) {
	if a.opt.Watchdog == nil {
		return
	}
	check := min(healthCheckEvery, a.opt.WatchdogEvery)
	t, ticks := a.opt.Clock.NewTicker(check)
	defer t.Stop()
	var last time.Time
	for {
		now := a.opt.Clock.Now()
		if (last.IsZero() || now.Sub(last) >= a.opt.WatchdogEvery) && a.live.healthy(now, a.opt.StallAfter) {
			a.opt.Watchdog()
			last = now
		}
		select {
		case <-ticks:
		case <-ctx.Done():
			return
		}
	}
}

// watchedPrinter is the printer as the kiosk core, which runs on the main loop, uses it:
// each call is a hardware operation bounded by its context, shown to the health check.
type watchedPrinter struct {
	device.Printer
	live *liveness
}

func (p watchedPrinter) Status(ctx context.Context) (escpos.Status, error) {
	defer p.live.enter(ctx)()
	return p.Printer.Status(ctx)
}

func (p watchedPrinter) Print(ctx context.Context, job []byte) error {
	defer p.live.enter(ctx)()
	return p.Printer.Print(ctx, job)
}
