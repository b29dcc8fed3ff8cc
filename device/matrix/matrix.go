// Package matrix drives matrix keypads wired to GPIO pins (through periph's gpio.PinIO):
// scanning with debounce, ghost rejection, repeat and long presses, in the 4×4 and 3×4
// layouts. It emits device.Keys.
package matrix

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/internal/clock"

	"periph.io/x/conn/v3/gpio"
)

// Keypad is a matrix keypad on GPIO pins: rows driven low one at a time (the others are
// left high-impedance, so two keys in one column never short two outputs) and columns
// read through pull-ups (a pressed key on the driven row reads low). Keypads have no
// diodes: three keys on the corners of a rectangle make the fourth one read pressed, so
// a pattern with such a rectangle is ignored until it changes.
//
// A key must read the same for Debounce before it counts; a press emits its key once;
// Up and Down repeat while held (after RepeatDelay, every RepeatInterval); keys with a
// long function (see KeyCap) emit at release or when held for LongPress.
//
// While no key is down, all rows are driven low and the driver sleeps in WaitForEdge on
// every column with a finite timeout, so an idle keypad costs next to no CPU; while a
// key is down it scans every ScanInterval. Pins that refuse edge detection are polled
// every PollInterval instead.
type Keypad struct {
	rows, cols []gpio.PinIO
	layout     [][]KeyCap
	o          Options
	polling    bool

	keys chan device.Key
	edge chan struct{}
	stop chan struct{}
	done chan struct{} // closed when the scanner has ended
	wg   sync.WaitGroup

	haltOnce sync.Once
	haltErr  error

	// Scanner state, owned by the scanner goroutine.
	raw, stable uint64
	rawSince    time.Time
	held        []heldKey
	last        int // the position of the most recent press, or -1
	lastErr     string
}

// heldKey is the state of one pressed position.
type heldKey struct {
	at         time.Time // when the press was accepted
	longDone   bool      // the long function fired
	nextRepeat time.Time
}

// Options tunes a Keypad. Zero fields take their defaults.
type Options struct {
	// Layout gives the key of each position, [row][column]; default Layout4x4 for 4
	// columns and Layout3x4 for 3.
	Layout [][]KeyCap
	// Debounce is how long a reading must stay the same to count. Default 20 ms.
	Debounce time.Duration
	// ScanInterval is the time between scans while keys are down. Default 5 ms.
	ScanInterval time.Duration
	// RepeatDelay and RepeatInterval time the repeat of a held Up or Down. Default 500 ms
	// and 150 ms.
	RepeatDelay, RepeatInterval time.Duration
	// LongPress is how long a key with a long function must be held. Default 800 ms.
	LongPress time.Duration
	// IdleTimeout bounds each WaitForEdge while idle (periph returns at once for -1 on
	// some hosts, so it is never infinite). Default 100 ms.
	IdleTimeout time.Duration
	// PollInterval is the idle scan period when the pins have no edge detection.
	// Default 20 ms.
	PollInterval time.Duration
	// QueueLen is how many keys wait for ReadKey before new ones are dropped. Default 32.
	QueueLen int
	// Clock times the scan, debouncing and repeats; nil: the real clock.
	Clock clock.Clock
	// Logger gets pin errors and dropped keys; default slog.Default().
	Logger *slog.Logger
}

var _ device.Keypad = (*Keypad)(nil)

// ErrLayout means a keypad layout does not match its pins.
var ErrLayout = errors.New("matrix: layout does not match the pins")

// New sets the pins up and starts scanning.
func New(rows, cols []gpio.PinIO, opts *Options) (*Keypad, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Debounce, 20*time.Millisecond)
	def(&o.ScanInterval, 5*time.Millisecond)
	def(&o.RepeatDelay, 500*time.Millisecond)
	def(&o.RepeatInterval, 150*time.Millisecond)
	def(&o.LongPress, 800*time.Millisecond)
	def(&o.IdleTimeout, 100*time.Millisecond)
	def(&o.PollInterval, 20*time.Millisecond)
	if o.QueueLen <= 0 {
		o.QueueLen = 32
	}
	o.Clock = clock.Or(o.Clock)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Layout == nil {
		switch len(cols) {
		case 4:
			o.Layout = Layout4x4()
		case 3:
			o.Layout = Layout3x4()
		}
	}
	if len(rows) == 0 || len(cols) == 0 || len(rows)*len(cols) > 64 || len(o.Layout) != len(rows) {
		return nil, fmt.Errorf("%w: %d rows, %d columns, %d layout rows", ErrLayout, len(rows), len(cols), len(o.Layout))
	}
	for _, r := range o.Layout {
		if len(r) != len(cols) {
			return nil, fmt.Errorf("%w: a layout row has %d keys for %d columns", ErrLayout, len(r), len(cols))
		}
	}
	m := &Keypad{
		rows:   rows,
		cols:   cols,
		layout: o.Layout,
		o:      o,
		keys:   make(chan device.Key, o.QueueLen),
		edge:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		held:   make([]heldKey, len(rows)*len(cols)),
		last:   -1,
	}
	for _, p := range rows {
		if err := p.In(gpio.Float, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("matrix: row %s: %w", p, err)
		}
	}
	for _, p := range cols {
		if err := p.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			m.polling = true
			break
		}
	}
	if m.polling {
		o.Logger.Warn("matrix: no edge detection on the columns, polling", "every", o.PollInterval)
		for _, p := range cols {
			if err := p.In(gpio.PullUp, gpio.NoEdge); err != nil {
				return nil, fmt.Errorf("matrix: column %s: %w", p, err)
			}
		}
	} else {
		for _, p := range cols {
			m.wg.Add(1)
			go m.waitEdges(p)
		}
	}
	go m.run()
	return m, nil
}

// waitEdges signals m.edge on every edge of the column p until Halt.
func (m *Keypad) waitEdges(p gpio.PinIO) {
	defer m.wg.Done()
	for {
		select {
		case <-m.stop:
			return
		default:
		}
		if p.WaitForEdge(m.o.IdleTimeout) {
			select {
			case m.edge <- struct{}{}:
			default:
			}
		}
	}
}

func (m *Keypad) run() {
	defer close(m.done)
	for {
		select {
		case <-m.stop:
			return
		default:
		}
		raw, err := m.scan()
		if err != nil {
			m.pinError(err)
			m.sleep(m.o.PollInterval)
			continue
		}
		m.step(m.o.Clock.Now(), raw)
		if m.raw == 0 && m.stable == 0 {
			if err := m.idle(); err != nil {
				m.pinError(err)
				m.sleep(m.o.PollInterval)
			}
			continue
		}
		m.sleep(m.o.ScanInterval)
	}
}

// sleep waits d on the clock, or until Halt.
func (m *Keypad) sleep(d time.Duration) {
	t, fired := m.o.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-fired:
	case <-m.stop:
	}
}

// pinError logs err once until another error (or none) comes.
func (m *Keypad) pinError(err error) {
	if s := err.Error(); s != m.lastErr {
		m.lastErr = s
		m.o.Logger.Error("matrix: pin error", "err", err)
	}
}

// scan drives each row low in turn and returns the bit set of positions reading pressed,
// bit r*len(cols)+c.
func (m *Keypad) scan() (uint64, error) {
	var raw uint64
	for r, row := range m.rows {
		if err := row.Out(gpio.Low); err != nil {
			return 0, fmt.Errorf("row %s: %w", row, err)
		}
		for c, col := range m.cols {
			if col.Read() == gpio.Low {
				raw |= 1 << (r*len(m.cols) + c)
			}
		}
		if err := row.In(gpio.Float, gpio.NoEdge); err != nil {
			return 0, fmt.Errorf("row %s: %w", row, err)
		}
	}
	m.lastErr = ""
	return raw, nil
}

// idle drives all rows low and waits until a column falls (or, polling, PollInterval).
func (m *Keypad) idle() error {
	for _, row := range m.rows {
		if err := row.Out(gpio.Low); err != nil {
			return fmt.Errorf("row %s: %w", row, err)
		}
	}
	select {
	case <-m.edge: // an edge from scanning: stale
	default:
	}
	down := false
	for _, col := range m.cols {
		if col.Read() == gpio.Low {
			down = true
		}
	}
	if !down {
		if m.polling {
			m.sleep(m.o.PollInterval)
		} else {
			select {
			case <-m.edge:
			case <-m.stop:
			}
		}
	}
	for _, row := range m.rows {
		if err := row.In(gpio.Float, gpio.NoEdge); err != nil {
			return fmt.Errorf("row %s: %w", row, err)
		}
	}
	return nil
}

// step takes a scan's reading at now and emits the keys it makes.
func (m *Keypad) step(now time.Time, raw uint64) {
	if raw != m.raw {
		m.raw, m.rawSince = raw, now
	}
	if raw != m.stable && now.Sub(m.rawSince) >= m.o.Debounce && !m.ghost(raw) {
		released, pressed := m.stable&^raw, raw&^m.stable
		m.stable = raw
		for b := released; b != 0; b &= b - 1 {
			i := bits.TrailingZeros64(b)
			kc := m.keyCap(i)
			if kc.Long.Kind != device.KeyNone && !m.held[i].longDone {
				m.emit(kc.Key)
			}
			m.held[i] = heldKey{}
			if m.last == i {
				m.last = -1
			}
		}
		for b := pressed; b != 0; b &= b - 1 {
			i := bits.TrailingZeros64(b)
			kc := m.keyCap(i)
			m.held[i] = heldKey{at: now, nextRepeat: now.Add(m.o.RepeatDelay)}
			m.last = i
			if kc.Long.Kind == device.KeyNone {
				m.emit(kc.Key)
			}
		}
	}
	// Long presses and repeats, while the key still reads pressed.
	down := m.stable & raw
	for b := down; b != 0; b &= b - 1 {
		i := bits.TrailingZeros64(b)
		kc, h := m.keyCap(i), &m.held[i]
		if kc.Long.Kind != device.KeyNone && !h.longDone && now.Sub(h.at) >= m.o.LongPress {
			h.longDone = true
			m.emit(kc.Long)
		}
	}
	if m.last >= 0 && down&(1<<m.last) != 0 {
		kc, h := m.keyCap(m.last), &m.held[m.last]
		if kc.Long.Kind == device.KeyNone && repeats(kc.Key) && !now.Before(h.nextRepeat) {
			m.emit(kc.Key)
			h.nextRepeat = h.nextRepeat.Add(m.o.RepeatInterval)
			if h.nextRepeat.Before(now) {
				h.nextRepeat = now.Add(m.o.RepeatInterval) // late: no burst of repeats
			}
		}
	}
}

// ghost reports whether the pressed set has three corners of a rectangle, in which case
// the fourth reads pressed whether it is or not.
func (m *Keypad) ghost(raw uint64) bool {
	if bits.OnesCount64(raw) < 3 {
		return false
	}
	n := len(m.cols)
	mask := uint64(1)<<n - 1
	for r1 := range m.rows {
		a := raw >> (r1 * n) & mask
		if a == 0 {
			continue
		}
		for r2 := r1 + 1; r2 < len(m.rows); r2++ {
			b := raw >> (r2 * n) & mask
			// Two rows sharing two columns, or sharing one where either row has another
			// key: the shared column connects them and the other key shows in both.
			if shared := a & b; shared != 0 && (bits.OnesCount64(shared) >= 2 || a != b) {
				return true
			}
		}
	}
	return false
}

func (m *Keypad) keyCap(i int) KeyCap {
	n := len(m.cols)
	return m.layout[i/n][i%n]
}

func (m *Keypad) emit(k device.Key) {
	select {
	case m.keys <- k:
	default:
		m.o.Logger.Warn("matrix: key queue full, key dropped", "key", k.String())
	}
}

// ReadKey returns the next key press.
func (m *Keypad) ReadKey(ctx context.Context) (device.Key, error) {
	select {
	case k := <-m.keys:
		return k, nil
	default:
	}
	select {
	case k := <-m.keys:
		return k, nil
	case <-ctx.Done():
		return device.Key{}, ctx.Err()
	case <-m.stop:
		return device.Key{}, device.ErrHalted
	}
}

// Halt stops scanning, waits for the scanner, and leaves the rows high-impedance and the
// columns as plain pulled-up inputs.
func (m *Keypad) Halt() error {
	m.haltOnce.Do(func() {
		close(m.stop)
		<-m.done
		m.wg.Wait()
		var errs []error
		for _, p := range m.rows {
			if err := p.In(gpio.Float, gpio.NoEdge); err != nil {
				errs = append(errs, fmt.Errorf("matrix: row %s: %w", p, err))
			}
		}
		for _, p := range m.cols {
			if err := p.In(gpio.PullUp, gpio.NoEdge); err != nil {
				errs = append(errs, fmt.Errorf("matrix: column %s: %w", p, err))
			}
		}
		m.haltErr = errors.Join(errs...)
	})
	return m.haltErr
}

// String describes the keypad.
func (m *Keypad) String() string {
	return fmt.Sprintf("matrix keypad %dx%d", len(m.rows), len(m.cols))
}
