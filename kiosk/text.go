package kiosk

import (
	"strings"
	"time"
	"unicode"

	"ticketkiosk/device"
)

// FieldKind is what an Editor accepts.
type FieldKind uint8

// Field kinds.
const (
	FieldText   FieldKind = iota // any character: emails, passwords, login ids
	FieldDigits                  // digits only: codes, sale numbers, dates
)

// TapMode is how a multi-tap Editor reads the digit keys.
type TapMode uint8

// Tap modes, cycled with Up (forward) and Down (back) in a multi-tap text field.
const (
	TapLower  TapMode = iota // 2 = a b c 2, ...
	TapUpper                 // 2 = A B C 2, ...
	TapDigits                // 2 = 2
)

// String is the mode's label as a field shows it: "abc", "ABC" or "123".
func (m TapMode) String() string {
	switch m {
	case TapUpper:
		return "ABC"
	case TapDigits:
		return "123"
	}
	return "abc"
}

// DefaultTapPause is how long a multi-tap letter waits for the same key again before it is
// committed.
const DefaultTapPause = time.Second

// tapLetters is the multi-tap table of a phone keypad, letters first and the digit last.
// 1 holds the characters of email addresses; 0 is only 0 (addresses have no spaces).
var tapLetters = [10]string{
	0: "0",
	1: ".@-_+1",
	2: "abc2",
	3: "def3",
	4: "ghi4",
	5: "jkl5",
	6: "mno6",
	7: "pqrs7",
	8: "tuv8",
	9: "wxyz9",
}

// tapSymbols is what the Symbol key (# on a 4×4 keypad) cycles through.
const tapSymbols = "@.-_+"

// Editor is a one-line text field. On a keyboard (MultiTap false) characters are typed
// directly. On a digit keypad (MultiTap true) a text field reads the digits as a phone does:
// each press of the same key within Pause moves to the key's next letter (tapLetters), a
// pause (Tick) or any other key commits the letter, Symbol cycles @ . - _ +, and Up/Down
// switch between lower case, upper case and plain digits. A digit field takes digits
// directly either way. Backspace deletes the pending letter or the last character.
//
// The zero Editor is a keyboard text field without a length limit.
type Editor struct {
	Kind     FieldKind
	MultiTap bool
	Masked   bool          // show committed characters as '*'
	Max      int           // longest value in runes; 0: no limit
	Pause    time.Duration // multi-tap commit pause; 0: DefaultTapPause
	Mode     TapMode       // the current multi-tap mode

	buf     []rune
	offered bool // buf is a proposal: the first character typed replaces it
	pending bool
	tapKey  rune   // the key of the pending letter ('0'..'9', or '#' for Symbol)
	tapIdx  int    // index of the pending letter in its cycle
	tapSet  string // the cycle of the pending letter
	tapAt   time.Time
}

// Value returns the text, with a pending multi-tap letter.
func (e *Editor) Value() string {
	if r, ok := e.pendingRune(); ok {
		return string(e.buf) + string(r)
	}
	return string(e.buf)
}

// Len returns the length of Value in runes.
func (e *Editor) Len() int {
	if e.pending {
		return len(e.buf) + 1
	}
	return len(e.buf)
}

// Set replaces the text and drops a pending letter.
func (e *Editor) Set(s string) {
	e.pending, e.offered = false, false
	e.buf = append(e.buf[:0], []rune(s)...)
	if e.Max > 0 && len(e.buf) > e.Max {
		e.buf = e.buf[:e.Max]
	}
}

// Offer sets the text as a proposal (what was typed before a refusal, the sale just
// made): it shows selected, in brackets; the first character typed replaces it, Backspace
// starts editing it, OK takes it as it is.
func (e *Editor) Offer(s string) {
	e.Set(s)
	e.offered = len(e.buf) > 0
}

// Offered reports whether the text is still a proposal that typing replaces.
func (e *Editor) Offered() bool { return e.offered }

// take drops a proposal before a character is typed over it.
func (e *Editor) take() {
	if e.offered {
		e.buf, e.offered = e.buf[:0], false
	}
}

// Commit turns a pending multi-tap letter into text.
func (e *Editor) Commit() {
	if r, ok := e.pendingRune(); ok {
		e.buf = append(e.buf, r)
	}
	e.pending = false
}

// Pending reports whether a multi-tap letter waits for its commit.
func (e *Editor) Pending() bool { return e.pending }

func (e *Editor) pendingRune() (rune, bool) {
	if !e.pending {
		return 0, false
	}
	r := []rune(e.tapSet)[e.tapIdx]
	if e.Mode == TapUpper {
		r = unicode.ToUpper(r)
	}
	return r, true
}

func (e *Editor) pause() time.Duration {
	if e.Pause > 0 {
		return e.Pause
	}
	return DefaultTapPause
}

func (e *Editor) full() bool { return e.Max > 0 && len(e.buf) >= e.Max }

// Tick commits a pending letter once Pause has passed since its key; it reports whether
// the field changed.
func (e *Editor) Tick(now time.Time) bool {
	if e.pending && now.Sub(e.tapAt) >= e.pause() {
		e.Commit()
		return true
	}
	return false
}

// Key applies a key at time now and reports whether the field changed. OK and Cancel
// never change it: they are the caller's.
func (e *Editor) Key(k device.Key, now time.Time) bool {
	switch k.Kind {
	case device.KeyBackspace:
		e.offered = false
		if e.pending {
			e.pending = false
			return true
		}
		if len(e.buf) == 0 {
			return false
		}
		e.buf = e.buf[:len(e.buf)-1]
		return true
	case device.KeyUp, device.KeyDown:
		if !e.MultiTap || e.Kind != FieldText {
			return false
		}
		e.Commit()
		if k.Kind == device.KeyUp {
			e.Mode = (e.Mode + 1) % 3
		} else {
			e.Mode = (e.Mode + 2) % 3
		}
		return true
	case device.KeySymbol:
		if e.Kind != FieldText {
			return false
		}
		return e.tap('#', tapSymbols, now)
	case device.KeyChar:
		return e.char(k.Rune, now)
	}
	return false
}

func (e *Editor) char(r rune, now time.Time) bool {
	digit := r >= '0' && r <= '9'
	switch {
	case e.Kind == FieldDigits && !digit:
		return false
	case e.Kind == FieldDigits, !e.MultiTap, !digit, e.Mode == TapDigits:
		if !unicode.IsPrint(r) {
			return false
		}
		e.Commit()
		e.take()
		if e.full() {
			return false
		}
		e.buf = append(e.buf, r)
		return true
	}
	return e.tap(r, tapLetters[r-'0'], now)
}

// tap handles a press of a multi-tap key whose cycle is set.
func (e *Editor) tap(key rune, set string, now time.Time) bool {
	if e.pending && e.tapKey == key && now.Sub(e.tapAt) < e.pause() {
		e.tapIdx = (e.tapIdx + 1) % len([]rune(set))
		e.tapAt = now
		return true
	}
	e.Commit()
	e.take()
	if e.full() {
		return false
	}
	if rs := []rune(set); len(rs) == 1 { // nothing to cycle: type it
		e.buf = append(e.buf, rs[0])
		return true
	}
	e.pending, e.tapKey, e.tapIdx, e.tapSet, e.tapAt = true, key, 0, set, now
	return true
}

// Display returns the field as it fits in width runes: the tail of the text (masked if
// Masked, with a pending letter shown in clear so the user sees which letter is next), a
// cursor '_', and for a multi-tap text field the mode label at the right.
func (e *Editor) Display(width int) string {
	var b strings.Builder
	if e.offered {
		b.WriteByte('[')
	}
	for _, r := range e.buf {
		if e.Masked {
			r = '*'
		}
		b.WriteRune(r)
	}
	if r, ok := e.pendingRune(); ok {
		b.WriteRune(r)
	} else if e.offered {
		b.WriteByte(']')
	} else if !e.full() {
		b.WriteRune('_')
	}
	label := ""
	if e.MultiTap && e.Kind == FieldText {
		label = e.Mode.String()
	}
	room := width
	if label != "" {
		room = width - len(label) - 1
	}
	text := []rune(b.String())
	if room < 1 {
		room = 1
	}
	if len(text) > room {
		text = text[len(text)-room:]
	}
	return pair(string(text), label, width)
}
