// Package ledger is the hub's central journal: every device's entries, stored idempotently
// by (device, seq) in bbolt, with the hash chain verified, hub-side report counters keyed by
// outlet, per-ticket sale states for verification, and alarms for gaps, broken chains and
// conflicting duplicates.
//
// Ingest (and IngestAll, for many devices in one commit) is the only writer. It stores the
// run of entries that follows a device's stored chain, skips duplicates, stores nothing
// beyond a gap (the device resends it after the ack), commits with fsync, and returns the
// contiguous seq to acknowledge.
package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/internal/boltutil"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
)

// Errors.
var (
	ErrLocked   = errors.New("ledger: in use by another process")
	ErrClosed   = errors.New("ledger: closed")
	ErrNotFound = errors.New("ledger: not found")
	ErrNotASale = errors.New("ledger: not a sale")
)

// AlarmKind says what is wrong with a device's journal.
type AlarmKind string

// Alarm kinds.
const (
	// AlarmGap: entries beyond a missing seq kept arriving for longer than Options.GapTimeout.
	AlarmGap AlarmKind = "gap"
	// AlarmChain: the entry after the stored chain does not carry the stored last hash.
	AlarmChain AlarmKind = "chain"
	// AlarmConflict: an entry with a stored seq but other content (the device's journal
	// differs from the one the hub has: a reset or restored device).
	AlarmConflict AlarmKind = "conflict"
	// AlarmForeign: an entry of another device arrived in this device's journal.
	AlarmForeign AlarmKind = "foreign"
	// AlarmEffect: an entry whose effect cannot be applied (a void of an unknown or already
	// voided sale). The entry is stored; the counters are left as they were.
	AlarmEffect AlarmKind = "effect"
)

// Alarm is one problem with a device's journal. Alarms are kept until the ledger is
// rebuilt; a repeated problem counts up the same alarm.
type Alarm struct {
	Device string    `json:"device"`
	Kind   AlarmKind `json:"kind"`
	Seq    uint64    `json:"seq"`
	Detail string    `json:"detail"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	Count  int       `json:"count"`
	// Resolved is when an operator resolved the alarm (Resolve), with Resolution, the
	// recorded reason; nil: open.
	Resolved   *time.Time `json:"resolved,omitempty"`
	Resolution string     `json:"resolution,omitempty"`
}

func (a Alarm) String() string {
	s := fmt.Sprintf("%s: %s at seq %d: %s (%d×)", a.Device, a.Kind, a.Seq, a.Detail, a.Count)
	if a.Resolved != nil {
		s += "; resolved: " + a.Resolution
	}
	return s
}

// Options configure Open.
type Options struct {
	Timeout time.Duration // how long to wait for another process's lock; default 1s
	NoSync  bool          // skip fsync (tests only: the ledger is not durable then)
	// Location returns an outlet's time zone for counter days; nil or a nil result: UTC.
	Location func(outlet string) *time.Location
	// GapTimeout is how long entries beyond a missing seq may keep arriving before it is an
	// alarm (reordered deliveries fill short gaps by themselves); default 2 minutes.
	GapTimeout time.Duration
	// Clock tells the time for alarms and status; nil: the real clock.
	Clock clock.Clock
	// Logger receives alarms; default slog.Default().
	Logger *slog.Logger
	// OnStored, when set, is called after each commit with the entries newly stored, in seq
	// order, before Ingest returns. It is a notification: a side effect that must happen
	// exactly once (an email) keeps its own cursor over Feed instead.
	OnStored func(device string, stored []*journal.Entry)
	// Validate, when set, checks every entry that follows the chain; one it refuses is
	// stored as rejected (see Validator).
	Validate Validator
}

// Ledger is an open central journal. Its methods are safe for concurrent use.
type Ledger struct {
	db  *bolt.DB
	opt Options
	log *slog.Logger

	mu   sync.Mutex
	sold map[string]sold // per device, what Past.Sold counted as of a seq
}

var (
	bDevices  = []byte("devices") // device id → bucket: entries, sales, and meta keys
	bCounters = []byte("counters")
	bAlarms   = []byte("alarms")
	bFeed     = []byte("feed") // ingest order → device \0 seq

	bEntries = []byte("e") // in a device bucket: seq → canonical entry bytes
	bSales   = []byte("s") // in a device bucket: sale seq → SaleState JSON

	kLast  = []byte("last")  // last stored seq
	kHash  = []byte("hash")  // hash of the last stored entry
	kCount = []byte("count") // entries stored
	kGap   = []byte("gap")   // Unix ms since entries beyond a gap arrive (absent: no gap)
	kHeld  = []byte("held")  // highest seq seen beyond the gap
	kSeen  = []byte("seen")  // Unix ms of the last ingest
)

// Open opens (creating if needed) the ledger at path.
func Open(path string, opt Options) (*Ledger, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = time.Second
	}
	if opt.GapTimeout <= 0 {
		opt.GapTimeout = 2 * time.Minute
	}
	opt.Clock = clock.Or(opt.Clock)
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	db, err := boltutil.Open(path, boltutil.Options{Prefix: "ledger", Locked: ErrLocked, Timeout: opt.Timeout, NoSync: opt.NoSync,
		Buckets: [][]byte{bDevices, bCounters, bAlarms, bFeed}})
	if err != nil {
		return nil, err
	}
	return &Ledger{db: db, opt: opt, log: opt.Logger.With("component", "ledger")}, nil
}

// Close closes the ledger.
func (l *Ledger) Close() error { return l.db.Close() }

// Path returns the ledger's file.
func (l *Ledger) Path() string { return l.db.Path() }

func (l *Ledger) String() string { return "ledger(" + l.db.Path() + ")" }

func (l *Ledger) update(fn func(tx *bolt.Tx) error) error {
	return boltutil.Update(l.db, ErrClosed, fn)
}

func (l *Ledger) view(fn func(tx *bolt.Tx) error) error {
	return boltutil.View(l.db, ErrClosed, fn)
}

// Result says what one Ingest did.
type Result struct {
	Upto       uint64 // what to acknowledge: the contiguous seq stored, or below the first conflict
	Stored     int    // entries newly stored
	Duplicates int    // entries already stored with the same content
	Held       int    // entries not stored: beyond a gap, after a broken chain, conflicting or foreign
	Rejected   int    // of Stored, entries stored as rejected (Options.Validate)
	Alarms     []Alarm
}

// Ingest stores a batch of a device's entries and returns the seq up to which the device's
// journal is stored without a gap. See IngestBatch.
func (l *Ledger) Ingest(device string, entries []*journal.Entry) (uint64, error) {
	r, err := l.IngestBatch(device, entries)
	return r.Upto, err
}

// IngestBatch stores a batch of a device's entries, in any order, in one durable
// transaction: entries already stored are skipped (an alarm if their content differs, and
// then Upto stays below the first such seq so that the device keeps it), the
// run that follows the stored chain (journal.Follows) is stored with its counters, sale
// states and feed marks, and entries beyond a gap are left for the device to resend. An
// error means nothing was stored and nothing may be acknowledged; problems with the entries
// themselves are alarms, not errors.
func (l *Ledger) IngestBatch(device string, entries []*journal.Entry) (Result, error) {
	rs, err := l.IngestBatches(map[string][]*journal.Entry{device: entries})
	return rs[device], err
}

// IngestAll stores several devices' batches (as IngestBatch does for each) in one durable
// transaction, so that a hub collecting from many devices pays one fsync per round, and
// returns the seq to acknowledge per device. An error means nothing was stored.
func (l *Ledger) IngestAll(batches map[string][]*journal.Entry) (map[string]uint64, error) {
	rs, err := l.IngestBatches(batches)
	if err != nil {
		return nil, err
	}
	out := make(map[string]uint64, len(rs))
	for device, r := range rs {
		out[device] = r.Upto
	}
	return out, nil
}

// IngestBatches is IngestAll with each device's Result.
func (l *Ledger) IngestBatches(batches map[string][]*journal.Entry) (map[string]Result, error) {
	sealed := make(map[string]Sealed, len(batches))
	for device, entries := range batches {
		sealed[device] = Sealed{Entries: entries}
	}
	return l.IngestSealed(sealed)
}

// IngestSealed is IngestBatches for entries that came with their devices' seals (verified
// by the caller): in the same transaction it keeps each seal whose run is now stored, which
// is what Audit proves the entries with.
func (l *Ledger) IngestSealed(batches map[string]Sealed) (map[string]Result, error) {
	devices := make([]string, 0, len(batches))
	sorted := make(map[string][]*journal.Entry, len(batches))
	for device, b := range batches {
		if device == "" {
			return nil, errors.New("ledger: empty device id")
		}
		devices = append(devices, device)
		list := make([]*journal.Entry, 0, len(b.Entries))
		for _, e := range b.Entries {
			if e != nil {
				list = append(list, e)
			}
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].Seq < list[j].Seq })
		sorted[device] = list
	}
	sort.Strings(devices)
	now := l.opt.Clock.Now()
	var (
		results map[string]Result
		stored  map[string][]*journal.Entry
		ins     []*ingest
	)
	err := l.update(func(tx *bolt.Tx) error {
		results, stored, ins = map[string]Result{}, map[string][]*journal.Entry{}, nil
		locs := map[string]*time.Location{}
		for _, device := range devices {
			in := &ingest{l: l, tx: tx, device: device, now: now, locs: locs}
			ins = append(ins, in)
			res, st, err := in.run(sorted[device])
			if err == nil {
				err = in.keepSeals(batches[device].Seals)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", device, err)
			}
			results[device], stored[device] = res, st
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: ingest: %w", err)
	}
	l.keepSold(ins)
	for _, device := range devices {
		for _, a := range results[device].Alarms {
			l.log.Error("journal alarm", "device", a.Device, "kind", a.Kind, "seq", a.Seq, "detail", a.Detail, "count", a.Count)
		}
		if l.opt.OnStored != nil && len(stored[device]) > 0 {
			l.opt.OnStored(device, stored[device])
		}
	}
	return results, nil
}

// run ingests one device's entries, sorted by seq, in the transaction.
func (in *ingest) run(sorted []*journal.Entry) (Result, []*journal.Entry, error) {
	var (
		res    Result
		stored []*journal.Entry
	)
	if err := in.open(); err != nil {
		return res, nil, err
	}
	in.batch = sorted
	beyond := uint64(0)
	conflict := uint64(0) // the first seq whose content differs from the stored entry
entries:
	for i, e := range sorted {
		switch {
		case e.Device != in.device:
			res.Held++
			in.alarm(&res, AlarmForeign, e.Seq, fmt.Sprintf("entry of device %q", e.Device))
		case e.Seq <= in.last:
			dup, err := in.same(e)
			if err != nil {
				return res, nil, err
			}
			if dup {
				res.Duplicates++
			} else {
				res.Held++
				in.alarm(&res, AlarmConflict, e.Seq, "stored entry has other content")
				if conflict == 0 {
					conflict = e.Seq
				}
			}
		case e.Seq == in.last+1:
			if err := journal.Follows(in.last, in.hash, e); err != nil {
				res.Held += len(sorted) - i
				in.alarm(&res, AlarmChain, e.Seq, err.Error())
				beyond = 0
				break entries
			}
			ok, err := in.store(&res, e)
			if err != nil {
				return res, nil, err
			}
			if ok {
				stored = append(stored, e)
			}
		default:
			// Beyond a gap (sorted: so is everything after it).
			res.Held++
			beyond = max(beyond, e.Seq)
		}
	}
	if err := in.gap(&res, beyond); err != nil {
		return res, nil, err
	}
	res.Upto = in.last
	if conflict > 0 {
		// The device's entry with that seq is not the one stored: acknowledging it would
		// let the device forget an entry the hub does not have.
		res.Upto = conflict - 1
	}
	return res, stored, in.close()
}

// ingest is the state of one device's part of an ingest transaction.
type ingest struct {
	l      *Ledger
	tx     *bolt.Tx
	device string
	now    time.Time
	dev    *bolt.Bucket
	ents   *bolt.Bucket
	sales  *bolt.Bucket
	last   uint64
	hash   journal.Hash
	count  uint64
	locs   map[string]*time.Location

	batch   []*journal.Entry             // this device's entries of the batch, by seq
	checkFn func(e *journal.Entry) error // the Validator's check of this batch
	sold    map[[2]string]int64          // Past.Sold, once asked
}

func (in *ingest) open() error {
	var err error
	in.dev, err = in.tx.Bucket(bDevices).CreateBucketIfNotExists([]byte(in.device))
	if err != nil {
		return err
	}
	if in.ents, err = in.dev.CreateBucketIfNotExists(bEntries); err != nil {
		return err
	}
	if in.sales, err = in.dev.CreateBucketIfNotExists(bSales); err != nil {
		return err
	}
	in.last = boltutil.GetU64(in.dev.Get(kLast))
	copy(in.hash[:], in.dev.Get(kHash))
	in.count = boltutil.GetU64(in.dev.Get(kCount))
	return nil
}

func (in *ingest) close() error {
	if err := in.dev.Put(kLast, boltutil.U64(in.last)); err != nil {
		return err
	}
	if err := in.dev.Put(kHash, in.hash[:]); err != nil {
		return err
	}
	if err := in.dev.Put(kCount, boltutil.U64(in.count)); err != nil {
		return err
	}
	return in.dev.Put(kSeen, boltutil.U64(uint64(in.now.UnixMilli())))
}

// same reports whether e has the content of the stored entry with its seq.
func (in *ingest) same(e *journal.Entry) (bool, error) {
	data, err := e.Encode()
	if err != nil {
		return false, err
	}
	return bytes.Equal(in.ents.Get(boltutil.U64(e.Seq)), data), nil
}

// store stores e, which follows the chain, and reports whether it was accepted (false: it
// is stored as rejected, without effect and out of the feed).
func (in *ingest) store(res *Result, e *journal.Entry) (bool, error) {
	data, err := e.Encode()
	if err != nil {
		return false, err
	}
	reason, err := in.check(e)
	if err != nil {
		return false, err
	}
	if in.sold == nil && in.l.opt.Validate != nil && e.SaleRef() != 0 {
		// Keep the device's sold current while validating (cheap from the cache), so the
		// next batch's grant check does not count the journal again.
		in.sold = in.l.soldOf(in.device, in.last, in.dev)
	}
	if err := in.ents.Put(boltutil.U64(e.Seq), data); err != nil {
		return false, err
	}
	if reason != "" {
		if err := in.reject(res, e, reason); err != nil {
			return false, err
		}
		res.Rejected++
	} else {
		feed := in.tx.Bucket(bFeed)
		n, err := feed.NextSequence()
		if err != nil {
			return false, err
		}
		if err := feed.Put(boltutil.U64(n), feedValue(in.device, e.Seq)); err != nil {
			return false, err
		}
		if err := in.effects(res, e); err != nil {
			return false, err
		}
	}
	in.last = e.Seq
	in.hash = sha256.Sum256(data) // e.Hash() without encoding again
	in.count++
	res.Stored++
	return reason == "", nil
}

func (in *ingest) location(outlet string) *time.Location {
	if loc, ok := in.locs[outlet]; ok {
		return loc
	}
	loc := time.UTC
	if in.l.opt.Location != nil {
		if l := in.l.opt.Location(outlet); l != nil {
			loc = l
		}
	}
	in.locs[outlet] = loc
	return loc
}

// effects updates the sale state (journal.SaleState.Next) and the counters
// (journal.Deltas) an entry changes. What cannot be applied is an alarm.
func (in *ingest) effects(res *Result, e *journal.Entry) error {
	ref := e.SaleRef()
	if ref == 0 {
		return nil
	}
	sale, st := e, journal.SaleState{}
	if e.Kind != journal.KindSale {
		var err error
		if sale, st, err = readSale(in.dev, ref); err != nil {
			in.alarm(res, AlarmEffect, e.Seq, fmt.Sprintf("%s of seq %d: %v", e.Kind, ref, err))
			return nil
		}
	}
	next, err := st.Next(e)
	if errors.Is(err, journal.ErrAlreadyVoided) {
		in.alarm(res, AlarmEffect, e.Seq, fmt.Sprintf("void of sale %d, already voided by %d", ref, st.VoidedBy))
		return nil
	}
	if err != nil {
		in.alarm(res, AlarmEffect, e.Seq, err.Error())
		return nil
	}
	if err := in.putSale(ref, next); err != nil {
		return err
	}
	in.countSold(e, sale)
	return in.addCounters(sale.Sale.Outlet, journal.Deltas(e, sale, in.location(sale.Sale.Outlet)))
}

func (in *ingest) putSale(seq uint64, st journal.SaleState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return in.sales.Put(boltutil.U64(seq), b)
}

func (in *ingest) addCounters(outlet string, ds []journal.Delta) error {
	b := in.tx.Bucket(bCounters)
	for _, d := range ds {
		k := counterKey(outlet, d.Key)
		t := journal.ParseTally(b.Get(k))
		t.Add(d.Tally)
		if err := b.Put(k, journal.AppendTally(nil, t)); err != nil {
			return err
		}
	}
	return nil
}

// gap records whether entries beyond the stored chain arrived (beyond > 0: the highest),
// and raises the gap alarm once it has lasted GapTimeout.
func (in *ingest) gap(res *Result, beyond uint64) error {
	if beyond <= in.last {
		if err := in.dev.Delete(kGap); err != nil {
			return err
		}
		return in.dev.Delete(kHeld)
	}
	since := boltutil.GetU64(in.dev.Get(kGap))
	if since == 0 {
		since = uint64(in.now.UnixMilli())
		if err := in.dev.Put(kGap, boltutil.U64(since)); err != nil {
			return err
		}
	}
	held := max(boltutil.GetU64(in.dev.Get(kHeld)), beyond)
	if err := in.dev.Put(kHeld, boltutil.U64(held)); err != nil {
		return err
	}
	if age := in.now.Sub(time.UnixMilli(int64(since))); age >= in.l.opt.GapTimeout {
		in.alarm(res, AlarmGap, in.last+1, fmt.Sprintf("seq %d missing for %s while entries up to %d arrive", in.last+1, age.Round(time.Second), held))
	}
	return nil
}

// alarm records (or counts up) an alarm in the transaction.
func (in *ingest) alarm(res *Result, kind AlarmKind, seq uint64, detail string) {
	b := in.tx.Bucket(bAlarms)
	k := alarmKey(in.device, kind, seq)
	a := Alarm{Device: in.device, Kind: kind, Seq: seq, First: in.now}
	if v := b.Get(k); v != nil {
		_ = json.Unmarshal(v, &a)
	}
	a.Detail, a.Last = detail, in.now
	a.Count++
	if v, err := json.Marshal(a); err == nil {
		_ = b.Put(k, v)
	}
	res.Alarms = append(res.Alarms, a)
}

func alarmKey(device string, kind AlarmKind, seq uint64) []byte {
	k := make([]byte, 0, len(device)+len(kind)+10)
	k = append(k, device...)
	k = append(k, 0)
	k = append(k, kind...)
	k = append(k, 0)
	return append(k, boltutil.U64(seq)...)
}

func feedValue(device string, seq uint64) []byte {
	v := make([]byte, 0, len(device)+9)
	v = append(v, device...)
	v = append(v, 0)
	return append(v, boltutil.U64(seq)...)
}
