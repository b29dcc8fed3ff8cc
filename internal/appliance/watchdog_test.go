package appliance

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/journal"
	"ticketkiosk/kiosk"
	"ticketkiosk/store"
)

// watchdogInterval is the unit's WatchdogSec: systemd kills kioskd when two pings are further
// apart than this.
const watchdogInterval = 60 * time.Second

// testState makes a state directory with a device key and a config applied: one event
// with one ticket type, one cashier (code 2002, password 222222). It returns the
// appliance's configuration for it, with no printer configured.
func testState(t *testing.T) Config {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state")
	if _, _, err := InitKey(state); err != nil {
		t.Fatal(err)
	}
	hash, _ := catalog.HashPassword("222222")
	st, err := store.Open(filepath.Join(state, StoreFile), store.Options{Device: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &catalog.DeviceConfig{Version: 1, DeviceID: "k1", IssuedAt: time.Now().UTC().Truncate(time.Second),
		Outlet: catalog.Outlet{ID: "o1", Name: "Outlet", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"},
		Events: []catalog.Event{{ID: "e1", Title: "Show", Venue: "Hall", Start: time.Now().AddDate(0, 1, 0),
			Types: []catalog.TicketType{{ID: "std", Name: "Standard", Price: 1000}}}},
		Users: []catalog.User{{Email: "c@example.org", Code: "2002", Role: catalog.RoleCashier, Outlet: "o1", PasswordHash: hash}},
	}
	if _, err := st.ApplyConfig(cfg, nil, kiosk.SystemClock{}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	c := Defaults()
	c.DeviceID, c.StateDir = "k1", state
	c.Printer.Kind = "none"
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	return c
}

// typed is what a cashier types: a digit per rune, OK for a newline.
func typed(s string) []device.Key {
	var keys []device.Key
	for _, r := range s {
		if r == '\n' {
			keys = append(keys, device.Key{Kind: device.KeyOK})
		} else {
			keys = append(keys, device.Char(r))
		}
	}
	return keys
}

// saleKeys log the cashier in and sell one ticket.
const saleKeys = "2002\n222222\n1\n1\n1\n\n\n"

// testPrinter is a printer that takes its time: each status query takes statusTime, each
// job printTime. Like a real driver it gives up at its context's deadline, unless hang is
// set: then Print ignores the deadline and waits for hang to close (a wedged driver).
type testPrinter struct {
	statusTime, printTime time.Duration
	hang                  chan struct{}
	started               chan struct{} // closed when the first job starts

	once   sync.Once
	mu     sync.Mutex
	jobs   int           // jobs printed to the end
	starts []time.Time   // when each job started
	took   time.Duration // the longest job
}

func (p *testPrinter) wait(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *testPrinter) Status(ctx context.Context) (escpos.Status, error) {
	if err := p.wait(ctx, p.statusTime); err != nil {
		return escpos.Status{}, device.ErrOffline
	}
	return escpos.Status{Online: true}, nil
}

func (p *testPrinter) Print(ctx context.Context, job []byte) error {
	start := time.Now()
	p.mu.Lock()
	p.starts = append(p.starts, start)
	p.mu.Unlock()
	if p.started != nil {
		p.once.Do(func() { close(p.started) })
	}
	var err error
	if p.hang != nil {
		<-p.hang
	} else {
		err = p.wait(ctx, p.printTime)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.took = max(p.took, time.Since(start))
	if err == nil {
		p.jobs++
	}
	return err
}
func (p *testPrinter) Halt() error    { return nil }
func (p *testPrinter) String() string { return "test printer" }

// chanKeys is a keypad the test types on, key by key.
type chanKeys chan device.Key

func (c chanKeys) ReadKey(ctx context.Context) (device.Key, error) {
	select {
	case k := <-c:
		return k, nil
	case <-ctx.Done():
		return device.Key{}, ctx.Err()
	}
}
func (c chanKeys) Halt() error    { return nil }
func (c chanKeys) String() string { return "test keys" }

// wedgingDisplay is a display whose Show blocks, once wedged, until released (an I2C bus
// that hangs).
type wedgingDisplay struct {
	mu      sync.Mutex
	wedged  bool
	release chan struct{}
}

func (d *wedgingDisplay) Rows() int { return 4 }
func (d *wedgingDisplay) Cols() int { return 20 }
func (d *wedgingDisplay) Show([]string) error {
	d.mu.Lock()
	wedged := d.wedged
	d.mu.Unlock()
	if wedged {
		<-d.release
	}
	return nil
}
func (d *wedgingDisplay) wedge() {
	d.mu.Lock()
	d.wedged = true
	d.mu.Unlock()
}
func (d *wedgingDisplay) Halt() error    { return nil }
func (d *wedgingDisplay) String() string { return "wedging display" }

// pings records the watchdog's pings, as systemd hears them.
type pings struct {
	mu sync.Mutex
	at []time.Time
}

func (p *pings) ping() {
	p.mu.Lock()
	p.at = append(p.at, time.Now())
	p.mu.Unlock()
}

func (p *pings) times() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.at...)
}

// longestSilence is the longest time in [from, to] without a ping.
func (p *pings) longestSilence(from, to time.Time) time.Duration {
	var longest time.Duration
	last := from
	for _, at := range append(p.times(), to) {
		longest = max(longest, at.Sub(last))
		last = at
	}
	return longest
}

// runWatched runs the appliance with the watchdog pinged every 30 s (half the unit's
// WatchdogSec, as kioskd does) and the other options at their defaults. The returned stop
// ends the run and waits for Run to return.
func runWatched(t *testing.T, parts Parts, p *pings, onEntry func(journal.Entry)) (stop func()) {
	t.Helper()
	c := testState(t)
	a, err := Open(&c, parts, Options{
		Logger: slog.New(slog.DiscardHandler), Watchdog: p.ping, WatchdogEvery: watchdogInterval / 2, OnEntry: onEntry,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		a.Close()
	}
}

// TestWatchdogSlowPrinter: a sale on a printer as slow as its deadlines allow (a status
// query of nearly 2 s, a job that takes the whole 30 s and times out, the status query after
// the failure) blocks the main loop for longer than StallAfter and than the ping period. The
// sale starts a second before a ping is due (a main loop that pinged would go 63 s silent);
// the health check counts the bounded printer calls as progress, so the pings keep their
// period throughout. A job that takes 29 s and prints likewise.
func TestWatchdogSlowPrinter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		printTime time.Duration
		printed   int
		journal   []journal.Kind
	}{
		{"times out", time.Hour, 0, []journal.Kind{journal.KindSale, journal.KindPrintFailed}},
		{"prints in 29s", 29 * time.Second, 1, []journal.Kind{journal.KindSale}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				printer := &testPrinter{statusTime: 1900 * time.Millisecond, printTime: tc.printTime}
				var mu sync.Mutex
				var kinds []journal.Kind
				var p pings
				keys := make(chanKeys, 64)
				start := time.Now()
				stop := runWatched(t, Parts{Keypad: keys, Printer: printer}, &p, func(e journal.Entry) {
					mu.Lock()
					kinds = append(kinds, e.Kind)
					mu.Unlock()
				})
				time.Sleep(watchdogInterval/2 - time.Second)
				for _, k := range typed(saleKeys) {
					keys <- k
				}
				time.Sleep(3 * time.Minute)
				end := time.Now()
				stop()

				printer.mu.Lock()
				jobs, took, starts := printer.jobs, printer.took, len(printer.starts)
				printer.mu.Unlock()
				if starts != 1 || jobs != tc.printed {
					t.Fatalf("%d jobs started, %d printed; want 1 started, %d printed", starts, jobs, tc.printed)
				}
				if took < 29*time.Second {
					t.Fatalf("the job took %v: the printer was not slow", took)
				}
				mu.Lock()
				if !slices.Equal(kinds, tc.journal) {
					t.Errorf("journal %v after the sale, want %v", kinds, tc.journal)
				}
				mu.Unlock()
				// In the bubble the health check's ticks fall on whole seconds from the start,
				// so a check that never finds the loop unhealthy pings exactly every period.
				if s := p.longestSilence(start, end); s > watchdogInterval/2 {
					t.Fatalf("the watchdog went %v without a ping, want at most its period %v (systemd kills at %v): pings at %v",
						s, watchdogInterval/2, watchdogInterval, offsets(start, p.times()))
				}
			})
		})
	}
}

// TestWatchdogWedgedLoop: a main loop stuck outside a hardware operation (here in a display
// that hangs) stops the pings, so systemd kills kioskd within WatchdogSec; they come back
// when the loop does.
func TestWatchdogWedgedLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys := make(chanKeys, 1)
		display := &wedgingDisplay{release: make(chan struct{})}
		var p pings
		start := time.Now()
		stop := runWatched(t, Parts{Keypad: keys, Display: display}, &p, nil)
		time.Sleep(time.Minute)
		if n := len(p.times()); n < 2 {
			t.Fatalf("%d pings in the first minute of a healthy loop", n)
		}
		display.wedge()
		keys <- device.Char('2') // the login screen changes: the loop calls Show and hangs
		wedged := time.Now()
		time.Sleep(3 * time.Minute)
		assertWedgeStopsPings(t, &p, start, wedged, defaultStallAfter)

		close(display.release)
		before := len(p.times())
		time.Sleep(watchdogInterval)
		if len(p.times()) == before {
			t.Error("no ping after the loop came back")
		}
		stop()
	})
}

// TestWatchdogPrinterPastItsDeadline: a printer driver that ignores its deadline wedges the
// loop as surely as anything else: the pings stop once the job's deadline is StallAfter past.
func TestWatchdogPrinterPastItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		printer := &testPrinter{hang: make(chan struct{}), started: make(chan struct{})}
		var p pings
		start := time.Now()
		stop := runWatched(t, Parts{Keypad: &scriptKeys{keys: typed(saleKeys)}, Printer: printer}, &p, nil)
		<-printer.started
		printer.mu.Lock()
		deadline := printer.starts[0].Add(30 * time.Second) // kiosk.Options.PrintTimeout
		printer.mu.Unlock()
		time.Sleep(3 * time.Minute)
		assertWedgeStopsPings(t, &p, start, deadline, defaultStallAfter)
		close(printer.hang)
		stop()
	})
}

// assertWedgeStopsPings checks that no ping came later than stall (and one health check)
// after the loop wedged, and that systemd, at the end, would have killed kioskd.
func assertWedgeStopsPings(t *testing.T, p *pings, start, wedged time.Time, stall time.Duration) {
	t.Helper()
	at := p.times()
	if len(at) == 0 {
		t.Fatal("no pings at all")
	}
	if last := at[len(at)-1]; last.After(wedged.Add(stall + healthCheckEvery)) {
		t.Fatalf("pinged %v after the loop wedged (pings at %v, wedged at %v)", last.Sub(wedged), offsets(start, at), wedged.Sub(start))
	}
	if s := time.Since(at[len(at)-1]); s < watchdogInterval {
		t.Fatalf("only %v since the last ping: systemd would not have killed the wedged kioskd", s)
	}
}

// offsets are times as durations since start, for messages.
func offsets(start time.Time, at []time.Time) []time.Duration {
	out := make([]time.Duration, len(at))
	for i, t := range at {
		out[i] = t.Sub(start)
	}
	return out
}
