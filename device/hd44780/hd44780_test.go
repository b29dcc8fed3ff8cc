package hd44780

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"ticketkiosk/device"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
)

// lcdModel is a small model of an Display behind a PCF8574: it latches D4-D7 on each
// falling edge of EN and executes the instructions, so tests can check what a display
// would show without trusting the driver's own encoding.
type lcdModel struct {
	prev      byte
	fourBit   bool
	half      bool
	hi        byte
	ddram     [128]byte
	cgram     [64]byte
	addr      int
	cg        bool
	on        bool
	twoLines  bool
	backlight bool
	rwHigh    bool
}

func newModel() *lcdModel {
	m := &lcdModel{}
	for i := range m.ddram {
		m.ddram[i] = ' '
	}
	return m
}

func (m *lcdModel) feed(t *testing.T, ops []i2ctest.IO, addr uint16) {
	t.Helper()
	for _, op := range ops {
		if op.Addr != addr {
			t.Fatalf("write to %#x, want %#x", op.Addr, addr)
		}
		for _, b := range op.W {
			m.out(b)
		}
	}
}

func (m *lcdModel) out(b byte) {
	if b&0x02 != 0 {
		m.rwHigh = true
	}
	if m.prev&lcdEN != 0 && b&lcdEN == 0 {
		m.latch(m.prev)
	}
	m.prev = b
	m.backlight = b&lcdBacklight != 0
}

func (m *lcdModel) latch(b byte) {
	rs, n := b&lcdRS != 0, b>>4
	if !m.fourBit {
		m.exec(rs, n<<4) // 8-bit mode: D0-D3 are not wired and read 0
		return
	}
	if !m.half {
		m.hi, m.half = n, true
		return
	}
	m.half = false
	m.exec(rs, m.hi<<4|n)
}

func (m *lcdModel) exec(rs bool, c byte) {
	if rs {
		if m.cg {
			m.cgram[m.addr&0x3f] = c
		} else {
			m.ddram[m.addr&0x7f] = c
		}
		m.addr++
		return
	}
	switch {
	case c&0x80 != 0:
		m.addr, m.cg = int(c&0x7f), false
	case c&0x40 != 0:
		m.addr, m.cg = int(c&0x3f), true
	case c&0x20 != 0:
		m.fourBit = c&0x10 == 0
		m.twoLines = c&0x08 != 0
	case c&0x08 != 0:
		m.on = c&0x04 != 0
	case c == lcdClear:
		for i := range m.ddram {
			m.ddram[i] = ' '
		}
		m.addr, m.cg = 0, false
	}
}

// row returns the codes of row r of a display of cols columns.
func (m *lcdModel) row(r, cols int) string {
	start := []int{0x00, 0x40, cols, 0x40 + cols}[r]
	return string(m.ddram[start : start+cols])
}

// timedBus records the writes on a bus and when each came (in a synctest bubble, on
// its fake clock).
type timedBus struct {
	i2ctest.Record
	at []time.Time
}

func (b *timedBus) Tx(addr uint16, w, r []byte) error {
	b.at = append(b.at, time.Now())
	return b.Record.Tx(addr, w, r)
}

// initOps is the power-up sequence with the backlight on (0x08), byte by byte from the
// datasheet: a lone nibble is [data, data|EN, data]; an instruction is a set-up byte and
// two EN pulses, high nibble first.
var initOps = [][]byte{
	{0x38, 0x3c, 0x38},             // function set, 8-bit
	{0x38, 0x3c, 0x38},             // again
	{0x38, 0x3c, 0x38},             // and again
	{0x28, 0x2c, 0x28},             // function set, 4-bit
	{0x28, 0x2c, 0x28, 0x8c, 0x88}, // 0x28: 4-bit, 2 lines, 5×8 dots
	{0x08, 0x0c, 0x08, 0x8c, 0x88}, // 0x08: display off
	{0x08, 0x0c, 0x08, 0x1c, 0x18}, // 0x01: clear
	{0x08, 0x0c, 0x08, 0x6c, 0x68}, // 0x06: entry mode, increment
	{0x48, 0x4c, 0x48, 0x0c, 0x08}, // 0x40: CGRAM address 0
	nil,                            // the glyph bitmaps, checked through the model
	{0x08, 0x0c, 0x08, 0xcc, 0xc8}, // 0x0C: display on, no cursor, no blink
}

// TestHD44780Init runs in a synctest bubble, so the driver's waits pass on the fake clock
// and the test sees when each write came.
func TestHD44780Init(t *testing.T) {
	synctest.Test(t, testHD44780Init)
}

func testHD44780Init(t *testing.T) {
	bus := &timedBus{}
	rec := &bus.Record
	start := time.Now()
	d, err := New(bus, 0x27, &Options{Rows: 2, Cols: 16})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Ops) != len(initOps) {
		t.Fatalf("%d writes, want %d", len(rec.Ops), len(initOps))
	}
	for i, want := range initOps {
		if rec.Ops[i].Addr != 0x27 {
			t.Errorf("write %d to %#x", i, rec.Ops[i].Addr)
		}
		if want != nil && !bytes.Equal(rec.Ops[i].W, want) {
			t.Errorf("write %d = % x, want % x", i, rec.Ops[i].W, want)
		}
	}
	// The glyph data: RS set, 24 bytes, two pulses each; its first bytes literally.
	glyphs := rec.Ops[9].W
	if len(glyphs) != 1+24*4 || !bytes.Equal(glyphs[:9], []byte{0x09, 0x0d, 0x09, 0x0d, 0x09, 0x0d, 0x09, 0x1d, 0x19}) {
		t.Errorf("glyph write % x", glyphs)
	}
	// The waits of the datasheet, at least as long, before the write that must wait: after
	// power-up, between the three 8-bit function sets and the switch to 4 bits, the first
	// 4-bit instruction, and after clear.
	for _, w := range []struct {
		op  int
		min time.Duration
	}{{0, 40 * time.Millisecond}, {1, 4100 * time.Microsecond}, {2, 100 * time.Microsecond},
		{3, 37 * time.Microsecond}, {4, 37 * time.Microsecond}, {7, 1520 * time.Microsecond}} {
		prev := start
		if w.op > 0 {
			prev = bus.at[w.op-1]
		}
		if got := bus.at[w.op].Sub(prev); got < w.min {
			t.Errorf("write %d came %v after the one before, less than %v", w.op, got, w.min)
		}
	}
	if total := bus.at[len(bus.at)-1].Sub(start); total > 100*time.Millisecond {
		t.Errorf("init took %v: waits longer than needed", total)
	}
	m := newModel()
	m.feed(t, rec.Ops, 0x27)
	if !m.fourBit || !m.twoLines || !m.on || !m.backlight || m.rwHigh {
		t.Errorf("model after init: 4-bit %v, 2 lines %v, on %v, backlight %v, R/W high %v", m.fourBit, m.twoLines, m.on, m.backlight, m.rwHigh)
	}
	for i, g := range glyphBitmaps {
		if !bytes.Equal(m.cgram[i*8:i*8+8], g[:]) {
			t.Errorf("CGRAM slot %d = % x, want % x", i, m.cgram[i*8:i*8+8], g)
		}
	}
	if d.Rows() != 2 || d.Cols() != 16 || !strings.Contains(d.String(), "0x27") {
		t.Errorf("display %s", d)
	}

	// The same sequence, played back: exactly these writes and no others.
	pb := &i2ctest.Playback{Ops: rec.Ops}
	if _, err := New(pb, 0x27, &Options{Rows: 2, Cols: 16}); err != nil {
		t.Fatal(err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
}

func newRecorded(t *testing.T, rows, cols int, rom ROM) (*Display, *i2ctest.Record, *lcdModel) {
	t.Helper()
	var rec i2ctest.Record
	d, err := New(&rec, 0x3f, &Options{Rows: rows, Cols: cols, ROM: rom})
	if err != nil {
		t.Fatal(err)
	}
	m := newModel()
	m.feed(t, rec.Ops, 0x3f)
	rec.Ops = nil
	return d, &rec, m
}

func TestHD44780ShowBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // the driver's waits pass on the bubble's clock
		d, rec, _ := newRecorded(t, 2, 16, ROMA00)
		if err := d.Show([]string{"Hi"}); err != nil {
			t.Fatal(err)
		}
		want := []i2ctest.IO{
			{Addr: 0x3f, W: []byte{0x88, 0x8c, 0x88, 0x0c, 0x08}},                         // DDRAM address 0x00
			{Addr: 0x3f, W: []byte{0x49, 0x4d, 0x49, 0x8d, 0x89, 0x6d, 0x69, 0x9d, 0x99}}, // 'H' 'i'
		}
		if len(rec.Ops) != len(want) {
			t.Fatalf("%d writes: %v", len(rec.Ops), rec.Ops)
		}
		for i := range want {
			if rec.Ops[i].Addr != want[i].Addr || !bytes.Equal(rec.Ops[i].W, want[i].W) {
				t.Errorf("write %d = % x, want % x", i, rec.Ops[i].W, want[i].W)
			}
		}
	})
}

func TestHD44780ShowOnlyChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // the driver's waits pass on the bubble's clock
		d, rec, m := newRecorded(t, 4, 20, ROMA00)
		frame := []string{"Concert Zima", "Adult       12.50", "Child x 2 = 25.00 EUR", "  OK=print C=back"}
		if err := d.Show(frame); err != nil {
			t.Fatal(err)
		}
		m.feed(t, rec.Ops, 0x3f)
		wantRows := []string{
			"Concert Zima        ",
			"Adult       12.50   ",
			"Child x 2 = 25.00 EU",
			"  OK=print C=back   ",
		}
		for r, want := range wantRows {
			if got := m.row(r, 20); got != want {
				t.Errorf("row %d = %q, want %q", r, got, want)
			}
		}

		rec.Ops = nil
		if err := d.Show(frame); err != nil {
			t.Fatal(err)
		}
		if len(rec.Ops) != 0 {
			t.Fatalf("identical Show wrote %v", rec.Ops)
		}

		// One cell changes (row 3, column 4): its address (0x54+4) and the one character.
		frame[3] = "  OK-print C=back"
		if err := d.Show(frame); err != nil {
			t.Fatal(err)
		}
		want := []i2ctest.IO{
			{Addr: 0x3f, W: []byte{0xd8, 0xdc, 0xd8, 0x8c, 0x88}},
			{Addr: 0x3f, W: []byte{0x29, 0x2d, 0x29, 0xdd, 0xd9}},
		}
		if len(rec.Ops) != 2 || !bytes.Equal(rec.Ops[0].W, want[0].W) || !bytes.Equal(rec.Ops[1].W, want[1].W) {
			t.Fatalf("one-cell change wrote %v, want %v", rec.Ops, want)
		}
		m.feed(t, rec.Ops, 0x3f)
		if got := m.row(3, 20); got != "  OK-print C=back   " {
			t.Errorf("row 3 = %q", got)
		}

		// Two changes one cell apart are one run; far apart, two.
		rec.Ops = nil
		frame[0] = "Xoncert Zima"
		frame[1] = "AdulX       12.5X"
		if err := d.Show(frame); err != nil {
			t.Fatal(err)
		}
		m.feed(t, rec.Ops, 0x3f)
		if len(rec.Ops) != 6 {
			t.Errorf("%d writes for three separate changes, want 6", len(rec.Ops))
		}
		rec.Ops = nil
		frame[2] = "CYiYd x 2 = 25.00 EUR"
		if err := d.Show(frame); err != nil {
			t.Fatal(err)
		}
		m.feed(t, rec.Ops, 0x3f)
		if len(rec.Ops) != 2 || len(rec.Ops[1].W) != 1+3*4 {
			t.Errorf("changes at columns 1 and 3 wrote %v, want one run of 3", rec.Ops)
		}
		for r, want := range []string{"Xoncert Zima        ", "AdulX       12.5X   ", "CYiYd x 2 = 25.00 EU", "  OK-print C=back   "} {
			if got := m.row(r, 20); got != want {
				t.Errorf("row %d = %q, want %q", r, got, want)
			}
		}
		// Fewer lines blank the rest.
		rec.Ops = nil
		if err := d.Show(frame[:1]); err != nil {
			t.Fatal(err)
		}
		m.feed(t, rec.Ops, 0x3f)
		for r := 1; r < 4; r++ {
			if got := m.row(r, 20); got != strings.Repeat(" ", 20) {
				t.Errorf("row %d = %q, want blank", r, got)
			}
		}
	})
}

func TestHD44780GlyphsAndROMs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // the driver's waits pass on the bubble's clock
		cases := []struct {
			rom  ROM
			line string
			want string
		}{
			{ROMA00, "Билет " + string(device.GlyphSynced) + string(device.GlyphOffline) + string(device.GlyphPending), "Bilet \x00\x01\x02"},
			{ROMA00, "ЩАСТИЕ a\\b~", "SHTASTIE a/b-"},
			{ROMA00, "Müller 5°", "M\xf5ller 5\xdf"},
			{ROMA00, "Café ø中", "Cafe o?"},
			{ROMA02, "Café Ø", "Caf\xe9 O"},
			{ROMA02, "Цена: 5 €", "Tsena: 5 EUR"},
			{ROMCyrillic, "Цена: 5 €", "\xe1e\xbda: 5 EUR"},
			{ROMCyrillic, "ЖЪЛТ ѝ Ёё", "\xa3\xad\xa7T \xb8 \xa2\xb5"},
			{ROMCyrillic, "Я" + string(device.GlyphSynced) + "\x1b", "\xb1\x00 "},
		}
		for _, c := range cases {
			d, rec, m := newRecorded(t, 2, 16, c.rom)
			if err := d.Show([]string{c.line}); err != nil {
				t.Fatal(err)
			}
			m.feed(t, rec.Ops, 0x3f)
			want := c.want + strings.Repeat(" ", 16-len(c.want))
			if got := m.row(0, 16); got != want {
				t.Errorf("%s %q shows %q, want %q", c.rom, c.line, got, want)
			}
		}
	})
}

func TestROMEncodeCut(t *testing.T) {
	// Transliteration lengthens text; the cut counts cells, not runes.
	if got := string(ROMA00.Encode("Щ Щ", 4)); got != "Sht " {
		t.Errorf("Encode cut = %q", got)
	}
	for _, s := range []string{"", "A00", "a02", "Cyrillic"} {
		if _, err := ParseROM(s); err != nil {
			t.Errorf("ParseROM(%q): %v", s, err)
		}
	}
	if _, err := ParseROM("a01"); err == nil {
		t.Error("ParseROM(a01) accepted")
	}
}

func TestHD44780Backlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // the driver's waits pass on the bubble's clock
		d, rec, m := newRecorded(t, 2, 16, ROMA00)
		if err := d.SetBacklight(false); err != nil {
			t.Fatal(err)
		}
		if err := d.Show([]string{"x"}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Ops[0].W, []byte{0x00}) {
			t.Errorf("backlight off wrote % x", rec.Ops[0].W)
		}
		for _, op := range rec.Ops {
			for _, b := range op.W {
				if b&lcdBacklight != 0 {
					t.Fatalf("backlight bit set after SetBacklight(false): % x", op.W)
				}
			}
		}
		m.feed(t, rec.Ops, 0x3f)
		if m.backlight || m.row(0, 16)[0] != 'x' {
			t.Errorf("model: backlight %v, row %q", m.backlight, m.row(0, 16))
		}
		rec.Ops = nil
		if err := d.SetBacklight(true); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Ops[0].W, []byte{0x08}) {
			t.Errorf("backlight on wrote % x", rec.Ops[0].W)
		}
	})
}

func TestHD44780Halt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // the driver's waits pass on the bubble's clock
		d, rec, m := newRecorded(t, 2, 16, ROMA00)
		if err := d.Show([]string{"bye"}); err != nil {
			t.Fatal(err)
		}
		if err := d.Halt(); err != nil {
			t.Fatal(err)
		}
		m.feed(t, rec.Ops, 0x3f)
		if m.on || m.backlight || m.row(0, 16) != strings.Repeat(" ", 16) {
			t.Errorf("after Halt: on %v, backlight %v, row %q", m.on, m.backlight, m.row(0, 16))
		}
	})
}

// flakyBus fails its writes while fail is set.
type flakyBus struct {
	i2ctest.Record
	fail bool
}

var errBus = errors.New("bus error")

func (b *flakyBus) Tx(addr uint16, w, r []byte) error {
	if b.fail {
		return errBus
	}
	return b.Record.Tx(addr, w, r)
}

var _ i2c.Bus = (*flakyBus)(nil)

func TestHD44780BusErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // the driver's waits pass on the bubble's clock
		bus := &flakyBus{fail: true}
		if _, err := New(bus, 0x27, nil); !errors.Is(err, errBus) {
			t.Fatalf("init on a failing bus: %v", err)
		}
		bus.fail = false
		d, err := New(bus, 0x27, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := newModel()
		if err := d.Show([]string{"one", "two"}); err != nil {
			t.Fatal(err)
		}
		bus.fail = true
		if err := d.Show([]string{"three", "two"}); !errors.Is(err, errBus) {
			t.Fatalf("Show on a failing bus: %v", err)
		}
		// After a failure the display's content is unknown: the next Show clears and
		// rewrites everything, even the unchanged row.
		bus.fail = false
		if err := d.Show([]string{"three", "two"}); err != nil {
			t.Fatal(err)
		}
		m.feed(t, bus.Ops, 0x27)
		if m.row(0, 20) != "three"+strings.Repeat(" ", 15) || m.row(1, 20) != "two"+strings.Repeat(" ", 17) {
			t.Errorf("after recovery: %q %q", m.row(0, 20), m.row(1, 20))
		}
	})
}

func TestHD44780BadOptions(t *testing.T) {
	var rec i2ctest.Record
	for _, o := range []Options{{Rows: 3, Cols: 20}, {Rows: 4, Cols: 40}, {Rows: 2, Cols: 4}, {ROM: "a01"}} {
		if _, err := New(&rec, 0x27, &o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if len(rec.Ops) != 0 {
		t.Errorf("bad options still wrote %d times", len(rec.Ops))
	}
}

// FuzzLCDEncode checks that any text (event names come from the hub) encodes to at most
// the row's width, never to control codes, and to CGRAM codes only for the glyphs.
func FuzzLCDEncode(f *testing.F) {
	f.Add("Концерт „Зима“ – 12,50 €", uint8(20))
	f.Add("Café Ø ß ÿ \x1b[2J\x00", uint8(16))
	f.Add(string([]rune{device.GlyphSynced, device.GlyphOffline, device.GlyphPending, 0xE003}), uint8(8))
	f.Fuzz(func(t *testing.T, s string, n uint8) {
		glyphs := strings.ContainsAny(s, string([]rune{device.GlyphSynced, device.GlyphOffline, device.GlyphPending}))
		for _, rom := range []ROM{ROMA00, ROMA02, ROMCyrillic} {
			b := rom.Encode(s, int(n))
			if len(b) > int(n) {
				t.Fatalf("%s: %d codes for %d cells", rom, len(b), n)
			}
			for _, c := range b {
				if c < 0x20 && (c > cgPending || !glyphs) {
					t.Fatalf("%s: code %#x from %q", rom, c, s)
				}
			}
		}
	})
}
