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
// pre-aggregated counters of the period's days, never the sales.
func (s *Store) Report(f Filter) (*journal.Report, error) {
	r := journal.NewReport(f.Period)
	var users map[string]bool
	if f.Users != nil {
		users = make(map[string]bool, len(f.Users))
		for _, u := range f.Users {
			users[string(userKey(u))] = true
		}
	}
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCounters).Cursor()
		end := dayPrefix(f.Period.To)
		for k, v := c.Seek(dayPrefix(f.Period.From)); k != nil && bytes.Compare(k[:4], end) <= 0; k, v = c.Next() {
			key, ok := parseCounterKey(k)
			if !ok {
				continue
			}
			if users != nil && !users[string(userKey(key.User))] {
				continue
			}
			if f.Event != "" && key.Event != f.Event {
				continue
			}
			r.Add(key, parseTally(v))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.Sort()
	return r, nil
}

// Counters calls fn for every counter, in key order (for tests and the hub's comparison).
func (s *Store) Counters(fn func(k journal.Key, t journal.Tally)) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bCounters).ForEach(func(k, v []byte) error {
			if key, ok := parseCounterKey(k); ok {
				fn(key, parseTally(v))
			}
			return nil
		})
	})
}
