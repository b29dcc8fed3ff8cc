// Package hd44780 drives HD44780 character LCDs behind a PCF8574 I²C backpack (through
// periph's i2c.Bus), with the character ROM tables (A00, A02, Cyrillic) that decide how
// text beyond ASCII and the device glyphs are shown.
package hd44780

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/internal/clock"

	"periph.io/x/conn/v3/i2c"
)

// Display is a character LCD (Display or compatible) behind a PCF8574 I²C backpack, the
// common "I2C LCD 1602/2004" module, driven in 4-bit mode.
//
// The backpack's pins: P0 = RS, P1 = R/W (kept low: the driver only writes), P2 = EN,
// P3 = backlight, P4-P7 = D4-D7. Its address is 0x27 (PCF8574T) or 0x3F (PCF8574AT) with
// A0-A2 open.
//
// Every command or character is two nibbles, each latched by EN going high then low. One
// I²C write carries a whole run: a first byte that sets RS with EN low, then two bytes per
// nibble. At 100 kHz a byte takes 90 µs, more than the 37-43 µs an instruction needs, so
// only clear (1.52 ms) and the power-up sequence sleep.
//
// Show keeps a copy of what the display shows and rewrites only the cells that changed.
type Display struct {
	dev        i2c.Dev
	rows, cols int
	rom        ROM
	clk        clock.Clock

	mu        sync.Mutex
	backlight byte
	shadow    [][]byte // codes on the display; nil when unknown
	tx        []byte
}

// Options configures an Display.
type Options struct {
	Rows, Cols int // default 4×20; 2×16 and 4×20 are usual, 1, 2 or 4 rows of 8-40 cells
	ROM        ROM // default ROMA00
	// Clock times the waits of the power-up sequence and of clear; nil: the real clock.
	Clock clock.Clock
}

// PCF8574 output bits.
const (
	lcdRS        = 0x01
	lcdEN        = 0x04
	lcdBacklight = 0x08
)

// Display instructions.
const (
	lcdClear       = 0x01
	lcdEntryMode   = 0x04 // | 0x02 increment
	lcdDisplayCtl  = 0x08 // | 0x04 display on, 0x02 cursor, 0x01 blink
	lcdFunctionSet = 0x20 // | 0x10 8-bit, 0x08 two lines, 0x04 5×10 dots
	lcdSetCGRAM    = 0x40
	lcdSetDDRAM    = 0x80
)

var _ device.Display = (*Display)(nil)

// New initialises the display at addr on bus, loads the glyphs into CGRAM, clears
// it and turns the backlight on.
func New(bus i2c.Bus, addr uint16, opts *Options) (*Display, error) {
	d := &Display{
		dev:       i2c.Dev{Bus: bus, Addr: addr},
		rows:      4,
		cols:      20,
		rom:       ROMA00,
		clk:       clock.Real{},
		backlight: lcdBacklight,
	}
	if opts != nil {
		if opts.Rows != 0 || opts.Cols != 0 {
			d.rows, d.cols = opts.Rows, opts.Cols
		}
		if opts.ROM != "" {
			d.rom = opts.ROM
		}
		d.clk = clock.Or(opts.Clock)
	}
	if d.rows != 1 && d.rows != 2 && d.rows != 4 || d.cols < 8 || d.cols > 40 || d.rows*d.cols > 80 {
		return nil, fmt.Errorf("hd44780: unsupported size %d×%d", d.rows, d.cols)
	}
	if _, err := ParseROM(string(d.rom)); err != nil {
		return nil, err
	}
	if err := d.init(); err != nil {
		return nil, fmt.Errorf("hd44780: %#x: init: %w", addr, err)
	}
	return d, nil
}

// sleep waits d on the display's clock.
func (d *Display) sleep(dur time.Duration) { clock.Sleep(context.Background(), d.clk, dur) }

// init runs the power-up sequence of the datasheet for 4-bit operation (HD44780U,
// "Initializing by Instruction", figure 24).
func (d *Display) init() error {
	d.sleep(50 * time.Millisecond) // more than 40 ms after Vcc rises to 2.7 V
	// Function set "8-bit" three times, as a lone high nibble: the controller may be in
	// 8-bit mode or half way through a 4-bit byte.
	if err := d.nibble(0x3); err != nil {
		return err
	}
	d.sleep(5 * time.Millisecond) // more than 4.1 ms
	if err := d.nibble(0x3); err != nil {
		return err
	}
	d.sleep(150 * time.Microsecond) // more than 100 µs
	if err := d.nibble(0x3); err != nil {
		return err
	}
	d.sleep(150 * time.Microsecond)
	if err := d.nibble(0x2); err != nil { // now 4-bit
		return err
	}
	d.sleep(150 * time.Microsecond)
	lines := byte(0x08)
	if d.rows == 1 {
		lines = 0
	}
	for _, c := range []byte{lcdFunctionSet | lines, lcdDisplayCtl} {
		if err := d.command(c); err != nil {
			return err
		}
	}
	if err := d.clear(); err != nil {
		return err
	}
	if err := d.command(lcdEntryMode | 0x02); err != nil {
		return err
	}
	if err := d.loadGlyphs(); err != nil {
		return err
	}
	return d.command(lcdDisplayCtl | 0x04)
}

func (d *Display) loadGlyphs() error {
	if err := d.command(lcdSetCGRAM | cgSynced*8); err != nil {
		return err
	}
	var data []byte
	for _, g := range glyphBitmaps {
		data = append(data, g[:]...)
	}
	return d.data(data)
}

func (d *Display) clear() error {
	if err := d.command(lcdClear); err != nil {
		return err
	}
	d.sleep(2 * time.Millisecond) // 1.52 ms
	d.shadow = make([][]byte, d.rows)
	for i := range d.shadow {
		d.shadow[i] = bytes.Repeat([]byte{' '}, d.cols)
	}
	return nil
}

// nibble writes the high nibble n of an instruction alone (for the 8-bit function sets
// of the power-up sequence).
func (d *Display) nibble(n byte) error {
	b := n<<4 | d.backlight
	return d.dev.Tx([]byte{b, b | lcdEN, b}, nil)
}

// command writes one instruction.
func (d *Display) command(c byte) error { return d.write(0, []byte{c}) }

// data writes bytes to DDRAM or CGRAM.
func (d *Display) data(p []byte) error { return d.write(lcdRS, p) }

// write sends p, as instructions (rs 0) or data (rs lcdRS), in one I²C write.
func (d *Display) write(rs byte, p []byte) error {
	ctl := rs | d.backlight
	tx := append(d.tx[:0], p[0]&0xf0|ctl) // RS settles before the first EN
	for _, c := range p {
		hi, lo := c&0xf0|ctl, c<<4|ctl
		tx = append(tx, hi|lcdEN, hi, lo|lcdEN, lo)
	}
	d.tx = tx
	return d.dev.Tx(tx, nil)
}

// Rows returns the number of rows.
func (d *Display) Rows() int { return d.rows }

// Cols returns the number of columns.
func (d *Display) Cols() int { return d.cols }

// rowAddr returns the DDRAM address of the first cell of row r: rows 0 and 1 start at
// 0x00 and 0x40, rows 2 and 3 continue them after cols cells (0x14 and 0x54 on a 20-column
// display, 0x10 and 0x50 on a 16-column one).
func (d *Display) rowAddr(r int) byte {
	a := byte(0)
	if r%2 == 1 {
		a = 0x40
	}
	if r >= 2 {
		a += byte(d.cols)
	}
	return a
}

// Show writes lines, rewriting only the cells that differ from the last frame. Runs of
// changed cells separated by one unchanged cell are written as one run.
func (d *Display) Show(lines []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shadow == nil {
		if err := d.clear(); err != nil {
			return fmt.Errorf("hd44780: clear: %w", err)
		}
	}
	for r := 0; r < d.rows; r++ {
		want := bytes.Repeat([]byte{' '}, d.cols)
		if r < len(lines) {
			copy(want, d.rom.Encode(lines[r], d.cols))
		}
		have := d.shadow[r]
		for c := 0; c < d.cols; {
			if want[c] == have[c] {
				c++
				continue
			}
			end := c + 1 // the run is want[c:end]
			for end < d.cols {
				if want[end] != have[end] {
					end++
				} else if end+1 < d.cols && want[end+1] != have[end+1] {
					end += 2
				} else {
					break
				}
			}
			if err := d.command(lcdSetDDRAM | (d.rowAddr(r) + byte(c))); err != nil {
				d.shadow = nil
				return fmt.Errorf("hd44780: show: %w", err)
			}
			if err := d.data(want[c:end]); err != nil {
				d.shadow = nil
				return fmt.Errorf("hd44780: show: %w", err)
			}
			copy(have[c:end], want[c:end])
			c = end
		}
	}
	return nil
}

// SetBacklight turns the backlight on or off.
func (d *Display) SetBacklight(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.backlight = 0
	if on {
		d.backlight = lcdBacklight
	}
	if err := d.dev.Tx([]byte{d.backlight}, nil); err != nil {
		return fmt.Errorf("hd44780: backlight: %w", err)
	}
	return nil
}

// Halt clears the display and turns it and its backlight off.
func (d *Display) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.clear(); err != nil {
		return fmt.Errorf("hd44780: halt: %w", err)
	}
	if err := d.command(lcdDisplayCtl); err != nil {
		return fmt.Errorf("hd44780: halt: %w", err)
	}
	d.backlight = 0
	if err := d.dev.Tx([]byte{0}, nil); err != nil {
		return fmt.Errorf("hd44780: halt: %w", err)
	}
	return nil
}

// String describes the display.
func (d *Display) String() string {
	return fmt.Sprintf("hd44780 %dx%d %s at %s/%#x", d.rows, d.cols, d.rom, d.dev.Bus, d.dev.Addr)
}
