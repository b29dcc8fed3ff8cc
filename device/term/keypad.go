// Package term is the terminal as a kiosk: a keypad that reads keys from a TTY in raw mode
// or bytes from a pipe (the key-stream Decoder), and a display that draws a box on a TTY or
// prints one line per screen.
package term

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/device/internal/keystream"
	"ticketkiosk/internal/clock"

	"golang.org/x/term"
)

// Keypad reads keys from a terminal or a pipe (normally standard input); see
// Decoder for the bytes it understands.
//
// On a TTY it switches the terminal to raw mode (no echo, no line editing; Ctrl-C still
// interrupts) until Halt. From a pipe the bytes are read in order, so a scripted session is
// `printf '1001\n...' | kioskd`; at the end of the input ReadKey returns io.EOF. A lone ESC
// is Cancel once no byte follows it within EscTimeout: on a TTY always, from a pipe when
// the read that ended with it had emptied the pipe (a read cut by the buffer's size waits
// for the rest of a script's sequence), and at the end of the input.
type Keypad struct {
	r          io.Reader
	tty        bool
	escTimeout time.Duration
	clk        clock.Clock

	s       *keystream.Stream
	dec     Decoder
	drained bool // the last read was short: nothing more was waiting in the input
	restore func() error
}

// KeypadOptions tunes a Keypad.
type KeypadOptions struct {
	// EscTimeout is how long a lone ESC waits for the rest of an escape sequence before it
	// is Cancel. Default 50 ms.
	EscTimeout time.Duration
	// Clock times EscTimeout; nil: the real clock.
	Clock clock.Clock
}

var _ device.Keypad = (*Keypad)(nil)

// NewKeypad returns a keypad reading r. When tty is true, r must have an Fd method
// (an *os.File) and the terminal is put in raw mode at once.
func NewKeypad(r io.Reader, tty bool, opts *KeypadOptions) (*Keypad, error) {
	k := &Keypad{r: r, tty: tty, escTimeout: 50 * time.Millisecond, clk: clock.Real{}, s: keystream.New()}
	if opts != nil && opts.EscTimeout > 0 {
		k.escTimeout = opts.EscTimeout
	}
	if opts != nil {
		k.clk = clock.Or(opts.Clock)
	}
	if tty {
		f, ok := r.(interface{ Fd() uintptr })
		if !ok {
			return nil, errors.New("terminal: a TTY reader needs an Fd method")
		}
		fd := int(f.Fd())
		restore, err := makeRaw(fd)
		if err != nil {
			return nil, fmt.Errorf("terminal: raw mode: %w", err)
		}
		k.restore = restore
	}
	return k, nil
}

// ReadKey returns the next key; io.EOF when the input has ended.
func (k *Keypad) ReadKey(ctx context.Context) (device.Key, error) {
	k.s.Mu.Lock()
	defer k.s.Mu.Unlock()
	for {
		if key, done, err := k.s.Ready(k.r); done {
			return key, err
		}
		var timeout <-chan time.Time
		var timer clock.Timer
		if k.dec.Pending() && (k.tty || k.drained) {
			timer, timeout = k.clk.NewTimer(k.escTimeout)
		}
		err := k.wait(ctx, timeout)
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return device.Key{}, err
		}
	}
}

// wait waits for the next read, the ESC timeout, ctx or Halt, and decodes what came.
func (k *Keypad) wait(ctx context.Context, timeout <-chan time.Time) error {
	select {
	case c, ok := <-k.s.Chunks():
		if !ok {
			k.s.Err = io.EOF
			k.s.Queue = append(k.s.Queue, k.dec.Flush()...)
			return nil
		}
		k.s.Queue = append(k.s.Queue, k.dec.Feed(c.B)...)
		k.drained = len(c.B) < keystream.ReadSize
		if c.Err != nil {
			k.s.Err = io.EOF
			if !errors.Is(c.Err, io.EOF) {
				k.s.Err = fmt.Errorf("terminal: read: %w", c.Err)
			}
			k.s.Queue = append(k.s.Queue, k.dec.Flush()...)
		}
	case <-timeout:
		k.s.Queue = append(k.s.Queue, k.dec.Flush()...)
	case <-ctx.Done():
		return ctx.Err()
	case <-k.s.Stopped():
		return device.ErrHalted
	}
	return nil
}

// Halt restores the terminal's mode. A Read blocked on the input is not interrupted (the
// input cannot be closed from here); it ends with the next byte or the end of the input.
func (k *Keypad) Halt() error {
	return k.s.Halt(func() error {
		if k.restore != nil {
			if err := k.restore(); err != nil {
				return fmt.Errorf("terminal: restore: %w", err)
			}
		}
		return nil
	})
}

// String describes the keypad.
func (k *Keypad) String() string {
	if k.tty {
		return "terminal keypad (tty)"
	}
	return "terminal keypad (pipe)"
}

// IsTerminal reports whether fd is a terminal; cmd uses it to choose the tty flag.
func IsTerminal(fd uintptr) bool { return term.IsTerminal(int(fd)) }
