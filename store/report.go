package store

import (
	"bytes"
	"strings"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/journal"
)

// Filter selects counters for a report.
type Filter = journal.Filter

// Report sums the counters that match f by event and ticket type. It reads only the
// pre-aggregated counters of the period's days (for the whole period, the totals without
// days), never the sales.
func (s *Store) Report(f Filter) (*journal.Report, error) {
	var users [][]byte
	for _, u := range f.Users {
		users = append(users, []byte(u))
	}
	event := []byte(f.Event)
	sums := map[string]*journal.Tally{} // "event\x00type" → tally
	err := s.view(func(tx *bolt.Tx) error {
		bucket, from, to := bCounters, f.Period.From, f.Period.To
		if f.Period.IsWhole() {
			bucket, from, to = bTotals, journal.MinDay, journal.MinDay
		}
		c := tx.Bucket(bucket).Cursor()
		var p journal.KeyParts
		for k, v := c.Seek(journal.AppendDay(nil, from)); k != nil; k, v = c.Next() {
			if !p.Split(k) {
				continue
			}
			if p.Day > to {
				break
			}
			if users != nil && !anyEqualFold(users, p.User) {
				continue
			}
			if f.Event != "" && !bytes.Equal(p.Event, event) {
				continue
			}
			evType := k[journal.KeyDayLen+len(p.User)+1:] // event, NUL, type: one map lookup
			t := sums[string(evType)]
			if t == nil {
				t = new(journal.Tally)
				sums[string(evType)] = t
			}
			t.Add(journal.ParseTally(v))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := journal.NewReport(f.Period)
	for k, t := range sums {
		ev, typ, _ := strings.Cut(k, "\x00")
		r.Add(journal.Key{Event: ev, Type: typ}, *t)
	}
	r.Sort()
	return r, nil
}

func anyEqualFold(set [][]byte, b []byte) bool {
	for _, s := range set {
		if bytes.EqualFold(s, b) {
			return true
		}
	}
	return false
}

// Counters calls fn for every day counter, in key order (for tests and comparisons).
func (s *Store) Counters(fn func(k journal.Key, t journal.Tally)) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bCounters).ForEach(func(k, v []byte) error {
			if key, ok := journal.ParseKey(k); ok {
				fn(key, journal.ParseTally(v))
			}
			return nil
		})
	})
}
