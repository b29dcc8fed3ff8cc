package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
)

// Validation at ingest. An entry that follows the chain is stored whatever it says (the
// chain stays whole and the device is acknowledged, so it is not wedged), but when the
// Validator refuses it, it is stored as rejected: its reason is kept beside it, it has no
// effect (no counters, no sale state), it never enters the feed (so nothing the hub does
// from the feed, mail or catalogue, ever sees it), and it raises an AlarmRejected alarm.

// AlarmRejected: an entry the Validator refused; it is stored as rejected, without effect.
const AlarmRejected AlarmKind = "rejected"

// ErrRejected is the error of a sale that was stored as rejected.
var ErrRejected = errors.New("ledger: rejected at ingest")

var (
	bRejected   = []byte("r") // in a device bucket: seq → the reason it was rejected (made by the first)
	bSuperseded = []byte("x") // in a device bucket: seq, Unix ms → an entry an operator set aside
)

// Validator checks the entries of one device's batch at ingest. It is called once per
// device and batch, inside the ingest transaction, with the batch (sorted by seq; it may
// prepare its checks, e.g. verify signatures in parallel) and what the ledger already
// holds of the device (past); it returns the check of each entry, called in seq order for
// every entry that follows the chain. A check's error is the entry's rejection reason; an error
// of the Validator itself fails the ingest (nothing stored, nothing acknowledged).
type Validator func(device string, batch []*journal.Entry, past Past) (func(e *journal.Entry) error, error)

// Past is what the ledger holds of one device during its ingest, including the entries of
// the batch stored so far.
type Past interface {
	// Sold returns the tickets of an event's type the device sold in accepted entries,
	// net of voids.
	Sold(event, typ string) int64
	// Each calls fn for every accepted entry of the device of one kind, in seq order,
	// until fn returns false.
	Each(kind journal.Kind, fn func(e *journal.Entry) bool) error
}

// Rejection is an entry stored as rejected.
type Rejection struct {
	Device string       `json:"device"`
	Seq    uint64       `json:"seq"`
	Kind   journal.Kind `json:"kind"`
	Reason string       `json:"reason"`
}

// sold is a device's tickets sold per event and type, as of its seq last.
type sold struct {
	last uint64
	n    map[[2]string]int64
}

// rejected reports the reason an entry of the device bucket d was rejected.
func rejected(d *bolt.Bucket, seq uint64) (string, bool) {
	r := d.Bucket(bRejected)
	if r == nil {
		return "", false
	}
	v := r.Get(boltutil.U64(seq))
	return string(v), v != nil
}

// reject stores e (already in the entries) as rejected for reason.
func (in *ingest) reject(res *Result, e *journal.Entry, reason string) error {
	r, err := in.dev.CreateBucketIfNotExists(bRejected)
	if err != nil {
		return err
	}
	if err := r.Put(boltutil.U64(e.Seq), []byte(reason)); err != nil {
		return err
	}
	in.alarm(res, AlarmRejected, e.Seq, fmt.Sprintf("%s rejected: %s", e.Kind, reason))
	return nil
}

// check runs the Validator's check on e: the reason it is rejected, or "".
func (in *ingest) check(e *journal.Entry) (string, error) {
	if in.l.opt.Validate == nil {
		return "", nil
	}
	if in.checkFn == nil {
		fn, err := in.l.opt.Validate(in.device, in.batch, in)
		if err != nil {
			return "", fmt.Errorf("validate: %w", err)
		}
		in.checkFn = fn
	}
	if err := in.checkFn(e); err != nil {
		return err.Error(), nil
	}
	return "", nil
}

// Sold implements Past.
func (in *ingest) Sold(event, typ string) int64 {
	if in.sold == nil {
		in.sold = in.l.soldOf(in.device, in.last, in.dev)
	}
	return in.sold[[2]string{event, typ}]
}

// countSold adds an accepted entry's tickets to the device's sold, when it was loaded.
func (in *ingest) countSold(e, sale *journal.Entry) {
	if in.sold == nil {
		return
	}
	addSold(in.sold, e, sale)
}

func addSold(n map[[2]string]int64, e, sale *journal.Entry) {
	for _, d := range journal.Deltas(e, sale, time.UTC) {
		n[[2]string{d.Event, d.Type}] += d.Tickets
	}
}

// Each implements Past.
func (in *ingest) Each(kind journal.Kind, fn func(e *journal.Entry) bool) error {
	return eachAccepted(in.dev, func(e *journal.Entry) bool {
		return e.Kind != kind || fn(e)
	})
}

// eachAccepted calls fn for every accepted entry of the device bucket d, in seq order.
func eachAccepted(d *bolt.Bucket, fn func(e *journal.Entry) bool) error {
	ents, rej := d.Bucket(bEntries), d.Bucket(bRejected)
	if ents == nil {
		return nil
	}
	c := ents.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if rej != nil && rej.Get(k) != nil {
			continue
		}
		e, err := journal.Decode(v)
		if err != nil {
			return fmt.Errorf("entry %d: %w", boltutil.GetU64(k), err)
		}
		if !fn(e) {
			return nil
		}
	}
	return nil
}

// soldOf returns a copy of the device's sold as of seq last: from the cache when it is of
// that seq, else counted from the device bucket d.
func (l *Ledger) soldOf(device string, last uint64, d *bolt.Bucket) map[[2]string]int64 {
	l.mu.Lock()
	c, ok := l.sold[device]
	l.mu.Unlock()
	n := map[[2]string]int64{}
	if ok && c.last == last {
		for k, v := range c.n {
			n[k] = v
		}
		return n
	}
	sales := map[uint64]*journal.Entry{}
	_ = eachAccepted(d, func(e *journal.Entry) bool {
		var sale *journal.Entry
		switch e.Kind {
		case journal.KindSale:
			sales[e.Seq] = e
		case journal.KindVoid:
			if st, ok := saleState(d, e.Void.Sale); ok && st.VoidedBy == e.Seq {
				sale = sales[e.Void.Sale]
			}
		}
		addSold(n, e, sale)
		return true
	})
	return n
}

// keepSold caches what the ingests of a committed transaction counted.
func (l *Ledger) keepSold(ins []*ingest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sold == nil {
		l.sold = map[string]sold{}
	}
	for _, in := range ins {
		if in.sold != nil {
			l.sold[in.device] = sold{last: in.last, n: in.sold}
		}
	}
}

func saleState(d *bolt.Bucket, seq uint64) (journal.SaleState, bool) {
	var st journal.SaleState
	s := d.Bucket(bSales)
	if s == nil {
		return st, false
	}
	b := s.Get(boltutil.U64(seq))
	if b == nil {
		return st, false
	}
	return st, json.Unmarshal(b, &st) == nil
}

// Sold returns the tickets per event and type (key {event, type}) a device sold in
// accepted entries, net of voids.
func (l *Ledger) Sold(device string) (map[[2]string]int64, error) {
	n := map[[2]string]int64{}
	err := l.view(func(tx *bolt.Tx) error {
		if d := tx.Bucket(bDevices).Bucket([]byte(device)); d != nil {
			n = l.soldOf(device, boltutil.GetU64(d.Get(kLast)), d)
		}
		return nil
	})
	return n, err
}

// Rejected returns the entries stored as rejected, by device and seq.
func (l *Ledger) Rejected() ([]Rejection, error) {
	var out []Rejection
	err := l.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bDevices).ForEachBucket(func(k []byte) error {
			d := tx.Bucket(bDevices).Bucket(k)
			r := d.Bucket(bRejected)
			if r == nil {
				return nil
			}
			return r.ForEach(func(s, reason []byte) error {
				x := Rejection{Device: string(k), Seq: boltutil.GetU64(s), Reason: string(reason)}
				if e, err := journal.Decode(d.Bucket(bEntries).Get(s)); err == nil {
					x.Kind = e.Kind
				}
				out = append(out, x)
				return nil
			})
		})
	})
	return out, err
}

// ID names an alarm for Resolve: device/kind/seq.
func (a Alarm) ID() string {
	return a.Device + "/" + string(a.Kind) + "/" + strconv.FormatUint(a.Seq, 10)
}

// ParseAlarmID splits an alarm's ID.
func ParseAlarmID(id string) (device string, kind AlarmKind, seq uint64, err error) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 {
		return "", "", 0, fmt.Errorf("ledger: alarm id %q is not device/kind/seq", id)
	}
	seq, err = strconv.ParseUint(parts[2], 10, 64)
	if err != nil || parts[0] == "" {
		return "", "", 0, fmt.Errorf("ledger: alarm id %q is not device/kind/seq", id)
	}
	return parts[0], AlarmKind(parts[1]), seq, nil
}

// Stand says, for Resolve of a conflict, which entry at the seq stands.
type Stand string

// What stands after a conflict's resolution.
const (
	// StandNone records the resolution only (every kind but a conflict).
	StandNone Stand = ""
	// StandHub: the entry the hub stored stands; the device's other entry is never taken.
	StandHub Stand = "hub"
	// StandDevice: the device's entry stands: the hub's entries from that seq on are set
	// aside (kept apart, their counters and sale states undone, out of the feed) and the
	// device's journal is taken again from there when it resends.
	StandDevice Stand = "device"
)

// Resolve marks an alarm resolved with the operator's reason. For a conflict, stand says
// which entry at its seq stands (StandHub or StandDevice, required); see Stand. It returns
// the alarm as resolved, or ErrNotFound.
func (l *Ledger) Resolve(id, reason string, stand Stand) (Alarm, error) {
	var a Alarm
	device, kind, seq, err := ParseAlarmID(id)
	if err != nil {
		return a, err
	}
	if strings.TrimSpace(reason) == "" {
		return a, errors.New("ledger: a resolution needs a reason")
	}
	switch {
	case kind == AlarmConflict && stand != StandHub && stand != StandDevice:
		return a, fmt.Errorf("ledger: a conflict's resolution says which entry stands (%s or %s)", StandHub, StandDevice)
	case kind != AlarmConflict && stand != StandNone:
		return a, fmt.Errorf("ledger: only a conflict's resolution chooses an entry (alarm %s is a %s)", id, kind)
	}
	now := l.opt.Clock.Now()
	err = l.update(func(tx *bolt.Tx) error {
		k := alarmKey(device, kind, seq)
		v := tx.Bucket(bAlarms).Get(k)
		if v == nil {
			return fmt.Errorf("%w: alarm %s", ErrNotFound, id)
		}
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		res := strings.TrimSpace(reason)
		if stand != StandNone {
			res = "the " + string(stand) + "'s entry stands: " + res
		}
		if stand == StandDevice {
			n, err := l.setAside(tx, device, seq, now, res)
			if err != nil {
				return err
			}
			res += fmt.Sprintf(" (%d entries set aside)", n)
		}
		at := now
		a.Resolved, a.Resolution = &at, res
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return tx.Bucket(bAlarms).Put(k, b)
	})
	if err != nil {
		return Alarm{}, err
	}
	if stand == StandDevice {
		l.mu.Lock()
		delete(l.sold, device)
		l.mu.Unlock()
	}
	l.log.Warn("journal alarm resolved", "alarm", id, "resolution", a.Resolution)
	return a, nil
}

// setAside moves a device's entries from seq on out of its chain (into bSuperseded, with
// the resolution), undoing their counters and sale states and dropping their feed marks,
// so that the stored chain ends at seq-1. It returns how many entries it moved.
func (l *Ledger) setAside(tx *bolt.Tx, device string, from uint64, now time.Time, why string) (int, error) {
	d := tx.Bucket(bDevices).Bucket([]byte(device))
	if d == nil {
		return 0, fmt.Errorf("%w: device %s", ErrNotFound, device)
	}
	last := boltutil.GetU64(d.Get(kLast))
	if from == 0 || from > last {
		return 0, fmt.Errorf("ledger: %s has no stored entry at seq %d (last %d): nothing to set aside", device, from, last)
	}
	ents, sales := d.Bucket(bEntries), d.Bucket(bSales)
	in := &ingest{l: l, tx: tx, device: device, now: now, locs: map[string]*time.Location{}}
	x, err := d.CreateBucketIfNotExists(bSuperseded)
	if err != nil {
		return 0, err
	}
	touched := map[uint64]bool{} // sales before from whose state an undone entry changed
	n := 0
	for seq := last; seq >= from; seq-- {
		k := boltutil.U64(seq)
		raw := ents.Get(k)
		if raw == nil {
			continue
		}
		if _, rej := rejected(d, seq); !rej {
			e, err := journal.Decode(raw)
			if err != nil {
				return n, fmt.Errorf("entry %d: %w", seq, err)
			}
			if ref := e.SaleRef(); ref != 0 {
				sale, st, err := readSale(d, ref)
				applied := err == nil && (e.Kind != journal.KindVoid || st.VoidedBy == e.Seq)
				if applied {
					ds := journal.Deltas(e, sale, in.location(sale.Sale.Outlet))
					for i := range ds {
						ds[i].Tickets, ds[i].Amount, ds[i].Voided = -ds[i].Tickets, -ds[i].Amount, -ds[i].Voided
					}
					if err := in.addCounters(sale.Sale.Outlet, ds); err != nil {
						return n, err
					}
				}
				if ref < from {
					touched[ref] = true
				}
			}
			if err := sales.Delete(k); err != nil {
				return n, err
			}
		}
		v, _ := json.Marshal(struct {
			Entry      json.RawMessage `json:"entry"`
			Resolution string          `json:"resolution"`
		}{raw, why})
		if err := x.Put(append(boltutil.U64(seq), boltutil.U64(uint64(now.UnixMilli()))...), v); err != nil {
			return n, err
		}
		if err := ents.Delete(k); err != nil {
			return n, err
		}
		if r := d.Bucket(bRejected); r != nil {
			if err := r.Delete(k); err != nil {
				return n, err
			}
		}
		n++
	}
	if err := dropSeals(d, from); err != nil {
		return n, err
	}
	// The sales before from that an undone void, reprint or failed print changed: their
	// state again from the entries that stay.
	for ref := range touched {
		sale, _, err := readSale(d, ref)
		if err != nil {
			continue
		}
		st, _ := journal.SaleState{}.Next(sale)
		c := ents.Cursor()
		for k, v := c.Seek(boltutil.U64(ref + 1)); k != nil; k, v = c.Next() {
			if _, rej := rejected(d, boltutil.GetU64(k)); rej {
				continue
			}
			if e, err := journal.Decode(v); err == nil && e.SaleRef() == ref {
				if next, err := st.Next(e); err == nil {
					st = next
				}
			}
		}
		if err := in.putSale(ref, st); err != nil {
			return n, err
		}
	}
	// Feed marks of the moved entries.
	feed := tx.Bucket(bFeed)
	var drop [][]byte
	prefix := append([]byte(device), 0)
	if err := feed.ForEach(func(k, v []byte) error {
		if len(v) == len(prefix)+8 && bytes.HasPrefix(v, prefix) && boltutil.GetU64(v[len(prefix):]) >= from {
			drop = append(drop, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return n, err
	}
	for _, k := range drop {
		if err := feed.Delete(k); err != nil {
			return n, err
		}
	}
	var hash journal.Hash
	if from > 1 {
		hash = sha256.Sum256(ents.Get(boltutil.U64(from - 1)))
	}
	count := boltutil.GetU64(d.Get(kCount))
	for _, kv := range [][2][]byte{{kLast, boltutil.U64(from - 1)}, {kHash, hash[:]}, {kCount, boltutil.U64(count - uint64(min(uint64(n), count)))}} {
		if err := d.Put(kv[0], kv[1]); err != nil {
			return n, err
		}
	}
	if err := d.Delete(kGap); err != nil {
		return n, err
	}
	return n, d.Delete(kHeld)
}
