package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/device/internal/keytest"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// wiring is a fake keypad matrix. The tests run in a testing/synctest bubble, so its time
// and the driver's are the bubble's fake clock, which jumps ahead whenever every goroutine
// waits. Keys are pressed during scripted intervals; a column reads low when a pressed key
// connects it to a row driven low, through any chain of pressed keys, as on a real keypad
// without diodes (so three keys make a ghost).
//
// A column's WaitForEdge watches its pin millisecond by millisecond and reports an edge
// when, with every row driven low (the driver idle), the column falls low; once the script
// has played out and the driver waits idle, it closes quiet.
type wiring struct {
	mu      sync.Mutex
	rows    []*fakeRow
	cols    []*fakeCol
	presses map[[2]int][][2]time.Duration // [row, col] → [from, to) since start
	start   time.Time
	quiet   chan struct{}
	isQuiet bool
}

type fakeRow struct {
	*gpiotest.Pin
	w      *wiring
	driven bool
}

type fakeCol struct {
	*gpiotest.Pin
	w      *wiring
	idx    int
	noEdge bool // In with edge detection fails, as on pins without it
	edge   gpio.Edge
	pull   gpio.Pull
}

func newWiring(rows, cols int, noEdge bool) *wiring {
	w := &wiring{
		start:   time.Now(),
		presses: map[[2]int][][2]time.Duration{},
		quiet:   make(chan struct{}),
	}
	for i := 0; i < rows; i++ {
		w.rows = append(w.rows, &fakeRow{Pin: &gpiotest.Pin{N: fmt.Sprintf("R%d", i), Num: i}, w: w})
	}
	for i := 0; i < cols; i++ {
		w.cols = append(w.cols, &fakeCol{Pin: &gpiotest.Pin{N: fmt.Sprintf("C%d", i), Num: 10 + i, EdgesChan: make(chan gpio.Level)}, w: w, idx: i, noEdge: noEdge})
	}
	return w
}

// press scripts key (r, c) down over the given [from, to) intervals, in ms from start.
func (w *wiring) press(r, c int, ms ...[2]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, iv := range ms {
		w.presses[[2]int{r, c}] = append(w.presses[[2]int{r, c}], [2]time.Duration{time.Duration(iv[0]) * time.Millisecond, time.Duration(iv[1]) * time.Millisecond})
	}
}

func (w *wiring) rowPins() []gpio.PinIO {
	var p []gpio.PinIO
	for _, r := range w.rows {
		p = append(p, r)
	}
	return p
}

func (w *wiring) colPins() []gpio.PinIO {
	var p []gpio.PinIO
	for _, c := range w.cols {
		p = append(p, c)
	}
	return p
}

// down reports whether key (r, c) is pressed now; w.mu is held.
func (w *wiring) down(r, c int) bool {
	t := time.Since(w.start)
	for _, iv := range w.presses[[2]int{r, c}] {
		if t >= iv[0] && t < iv[1] {
			return true
		}
	}
	return false
}

// level is what column c reads; w.mu is held.
func (w *wiring) level(c int) gpio.Level {
	// Nodes 0..rows-1 are rows, rows.. are columns; pressed keys join them.
	nr := len(w.rows)
	seen := make([]bool, nr+len(w.cols))
	var stack []int
	for i, r := range w.rows {
		if r.driven {
			seen[i] = true
			stack = append(stack, i)
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for r := range w.rows {
			for cc := range w.cols {
				if !w.down(r, cc) {
					continue
				}
				var next int
				switch n {
				case r:
					next = nr + cc
				case nr + cc:
					next = r
				default:
					continue
				}
				if !seen[next] {
					seen[next] = true
					stack = append(stack, next)
				}
			}
		}
	}
	if seen[nr+c] {
		return gpio.Low
	}
	return gpio.High
}

// pending reports whether a scripted press is down now or still to come; w.mu is held.
func (w *wiring) pending() bool {
	t := time.Since(w.start)
	for _, ivs := range w.presses {
		for _, iv := range ivs {
			if iv[1] > t {
				return true
			}
		}
	}
	return false
}

// idle reports whether the driver drives every row low, waiting for an edge; w.mu is held.
func (w *wiring) idle() bool {
	for _, r := range w.rows {
		if !r.driven {
			return false
		}
	}
	return true
}

func (p *fakeRow) Out(l gpio.Level) error {
	p.w.mu.Lock()
	p.driven = l == gpio.Low
	p.w.mu.Unlock()
	return p.Pin.Out(l)
}

func (p *fakeRow) In(pull gpio.Pull, edge gpio.Edge) error {
	p.w.mu.Lock()
	p.driven = false
	p.w.mu.Unlock()
	return p.Pin.In(pull, edge)
}

func (p *fakeCol) In(pull gpio.Pull, edge gpio.Edge) error {
	if p.noEdge && edge != gpio.NoEdge {
		return errors.New("fake: no edge detection")
	}
	p.w.mu.Lock()
	p.edge, p.pull = edge, pull
	p.w.mu.Unlock()
	return p.Pin.In(pull, edge)
}

func (p *fakeCol) Read() gpio.Level {
	p.w.mu.Lock()
	defer p.w.mu.Unlock()
	return p.w.level(p.idx)
}

func (p *fakeCol) WaitForEdge(timeout time.Duration) bool {
	w := p.w
	low := func() bool { // the column is low with the driver idle; w.mu is held
		return w.idle() && w.level(p.idx) == gpio.Low
	}
	w.mu.Lock()
	was := low()
	w.mu.Unlock()
	for waited := time.Duration(0); waited < timeout; waited += time.Millisecond {
		time.Sleep(time.Millisecond)
		w.mu.Lock()
		now := low()
		if w.idle() && !w.pending() && !w.isQuiet {
			w.isQuiet = true
			close(w.quiet)
		}
		w.mu.Unlock()
		if now && !was {
			return true
		}
		was = now
	}
	return false
}

// matrixKeys starts a Keypad on w, waits until the script has played out, halts it and
// returns the keys it emitted.
func matrixKeys(t *testing.T, w *wiring, o Options) []device.Key {
	t.Helper()
	o.IdleTimeout = 5 * time.Millisecond
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := New(w.rowPins(), w.colPins(), &o)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.quiet:
	case <-time.After(20 * time.Second):
		t.Fatal("the script never played out")
	}
	var keys []device.Key
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		k, err := m.ReadKey(ctx)
		if err != nil {
			break
		}
		keys = append(keys, k)
	}
	if err := m.Halt(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// Timing used by the tests unless they say otherwise (the defaults).
var testTiming = Options{Debounce: 20 * time.Millisecond, ScanInterval: 5 * time.Millisecond}

func TestMatrixSinglePress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, pos := range [][2]int{{0, 0}, {1, 2}, {2, 1}, {3, 3}, {3, 0}, {3, 2}} {
			w := newWiring(4, 4, false)
			w.press(pos[0], pos[1], [2]int{100, 250})
			keys := matrixKeys(t, w, testTiming)
			want := Layout4x4()[pos[0]][pos[1]].Key
			if len(keys) != 1 || keys[0] != want {
				t.Errorf("press %v: keys %q, want %q", pos, keytest.String(keys), want)
			}
		}
	})
}

func TestMatrixSequence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWiring(4, 4, false)
		w.press(3, 3, [2]int{100, 200})   // D = OK
		w.press(0, 0, [2]int{300, 400})   // 1
		w.press(3, 1, [2]int{500, 600})   // 0
		w.press(2, 3, [2]int{700, 760})   // C = Cancel
		w.press(3, 0, [2]int{800, 900})   // * = Backspace
		w.press(3, 2, [2]int{1000, 1100}) // # = Symbol
		w.press(0, 0, [2]int{1200, 1300}) // 1 again
		if got, want := keytest.String(matrixKeys(t, w, testTiming)), "OK 1 0 Cancel Backspace Symbol 1"; got != want {
			t.Errorf("keys %q, want %q", got, want)
		}
	})
}

func TestMatrixBounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWiring(4, 4, false)
		// Contacts chatter for 12 ms on press and on release.
		w.press(1, 1, [2]int{100, 102}, [2]int{106, 107}, [2]int{111, 300}, [2]int{303, 306}, [2]int{309, 312})
		// A 10 ms glitch is shorter than the debounce time: no key.
		w.press(2, 2, [2]int{500, 510})
		if got := keytest.String(matrixKeys(t, w, testTiming)); got != "5" {
			t.Errorf("keys %q, want one 5", got)
		}
	})
}

func TestMatrixTwoKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWiring(4, 4, false)
		w.press(0, 1, [2]int{100, 500}) // 2, held
		w.press(2, 2, [2]int{200, 300}) // 9 while 2 is down
		w.press(1, 0, [2]int{700, 900}) // 4 and 8 pressed together
		w.press(2, 1, [2]int{700, 900})
		if got, want := keytest.String(matrixKeys(t, w, testTiming)), "2 9 4 8"; got != want {
			t.Errorf("keys %q, want %q", got, want)
		}
	})
}

func TestMatrixTwoKeysOneColumn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Two keys in one column, one after the other: no ghost is possible.
		w := newWiring(4, 4, false)
		w.press(0, 0, [2]int{100, 500})
		w.press(2, 0, [2]int{200, 400})
		if got, want := keytest.String(matrixKeys(t, w, testTiming)), "1 7"; got != want {
			t.Errorf("keys %q, want %q", got, want)
		}
	})
}

func TestMatrixGhost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 1, 2 and 4 held together make 5 read pressed on a matrix without diodes: the
		// driver must not emit 5 (nor guess that 4 is real).
		w := newWiring(4, 4, false)
		w.press(0, 0, [2]int{100, 600})
		w.press(0, 1, [2]int{200, 600})
		w.press(1, 0, [2]int{300, 600})
		w.press(3, 3, [2]int{800, 900})
		if got, want := keytest.String(matrixKeys(t, w, testTiming)), "1 2 OK"; got != want {
			t.Errorf("keys %q, want %q", got, want)
		}
	})
}

func TestMatrixRepeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWiring(4, 4, false)
		o := testTiming
		o.RepeatDelay = 400 * time.Millisecond
		o.RepeatInterval = 100 * time.Millisecond
		// Up held 1050 ms: the press is accepted at 120 ms (after the debounce time), then
		// repeats at 520, 620, ..., 1120; the release comes at 1150.
		w.press(0, 3, [2]int{100, 1150})
		// A digit held as long does not repeat.
		w.press(0, 2, [2]int{2000, 3000})
		// Down held 450 ms: one repeat.
		w.press(1, 3, [2]int{4000, 4450})
		// Up held a moment: no repeat.
		w.press(0, 3, [2]int{5000, 5100})
		got := keytest.String(matrixKeys(t, w, o))
		if want := "Up Up Up Up Up Up Up Up 3 Down Down Up"; got != want {
			t.Errorf("keys %q, want %q", got, want)
		}
	})
}

func TestMatrixLongPress3x4(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWiring(4, 3, false)
		o := testTiming
		o.LongPress = 800 * time.Millisecond
		w.press(3, 0, [2]int{100, 200})   // * short: Backspace, at release
		w.press(3, 0, [2]int{500, 2000})  // * long: Cancel once, nothing at release
		w.press(3, 2, [2]int{2500, 2600}) // # short: OK
		w.press(3, 2, [2]int{3000, 4000}) // # long: Symbol
		w.press(1, 1, [2]int{4500, 6000}) // 5, held: once
		if got, want := keytest.String(matrixKeys(t, w, o)), "Backspace Cancel OK Symbol 5"; got != want {
			t.Errorf("keys %q, want %q", got, want)
		}
	})
}

func TestMatrixPolling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Pins without edge detection: the driver polls, and the keys are the same.
		w := newWiring(4, 4, true)
		w.press(0, 0, [2]int{100, 200})
		w.press(3, 3, [2]int{300, 400})
		o := testTiming
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		m, err := New(w.rowPins(), w.colPins(), &o)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var keys []device.Key
		for len(keys) < 2 {
			k, err := m.ReadKey(ctx)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		if err := m.Halt(); err != nil {
			t.Fatal(err)
		}
		if keytest.String(keys) != "1 OK" {
			t.Errorf("keys %q", keytest.String(keys))
		}
		for _, c := range w.cols {
			if c.edge != gpio.NoEdge || c.pull != gpio.PullUp {
				t.Errorf("column %s: edge %v pull %v", c, c.edge, c.pull)
			}
		}
	})
}

func TestMatrixHalt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWiring(4, 4, false)
		o := testTiming
		o.IdleTimeout = 5 * time.Millisecond
		m, err := New(w.rowPins(), w.colPins(), &o)
		if err != nil {
			t.Fatal(err)
		}
		<-w.quiet // idle, waiting for edges
		for _, c := range w.cols {
			w.mu.Lock()
			edge, pull := c.edge, c.pull
			w.mu.Unlock()
			if edge != gpio.FallingEdge || pull != gpio.PullUp {
				t.Errorf("column %s while running: edge %v pull %v", c, edge, pull)
			}
		}
		w.mu.Lock()
		for _, r := range w.rows {
			if !r.driven {
				t.Errorf("idle: row %s not driven low", r)
			}
		}
		w.mu.Unlock()
		read := make(chan error, 1)
		go func() {
			_, err := m.ReadKey(context.Background())
			read <- err
		}()
		if err := m.Halt(); err != nil {
			t.Fatal(err)
		}
		if err := <-read; !errors.Is(err, device.ErrHalted) {
			t.Errorf("ReadKey during Halt: %v", err)
		}
		if _, err := m.ReadKey(context.Background()); !errors.Is(err, device.ErrHalted) {
			t.Errorf("ReadKey after Halt: %v", err)
		}
		select {
		case <-m.done:
		default:
			t.Error("the scanner still runs after Halt")
		}
		for _, r := range w.rows {
			if r.driven {
				t.Errorf("row %s still driven after Halt", r)
			}
		}
		for _, c := range w.cols {
			if c.edge != gpio.NoEdge || c.pull != gpio.PullUp {
				t.Errorf("column %s after Halt: edge %v pull %v", c, c.edge, c.pull)
			}
		}
		if err := m.Halt(); err != nil {
			t.Errorf("second Halt: %v", err)
		}
	})
}

func TestMatrixContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWiring(4, 4, false)
		m, err := New(w.rowPins(), w.colPins(), &Options{IdleTimeout: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Halt()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := m.ReadKey(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled ReadKey: %v", err)
		}
		if m.String() != "matrix keypad 4x4" {
			t.Errorf("String %q", m.String())
		}
	})
}

func TestMatrixBadLayout(t *testing.T) {
	w := newWiring(4, 4, false)
	if _, err := New(w.rowPins()[:3], w.colPins(), nil); !errors.Is(err, ErrLayout) {
		t.Errorf("3 rows with the 4×4 layout: %v", err)
	}
	if _, err := New(w.rowPins(), w.colPins()[:2], nil); !errors.Is(err, ErrLayout) {
		t.Errorf("2 columns without a layout: %v", err)
	}
}

func TestMatrixGhostRule(t *testing.T) {
	m := &Keypad{rows: make([]gpio.PinIO, 4), cols: make([]gpio.PinIO, 4)}
	bit := func(r, c int) uint64 { return 1 << (r*4 + c) }
	cases := []struct {
		raw   uint64
		ghost bool
	}{
		{bit(0, 0), false},
		{bit(0, 0) | bit(0, 1), false},
		{bit(0, 0) | bit(1, 0), false},
		{bit(0, 0) | bit(1, 0) | bit(2, 0), false},
		{bit(0, 0) | bit(0, 1) | bit(0, 2), false},
		{bit(0, 0) | bit(1, 1) | bit(2, 2), false},
		{bit(0, 0) | bit(0, 1) | bit(1, 0) | bit(1, 1), true},
		{bit(0, 0) | bit(0, 1) | bit(1, 0), true},
		{bit(1, 2) | bit(1, 3) | bit(3, 2) | bit(3, 3), true},
	}
	for _, c := range cases {
		if got := m.ghost(c.raw); got != c.ghost {
			t.Errorf("ghost(%016b) = %v, want %v", c.raw, got, c.ghost)
		}
	}
}
