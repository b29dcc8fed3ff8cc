package kiosk_test

import (
	"fmt"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/kiosk"
)

// On a digit keypad a text field reads the keys as a phone does: 2 2 is "b", a pause
// commits the letter, # cycles @ . - _ +.
func ExampleEditor() {
	e := kiosk.Editor{MultiTap: true}
	t := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	press := func(k device.Key) {
		t = t.Add(200 * time.Millisecond)
		e.Key(k, t)
	}
	for _, r := range "222" { // c
		press(device.Char(r))
	}
	press(device.Key{Kind: device.KeySymbol}) // commits c; @
	press(device.Char('3'))                   // commits @; d
	e.Tick(t.Add(time.Second))                // the pause commits d
	press(device.Char('3'))                   // d again
	press(device.Char('3'))                   // e
	fmt.Printf("%q\n", e.Value())
	fmt.Printf("%q\n", e.Display(12))
	// Output:
	// "c@de"
	// "c@de     abc"
}
