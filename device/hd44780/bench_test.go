package hd44780

import (
	"testing"

	"periph.io/x/conn/v3/physic"
)

// countingBus counts what an Display writes.
type countingBus struct {
	txs, bytes int
}

func (c *countingBus) String() string                    { return "counting" }
func (c *countingBus) SetSpeed(physic.Frequency) error   { return nil }
func (c *countingBus) Tx(addr uint16, w, r []byte) error { c.txs++; c.bytes += len(w); return nil }
func (c *countingBus) reset()                            { c.txs, c.bytes = 0, 0 }

// busMicros100kHz is the time in µs the writes took on a 100 kHz bus: 9 clocks a byte,
// the address byte and about 2 clocks of start and stop per write.
func (c *countingBus) busMicros100kHz() float64 {
	return float64(c.bytes*9+c.txs*(9+2)) * 10
}

// BenchmarkHD44780Show measures a 4×20 Show that rewrites all 80 cells against one that
// changes a single cell: bytes and I²C writes on the bus per Show, and the time they
// take on a 100 kHz bus.
func BenchmarkHD44780Show(b *testing.B) {
	// Two frames that differ in every one of the 80 cells.
	a := []string{"Concert Zima  12:30 ", "Adult  2 x 12.50 EUR", "Child  1 x  6.00 EUR", "Total 31.00  OK=print"}
	var full [2][]string
	full[0] = a
	for _, l := range a {
		r := []byte(l)
		for i := range r {
			r[i]++
		}
		full[1] = append(full[1], string(r))
	}
	one := [2][]string{
		{"Concert Zima  12:30", "Adult  2 x 12.50 EUR", "Child  1 x  6.00 EUR", "Qty 1"},
		{"Concert Zima  12:30", "Adult  2 x 12.50 EUR", "Child  1 x  6.00 EUR", "Qty 2"},
	}
	for _, c := range []struct {
		name   string
		frames [2][]string
	}{{"full-frame", full}, {"one-cell", one}} {
		b.Run(c.name, func(b *testing.B) {
			bus := &countingBus{}
			d, err := New(bus, 0x27, &Options{Rows: 4, Cols: 20})
			if err != nil {
				b.Fatal(err)
			}
			if err := d.Show(c.frames[1]); err != nil {
				b.Fatal(err)
			}
			bus.reset()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := d.Show(c.frames[i%2]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(bus.bytes)/float64(b.N), "bus-bytes/show")
			b.ReportMetric(float64(bus.txs)/float64(b.N), "i2c-writes/show")
			b.ReportMetric(bus.busMicros100kHz()/float64(b.N), "bus-µs@100kHz/show")
		})
	}
}
