// Package device is what the kiosk's core speaks to its hardware: the Key, the Keypad,
// Display and Printer interfaces, the display glyphs and the drivers' sentinel errors.
//
// The drivers live in the packages below it, one per family, as periph keeps its
// interfaces (conn) apart from its drivers (devices): device/matrix (GPIO matrix keypads),
// device/hd44780 (character LCDs over PCF8574), device/input (Linux input events),
// device/term (the terminal) and device/printer (serial, USB, TCP and file printers).
// Drivers take periph's gpio.PinIO or i2c.Bus and never open a bus themselves; only cmd/
// calls host.Init(). Neither this package nor its drivers import kiosk, store or mqtt.
package device

import (
	"context"
	"errors"
)

// KeyKind says what a Key is.
type KeyKind uint8

// The abstract keys the screen flow reads (DESIGN.md, "Keys on the kiosk", a contract).
const (
	KeyNone      KeyKind = iota
	KeyChar              // a character: digits '0'..'9' and, from keyboards, letters and symbols
	KeyUp                // A on a 4×4 keypad, arrow up on a keyboard
	KeyDown              // B on a 4×4 keypad, arrow down on a keyboard
	KeyOK                // D on a 4×4 keypad, Enter on a keyboard
	KeyCancel            // C on a 4×4 keypad, Esc on a keyboard
	KeyBackspace         // * on a 4×4 keypad, Backspace on a keyboard
	KeySymbol            // # on a 4×4 keypad: cycles symbols (@ . - _ +) in text fields
)

// Key is one key press.
type Key struct {
	Kind KeyKind
	Rune rune // for KeyChar
}

// Char returns the KeyChar key for r.
func Char(r rune) Key { return Key{Kind: KeyChar, Rune: r} }

// IsDigit reports whether k is one of the digit keys 0-9.
func (k Key) IsDigit() bool { return k.Kind == KeyChar && k.Rune >= '0' && k.Rune <= '9' }

// String names the key: "5", "a", "OK", "Up", ...
func (k Key) String() string {
	switch k.Kind {
	case KeyChar:
		return string(k.Rune)
	case KeyUp:
		return "Up"
	case KeyDown:
		return "Down"
	case KeyOK:
		return "OK"
	case KeyCancel:
		return "Cancel"
	case KeyBackspace:
		return "Backspace"
	case KeySymbol:
		return "Symbol"
	}
	return "None"
}

// Keypad is a source of key presses.
type Keypad interface {
	// ReadKey blocks until a key is pressed or ctx is done. It returns io.EOF when the
	// input has ended (a pipe closed) and ctx.Err() when ctx is done.
	ReadKey(ctx context.Context) (Key, error)
	// Halt stops the keypad and releases what it holds.
	Halt() error
	String() string
}

// Glyphs the screen flow may put on a display; drivers map them to custom characters
// (HD44780 CGRAM) or to plain symbols (terminal).
const (
	GlyphSynced  = '\uE000' // every sale acknowledged by the hub
	GlyphOffline = '\uE001' // no connection to the hub
	GlyphPending = '\uE002' // sales waiting to be sent
)

// Display shows a frame of text: Rows() lines of at most Cols() characters.
type Display interface {
	Rows() int
	Cols() int
	// Show replaces what is on the display with lines (missing lines are blank; longer
	// lines are cut). Drivers rewrite only what changed.
	Show(lines []string) error
	Halt() error
	String() string
}

// Printer is an ESC/POS printer connection.
type Printer interface {
	// Status asks the printer for its state (DLE EOT). A printer that does not answer
	// within the context's deadline (or the driver's own timeout) returns ErrOffline.
	Status(ctx context.Context) (PrinterStatus, error)
	// Print sends one job (an ESC/POS byte stream) and returns once it is written.
	Print(ctx context.Context, job []byte) error
	Halt() error
	String() string
}

type jobNameKey struct{}

// WithJobName returns a context naming the print job sent with it, e.g. "sale-0001" for
// the tickets of sale number 1. A printer that keeps jobs as files may name them after it
// (the file printer with printer.Config.NamedJobs); a real printer ignores it.
func WithJobName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, jobNameKey{}, name)
}

// JobName returns the name WithJobName gave the job of ctx, or "".
func JobName(ctx context.Context) string {
	name, _ := ctx.Value(jobNameKey{}).(string)
	return name
}

// The drivers' sentinel errors; they come wrapped, so compare with errors.Is.
var (
	// ErrOffline means the printer did not answer.
	ErrOffline = errors.New("printer offline")
	// ErrNotReady means the printer answered but cannot print: paper out, cover open, an
	// error. Print returns it (wrapped with the status) when the printer stops during a job.
	ErrNotReady = errors.New("printer not ready")
	// ErrHalted is returned by a keypad's ReadKey after its Halt.
	ErrHalted = errors.New("device: halted")
)
