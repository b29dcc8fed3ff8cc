package kiosk

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/store"
)

// stampPrinter is a scriptPrinter that notes when the first byte of a job reaches it.
type stampPrinter struct {
	scriptPrinter
	smu   sync.Mutex
	first time.Time
}

func (p *stampPrinter) Print(ctx context.Context, job []byte) error {
	p.smu.Lock()
	if p.first.IsZero() && len(job) > 0 {
		p.first = time.Now()
	}
	p.smu.Unlock()
	return p.scriptPrinter.Print(ctx, job)
}

func (p *stampPrinter) take() time.Time {
	p.smu.Lock()
	defer p.smu.Unlock()
	t := p.first
	p.first = time.Time{}
	p.jobs = p.jobs[:0]
	return t
}

// durableFlow returns a Flow on a kiosk whose store syncs every commit to disk, logged in
// as the cashier ann, and its printer.
func durableFlow(b *testing.B, lay Layout) (*Flow, *stampPrinter) {
	b.Helper()
	st, err := store.Open(filepath.Join(b.TempDir(), "kiosk.db"), store.Options{Device: "k1"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	clock := &testClock{t: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), synced: true}
	if _, err := st.ApplyConfig(testConfig(b, catalog.DeliveryPrint), []byte("{}"), clock); err != nil {
		b.Fatal(err)
	}
	p := &stampPrinter{scriptPrinter: scriptPrinter{status: escpos.Status{Online: true}}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	k, err := New(Options{Store: st, Key: deviceKey, Clock: clock, Printer: p, Layout: lay, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	f := NewFlow(k, FlowOptions{Rows: 4, Cols: 20, Logger: log})
	play(b, f, "3000⏎ann-pass⏎")
	if f.Session() == nil {
		b.Fatal("login failed")
	}
	return f, p
}

// play feeds a key script (see scriptGlyphs; no pauses) to f.
func play(b *testing.B, f *Flow, script string) Screen {
	b.Helper()
	var s Screen
	for _, r := range script {
		k, ok := scriptGlyphs[r]
		if !ok {
			k = device.Char(r)
		}
		s = f.Key(context.Background(), k)
	}
	return s
}

// BenchmarkFlowOKToPrint measures, for a 2-ticket sale on a durable store, the time from
// the OK key on the confirm screen to the first byte handed to the printer (ok-to-print),
// and the whole OK key (ns/op, with the printer answering at once). Tickets are laid out
// as plain text (textLayout): the kiosk package does not depend on the layout package.
func BenchmarkFlowOKToPrint(b *testing.B) {
	for _, c := range []struct {
		name string
		lay  Layout
	}{{"text", textLayout{}}} {
		b.Run(c.name, func(b *testing.B) {
			f, p := durableFlow(b, c.lay)
			play(b, f, "1⏎⏎⏎2⏎") // the confirm screen of 2 standard tickets
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				f.Key(context.Background(), device.Key{Kind: device.KeyOK})
				b.StopTimer()
				first := p.take()
				if first.IsZero() || f.st != stDone {
					b.Fatalf("no print: state %d", f.st)
				}
				lat = append(lat, first.Sub(t0))
				play(b, f, "⏎⏎2⏎") // another order: types, quantity 2, confirm
				b.StartTimer()
			}
			b.StopTimer()
			p50, p99 := flowPercentiles(lat)
			b.ReportMetric(float64(p50.Microseconds()), "ok-to-print-p50-µs")
			b.ReportMetric(float64(p99.Microseconds()), "ok-to-print-p99-µs")
		})
	}
}

// BenchmarkFlowMenuMove measures key to screen for a move in the main menu.
func BenchmarkFlowMenuMove(b *testing.B) {
	f, _ := durableFlow(b, textLayout{})
	keys := []device.Key{{Kind: device.KeyDown}, {Kind: device.KeyUp}}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s := f.Key(ctx, keys[i%2]); len(s) != 4 {
			b.Fatal("bad screen")
		}
	}
}

// BenchmarkFlowTick measures a Tick that changes nothing, which the daemon calls a few
// times a second.
func BenchmarkFlowTick(b *testing.B) {
	f, _ := durableFlow(b, textLayout{})
	now := f.k.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, changed := f.Tick(now); changed {
			b.Fatal("changed")
		}
	}
}

func flowPercentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[len(s)*99/100]
}
