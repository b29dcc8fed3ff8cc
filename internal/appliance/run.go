package appliance

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/internal/clock"
	"ticketkiosk/internal/version"
	"ticketkiosk/journal"
	"ticketkiosk/kiosk"
	"ticketkiosk/mqtt"
	"ticketkiosk/store"
)

// Parts are the opened hardware. Display and Printer may be nil: a kiosk without a display
// logs its screens; one without a printer is "printer offline".
type Parts struct {
	Keypad   device.Keypad
	Display  device.Display
	Printer  device.Printer
	MultiTap bool // the keypad is a digit keypad: text fields use multi-tap
	// PrinterErr is why the configured printer could not be opened, shown on the idle
	// screen and in the fleet state.
	PrinterErr error
}

// Options tune Run.
type Options struct {
	Logger *slog.Logger
	Clock  clock.Clock // the main loop's, the link's and the entries' time; nil: the real clock
	// ClockSynced reports whether the system clock is synchronised (e.g. from timedatex),
	// as journal entries record; nil: assume it is.
	ClockSynced func() bool
	Ready       func() // called once the store is open and the hardware probed
	// Watchdog is called every WatchdogEvery while the main loop is healthy: it has shown
	// progress within StallAfter, or is inside a printer operation still within its own
	// deadline (a slow print does not stop the pings; a wedged loop does).
	Watchdog      func()
	WatchdogEvery time.Duration       // default 10s; kioskd uses half the service's WatchdogSec
	StallAfter    time.Duration       // default 15s
	Status        func(string)        // a one-line status for the service manager
	OnEntry       func(journal.Entry) // called after each journal entry (tests, demo)
	// DrainOnExit is how long a run that ends (signal or end of input) waits for the hub to
	// acknowledge the journal before it stops; default 0 (the journal is durable anyway).
	DrainOnExit time.Duration
	// StatusEvery is the period of printer and link checks; default 5s.
	StatusEvery time.Duration
	// WaitConfig, when the store has no config yet, is how long Run waits for the hub's
	// config before it reads keys (the demo's piped input needs the sell screens).
	WaitConfig time.Duration
}

// Daemon is kioskd at work: the kiosk core and its screens on the opened hardware, the
// link to the hub, the printer and link checks, and the watchdog's health check.
type Daemon struct {
	cfg    *Config
	parts  Parts
	opt    Options
	log    *slog.Logger
	key    ed25519.PrivateKey
	st     *store.Store
	core   *kiosk.Kiosk
	flow   *kiosk.Flow
	link   *mqtt.Device
	shown  kiosk.Screen
	health atomic.Value // mqtt.Health
	live   *liveness
}

// Open opens the store and builds the daemon; Run runs it. Close releases what Open took.
func Open(cfg *Config, parts Parts, opt Options) (*Daemon, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	opt.Clock = clock.Or(opt.Clock)
	if opt.StatusEvery <= 0 {
		opt.StatusEvery = 5 * time.Second
	}
	if opt.WatchdogEvery <= 0 {
		opt.WatchdogEvery = defaultWatchdogEvery
	}
	if opt.StallAfter <= 0 {
		opt.StallAfter = defaultStallAfter
	}
	if parts.Keypad == nil {
		return nil, errors.New("appliance: no keypad")
	}
	a := &Daemon{cfg: cfg, parts: parts, opt: opt, log: opt.Logger, live: newLiveness(opt.Clock)}
	a.health.Store(mqtt.Health{Software: version.Version, Printer: "unknown"})
	key, err := LoadKey(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	a.key = key
	st, err := store.Open(filepath.Join(cfg.StateDir, StoreFile), store.Options{Device: cfg.DeviceID, Timeout: 2 * time.Second})
	if err != nil {
		return nil, err
	}
	a.st = st
	if a.parts.Printer == nil && parts.PrinterErr != nil {
		a.parts.Printer = offlinePrinter{err: parts.PrinterErr}
	}
	var printer device.Printer // a nil interface, not a typed nil, when there is none
	if a.parts.Printer != nil {
		printer = watchedPrinter{Printer: a.parts.Printer, live: a.live}
	}
	lay, err := cfg.Layout()
	if err != nil {
		st.Close()
		return nil, err
	}
	a.core, err = kiosk.New(kiosk.Options{
		Store: st, Key: key, Clock: kiosk.SystemClock{Clock: opt.Clock, IsSynced: opt.ClockSynced}, Printer: printer, Layout: lay, Logger: a.log,
		Appended: a.appended,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	if cut, err := a.core.RecoverInterrupted(); err != nil {
		st.Close()
		return nil, fmt.Errorf("appliance: recover interrupted print jobs: %w", err)
	} else if len(cut) > 0 {
		a.log.Warn("print jobs cut short by the last stop are marked unprinted; reprint them", "sale_numbers", cut)
	}
	rows, cols := cfg.Display.Rows, cfg.Display.Cols
	if parts.Display != nil {
		rows, cols = parts.Display.Rows(), parts.Display.Cols()
	}
	a.flow = kiosk.NewFlow(a.core, kiosk.FlowOptions{
		Rows: rows, Cols: cols, MultiTap: parts.MultiTap, Logger: a.log,
		Progress: func(s kiosk.Screen) { a.show(s) },
	})
	if cfg.MQTT.URL != "" {
		hubKey, err := cfg.HubKey()
		if err != nil {
			st.Close()
			return nil, err
		}
		a.link, err = mqtt.NewDevice(mqtt.DeviceOptions{
			Conn:  cfg.MQTTOptions(),
			Store: st, HubKey: hubKey, Key: key, Clock: opt.Clock, ClockSynced: opt.ClockSynced, Logger: a.log,
			Health: func() mqtt.Health { return a.health.Load().(mqtt.Health) },
			OnConfig: func(c *catalog.DeviceConfig) {
				a.log.Info("config applied", "version", c.Version)
			},
		})
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("appliance: mqtt: %w", err)
		}
	}
	return a, nil
}

// Store returns the kiosk's store.
func (a *Daemon) Store() *store.Store { return a.st }

func (a *Daemon) appended(e *journal.Entry) {
	if a.link != nil {
		a.link.Wake()
	}
	if a.opt.OnEntry != nil && e != nil {
		a.opt.OnEntry(*e)
	}
}

func (a *Daemon) show(s kiosk.Screen) {
	if a.shown != nil && a.shown.Equal(s) {
		return
	}
	a.shown = s
	if a.parts.Display == nil {
		a.log.Debug("screen", "text", s.String())
		return
	}
	if err := a.parts.Display.Show(s); err != nil {
		a.log.Warn("display", "err", err)
	}
}

// online reports whether the hub link is up: connected to the broker, and the hub's
// retained state says online.
func (a *Daemon) online() bool {
	if a.link == nil {
		return false
	}
	_, hub := a.link.Online()
	return hub
}

type keyResult struct {
	key device.Key
	err error
}

// Run runs the kiosk until ctx is done or the keypad's input ends. A sale in progress when
// ctx ends is finished first; then the journal is flushed to the hub for up to DrainOnExit
// and the device says offline.
func (a *Daemon) Run(ctx context.Context) error {
	if a.link != nil {
		a.link.Start()
	}
	a.live.alive()
	// The watchdog is pinged until Run returns: through the sale that a stop lets finish
	// and the drain.
	watchCtx, stopWatching := context.WithCancel(context.WithoutCancel(ctx))
	var watching sync.WaitGroup
	defer watching.Wait()
	defer stopWatching()
	watching.Add(1)
	go func() {
		defer watching.Done()
		a.watch(watchCtx)
	}()
	for start := a.opt.Clock.Now(); a.st.ConfigVersion() == 0 && a.opt.Clock.Since(start) < a.opt.WaitConfig; {
		if !clock.Sleep(ctx, a.opt.Clock, 50*time.Millisecond) {
			a.drain()
			return nil
		}
		a.live.alive()
	}
	keys := make(chan keyResult, 16)
	readCtx, stopReading := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(keys)
		for {
			k, err := a.parts.Keypad.ReadKey(readCtx)
			if err != nil {
				if readCtx.Err() == nil {
					keys <- keyResult{err: err}
				}
				return
			}
			select {
			case keys <- keyResult{key: k}:
			case <-readCtx.Done():
				return
			}
		}
	}()
	statuses := make(chan kiosk.Status, 1)
	a.flow.SetStatus(a.checkStatus(ctx)) // the first screen shows the real state
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.pollStatus(readCtx, statuses)
	}()
	if a.opt.Ready != nil {
		a.opt.Ready()
	}
	a.log.Info("kiosk running", "device", a.cfg.DeviceID, "config_version", a.st.ConfigVersion(), "printer", a.cfg.Printer.Kind)
	a.show(a.flow.Screen())
	tick, ticks := a.opt.Clock.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	work := context.WithoutCancel(ctx) // a sale in progress is finished, not cut short
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case kr, ok := <-keys:
			if !ok {
				break loop
			}
			if kr.err != nil {
				if !errors.Is(kr.err, io.EOF) {
					runErr = fmt.Errorf("appliance: keypad: %w", kr.err)
				}
				break loop
			}
			a.show(a.flow.Key(work, kr.key))
		case s := <-statuses:
			// Shown even when the flow saw no change: a config applied since the last
			// screen changes what the flow draws without a key (show skips repeats).
			scr, _ := a.flow.SetStatus(s)
			a.show(scr)
		case now := <-ticks:
			scr, _ := a.flow.Tick(now)
			a.show(scr)
		}
		a.live.alive()
	}
	stopReading()
	wg.Wait()
	a.drain()
	return runErr
}

// problem says what keeps the kiosk from working with the hub, for the idle screen (which
// puts it in words): the broker's refusal (or why it cannot be reached), else a config the
// hub sent that was refused; zero when nothing is known to be wrong.
func (a *Daemon) problem() kiosk.Problem {
	if a.link != nil {
		if broker, _ := a.link.Online(); !broker {
			if code := a.link.Problem(); code != "" {
				return kiosk.Problem{Kind: kiosk.ProblemBroker, Reason: code}
			}
		}
	}
	if reason := a.st.ConfigError(); reason != "" {
		code, _, _ := strings.Cut(reason, ":") // mqtt's refusal code, then the error
		return kiosk.Problem{Kind: kiosk.ProblemConfig, Reason: code}
	}
	return kiosk.Problem{}
}

// pollStatus checks the printer and the link every StatusEvery and sends what it found.
func (a *Daemon) pollStatus(ctx context.Context, out chan<- kiosk.Status) {
	t, ticks := a.opt.Clock.NewTicker(a.opt.StatusEvery)
	defer t.Stop()
	for {
		select {
		case <-ticks:
		case <-ctx.Done():
			return
		}
		s := a.checkStatus(ctx)
		select {
		case out <- s:
		case <-ctx.Done():
			return
		}
	}
}

// checkStatus asks the printer for its state, looks at the link and the outbox, and
// updates the health the device publishes.
func (a *Daemon) checkStatus(ctx context.Context) kiosk.Status {
	var s kiosk.Status
	if a.parts.Printer != nil {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		s.Printer, s.PrinterErr = a.parts.Printer.Status(pctx)
		cancel()
	} else {
		s.PrinterErr = errNoPrinter
	}
	s.Online = a.online()
	s.Problem = a.problem()
	if bl, err := a.st.Unsynced(); err == nil {
		s.Unsynced = bl.Entries
	}
	h := mqtt.Health{Software: version.Version, Printer: printerWords(s.Printer, s.PrinterErr)}
	a.health.Store(h)
	if a.opt.Status != nil {
		a.opt.Status(fmt.Sprintf("printer %s; %d unsynced; hub %s", h.Printer, s.Unsynced, map[bool]string{true: "online", false: "offline"}[s.Online]))
	}
	return s
}

func printerWords(st escpos.Status, err error) string {
	if err != nil {
		return "offline: " + err.Error()
	}
	if st.Ready() && !st.PaperNearEnd {
		return "ok"
	}
	return st.String()
}

// drain waits up to DrainOnExit for the hub to acknowledge the journal, then stops the link.
func (a *Daemon) drain() {
	if a.link == nil {
		return
	}
	for start := a.opt.Clock.Now(); a.opt.Clock.Since(start) < a.opt.DrainOnExit; {
		if bl, err := a.st.Unsynced(); err != nil || bl.Entries == 0 {
			break
		}
		a.link.Wake()
		clock.Sleep(context.Background(), a.opt.Clock, 50*time.Millisecond)
	}
	if err := a.link.Halt(); err != nil {
		a.log.Warn("mqtt halt", "err", err)
	}
}

// Close closes the store.
func (a *Daemon) Close() error {
	return a.st.Close()
}

var errNoPrinter = errors.New("no printer configured")

// offlinePrinter stands in for a printer that could not be opened.
type offlinePrinter struct{ err error }

func (p offlinePrinter) Status(context.Context) (escpos.Status, error) {
	if p.err != nil {
		return escpos.Status{}, fmt.Errorf("%w: %v", device.ErrOffline, p.err)
	}
	return escpos.Status{}, device.ErrOffline
}

func (p offlinePrinter) Print(context.Context, []byte) error { return device.ErrOffline }
func (p offlinePrinter) Halt() error                         { return nil }
func (p offlinePrinter) String() string                      { return "no printer" }
