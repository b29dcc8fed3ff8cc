package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/journal"
)

// Filter selects counters for a report.
type Filter struct {
	Period journal.Period
	Users  []string // sellers to include; nil for everyone
	Event  string   // "" for every event
}

// Report sums the counters that match f by event and ticket type. It reads only the
// pre-aggregated counters of the period's days (for the whole period, the totals without
// days), never the sales.
func (s *Store) Report(f Filter) (*journal.Report, error) {
	var users [][]byte
	for _, u := range f.Users {
		users = append(users, []byte(u))
	}
	event := []byte(f.Event)
	sums := map[string]map[string]*journal.Tally{} // event → type → tally
	err := s.view(func(tx *bolt.Tx) error {
		bucket, from, to := bCounters, f.Period.From, f.Period.To
		if f.Period.IsWhole() {
			bucket, from, to = bTotals, journal.MinDay, journal.MinDay
		}
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(journal.AppendDay(nil, from)); k != nil; k, v = c.Next() {
			p, ok := journal.SplitKey(k)
			if !ok {
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
			types := sums[string(p.Event)]
			if types == nil {
				types = map[string]*journal.Tally{}
				sums[string(p.Event)] = types
			}
			t := types[string(p.Type)]
			if t == nil {
				t = new(journal.Tally)
				types[string(p.Type)] = t
			}
			t.Add(journal.ParseTally(v))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := journal.NewReport(f.Period)
	for ev, types := range sums {
		for typ, t := range types {
			r.Add(journal.Key{Event: ev, Type: typ}, *t)
		}
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
