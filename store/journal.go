package store

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
)

// Errors of appending.
var (
	ErrNotASale     = errors.New("store: no such sale")
	ErrAckBeyondEnd = errors.New("store: hub acknowledged entries this device never wrote")
)

// appendTx is the journal.Tx an entry's builder sees inside the transaction that appends it.
type appendTx struct {
	tx  *bolt.Tx
	s   *Store
	seq uint64 // the seq the entry gets
}

// Sold returns the tickets of a type of an event this device has sold, net of voids.
func (t *appendTx) Sold(event, typ string) int64 {
	return int64(boltutil.GetU64(t.tx.Bucket(bSold).Get(soldKey(event, typ))))
}

// Sale returns a sale entry and its state.
func (t *appendTx) Sale(seq uint64) (*journal.Entry, journal.SaleState, error) {
	return getSale(t.tx, seq)
}

// User returns a user by email, as Store.User does.
func (t *appendTx) User(email string) (catalog.User, bool) {
	return t.s.userTx(t.tx, email)
}

// Printing marks sale seq (this entry's sale, or the sale a reprint copies) as being
// printed, in the entry's transaction. PrintDone clears the mark once the job is out; a
// mark found at start-up (Interrupted) is a job that a crash or power cut cut short.
func (t *appendTx) Printing(sale uint64) error {
	return t.tx.Bucket(bPrinting).Put(boltutil.U64(sale), boltutil.U64(t.seq))
}

// Users returns the outlet's users, as Store.Users does.
func (t *appendTx) Users() []catalog.User { return t.s.usersTx(t.tx) }

func soldKey(event, typ string) []byte { return []byte(event + "\x00" + typ) }

func getSale(tx *bolt.Tx, seq uint64) (*journal.Entry, journal.SaleState, error) {
	var st journal.SaleState
	raw := tx.Bucket(bJournal).Get(boltutil.U64(seq))
	if raw == nil {
		return nil, st, fmt.Errorf("%w: seq %d", ErrNotASale, seq)
	}
	e, err := journal.Decode(raw)
	if err != nil {
		return nil, st, fmt.Errorf("store: entry %d: %w", seq, err)
	}
	if e.Kind != journal.KindSale {
		return nil, st, fmt.Errorf("%w: seq %d is a %s", ErrNotASale, seq, e.Kind)
	}
	if b := tx.Bucket(bSales).Get(boltutil.U64(seq)); b != nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, st, fmt.Errorf("store: sale state %d: %w", seq, err)
		}
	}
	return e, st, nil
}

func putSaleState(tx *bolt.Tx, seq uint64, st journal.SaleState) error {
	st.VoidedBy = 0 // the store's format keeps no VoidedBy
	b, _ := json.Marshal(st)
	return tx.Bucket(bSales).Put(boltutil.U64(seq), b)
}

// Append writes one journal entry. fill sets the entry's kind and fact; it may read the
// store through the journal.Tx and refuse by returning an error, and then nothing is
// written. The store sets the device, seq, time, clock flag, actor and prev hash (before
// fill runs), and applies the entry's effects (counters, allotment use, sale state, users)
// in the same transaction. An entry whose effect cannot be applied is refused too: a void,
// reprint or print_failed of no sale is ErrNotASale, a second void of a sale
// journal.ErrAlreadyVoided.
func (s *Store) Append(at Clock, actor string, fill func(tx journal.Tx, e *journal.Entry) error) (*journal.Entry, error) {
	var out *journal.Entry
	err := s.update(func(tx *bolt.Tx) error {
		var err error
		out, err = s.append(tx, s.location(), at, actor, fill)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) append(tx *bolt.Tx, loc *time.Location, at Clock, actor string, fill func(journal.Tx, *journal.Entry) error) (*journal.Entry, error) {
	jb := tx.Bucket(bJournal)
	seq, err := jb.NextSequence()
	if err != nil {
		return nil, fmt.Errorf("store: next seq: %w", err)
	}
	now := at.Now()
	e := &journal.Entry{
		V:           journal.Version,
		Device:      s.device,
		Seq:         seq,
		Time:        now.UnixMilli(),
		ClockSynced: at.Synced(),
		Actor:       actor,
	}
	if h := tx.Bucket(bMeta).Get(kLastHash); h != nil {
		copy(e.Prev[:], h)
	}
	if err := fill(&appendTx{tx: tx, s: s, seq: seq}, e); err != nil {
		return nil, err
	}
	if e.Kind == journal.KindSale && e.Sale != nil {
		if err := numberSale(tx, e); err != nil {
			return nil, err
		}
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	data, err := e.Encode()
	if err != nil {
		return nil, fmt.Errorf("store: encode entry: %w", err)
	}
	if err := jb.Put(boltutil.U64(seq), data); err != nil {
		return nil, fmt.Errorf("store: write entry: %w", err)
	}
	h := sha256.Sum256(data)
	if err := tx.Bucket(bMeta).Put(kLastHash, h[:]); err != nil {
		return nil, err
	}
	if err := applyEffects(tx, e, loc); err != nil {
		return nil, err
	}
	return e, nil
}

// numberSale gives sale entry e the next sale number of the device and records which
// entry it names, in the entry's transaction: the number is as durable as the sale.
func numberSale(tx *bolt.Tx, e *journal.Entry) error {
	b := tx.Bucket(bSaleNos)
	no, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("store: next sale number: %w", err)
	}
	e.Sale.No = no
	return b.Put(boltutil.U64(no), boltutil.U64(e.Seq))
}

// SaleSeq returns the seq of the sale entry numbered no (journal.Sale.No); ErrNotASale
// when this device has no sale of that number.
func (s *Store) SaleSeq(no uint64) (uint64, error) {
	var seq uint64
	err := s.view(func(tx *bolt.Tx) error {
		seq = boltutil.GetU64(tx.Bucket(bSaleNos).Get(boltutil.U64(no)))
		return nil
	})
	if err == nil && seq == 0 {
		err = fmt.Errorf("%w: sale number %d", ErrNotASale, no)
	}
	return seq, err
}

// applyEffects updates everything derived from an entry, in the entry's transaction.
func applyEffects(tx *bolt.Tx, e *journal.Entry, loc *time.Location) error {
	if ref := e.SaleRef(); ref != 0 {
		return applySale(tx, e, ref, loc)
	}
	switch e.Kind {
	case journal.KindUserCreated:
		u := catalog.User{Email: e.User.Email, Code: e.User.Code, Name: e.User.Name, Role: catalog.Role(e.User.Role),
			Outlet: e.User.Outlet, PasswordHash: e.User.PasswordHash, CreatedBy: e.User.CreatedBy}
		b, _ := json.Marshal(u)
		return tx.Bucket(bUsers).Put(userKey(u.Email), b)
	case journal.KindUserDisabled:
		return tx.Bucket(bDisabled).Put(userKey(e.User.Email), boltutil.U64(e.Seq))
	}
	return nil
}

// applySale persists what an entry about sale ref changes: the sale's state
// (journal.SaleState.Next), the counters and sold tickets (journal.Deltas), and the
// printing and unprinted marks.
func applySale(tx *bolt.Tx, e *journal.Entry, ref uint64, loc *time.Location) error {
	sale, st := e, journal.SaleState{}
	if e.Kind != journal.KindSale {
		var err error
		if sale, st, err = getSale(tx, ref); err != nil {
			return err
		}
	}
	next, err := st.Next(e) // a second void is journal.ErrAlreadyVoided
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	ds := journal.Deltas(e, sale, loc)
	if err := addCounters(tx, ds); err != nil {
		return err
	}
	for _, d := range ds {
		if err := addSold(tx, d.Event, d.Type, d.Tickets); err != nil {
			return err
		}
	}
	switch e.Kind {
	case journal.KindVoid, journal.KindReprint:
		err = tx.Bucket(bUnprint).Delete(boltutil.U64(ref))
	case journal.KindPrintFailed:
		if err = tx.Bucket(bPrinting).Delete(boltutil.U64(ref)); err == nil {
			err = tx.Bucket(bUnprint).Put(boltutil.U64(ref), nil)
		}
	}
	if err != nil {
		return err
	}
	return putSaleState(tx, ref, next)
}

func addSold(tx *bolt.Tx, event, typ string, n int64) error {
	b := tx.Bucket(bSold)
	k := soldKey(event, typ)
	v := int64(boltutil.GetU64(b.Get(k))) + n
	return b.Put(k, boltutil.U64(uint64(v)))
}

// addCounters adds deltas to the day counters and to the whole-period totals (the same
// key without its day, stored with day MinDay).
func addCounters(tx *bolt.Tx, ds []journal.Delta) error {
	for _, bucket := range [][]byte{bCounters, bTotals} {
		b := tx.Bucket(bucket)
		for _, d := range ds {
			if bucket[0] == bTotals[0] {
				d.Day = journal.MinDay
			}
			k := journal.AppendKey(nil, d.Key)
			t := journal.ParseTally(b.Get(k))
			t.Add(d.Tally)
			if err := b.Put(k, journal.AppendTally(nil, t)); err != nil {
				return err
			}
		}
	}
	return nil
}

// PrintDone clears the printing mark of a sale whose job has been printed or whose failure
// has been journaled.
func (s *Store) PrintDone(sale uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bPrinting).Delete(boltutil.U64(sale))
	})
}

// Interrupted returns the sales still marked as printing: their jobs were cut short by a
// crash or power cut, so their tickets may not have printed.
func (s *Store) Interrupted() ([]uint64, error) { return s.marked(bPrinting) }

// Unprinted returns the sales whose tickets did not print and that are neither reprinted
// nor voided since, oldest first.
func (s *Store) Unprinted() ([]uint64, error) { return s.marked(bUnprint) }

// marked returns the sale seqs a mark bucket holds, in order.
func (s *Store) marked(bucket []byte) ([]uint64, error) {
	var out []uint64
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, _ []byte) error {
			out = append(out, boltutil.GetU64(k))
			return nil
		})
	})
	return out, err
}

// Entry returns the journal entry seq.
func (s *Store) Entry(seq uint64) (*journal.Entry, error) {
	var raw []byte
	err := s.view(func(tx *bolt.Tx) error {
		raw = append(raw, tx.Bucket(bJournal).Get(boltutil.U64(seq))...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: entry %d", ErrNotFound, seq)
	}
	return journal.Decode(raw)
}

// Sale returns a sale entry and its state.
func (s *Store) Sale(seq uint64) (*journal.Entry, journal.SaleState, error) {
	var (
		e  *journal.Entry
		st journal.SaleState
	)
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		e, st, err = getSale(tx, seq)
		return err
	})
	return e, st, err
}

// Sold returns the tickets of a type of an event this device has sold, net of voids.
func (s *Store) Sold(event, typ string) int64 {
	var n int64
	_ = s.view(func(tx *bolt.Tx) error {
		n = int64(boltutil.GetU64(tx.Bucket(bSold).Get(soldKey(event, typ))))
		return nil
	})
	return n
}

// LastSeq returns the seq of the last entry (0 for none).
func (s *Store) LastSeq() uint64 {
	var n uint64
	_ = s.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bJournal).Sequence()
		return nil
	})
	return n
}

// Raw is one encoded journal entry.
type Raw struct {
	Seq  uint64
	Data []byte
}

// Pending returns up to max entries after seq after (use Acked() for the outbox), and up
// to maxBytes of entry data (at least one entry).
func (s *Store) Pending(after uint64, max, maxBytes int) ([]Raw, error) {
	var out []Raw
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bJournal).Cursor()
		size := 0
		for k, v := c.Seek(boltutil.U64(after + 1)); k != nil && len(out) < max; k, v = c.Next() {
			if len(out) > 0 && size+len(v) > maxBytes {
				break
			}
			size += len(v)
			out = append(out, Raw{Seq: boltutil.GetU64(k), Data: append([]byte(nil), v...)})
		}
		return nil
	})
	return out, err
}

// Acked returns the highest seq the hub has acknowledged.
func (s *Store) Acked() uint64 {
	var n uint64
	_ = s.view(func(tx *bolt.Tx) error {
		n = boltutil.GetU64(tx.Bucket(bMeta).Get(kAcked))
		return nil
	})
	return n
}

// Ack marks every entry up to upto as synced. An ack at or below the current one is
// ignored. An ack beyond the last entry is refused and changes nothing: the hub claims
// entries this device never wrote (a store that was reset, or a hub bug), and marking the
// device's real entries synced on its word could lose them.
func (s *Store) Ack(upto uint64) error {
	return s.update(func(tx *bolt.Tx) error { return ack(tx, upto) })
}

// ack is Ack in the transaction.
func ack(tx *bolt.Tx, upto uint64) error {
	meta := tx.Bucket(bMeta)
	if last := tx.Bucket(bJournal).Sequence(); upto > last {
		return fmt.Errorf("%w: ack %d beyond the last entry %d", ErrAckBeyondEnd, upto, last)
	}
	if upto <= boltutil.GetU64(meta.Get(kAcked)) {
		return nil
	}
	return meta.Put(kAcked, boltutil.U64(upto))
}

// Backlog is the outbox: entries not yet acknowledged and the wall time of the oldest.
type Backlog struct {
	Entries uint64
	Oldest  time.Time // zero when there are none
}

// Unsynced returns the outbox backlog.
func (s *Store) Unsynced() (Backlog, error) {
	var bl Backlog
	err := s.view(func(tx *bolt.Tx) error {
		acked := boltutil.GetU64(tx.Bucket(bMeta).Get(kAcked))
		last := tx.Bucket(bJournal).Sequence()
		if last <= acked {
			return nil
		}
		bl.Entries = last - acked
		raw := tx.Bucket(bJournal).Get(boltutil.U64(acked + 1))
		if raw == nil {
			return nil
		}
		var head struct {
			Time int64 `json:"ts"`
		}
		if err := json.Unmarshal(raw, &head); err == nil {
			bl.Oldest = time.UnixMilli(head.Time)
		}
		return nil
	})
	return bl, err
}

// Each calls fn for every journal entry from seq from on, in order, until fn returns false.
func (s *Store) Each(from uint64, fn func(e *journal.Entry) bool) error {
	return s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bJournal).Cursor()
		for k, v := c.Seek(boltutil.U64(from)); k != nil; k, v = c.Next() {
			e, err := journal.Decode(v)
			if err != nil {
				return fmt.Errorf("store: entry %d: %w", boltutil.GetU64(k), err)
			}
			if !fn(e) {
				return nil
			}
		}
		return nil
	})
}
