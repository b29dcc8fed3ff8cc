package matrix

import "ticketkiosk/device"

// KeyCap is what one position of a keypad emits: Key when it is pressed, or, when Long is
// set, Key on a short press (emitted at release) and Long once the key has been held for
// the keypad's long-press time (nothing more at release).
type KeyCap struct {
	Key  device.Key
	Long device.Key
}

// Cap returns the KeyCap that emits k on press.
func Cap(k device.Key) KeyCap { return KeyCap{Key: k} }

// Layout4x4 returns the 4×4 keypad layout (rows top to bottom, columns left to right):
//
//	1 2 3 A      A = Up
//	4 5 6 B      B = Down
//	7 8 9 C      C = Cancel
//	* 0 # D      D = OK, * = Backspace, # = Symbol
//
// Digits are emitted as KeyChar '0'..'9'; multi-tap text entry is the screen flow's job.
func Layout4x4() [][]KeyCap {
	d := func(r rune) KeyCap { return Cap(device.Char(r)) }
	k := func(kind device.KeyKind) KeyCap { return Cap(device.Key{Kind: kind}) }
	return [][]KeyCap{
		{d('1'), d('2'), d('3'), k(device.KeyUp)},
		{d('4'), d('5'), d('6'), k(device.KeyDown)},
		{d('7'), d('8'), d('9'), k(device.KeyCancel)},
		{k(device.KeyBackspace), d('0'), k(device.KeySymbol), k(device.KeyOK)},
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
	d := func(r rune) KeyCap { return Cap(device.Char(r)) }
	return [][]KeyCap{
		{d('1'), d('2'), d('3')},
		{d('4'), d('5'), d('6')},
		{d('7'), d('8'), d('9')},
		{
			{Key: device.Key{Kind: device.KeyBackspace}, Long: device.Key{Kind: device.KeyCancel}},
			d('0'),
			{Key: device.Key{Kind: device.KeyOK}, Long: device.Key{Kind: device.KeySymbol}},
		},
	}
}

// repeats reports whether holding k repeats it (Up and Down on a keypad).
func repeats(k device.Key) bool { return k.Kind == device.KeyUp || k.Kind == device.KeyDown }
