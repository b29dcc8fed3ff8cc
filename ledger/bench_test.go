package ledger

import (
	"log/slog"
	"path/filepath"
	"testing"
)

// BenchmarkIngest stores sales in batches of 200 with fsync on every commit, as the hub does
// for each journal message: entries/s and commits/s.
//
//	go test -run '^$' -bench Ingest ./ledger/
func BenchmarkIngest(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		name := "durable"
		if noSync {
			name = "nosync"
		}
		b.Run(name, func(b *testing.B) {
			l, err := Open(filepath.Join(b.TempDir(), "ledger.db"), Options{NoSync: noSync, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			const batch = 200
			c := newChain("k1", "sofia-1")
			for range batch * b.N {
				c.sale("ana@example.org", "e1", 1, 1250)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				upto, err := l.Ingest("k1", c.entries[i*batch:(i+1)*batch])
				if err != nil || upto != uint64((i+1)*batch) {
					b.Fatalf("upto %d, %v", upto, err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
