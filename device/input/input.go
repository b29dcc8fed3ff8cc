// Package input reads keys from Linux input event devices (/dev/input/eventN: USB keypads
// and keyboards), in both event layouts (16 bytes for 32-bit builds, 24 for 64-bit), and maps
// them to device.Keys.
package input

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/device/internal/keystream"
)

// EventLayout is the size in bytes of the kernel's struct input_event as a process reads
// it: a struct timeval (two longs), type u16, code u16, value s32.
type EventLayout int

// The two layouts of struct input_event.
const (
	Event64 EventLayout = 24 // 64-bit processes: 16-byte timeval
	Event32 EventLayout = 16 // 32-bit processes (armv6/armv7): 8-byte timeval
)

// NativeLayout is the layout the running program reads: Event32 for a 32-bit build
// (also on a 64-bit kernel, which converts), Event64 otherwise.
func NativeLayout() EventLayout {
	if strconv.IntSize == 32 {
		return Event32
	}
	return Event64
}

// Event is one struct input_event.
type Event struct {
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

// ParseEvents decodes the whole events at the start of b and returns them with the
// bytes of an unfinished event at the end.
func ParseEvents(b []byte, layout EventLayout) ([]Event, []byte) {
	n := int(layout)
	if n != int(Event32) && n != int(Event64) {
		return nil, b
	}
	evs := make([]Event, 0, len(b)/n)
	for ; len(b) >= n; b = b[n:] {
		evs = append(evs, parseEvent(b[:n], layout))
	}
	return evs, b
}

func parseEvent(b []byte, layout EventLayout) Event {
	e := binary.NativeEndian
	var sec, usec int64
	var rest []byte
	if layout == Event64 {
		sec, usec, rest = int64(e.Uint64(b)), int64(e.Uint64(b[8:])), b[16:]
	} else {
		// 32-bit kernels and the compat layer write the seconds unsigned (valid past 2038).
		sec, usec, rest = int64(e.Uint32(b)), int64(e.Uint32(b[4:])), b[8:]
	}
	return Event{
		Time:  time.Unix(sec, usec*1000),
		Type:  e.Uint16(rest),
		Code:  e.Uint16(rest[2:]),
		Value: int32(e.Uint32(rest[4:])),
	}
}

// AppendEvent appends ev encoded in layout to b; tests and tools use it to make
// event streams.
func AppendEvent(b []byte, ev Event, layout EventLayout) []byte {
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
var kpKeys = map[uint16]device.Key{
	codeKP0: device.Char('0'), codeKP1: device.Char('1'), codeKP2: device.Char('2'), codeKP3: device.Char('3'),
	codeKP4: device.Char('4'), codeKP5: device.Char('5'), codeKP6: device.Char('6'), codeKP7: device.Char('7'),
	codeKP8: device.Char('8'), codeKP9: device.Char('9'),
	codeKPEnter:    {Kind: device.KeyOK},
	codeKPMinus:    {Kind: device.KeyUp},
	codeKPPlus:     {Kind: device.KeyDown},
	codeKPSlash:    {Kind: device.KeyCancel},
	codeKPAsterisk: {Kind: device.KeyBackspace},
	codeKPDot:      {Kind: device.KeySymbol},
}

// funcKeys maps the keyboard's function keys.
var funcKeys = map[uint16]device.Key{
	codeEnter:     {Kind: device.KeyOK},
	codeEsc:       {Kind: device.KeyCancel},
	codeBackspace: {Kind: device.KeyBackspace},
	codeDelete:    {Kind: device.KeyBackspace},
	codeUp:        {Kind: device.KeyUp},
	codePageUp:    {Kind: device.KeyUp},
	codeDown:      {Kind: device.KeyDown},
	codePageDown:  {Kind: device.KeyDown},
}

// Map returns the key ev gives, or false when it gives none.
func (m *KeyMapper) Map(ev Event) (device.Key, bool) {
	if ev.Type != evKey {
		return device.Key{}, false
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
		return device.Key{}, false
	case codeCapsLock:
		if ev.Value == keyPress {
			m.capsLock = !m.capsLock
		}
		return device.Key{}, false
	}
	if ev.Value != keyPress && ev.Value != keyRepeat {
		return device.Key{}, false
	}
	k, ok := m.lookup(ev.Code)
	if !ok {
		return device.Key{}, false
	}
	if ev.Value == keyRepeat {
		switch k.Kind {
		case device.KeyChar, device.KeyUp, device.KeyDown, device.KeyBackspace:
		default:
			return device.Key{}, false
		}
	}
	return k, true
}

func (m *KeyMapper) lookup(code uint16) (device.Key, bool) {
	if k, ok := kpKeys[code]; ok {
		return k, true
	}
	if k, ok := funcKeys[code]; ok {
		return k, true
	}
	rs, ok := usKeys[code]
	if !ok {
		return device.Key{}, false
	}
	shift := m.shift[0] || m.shift[1]
	if m.capsLock && rs[0] >= 'a' && rs[0] <= 'z' {
		shift = !shift
	}
	if shift {
		return device.Char(rs[1]), true
	}
	return device.Char(rs[0]), true
}

// Keypad reads keys from a Linux input event device (/dev/input/eventN: a USB keypad
// or keyboard), opened by Open or given as any io.Reader of events. See KeyMapper for
// the keys.
type Keypad struct {
	r      io.Reader
	name   string
	layout EventLayout

	s      *keystream.Stream
	rest   []byte
	mapper KeyMapper
}

// Options tunes an Keypad.
type Options struct {
	// Layout of the events; default NativeLayout().
	Layout EventLayout
	// Name shown by String, normally the device path.
	Name string
}

var _ device.Keypad = (*Keypad)(nil)

// New returns a keypad reading events from r. Halt closes r when it is an
// io.Closer.
func New(r io.Reader, opts *Options) (*Keypad, error) {
	k := &Keypad{r: r, layout: NativeLayout(), name: "input", s: keystream.New()}
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
func (k *Keypad) ReadKey(ctx context.Context) (device.Key, error) {
	k.s.Mu.Lock()
	defer k.s.Mu.Unlock()
	for {
		if key, done, err := k.s.Ready(k.r); done {
			return key, err
		}
		select {
		case c, ok := <-k.s.Chunks():
			if !ok {
				c.Err = io.EOF
			}
			k.feed(c.B)
			if c.Err != nil {
				k.s.Err = k.endErr(c.Err)
			}
		case <-ctx.Done():
			return device.Key{}, ctx.Err()
		case <-k.s.Stopped():
			return device.Key{}, device.ErrHalted
		}
	}
}

func (k *Keypad) feed(b []byte) {
	if len(b) == 0 {
		return
	}
	var evs []Event
	evs, k.rest = ParseEvents(append(k.rest, b...), k.layout)
	k.rest = append([]byte(nil), k.rest...)
	for _, ev := range evs {
		if key, ok := k.mapper.Map(ev); ok {
			k.s.Queue = append(k.s.Queue, key)
		}
	}
}

func (k *Keypad) endErr(err error) error {
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
func (k *Keypad) Halt() error {
	return k.s.Halt(func() error {
		if c, ok := k.r.(io.Closer); ok {
			if err := c.Close(); err != nil {
				return fmt.Errorf("input: %s: close: %w", k.name, err)
			}
		}
		return nil
	})
}

// String names the keypad.
func (k *Keypad) String() string { return "input keypad " + k.name }
