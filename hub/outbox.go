package hub

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
)

// MailState is where an email of tickets is.
type MailState string

// Mail states.
const (
	MailPending   MailState = "pending"   // to be sent (again) at Next
	MailSent      MailState = "sent"      // the relay accepted it
	MailFailed    MailState = "failed"    // gave up after the Mailer's horizon, or a bad address; `kioskctl resend` retries
	MailCancelled MailState = "cancelled" // the sale was voided before it was sent
)

// Mail is one email of tickets in the durable outbox, keyed by the sale's device and seq.
type Mail struct {
	Device    string         `json:"device"`
	Seq       uint64         `json:"seq"`
	To        string         `json:"to"`
	Sale      *journal.Entry `json:"sale"`
	State     MailState      `json:"state"`
	Attempts  int            `json:"attempts"` // failed attempts since queued or resent (the back-off's count)
	Next      time.Time      `json:"next"`     // when to try next (pending)
	LastError string         `json:"last_error,omitempty"`
	Queued    time.Time      `json:"queued"`
	Sent      time.Time      `json:"sent,omitzero"`
	Resends   int            `json:"resends,omitempty"`
	// Resent is when the last resend queued it again; the retry horizon counts from it (from
	// Queued before any resend).
	Resent time.Time `json:"resent,omitzero"`
	// Delivered counts the sendings the relay accepted: a resent mail that went out again
	// counts twice. Failures counts every refused attempt, across resends.
	Delivered int `json:"delivered,omitempty"`
	Failures  int `json:"failures,omitempty"`
}

// retrySince returns when the current round of attempts began: the last resend, or the
// queueing.
func (m Mail) retrySince() time.Time {
	if !m.Resent.IsZero() {
		return m.Resent
	}
	return m.Queued
}

// Deliveries returns how many times the relay accepted the mail. A mail of an outbox from
// before the count was kept says 1 if it was ever sent.
func (m Mail) Deliveries() int {
	if m.Delivered == 0 && !m.Sent.IsZero() {
		return 1
	}
	return m.Delivered
}

func mailKey(device string, seq uint64) string {
	return device + "\x00" + string(boltutil.U64(seq))
}

// putMail stores a mail and keeps the index of pending mails, so that the mailer reads
// only those.
func putMail(tx *bolt.Tx, m Mail) error {
	k := mailKey(m.Device, m.Seq)
	if err := mails.put(tx, k, m); err != nil {
		return err
	}
	if m.State == MailPending {
		return tx.Bucket(bPending).Put([]byte(k), nil)
	}
	return tx.Bucket(bPending).Delete([]byte(k))
}

// pending returns the outbox's pending mails.
func (h *Hub) pending() ([]Mail, error) {
	var out []Mail
	err := h.view(func(tx *bolt.Tx) error {
		pb := tx.Bucket(bPending)
		if pb == nil {
			return nil // a store from before the index: nothing was queued with it
		}
		return pb.ForEach(func(k, _ []byte) error {
			m, ok, err := mails.get(tx, string(k))
			if ok {
				out = append(out, m)
			}
			return err
		})
	})
	return out, err
}

// Outbox returns every email of the outbox, by device and seq.
func (h *Hub) Outbox() ([]Mail, error) {
	return mails.list(h, "", nil)
}

// SaleRef names a sale: its device and seq.
type SaleRef struct {
	Device string
	Seq    uint64
}

// ParseSale reads a sale reference and returns what it can mean, most likely first:
// DEVICE:SEQ; one of the sale's ticket codes; DEVICE-SEQ; or a printed short code
// DEVICE-SEQ-N (device ids may hold '-', so "k-2-15" is tried as k sale 2 and as k-2 sale
// 15). Device ids are tried as given and in lower case, as short codes are upper case.
func ParseSale(ref string) ([]SaleRef, error) {
	ref = strings.TrimSpace(ref)
	var out []SaleRef
	add := func(d, s string) {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 || d == "" {
			return
		}
		out = append(out, SaleRef{d, n})
		if l := strings.ToLower(d); l != d {
			out = append(out, SaleRef{l, n})
		}
	}
	if d, s, ok := strings.Cut(ref, ":"); ok {
		add(d, s)
	} else if f, _, _, err := journal.ParseCode(ref); err == nil && len(ref) > 40 {
		out = append(out, SaleRef{f.Device, f.Sale})
	} else if parts := strings.Split(ref, "-"); len(parts) >= 2 {
		last := len(parts) - 1
		if _, err := strconv.Atoi(parts[last]); err == nil && len(parts) >= 3 {
			add(strings.Join(parts[:last-1], "-"), parts[last-1])
		}
		add(strings.Join(parts[:last], "-"), parts[last])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: sale %q: want DEVICE-SEQ, DEVICE:SEQ, a printed DEVICE-SEQ-N or a ticket code", ErrInvalid, ref)
	}
	return out, nil
}

// Resend queues a sale's email again, now, whatever its state (sent, failed, cancelled).
// It takes the first of refs that has an email.
func (h *Hub) Resend(refs ...SaleRef) (Mail, error) {
	var m Mail
	err := h.update(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		for _, r := range refs {
			if m, ok, err = mails.get(tx, mailKey(r.Device, r.Seq)); err != nil || ok {
				break
			}
		}
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: no email of that sale (not an email delivery, or not at the hub yet)", ErrNoEmailSales)
		}
		now := h.opt.Clock.Now()
		m.State, m.Attempts, m.Next, m.Resent, m.LastError = MailPending, 0, now, now, ""
		m.Resends++
		return putMail(tx, m)
	})
	return m, err
}
