package ledger

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
)

// Errors of CheckIn.
var (
	// ErrUsed: the ticket was checked in before; CheckIn returns when and where.
	ErrUsed = errors.New("ledger: ticket already used")
	// ErrVoided: the ticket's sale was voided; it is not checked in.
	ErrVoided = errors.New("ledger: sale voided")
)

// bCheckins holds tickets used at a gate: device NUL sale seq (8 bytes) ticket n (4 bytes) →
// CheckIn JSON. It is made by the first check-in, so a ledger without one keeps its format.
var bCheckins = []byte("checkins")

// Ticket names one ticket: ticket N of a device's sale.
type Ticket struct {
	Device string
	Sale   uint64
	N      int
}

func (t Ticket) key() []byte {
	k := append([]byte(t.Device), 0)
	k = append(k, boltutil.U64(t.Sale)...)
	return binary.BigEndian.AppendUint32(k, uint32(t.N))
}

// CheckIn is a ticket's use at a gate.
type CheckIn struct {
	Time time.Time `json:"time"`
	Gate string    `json:"gate"`
}

type checkinRecord struct {
	Time int64  `json:"t"` // Unix milliseconds
	Gate string `json:"gate"`
}

// CheckIn marks a ticket used at gate, at, in one transaction with the sale's state (so a
// void ingested at the same time is either before it or after it), committed with fsync
// like an ingest. The sale must be stored and not voided, and hold ticket N: otherwise
// ErrNotFound, ErrNotASale or ErrVoided, and nothing is written. A ticket checked in
// before gives ErrUsed with the first check-in, which stays as it was.
func (l *Ledger) CheckIn(t Ticket, gate string, at time.Time) (CheckIn, error) {
	var out CheckIn
	err := l.update(func(tx *bolt.Tx) error {
		d := tx.Bucket(bDevices).Bucket([]byte(t.Device))
		if d == nil {
			return fmt.Errorf("%w: device %s", ErrNotFound, t.Device)
		}
		sale, st, err := readSale(d, t.Sale)
		if err != nil {
			return err
		}
		if t.N < 1 || sale.Sale == nil || t.N > len(sale.Sale.Tickets) {
			return fmt.Errorf("%w: sale %d has no ticket %d", ErrNotFound, t.Sale, t.N)
		}
		if st.Voided {
			return fmt.Errorf("%w: entry %d", ErrVoided, st.VoidedBy)
		}
		if c, ok, err := getCheckIn(tx, t); err != nil || ok {
			out = c
			if err == nil {
				err = ErrUsed
			}
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bCheckins)
		if err != nil {
			return err
		}
		rec, _ := json.Marshal(checkinRecord{Time: at.UnixMilli(), Gate: gate})
		out = CheckIn{Time: time.UnixMilli(at.UnixMilli()), Gate: gate}
		return b.Put(t.key(), rec)
	})
	if err != nil && !errors.Is(err, ErrUsed) {
		return CheckIn{}, err
	}
	return out, err
}

// CheckedIn returns a ticket's check-in, and false when it was not checked in.
func (l *Ledger) CheckedIn(t Ticket) (CheckIn, bool, error) {
	var (
		c  CheckIn
		ok bool
	)
	err := l.view(func(tx *bolt.Tx) error {
		var err error
		c, ok, err = getCheckIn(tx, t)
		return err
	})
	return c, ok, err
}

func getCheckIn(tx *bolt.Tx, t Ticket) (CheckIn, bool, error) {
	b := tx.Bucket(bCheckins)
	if b == nil {
		return CheckIn{}, false, nil
	}
	v := b.Get(t.key())
	if v == nil {
		return CheckIn{}, false, nil
	}
	var r checkinRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return CheckIn{}, false, fmt.Errorf("ledger: check-in of %s sale %d ticket %d: %w", t.Device, t.Sale, t.N, err)
	}
	return CheckIn{Time: time.UnixMilli(r.Time), Gate: r.Gate}, true, nil
}

// TicketOf names the ticket a code's facts describe.
func TicketOf(f journal.TicketFacts) Ticket { return Ticket{f.Device, f.Sale, f.N} }
