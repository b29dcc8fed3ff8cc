package term

import (
	"unicode/utf8"

	"ticketkiosk/device"
)

// Decoder turns the bytes a terminal or a pipe delivers into keys:
//
//	'\r', '\n'            OK ("\r\n" is one OK)
//	0x7f, 0x08            Backspace
//	ESC [ A, ESC [ B      Up, Down (also ESC O A and ESC O B, and ESC [ 5 ~ and ESC [ 6 ~,
//	                      Page Up and Down)
//	ESC [ 3 ~             Backspace (the Delete key)
//	ESC + other byte      Cancel, then the byte is decoded on its own
//	ESC [ or ESC O + a byte no sequence has (a control byte; after O, also a digit or
//	                      space): Cancel and '[' or 'O', then the byte on its own
//	printable UTF-8       KeyChar
//
// Other escape sequences, control bytes and invalid UTF-8 are dropped. A lone ESC (or ESC [,
// ESC O) at the end of the input stays pending: Flush turns it into Cancel (and the letter)
// at the end of the input, or after a short pause (Keypad's EscTimeout), where a key
// press's sequence arrives in one read.
//
// The zero Decoder is ready to use.
type Decoder struct {
	pending  []byte // an unfinished escape sequence or UTF-8 rune
	afterCR  bool
	overflow bool // the escape sequence in pending grew past maxSeq
}

// maxSeq bounds an escape sequence; longer ones are dropped.
const maxSeq = 16

// Feed decodes p and returns the keys it completes.
func (d *Decoder) Feed(p []byte) []device.Key {
	var keys []device.Key
	for _, c := range p {
		keys = d.byte(keys, c)
	}
	return keys
}

// Pending reports whether the decoder holds bytes waiting for more input.
func (d *Decoder) Pending() bool { return len(d.pending) > 0 }

// Flush ends what is pending: a lone ESC becomes Cancel, ESC [ and ESC O become Cancel and
// the letter; an unfinished escape sequence or UTF-8 rune is dropped.
func (d *Decoder) Flush() []device.Key {
	var keys []device.Key
	switch {
	case len(d.pending) == 1 && d.pending[0] == 0x1b:
		keys = append(keys, device.Key{Kind: device.KeyCancel})
	case len(d.pending) == 2 && d.pending[0] == 0x1b && !d.overflow:
		keys = d.typed(keys)
	}
	d.pending = d.pending[:0]
	d.overflow = false
	return keys
}

// ParseKeys decodes a whole input (a script) into keys; see Decoder.
func ParseKeys(b []byte) []device.Key {
	var d Decoder
	return append(d.Feed(b), d.Flush()...)
}

func (d *Decoder) byte(keys []device.Key, c byte) []device.Key {
	if len(d.pending) > 0 {
		if d.pending[0] == 0x1b {
			return d.escape(keys, c)
		}
		return d.utf8(keys, c)
	}
	cr := d.afterCR
	d.afterCR = false
	switch {
	case c == '\r':
		d.afterCR = true
		return append(keys, device.Key{Kind: device.KeyOK})
	case c == '\n':
		if cr {
			return keys
		}
		return append(keys, device.Key{Kind: device.KeyOK})
	case c == 0x7f || c == 0x08:
		return append(keys, device.Key{Kind: device.KeyBackspace})
	case c == 0x1b:
		d.pending = append(d.pending, c)
		return keys
	case c < 0x20:
		return keys // other control bytes
	case c < utf8.RuneSelf:
		return append(keys, device.Char(rune(c)))
	}
	d.pending = append(d.pending, c)
	return d.checkRune(keys)
}

// escape continues an escape sequence with c.
func (d *Decoder) escape(keys []device.Key, c byte) []device.Key {
	if len(d.pending) == 1 {
		if c == '[' || c == 'O' {
			d.pending = append(d.pending, c)
			return keys
		}
		// A lone ESC: Cancel, and c starts afresh.
		d.pending = d.pending[:0]
		return d.byte(append(keys, device.Key{Kind: device.KeyCancel}), c)
	}
	if len(d.pending) == 2 && !d.overflow && !continues(d.pending[1], c) {
		// ESC [ or ESC O and a byte no sequence has: the keys typed, Cancel and the
		// letter, then c afresh.
		keys = d.typed(keys)
		return d.byte(keys, c)
	}
	if d.pending[1] == 'O' {
		// SS3: one final byte.
		k := ss3Key(c)
		d.pending = d.pending[:0]
		if k.Kind != device.KeyNone {
			keys = append(keys, k)
		}
		return keys
	}
	// In a CSI sequence: parameter and intermediate bytes 0x20-0x3f, final 0x40-0x7e.
	switch {
	case c >= 0x40 && c <= 0x7e:
		k := csiKey(d.pending[2:], c)
		d.pending = d.pending[:0]
		if d.overflow {
			d.overflow = false
			return keys
		}
		if k.Kind != device.KeyNone {
			keys = append(keys, k)
		}
		return keys
	case c >= 0x20 && c <= 0x3f:
		if len(d.pending) >= maxSeq {
			d.overflow = true // too long: swallow the rest up to its final byte
			return keys
		}
		d.pending = append(d.pending, c)
		return keys
	}
	// Not part of a sequence: drop the sequence and decode c on its own.
	d.pending = d.pending[:0]
	d.overflow = false
	return d.byte(keys, c)
}

// continues reports whether c may follow ESC intro ('[' or 'O') in a sequence: a CSI's
// parameter, intermediate or final byte, an SS3's final byte.
func continues(intro, c byte) bool {
	if intro == 'O' {
		return c >= 0x40 && c <= 0x7e
	}
	return c >= 0x20 && c <= 0x7e
}

// typed ends a pending ESC [ or ESC O that no sequence followed: a person typed Esc and
// the letter, which are Cancel and the letter.
func (d *Decoder) typed(keys []device.Key) []device.Key {
	keys = append(keys, device.Key{Kind: device.KeyCancel}, device.Char(rune(d.pending[1])))
	d.pending = d.pending[:0]
	return keys
}

// ss3Key names the key of the SS3 sequence ESC O final (the arrows of a terminal in
// application cursor mode).
func ss3Key(final byte) device.Key {
	switch final {
	case 'A':
		return device.Key{Kind: device.KeyUp}
	case 'B':
		return device.Key{Kind: device.KeyDown}
	}
	return device.Key{}
}

// csiKey names the key of the CSI sequence with parameters params and final byte final.
func csiKey(params []byte, final byte) device.Key {
	switch final {
	case 'A':
		if len(params) == 0 {
			return device.Key{Kind: device.KeyUp}
		}
	case 'B':
		if len(params) == 0 {
			return device.Key{Kind: device.KeyDown}
		}
	case '~':
		switch string(params) {
		case "3":
			return device.Key{Kind: device.KeyBackspace}
		case "5":
			return device.Key{Kind: device.KeyUp}
		case "6":
			return device.Key{Kind: device.KeyDown}
		}
	}
	return device.Key{}
}

// utf8 continues a multi-byte rune with c.
func (d *Decoder) utf8(keys []device.Key, c byte) []device.Key {
	if c < 0x80 || c >= 0xc0 {
		// Not a continuation byte: the rune is broken; drop it and decode c afresh.
		d.pending = d.pending[:0]
		return d.byte(keys, c)
	}
	d.pending = append(d.pending, c)
	return d.checkRune(keys)
}

func (d *Decoder) checkRune(keys []device.Key) []device.Key {
	if !utf8.FullRune(d.pending) {
		if len(d.pending) >= utf8.UTFMax {
			d.pending = d.pending[:0]
		}
		return keys
	}
	r, _ := utf8.DecodeRune(d.pending)
	d.pending = d.pending[:0]
	if r == utf8.RuneError || r < 0xa0 {
		return keys // invalid, or a C1 control
	}
	return append(keys, device.Char(r))
}
