package hub

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// The report benchmark's ledger: the counters of a year of sales at 300 outlets with two
// sellers each, three events of two ticket types. That is 1,314,000 counters, the set that
// ~10,000,000 sales make when each (outlet, day, seller, event, type) counter sums about
// 7.6 of them; the hub's report reads only counters, never entries, so the report's work is
// the same. The ledger has no bulk counter API, so the benchmark ingests one sale per
// (outlet, day, seller, event) with one line per type (657,000 entries) and keeps the file
// in the temporary directory for later runs.
const (
	benchOutlets = 300
	benchDays    = 365
	benchUsers   = 2
	benchEvents  = 3
	benchTypes   = 2
)

func benchLedger(b *testing.B) *ledger.Ledger {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "ticketkiosk-hub-bench")
	path := filepath.Join(dir, fmt.Sprintf("ledger-%dx%dx%dx%dx%d.db", benchOutlets, benchDays, benchUsers, benchEvents, benchTypes))
	if _, err := os.Stat(path); err != nil {
		must(b, os.MkdirAll(dir, 0o700))
		tmp := path + ".tmp"
		os.Remove(tmp)
		l, err := ledger.Open(tmp, ledger.Options{NoSync: true, Logger: quiet})
		must(b, err)
		start := time.Now()
		day0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		n := 0
		for o := 0; o < benchOutlets; o++ {
			d := &device{id: fmt.Sprintf("k%03d", o)}
			outlet := fmt.Sprintf("o%03d", o)
			var batch []*journal.Entry
			for day := 0; day < benchDays; day++ {
				for u := 0; u < benchUsers; u++ {
					for ev := 0; ev < benchEvents; ev++ {
						s := &journal.Sale{Outlet: outlet, Event: fmt.Sprintf("e%d", ev), Currency: "EUR", Delivery: "print"}
						for ty := 0; ty < benchTypes; ty++ {
							q := 1 + (o+day+u+ev+ty)%13
							typ := fmt.Sprintf("t%d", ty)
							s.Lines = append(s.Lines, journal.Line{Type: typ, Qty: q, Price: 1250})
							s.Total += int64(q) * 1250
							for range q {
								s.Tickets = append(s.Tickets, journal.Ticket{N: len(s.Tickets) + 1, Type: typ, Code: "X"})
							}
						}
						at := day0.AddDate(0, 0, day)
						batch = append(batch, d.next(&journal.Entry{Kind: journal.KindSale, Sale: s}, at, fmt.Sprintf("u%d@%s.example.org", u, outlet)))
						if len(batch) == 2000 {
							_, err := l.IngestBatch(d.id, batch)
							must(b, err)
							n += len(batch)
							batch = batch[:0]
						}
					}
				}
			}
			if len(batch) > 0 {
				_, err := l.IngestBatch(d.id, batch)
				must(b, err)
				n += len(batch)
			}
		}
		must(b, l.Close())
		must(b, os.Rename(tmp, path))
		b.Logf("built %s: %d entries in %v", path, n, time.Since(start))
	}
	l, err := ledger.Open(path, ledger.Options{Logger: quiet})
	must(b, err)
	b.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkReport is `kioskctl report` over the hub's counters (see benchLedger): the whole
// period grouped by outlet and by day, written as a table.
func BenchmarkReport(b *testing.B) {
	l := benchLedger(b)
	counters := 0
	must(b, l.Counters(func(string, journal.Key, journal.Tally) { counters++ }))
	for _, by := range []By{ByOutlet, ByDay} {
		b.Run(string(by), func(b *testing.B) {
			var rows int
			for b.Loop() {
				r, err := MakeReport(l.Counters, Filter{By: by})
				if err != nil {
					b.Fatal(err)
				}
				must(b, r.WriteTable(io.Discard))
				rows = len(r.Rows)
			}
			b.ReportMetric(float64(counters), "counters")
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(counters)/(b.Elapsed().Seconds()/float64(b.N)), "counters/s")
		})
	}
	b.Run("outlet-filter", func(b *testing.B) {
		for b.Loop() {
			if _, err := MakeReport(l.Counters, Filter{By: ByDay, Outlet: "o150"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
