package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/journal"
)

// fill writes n sale entries spread over days, users, events and types, in batches of one
// transaction each (the benchmark measures reports, not filling).
func fill(b *testing.B, s *Store, n, days, users, events, types int) {
	b.Helper()
	c := &clock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	step := time.Duration(int64(days) * int64(24*time.Hour) / int64(n))
	const batch = 20000
	for done := 0; done < n; {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i := 0; i < batch && done < n; i, done = i+1, done+1 {
				c.t = c.t.Add(step)
				ev := fmt.Sprint("e", done%events)
				typ := fmt.Sprint("t", (done/events)%types)
				actor := fmt.Sprintf("user%d@example.org", (done/7)%users)
				_, err := s.append(tx, s.location(), c, actor, func(_ journal.Tx, e *journal.Entry) error {
					e.Kind = journal.KindSale
					e.Sale = &journal.Sale{Outlet: "o1", Event: ev, Currency: "EUR", Delivery: "print",
						Lines: []journal.Line{{Type: typ, Qty: 1, Price: 1250}}, Total: 1250,
						Tickets: []journal.Ticket{{N: 1, Type: typ, Code: "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}}}
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReportYear: a report over a year of sales (1,000,000 sale entries over 300
// days, 10 sellers, 5 events, 3 ticket types) for the whole outlet and for one seller,
// over the whole period and over the last 7 days. Target: under 10 ms.
func BenchmarkReportYear(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "k.db"), Options{Device: "k1", NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.ApplyConfig(config(1, boss), nil, &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	fill(b, s, 1_000_000, 300, 10, 5, 3)
	last := journal.DayOf(time.Date(2026, 10, 27, 12, 0, 0, 0, time.UTC), time.UTC)
	week := journal.Period{From: last - 6, To: last}
	for _, bc := range []struct {
		name string
		f    Filter
	}{
		{"outlet/whole", Filter{Period: journal.Whole()}},
		{"user/whole", Filter{Period: journal.Whole(), Users: []string{"user3@example.org"}}},
		{"outlet/7days", Filter{Period: week}},
		{"outlet/300days-range", Filter{Period: journal.Period{From: last - 299, To: last}}},
		{"user/300days-range", Filter{Period: journal.Period{From: last - 299, To: last}, Users: []string{"user3@example.org"}}},
		{"user/7days/event", Filter{Period: week, Users: []string{"user3@example.org"}, Event: "e2"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var r *journal.Report
			for b.Loop() {
				r, err = s.Report(bc.f)
				if err != nil {
					b.Fatal(err)
				}
			}
			if r.Total.Tickets == 0 {
				b.Fatal("empty report")
			}
			b.ReportMetric(float64(r.Total.Tickets), "tickets")
		})
	}
}
