// Package journal defines the kiosk's append-only journal: entries (sale, void, reprint,
// user_created, ...), their canonical encoding and hash chain, signed ticket codes, and the
// report counters and periods computed from entries.
//
// The journal is the truth: every business fact is an entry with a per-device sequence
// number and the hash of the entry before it. Order comes from Seq, never from wall time.
package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Version is the entry format version this code writes and reads. Version 2 gave every
// sale its sale number (Sale.No); a version 1 entry is refused.
const Version = 2

// Kind is the kind of a journal entry.
type Kind string

// Entry kinds.
const (
	KindSale          Kind = "sale"           // an order: its lines and tickets
	KindVoid          Kind = "void"           // a sale cancelled; its tickets are void
	KindReprint       Kind = "reprint"        // a sale's tickets printed again as COPY n
	KindPrintFailed   Kind = "print_failed"   // a sale's tickets did not print; a reprint is owed
	KindUserCreated   Kind = "user_created"   // a supervisor created a user on the device
	KindUserDisabled  Kind = "user_disabled"  // a supervisor disabled a user it created
	KindLoginLocked   Kind = "login_locked"   // too many failed logins
	KindLoginUnlocked Kind = "login_unlocked" // a supervisor ended a lock before its time
	KindConfigApplied Kind = "config_applied" // a signed config version was applied
)

// ZeroHash is the prev hash of a device's first entry.
var ZeroHash = Hash{}

// Hash is a SHA-256 digest of an entry's canonical encoding.
type Hash [sha256.Size]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes the hash as lower-case hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes a hex hash.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 2*len(h) {
		return fmt.Errorf("journal: hash has %d hex digits, want %d", len(b), 2*len(h))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// Entry is one journal entry. Exactly one of the fact fields is set, matching Kind.
type Entry struct {
	V           int    `json:"v"`
	Device      string `json:"device"`
	Seq         uint64 `json:"seq"`
	Time        int64  `json:"ts"`           // wall clock, Unix milliseconds
	ClockSynced bool   `json:"clock_synced"` // whether the wall clock was synchronised
	Actor       string `json:"actor,omitempty"`
	Kind        Kind   `json:"kind"`
	Prev        Hash   `json:"prev"`

	Sale    *Sale     `json:"sale,omitempty"`
	Void    *Void     `json:"void,omitempty"`
	Reprint *Reprint  `json:"reprint,omitempty"`
	Print   *Print    `json:"print,omitempty"`
	User    *UserFact `json:"user,omitempty"`
	Lock    *Lock     `json:"lock,omitempty"`
	Config  *Config   `json:"config,omitempty"`
}

// Sale is an order: one event, its lines, and the tickets they yielded.
type Sale struct {
	// No is the sale number people use (printed on the ticket, typed for a reprint or a
	// void): per device, from 1, counted over sale entries only. The store assigns it in
	// the sale's transaction; it is not the entry's Seq.
	No       uint64   `json:"no"`
	Outlet   string   `json:"outlet"`
	Event    string   `json:"event"`
	Currency string   `json:"currency"`
	Delivery string   `json:"delivery"`
	Buyer    string   `json:"buyer,omitempty"` // email, for email delivery
	Lines    []Line   `json:"lines"`
	Total    int64    `json:"total"` // minor units
	Tickets  []Ticket `json:"tickets"`
}

// Line is one ticket type of an order.
type Line struct {
	Type  string `json:"type"`
	Qty   int    `json:"qty"`
	Price int64  `json:"price"` // unit price, minor units
}

// Ticket is one ticket of a sale.
type Ticket struct {
	N    int    `json:"n"` // 1..len(tickets)
	Type string `json:"type"`
	Code string `json:"code"` // signed ticket code
}

// Void cancels a sale.
type Void struct {
	Sale     uint64 `json:"sale"` // seq of the sale entry
	Approver string `json:"approver"`
	Reason   string `json:"reason,omitempty"`
}

// Reprint records a copy of a sale's tickets.
type Reprint struct {
	Sale     uint64 `json:"sale"`
	Copy     int    `json:"copy"` // 1 for the first copy
	Approver string `json:"approver"`
}

// Print records a sale whose tickets failed to print.
type Print struct {
	Sale  uint64 `json:"sale"`
	Error string `json:"error"`
}

// UserFact is a user created or disabled on the device.
type UserFact struct {
	Email        string `json:"email"`
	Code         string `json:"code,omitempty"`
	Name         string `json:"name,omitempty"`
	Role         string `json:"role,omitempty"`
	Outlet       string `json:"outlet,omitempty"`
	PasswordHash string `json:"password_hash,omitempty"`
	CreatedBy    string `json:"created_by,omitempty"`
}

// Lock records a user locked out after failed logins (login_locked), or a lock a
// supervisor ended (login_unlocked: Until is when it would have ended, Failures 0). User is
// the name the failures were counted under: the user's email, or the id typed when no user
// has it (unknown ids are counted and locked alike, so a lock tells nothing about who exists).
type Lock struct {
	User     string `json:"user"`
	Failures int    `json:"failures"`
	Until    int64  `json:"until"` // Unix milliseconds
}

// Config records an applied config version.
type Config struct {
	Version uint64 `json:"version"`
}

// Errors.
var (
	ErrMalformed = errors.New("journal: malformed entry")
	ErrChain     = errors.New("journal: broken chain")
)

// WallTime returns the entry's wall-clock time.
func (e *Entry) WallTime() time.Time { return time.UnixMilli(e.Time) }

// Encode returns the entry's canonical encoding: compact JSON with the fields in their
// declared order. The hash chain is computed over these bytes.
func (e *Entry) Encode() ([]byte, error) {
	return json.Marshal(e)
}

// Hash returns the SHA-256 of the entry's canonical encoding.
func (e *Entry) Hash() Hash {
	b, err := e.Encode()
	if err != nil {
		// Entries hold only strings, integers and booleans: encoding cannot fail.
		panic("journal: encode: " + err.Error())
	}
	return sha256.Sum256(b)
}

// Decode parses one entry and checks that its fields are consistent (Validate). Unknown
// fields are refused, so an entry always re-encodes to the bytes that were hashed.
func Decode(data []byte) (*Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}

// Validate checks that the entry is well formed: version, device, seq, and exactly the fact
// its kind needs.
func (e *Entry) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: seq %d: %s", ErrMalformed, e.Seq, fmt.Sprintf(format, args...))
	}
	if e.V != Version {
		return bad("version %d, want %d", e.V, Version)
	}
	if e.Device == "" {
		return bad("no device")
	}
	if e.Seq == 0 {
		return bad("seq 0")
	}
	facts := 0
	for _, set := range []bool{e.Sale != nil, e.Void != nil, e.Reprint != nil, e.Print != nil, e.User != nil, e.Lock != nil, e.Config != nil} {
		if set {
			facts++
		}
	}
	if facts != 1 {
		return bad("%d facts, want 1", facts)
	}
	ok := false
	switch e.Kind {
	case KindSale:
		ok = e.Sale != nil
		if ok {
			if err := e.Sale.check(); err != nil {
				return bad("%v", err)
			}
		}
	case KindVoid:
		ok = e.Void != nil && e.Void.Sale > 0 && e.Void.Sale < e.Seq
	case KindReprint:
		ok = e.Reprint != nil && e.Reprint.Sale > 0 && e.Reprint.Sale < e.Seq && e.Reprint.Copy > 0
	case KindPrintFailed:
		ok = e.Print != nil && e.Print.Sale > 0 && e.Print.Sale < e.Seq
	case KindUserCreated, KindUserDisabled:
		ok = e.User != nil && e.User.Email != ""
	case KindLoginLocked, KindLoginUnlocked:
		ok = e.Lock != nil && e.Lock.User != ""
	case KindConfigApplied:
		ok = e.Config != nil
	default:
		return bad("unknown kind %q", e.Kind)
	}
	if !ok {
		return bad("kind %s without its fact", e.Kind)
	}
	return nil
}

func (s *Sale) check() error {
	if s.No == 0 {
		return errors.New("sale without a sale number")
	}
	if s.Event == "" || len(s.Lines) == 0 {
		return errors.New("sale without event or lines")
	}
	var total int64
	n := 0
	for _, l := range s.Lines {
		if l.Qty <= 0 || l.Price < 0 || l.Type == "" {
			return fmt.Errorf("bad line %+v", l)
		}
		total += int64(l.Qty) * l.Price
		n += l.Qty
	}
	if total != s.Total {
		return fmt.Errorf("total %d, lines sum to %d", s.Total, total)
	}
	if len(s.Tickets) != n {
		return fmt.Errorf("%d tickets for %d ordered", len(s.Tickets), n)
	}
	return nil
}

// ChainError says where a chain is broken.
type ChainError struct {
	Seq    uint64 // the first bad seq
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("journal: broken chain at seq %d: %s", e.Seq, e.Reason)
}

func (e *ChainError) Unwrap() error { return ErrChain }

// Link checks that next follows prev: same device, seq one more, prev hash equal to prev's
// hash. With prev nil, next must be seq 1 with the zero prev hash.
func Link(prev, next *Entry) error {
	if prev == nil {
		return Follows(0, ZeroHash, next)
	}
	if next.Device != prev.Device {
		return &ChainError{Seq: next.Seq, Reason: fmt.Sprintf("device %q after %q", next.Device, prev.Device)}
	}
	return Follows(prev.Seq, prev.Hash(), next)
}

// Follows checks that next comes right after the entry prevSeq whose hash is prevHash
// (prevSeq 0 and the zero hash for a device's first entry). It is what a receiver that
// keeps only the last hash of each device checks.
func Follows(prevSeq uint64, prevHash Hash, next *Entry) error {
	if next.Seq != prevSeq+1 {
		return &ChainError{Seq: prevSeq + 1, Reason: fmt.Sprintf("gap: seq %d follows %d", next.Seq, prevSeq)}
	}
	if next.Prev != prevHash {
		return &ChainError{Seq: next.Seq, Reason: "prev hash does not match the entry before"}
	}
	return nil
}

// VerifyChain checks a run of entries. With prev nil the run must start at seq 1; otherwise
// it must follow prev. It returns a *ChainError naming the first bad seq.
func VerifyChain(prev *Entry, entries []Entry) error {
	for i := range entries {
		if err := entries[i].Validate(); err != nil {
			return &ChainError{Seq: entries[i].Seq, Reason: err.Error()}
		}
		if err := Link(prev, &entries[i]); err != nil {
			return err
		}
		prev = &entries[i]
	}
	return nil
}
