package device

import (
	"errors"
	"io"
	"sync"
	"time"
)

// ErrHalted is returned by a keypad's ReadKey after its Halt.
var ErrHalted = errors.New("device: halted")

// Clock is the time source of the keypad drivers; tests pass a fake one.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

// SystemClock is the Clock of the running machine.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep pauses the calling goroutine for d.
func (SystemClock) Sleep(d time.Duration) { time.Sleep(d) }

// KeyCap is what one position of a keypad emits: Key when it is pressed, or, when Long is
// set, Key on a short press (emitted at release) and Long once the key has been held for
// the keypad's long-press time (nothing more at release).
type KeyCap struct {
	Key  Key
	Long Key
}

// Cap returns the KeyCap that emits k on press.
func Cap(k Key) KeyCap { return KeyCap{Key: k} }

// Layout4x4 returns the 4×4 keypad layout (rows top to bottom, columns left to right):
//
//	1 2 3 A      A = Up
//	4 5 6 B      B = Down
//	7 8 9 C      C = Cancel
//	* 0 # D      D = OK, * = Backspace, # = Symbol
//
// Digits are emitted as KeyChar '0'..'9'; multi-tap text entry is the screen flow's job.
func Layout4x4() [][]KeyCap {
	d := func(r rune) KeyCap { return Cap(Char(r)) }
	k := func(kind KeyKind) KeyCap { return Cap(Key{Kind: kind}) }
	return [][]KeyCap{
		{d('1'), d('2'), d('3'), k(KeyUp)},
		{d('4'), d('5'), d('6'), k(KeyDown)},
		{d('7'), d('8'), d('9'), k(KeyCancel)},
		{k(KeyBackspace), d('0'), k(KeySymbol), k(KeyOK)},
	}
}

// Layout3x4 returns the layout of a 3×4 keypad without letter keys:
//
//	1 2 3
//	4 5 6
//	7 8 9
//	* 0 #
//
// A short press of * is Backspace and holding it for the long-press time is Cancel; a
// short press of # is OK and holding it is Symbol. Such a keypad has no Up or Down: the
// screen flow must let digits choose menu items.
func Layout3x4() [][]KeyCap {
	d := func(r rune) KeyCap { return Cap(Char(r)) }
	return [][]KeyCap{
		{d('1'), d('2'), d('3')},
		{d('4'), d('5'), d('6')},
		{d('7'), d('8'), d('9')},
		{
			{Key: Key{Kind: KeyBackspace}, Long: Key{Kind: KeyCancel}},
			d('0'),
			{Key: Key{Kind: KeyOK}, Long: Key{Kind: KeySymbol}},
		},
	}
}

// repeats reports whether holding k repeats it (Up and Down on a keypad).
func repeats(k Key) bool { return k.Kind == KeyUp || k.Kind == KeyDown }

// chunk is one read of a byte stream.
type chunk struct {
	b   []byte
	err error
}

// readChunks reads r until an error and sends every read, the error last, on the returned
// channel. It stops early when stop is closed. The reading goroutine cannot be interrupted
// while a Read blocks: closing r (when it is a file) ends it.
func readChunks(r io.Reader, stop <-chan struct{}) <-chan chunk {
	ch := make(chan chunk)
	go func() {
		defer close(ch)
		buf := make([]byte, 512)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				b := make([]byte, n)
				copy(b, buf[:n])
				select {
				case ch <- chunk{b: b}:
				case <-stop:
					return
				}
			}
			if err != nil {
				select {
				case ch <- chunk{err: err}:
				case <-stop:
				}
				return
			}
		}
	}()
	return ch
}

// keyStream is what the keypads that decode a byte stream share: the reading goroutine, the
// keys decoded and not read yet, the stream's final error, and Halt's stop.
type keyStream struct {
	mu       sync.Mutex // serialises ReadKey
	chunks   <-chan chunk
	queue    []Key
	err      error // the stream's final error, once read, as ReadKey returns it
	stop     chan struct{}
	haltOnce sync.Once
}

func newKeyStream() keyStream { return keyStream{stop: make(chan struct{})} }

// ready returns what ReadKey answers without waiting for input (done true): the first key
// decoded, else ErrHalted after Halt, else the stream's final error. It starts reading r on
// its first call. done false: wait for input.
func (s *keyStream) ready(r io.Reader) (key Key, done bool, err error) {
	if s.chunks == nil {
		s.chunks = readChunks(r, s.stop)
	}
	if len(s.queue) > 0 {
		key = s.queue[0]
		s.queue = s.queue[1:]
		return key, true, nil
	}
	select {
	case <-s.stop:
		return Key{}, true, ErrHalted
	default:
	}
	if s.err != nil {
		return Key{}, true, s.err
	}
	return Key{}, false, nil
}

// halt stops reading, once, and then runs release (closing or restoring the input).
func (s *keyStream) halt(release func() error) error {
	var err error
	s.haltOnce.Do(func() {
		close(s.stop)
		err = release()
	})
	return err
}
