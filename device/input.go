package device

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// EventLayout is the size in bytes of the kernel's struct input_event as a process reads
// it: a struct timeval (two longs), type u16, code u16, value s32.
type EventLayout int

// The two layouts of struct input_event.
const (
	Event64 EventLayout = 24 // 64-bit processes: 16-byte timeval
	Event32 EventLayout = 16 // 32-bit processes (armv6/armv7): 8-byte timeval
)

// NativeEventLayout is the layout the running program reads: Event32 for a 32-bit build
// (also on a 64-bit kernel, which converts), Event64 otherwise.
func NativeEventLayout() EventLayout {
	if strconv.IntSize == 32 {
		return Event32
	}
	return Event64
}

// InputEvent is one struct input_event.
type InputEvent struct {
	Time  time.Time
	Type  uint16
	Code  uint16
	Value int32
}

// Event types and key values from the kernel's input-event-codes.h.
const (
	evKey = 0x01

	keyRelease = 0
	keyPress   = 1
	keyRepeat  = 2
)

// ErrShortEvent means the input ended in the middle of an event.
var ErrShortEvent = errors.New("input: truncated event")

// ParseInputEvents decodes the whole events at the start of b and returns them with the
// bytes of an unfinished event at the end.
func ParseInputEvents(b []byte, layout EventLayout) ([]InputEvent, []byte) {
	n := int(layout)
	if n != int(Event32) && n != int(Event64) {
		return nil, b
	}
	evs := make([]InputEvent, 0, len(b)/n)
	for ; len(b) >= n; b = b[n:] {
		evs = append(evs, parseEvent(b[:n], layout))
	}
	return evs, b
}

func parseEvent(b []byte, layout EventLayout) InputEvent {
	e := binary.NativeEndian
	var sec, usec int64
	var rest []byte
	if layout == Event64 {
		sec, usec, rest = int64(e.Uint64(b)), int64(e.Uint64(b[8:])), b[16:]
	} else {
		// 32-bit kernels and the compat layer write the seconds unsigned (valid past 2038).
		sec, usec, rest = int64(e.Uint32(b)), int64(e.Uint32(b[4:])), b[8:]
	}
	return InputEvent{
		Time:  time.Unix(sec, usec*1000),
		Type:  e.Uint16(rest),
		Code:  e.Uint16(rest[2:]),
		Value: int32(e.Uint32(rest[4:])),
	}
}

// AppendInputEvent appends ev encoded in layout to b; tests and tools use it to make
// event streams.
func AppendInputEvent(b []byte, ev InputEvent, layout EventLayout) []byte {
	e := binary.NativeEndian
	sec, usec := ev.Time.Unix(), int64(ev.Time.Nanosecond()/1000)
	if ev.Time.IsZero() {
		sec, usec = 0, 0
	}
	if layout == Event32 {
		b = e.AppendUint32(b, uint32(sec))
		b = e.AppendUint32(b, uint32(usec))
	} else {
		b = e.AppendUint64(b, uint64(sec))
		b = e.AppendUint64(b, uint64(usec))
	}
	b = e.AppendUint16(b, ev.Type)
	b = e.AppendUint16(b, ev.Code)
	return e.AppendUint32(b, uint32(ev.Value))
}

// KeyMapper turns key events into keys. It tracks Shift and Caps Lock, so one KeyMapper
// serves one device. The zero KeyMapper is ready to use.
//
// Keyboard keys: digits, letters and the US-layout symbols (with Shift: upper case and
// ! @ # $ % ^ & * ( ) _ + { } | : " ~ < > ?) are KeyChar, as is the space bar; Enter is OK,
// Esc is Cancel, Backspace and Delete are Backspace, arrows Up and Down (and Page Up and
// Page Down) are Up and Down.
//
// Numeric keypad keys, laid out like the 4×4 keypad's functions: KP0-KP9 are the digits
// (whatever Num Lock says), KP Enter is OK, KP- is Up and KP+ is Down (the column above
// Enter), KP/ is Cancel, KP* is Backspace (* on the matrix keypad) and KP. is Symbol (#).
//
// A press (value 1) gives the key; an autorepeat (value 2) repeats it for characters, Up,
// Down and Backspace only, so a held OK or Cancel acts once; releases (value 0) give none.
type KeyMapper struct {
	shift    [2]bool // left, right
	capsLock bool
}

// Linux key codes (input-event-codes.h) this package reads.
const (
	codeEsc        = 1
	codeBackspace  = 14
	codeEnter      = 28
	codeLeftShift  = 42
	codeRightShift = 54
	codeKPAsterisk = 55
	codeSpace      = 57
	codeCapsLock   = 58
	codeKP7        = 71
	codeKP8        = 72
	codeKP9        = 73
	codeKPMinus    = 74
	codeKP4        = 75
	codeKP5        = 76
	codeKP6        = 77
	codeKPPlus     = 78
	codeKP1        = 79
	codeKP2        = 80
	codeKP3        = 81
	codeKP0        = 82
	codeKPDot      = 83
	codeKPEnter    = 96
	codeKPSlash    = 98
	codeUp         = 103
	codePageUp     = 104
	codeDown       = 108
	codePageDown   = 109
	codeDelete     = 111
)

// usKeys maps the printing keys of a US keyboard to their unshifted and shifted runes.
var usKeys = map[uint16][2]rune{
	2: {'1', '!'}, 3: {'2', '@'}, 4: {'3', '#'}, 5: {'4', '$'}, 6: {'5', '%'},
	7: {'6', '^'}, 8: {'7', '&'}, 9: {'8', '*'}, 10: {'9', '('}, 11: {'0', ')'},
	12: {'-', '_'}, 13: {'=', '+'},
	16: {'q', 'Q'}, 17: {'w', 'W'}, 18: {'e', 'E'}, 19: {'r', 'R'}, 20: {'t', 'T'},
	21: {'y', 'Y'}, 22: {'u', 'U'}, 23: {'i', 'I'}, 24: {'o', 'O'}, 25: {'p', 'P'},
	26: {'[', '{'}, 27: {']', '}'},
	30: {'a', 'A'}, 31: {'s', 'S'}, 32: {'d', 'D'}, 33: {'f', 'F'}, 34: {'g', 'G'},
	35: {'h', 'H'}, 36: {'j', 'J'}, 37: {'k', 'K'}, 38: {'l', 'L'},
	39: {';', ':'}, 40: {'\'', '"'}, 41: {'`', '~'}, 43: {'\\', '|'},
	44: {'z', 'Z'}, 45: {'x', 'X'}, 46: {'c', 'C'}, 47: {'v', 'V'}, 48: {'b', 'B'},
	49: {'n', 'N'}, 50: {'m', 'M'}, 51: {',', '<'}, 52: {'.', '>'}, 53: {'/', '?'},
	codeSpace: {' ', ' '},
}

// kpKeys maps the numeric keypad.
var kpKeys = map[uint16]Key{
	codeKP0: Char('0'), codeKP1: Char('1'), codeKP2: Char('2'), codeKP3: Char('3'),
	codeKP4: Char('4'), codeKP5: Char('5'), codeKP6: Char('6'), codeKP7: Char('7'),
	codeKP8: Char('8'), codeKP9: Char('9'),
	codeKPEnter:    {Kind: KeyOK},
	codeKPMinus:    {Kind: KeyUp},
	codeKPPlus:     {Kind: KeyDown},
	codeKPSlash:    {Kind: KeyCancel},
	codeKPAsterisk: {Kind: KeyBackspace},
	codeKPDot:      {Kind: KeySymbol},
}

// funcKeys maps the keyboard's function keys.
var funcKeys = map[uint16]Key{
	codeEnter:     {Kind: KeyOK},
	codeEsc:       {Kind: KeyCancel},
	codeBackspace: {Kind: KeyBackspace},
	codeDelete:    {Kind: KeyBackspace},
	codeUp:        {Kind: KeyUp},
	codePageUp:    {Kind: KeyUp},
	codeDown:      {Kind: KeyDown},
	codePageDown:  {Kind: KeyDown},
}

// Map returns the key ev gives, or false when it gives none.
func (m *KeyMapper) Map(ev InputEvent) (Key, bool) {
	if ev.Type != evKey {
		return Key{}, false
	}
	switch ev.Code {
	case codeLeftShift, codeRightShift:
		i := 0
		if ev.Code == codeRightShift {
			i = 1
		}
		if ev.Value == keyPress || ev.Value == keyRelease {
			m.shift[i] = ev.Value == keyPress
		}
		return Key{}, false
	case codeCapsLock:
		if ev.Value == keyPress {
			m.capsLock = !m.capsLock
		}
		return Key{}, false
	}
	if ev.Value != keyPress && ev.Value != keyRepeat {
		return Key{}, false
	}
	k, ok := m.lookup(ev.Code)
	if !ok {
		return Key{}, false
	}
	if ev.Value == keyRepeat {
		switch k.Kind {
		case KeyChar, KeyUp, KeyDown, KeyBackspace:
		default:
			return Key{}, false
		}
	}
	return k, true
}

func (m *KeyMapper) lookup(code uint16) (Key, bool) {
	if k, ok := kpKeys[code]; ok {
		return k, true
	}
	if k, ok := funcKeys[code]; ok {
		return k, true
	}
	rs, ok := usKeys[code]
	if !ok {
		return Key{}, false
	}
	shift := m.shift[0] || m.shift[1]
	if m.capsLock && rs[0] >= 'a' && rs[0] <= 'z' {
		shift = !shift
	}
	if shift {
		return Char(rs[1]), true
	}
	return Char(rs[0]), true
}

// InputKeypad reads keys from a Linux input event device (/dev/input/eventN: a USB keypad
// or keyboard), opened by OpenInput or given as any io.Reader of events. See KeyMapper for
// the keys.
type InputKeypad struct {
	r      io.Reader
	name   string
	layout EventLayout

	keyStream
	rest   []byte
	mapper KeyMapper
}

// InputOptions tunes an InputKeypad.
type InputOptions struct {
	// Layout of the events; default NativeEventLayout().
	Layout EventLayout
	// Name shown by String, normally the device path.
	Name string
}

var _ Keypad = (*InputKeypad)(nil)

// NewInputKeypad returns a keypad reading events from r. Halt closes r when it is an
// io.Closer.
func NewInputKeypad(r io.Reader, opts *InputOptions) (*InputKeypad, error) {
	k := &InputKeypad{r: r, layout: NativeEventLayout(), name: "input", keyStream: newKeyStream()}
	if opts != nil {
		if opts.Layout != 0 {
			k.layout = opts.Layout
		}
		if opts.Name != "" {
			k.name = opts.Name
		}
	}
	if k.layout != Event32 && k.layout != Event64 {
		return nil, fmt.Errorf("input: bad event layout %d", k.layout)
	}
	return k, nil
}

// ReadKey returns the next key; io.EOF when the device's stream ended cleanly between
// events, ErrShortEvent when it ended inside one.
func (k *InputKeypad) ReadKey(ctx context.Context) (Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for {
		if key, done, err := k.ready(k.r); done {
			return key, err
		}
		select {
		case c, ok := <-k.chunks:
			if !ok {
				c.err = io.EOF
			}
			k.feed(c.b)
			if c.err != nil {
				k.err = k.endErr(c.err)
			}
		case <-ctx.Done():
			return Key{}, ctx.Err()
		case <-k.stop:
			return Key{}, ErrHalted
		}
	}
}

func (k *InputKeypad) feed(b []byte) {
	if len(b) == 0 {
		return
	}
	var evs []InputEvent
	evs, k.rest = ParseInputEvents(append(k.rest, b...), k.layout)
	k.rest = append([]byte(nil), k.rest...)
	for _, ev := range evs {
		if key, ok := k.mapper.Map(ev); ok {
			k.queue = append(k.queue, key)
		}
	}
}

func (k *InputKeypad) endErr(err error) error {
	if errors.Is(err, io.EOF) {
		if len(k.rest) > 0 {
			return fmt.Errorf("input: %s: %w", k.name, ErrShortEvent)
		}
		return io.EOF
	}
	return fmt.Errorf("input: %s: read: %w", k.name, err)
}

// Halt stops reading and closes the device when it is an io.Closer (which also releases
// a grab).
func (k *InputKeypad) Halt() error {
	return k.halt(func() error {
		if c, ok := k.r.(io.Closer); ok {
			if err := c.Close(); err != nil {
				return fmt.Errorf("input: %s: close: %w", k.name, err)
			}
		}
		return nil
	})
}

// String names the keypad.
func (k *InputKeypad) String() string { return "input keypad " + k.name }
