package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
)

// Device is the status of one device's journal at the hub.
type Device struct {
	ID       string       `json:"device"`
	LastSeq  uint64       `json:"last_seq"`  // the contiguous seq stored (what was acknowledged)
	LastHash journal.Hash `json:"last_hash"` // hash of that entry
	Entries  uint64       `json:"entries"`   // entries stored
	Alarms   int          `json:"alarms"`    // alarms raised for this device
	GapSince time.Time    `json:"gap_since"` // when entries beyond a missing seq started to arrive; zero: no gap
	Held     uint64       `json:"held"`      // the highest seq seen beyond the gap
	Seen     time.Time    `json:"seen"`      // the last ingest
}

// Entry returns entry seq of a device.
func (l *Ledger) Entry(device string, seq uint64) (*journal.Entry, error) {
	var raw []byte
	err := l.view(func(tx *bolt.Tx) error {
		if ents := entriesOf(tx, device); ents != nil {
			raw = append(raw, ents.Get(boltutil.U64(seq))...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: %s entry %d", ErrNotFound, device, seq)
	}
	return journal.Decode(raw)
}

// Each calls fn for every stored entry of a device from seq from on, in order, until fn
// returns false. fn runs inside a read transaction: it must not write to the ledger.
func (l *Ledger) Each(device string, from uint64, fn func(e *journal.Entry) bool) error {
	return l.view(func(tx *bolt.Tx) error {
		ents := entriesOf(tx, device)
		if ents == nil {
			return nil
		}
		c := ents.Cursor()
		for k, v := c.Seek(boltutil.U64(from)); k != nil; k, v = c.Next() {
			e, err := journal.Decode(v)
			if err != nil {
				return fmt.Errorf("ledger: %s entry %d: %w", device, boltutil.GetU64(k), err)
			}
			if !fn(e) {
				return nil
			}
		}
		return nil
	})
}

// Feed calls fn for every entry stored after feed position after, in the order the ledger
// stored them (across devices), with its position, until fn returns false. A consumer that
// must act once per entry (email delivery, users created on devices) keeps the last
// position it handled durably and resumes from it. fn must not write to the ledger.
func (l *Ledger) Feed(after uint64, fn func(pos uint64, device string, e *journal.Entry) bool) error {
	return l.view(func(tx *bolt.Tx) error {
		devs := tx.Bucket(bDevices)
		c := tx.Bucket(bFeed).Cursor()
		for k, v := c.Seek(boltutil.U64(after + 1)); k != nil; k, v = c.Next() {
			i := len(v) - 9 // device, NUL, 8 bytes of seq
			if i < 0 || v[i] != 0 {
				return fmt.Errorf("ledger: feed %d: bad mark", boltutil.GetU64(k))
			}
			device, seq := string(v[:i]), boltutil.GetU64(v[i+1:])
			var raw []byte
			if d := devs.Bucket(v[:i]); d != nil {
				raw = d.Bucket(bEntries).Get(boltutil.U64(seq))
			}
			if raw == nil {
				return fmt.Errorf("ledger: feed %d: %w: %s entry %d", boltutil.GetU64(k), ErrNotFound, device, seq)
			}
			e, err := journal.Decode(raw)
			if err != nil {
				return fmt.Errorf("ledger: %s entry %d: %w", device, seq, err)
			}
			if !fn(boltutil.GetU64(k), device, e) {
				return nil
			}
		}
		return nil
	})
}

// FeedEnd returns the position of the last entry stored (0 for none).
func (l *Ledger) FeedEnd() uint64 {
	var n uint64
	_ = l.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bFeed).Sequence()
		return nil
	})
	return n
}

// Sale returns a device's sale entry seq and its state, or ErrNotFound (the hub does not
// have it yet) or ErrNotASale.
func (l *Ledger) Sale(device string, seq uint64) (*journal.Entry, journal.SaleState, error) {
	var (
		sale *journal.Entry
		st   journal.SaleState
	)
	err := l.view(func(tx *bolt.Tx) error {
		d := tx.Bucket(bDevices).Bucket([]byte(device))
		if d == nil {
			return fmt.Errorf("%w: device %s", ErrNotFound, device)
		}
		var err error
		sale, st, err = readSale(d, seq)
		return err
	})
	return sale, st, err
}

// readSale reads a sale and its state from a device bucket; a sale stored as rejected is
// ErrRejected.
func readSale(d *bolt.Bucket, seq uint64) (*journal.Entry, journal.SaleState, error) {
	var st journal.SaleState
	ents, sales := d.Bucket(bEntries), d.Bucket(bSales)
	raw := ents.Get(boltutil.U64(seq))
	if raw == nil {
		return nil, st, fmt.Errorf("%w: entry %d", ErrNotFound, seq)
	}
	e, err := journal.Decode(raw)
	if err != nil {
		return nil, st, fmt.Errorf("entry %d: %w", seq, err)
	}
	if e.Kind != journal.KindSale {
		return nil, st, fmt.Errorf("%w: entry %d is a %s", ErrNotASale, seq, e.Kind)
	}
	if reason, ok := rejected(d, seq); ok {
		return nil, st, fmt.Errorf("%w: entry %d: %s", ErrRejected, seq, reason)
	}
	if b := sales.Get(boltutil.U64(seq)); b != nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, st, fmt.Errorf("sale state %d: %w", seq, err)
		}
	}
	return e, st, nil
}

func entriesOf(tx *bolt.Tx, device string) *bolt.Bucket {
	d := tx.Bucket(bDevices).Bucket([]byte(device))
	if d == nil {
		return nil
	}
	return d.Bucket(bEntries)
}

// Devices returns every device that sent entries, sorted by id.
func (l *Ledger) Devices() ([]Device, error) {
	var out []Device
	err := l.view(func(tx *bolt.Tx) error {
		counts := alarmCounts(tx)
		return tx.Bucket(bDevices).ForEachBucket(func(k []byte) error {
			d := tx.Bucket(bDevices).Bucket(k)
			st := Device{
				ID:      string(k),
				LastSeq: boltutil.GetU64(d.Get(kLast)),
				Entries: boltutil.GetU64(d.Get(kCount)),
				Held:    boltutil.GetU64(d.Get(kHeld)),
				Alarms:  counts[string(k)],
			}
			copy(st.LastHash[:], d.Get(kHash))
			if ms := boltutil.GetU64(d.Get(kGap)); ms != 0 {
				st.GapSince = time.UnixMilli(int64(ms))
			}
			if ms := boltutil.GetU64(d.Get(kSeen)); ms != 0 {
				st.Seen = time.UnixMilli(int64(ms))
			}
			out = append(out, st)
			return nil
		})
	})
	return out, err
}

func alarmCounts(tx *bolt.Tx) map[string]int {
	out := map[string]int{}
	_ = tx.Bucket(bAlarms).ForEach(func(k, _ []byte) error {
		if i := bytes.IndexByte(k, 0); i >= 0 {
			out[string(k[:i])]++
		}
		return nil
	})
	return out
}

// Alarms returns every alarm, by device, then by first occurrence.
func (l *Ledger) Alarms() ([]Alarm, error) {
	var out []Alarm
	err := l.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bAlarms).ForEach(func(_, v []byte) error {
			var a Alarm
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("ledger: alarm: %w", err)
			}
			out = append(out, a)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Device != out[j].Device {
			return out[i].Device < out[j].Device
		}
		return out[i].First.Before(out[j].First)
	})
	return out, err
}

// Counters calls fn for every hub-side report counter: sales net of voids by outlet, day
// (in the outlet's time zone), seller, event and ticket type, sorted by outlet then day.
func (l *Ledger) Counters(fn func(outlet string, k journal.Key, t journal.Tally)) error {
	return l.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bCounters).ForEach(func(k, v []byte) error {
			if outlet, key, ok := parseCounterKey(k); ok {
				fn(outlet, key, journal.ParseTally(v))
			}
			return nil
		})
	})
}

// counterKey lays out a hub counter's key: the outlet, NUL, then the journal.Key, so that
// counters sort by outlet, then day.
func counterKey(outlet string, k journal.Key) []byte {
	b := make([]byte, 0, len(outlet)+1+journal.KeyDayLen+len(k.User)+len(k.Event)+len(k.Type)+2)
	b = append(b, outlet...)
	return journal.AppendKey(append(b, 0), k)
}

func parseCounterKey(b []byte) (string, journal.Key, bool) {
	outlet, key, ok := bytes.Cut(b, []byte{0})
	if !ok {
		return "", journal.Key{}, false
	}
	k, ok := journal.ParseKey(key)
	return string(outlet), k, ok
}
