package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// MailState is where an email of tickets is.
type MailState string

// Mail states.
const (
	MailPending   MailState = "pending"   // to be sent (again) at Next
	MailSent      MailState = "sent"      // the relay accepted it
	MailFailed    MailState = "failed"    // gave up after MaxAttempts; `kioskctl resend` retries
	MailCancelled MailState = "cancelled" // the sale was voided before it was sent
)

// Mail is one email of tickets in the durable outbox, keyed by the sale's device and seq.
type Mail struct {
	Device    string         `json:"device"`
	Seq       uint64         `json:"seq"`
	To        string         `json:"to"`
	Sale      *journal.Entry `json:"sale"`
	State     MailState      `json:"state"`
	Attempts  int            `json:"attempts"` // failed attempts since queued or resent
	Next      time.Time      `json:"next"`     // when to try next (pending)
	LastError string         `json:"last_error,omitempty"`
	Queued    time.Time      `json:"queued"`
	Sent      time.Time      `json:"sent,omitzero"`
	Resends   int            `json:"resends,omitempty"`
}

func mailKey(device string, seq uint64) string {
	return device + "\x00" + string(boltutil.U64(seq))
}

var kFeed = []byte("feed") // ledger feed position handled by Collect

// CollectResult says what one Collect did.
type CollectResult struct {
	Entries   int      // ledger entries read
	Queued    int      // emails queued
	Users     int      // users created on devices that entered the catalogue
	Disabled  int      // users disabled on devices
	Cancelled int      // queued emails cancelled by a void
	Problems  []string // entries that could not take effect (logged, not retried)
}

// Collect acts once on every ledger entry stored since the last call, in ledger order, up
// to max entries: a sale of an email outlet queues its email, a void cancels a queued email
// not yet sent, a user created on a device enters the catalogue (and the outlet's next
// config), a user disabled on a device is disabled. The feed position is kept in the same
// transaction as these effects, so a restart neither loses nor repeats one.
func (h *Hub) Collect(l *ledger.Ledger, max int) (CollectResult, error) {
	var res CollectResult
	if max <= 0 {
		max = 1000
	}
	pos, err := h.feedPos()
	if err != nil {
		return res, err
	}
	type item struct {
		pos uint64
		e   *journal.Entry
	}
	var items []item
	err = l.Feed(pos, func(p uint64, _ string, e *journal.Entry) bool {
		items = append(items, item{p, e})
		return len(items) < max
	})
	if err != nil {
		return res, fmt.Errorf("hub: collect: %w", err)
	}
	if len(items) == 0 {
		return res, nil
	}
	now := h.opt.Clock.Now()
	err = h.update(func(tx *bolt.Tx) error {
		res = CollectResult{Entries: len(items)}
		for _, it := range items {
			if err := h.collectOne(tx, it.e, now, &res); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(kFeed, boltutil.U64(items[len(items)-1].pos))
	})
	for _, p := range res.Problems {
		h.opt.Logger.Warn("journal entry without effect at the hub", "problem", p)
	}
	return res, err
}

func (h *Hub) feedPos() (uint64, error) {
	var pos uint64
	err := h.view(func(tx *bolt.Tx) error {
		pos = boltutil.GetU64(tx.Bucket(bMeta).Get(kFeed))
		return nil
	})
	return pos, err
}

func (h *Hub) collectOne(tx *bolt.Tx, e *journal.Entry, now time.Time, res *CollectResult) error {
	where := fmt.Sprintf("%s seq %d", e.Device, e.Seq)
	switch e.Kind {
	case journal.KindSale:
		if e.Sale.Delivery != string(catalog.DeliveryEmail) {
			return nil
		}
		if err := catalog.ValidEmail(e.Sale.Buyer); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: email sale without a valid buyer address: %v", where, err))
			return nil
		}
		if mails.has(tx, mailKey(e.Device, e.Seq)) {
			return nil
		}
		res.Queued++
		return putMail(tx, Mail{Device: e.Device, Seq: e.Seq, To: e.Sale.Buyer, Sale: e, State: MailPending, Next: now, Queued: now})
	case journal.KindVoid:
		m, ok, err := mails.get(tx, mailKey(e.Device, e.Void.Sale))
		if err != nil || !ok || m.State == MailSent {
			return err
		}
		m.State = MailCancelled
		res.Cancelled++
		return putMail(tx, m)
	case journal.KindUserCreated:
		f := e.User
		u := catalog.User{Email: f.Email, Code: f.Code, Name: f.Name, Role: catalog.Role(f.Role), Outlet: f.Outlet,
			PasswordHash: f.PasswordHash, CreatedBy: f.CreatedBy}
		if u.CreatedBy == "" {
			u.CreatedBy = e.Actor
		}
		if old, ok, err := users.get(tx, u.Email); err != nil {
			return err
		} else if ok {
			if old.Outlet != u.Outlet {
				res.Problems = append(res.Problems, fmt.Sprintf("%s: user %s created on a device of %s belongs to %s", where, u.Email, u.Outlet, old.Outlet))
			}
			return nil
		}
		if d, ok, err := devices.get(tx, e.Device); err != nil {
			return err
		} else if !ok || d.Outlet != u.Outlet {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: user %s of outlet %s created on a device of another outlet", where, u.Email, u.Outlet))
			return nil
		}
		if ps := u.Validate(); len(ps) > 0 {
			res.Problems = append(res.Problems, where+": "+ps.Error())
			return nil
		}
		if err := addUser(tx, u); err != nil {
			if errors.Is(err, ErrInvalid) {
				res.Problems = append(res.Problems, where+": "+err.Error())
				return nil
			}
			return err
		}
		res.Users++
	case journal.KindUserDisabled:
		u, ok, err := users.get(tx, e.User.Email)
		if err != nil || !ok || u.Disabled {
			return err
		}
		if d, ok, err := devices.get(tx, e.Device); err != nil {
			return err
		} else if !ok || d.Outlet != u.Outlet {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: user %s of outlet %s disabled on a device of another outlet", where, u.Email, u.Outlet))
			return nil
		}
		if err := disableUser(tx, u); err != nil {
			return err
		}
		res.Disabled++
	}
	return nil
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
		m.State, m.Attempts, m.Next, m.LastError = MailPending, 0, h.opt.Clock.Now(), ""
		m.Resends++
		return putMail(tx, m)
	})
	return m, err
}

// Sender sends one email (SMTP.Send).
type Sender interface {
	Send(to string, msg []byte) error
}

var _ Sender = SMTP{}

// Mailer sends the outbox's due emails with retries and exponential back-off.
type Mailer struct {
	Hub         *Hub
	Sender      Sender
	From        string
	Backoff     time.Duration // first retry after this; doubles each time; default 10s
	MaxBackoff  time.Duration // default 1h
	MaxAttempts int           // then the email is failed; default 12
	Poll        time.Duration // how often Run looks for due emails; default 2s
}

func (m *Mailer) defaults() {
	if m.Backoff <= 0 {
		m.Backoff = 10 * time.Second
	}
	if m.MaxBackoff <= 0 {
		m.MaxBackoff = time.Hour
	}
	if m.MaxAttempts <= 0 {
		m.MaxAttempts = 12
	}
	if m.Poll <= 0 {
		m.Poll = 2 * time.Second
	}
}

// SendDue sends every pending email whose time has come, and records each outcome. An
// email the relay accepted is marked sent; a refused one is retried after the back-off, and
// failed after MaxAttempts. A crash between the relay's acceptance and the mark sends it
// again after the restart, with the same Message-ID (so mail clients show it once).
func (m *Mailer) SendDue() (sent, failed int, err error) {
	m.defaults()
	h := m.Hub
	now := h.opt.Clock.Now()
	box, err := h.pending()
	if err != nil {
		return 0, 0, err
	}
	for _, mail := range box {
		if mail.State != MailPending || mail.Next.After(now) {
			continue
		}
		sendErr := m.send(mail)
		err := h.update(func(tx *bolt.Tx) error {
			cur, ok, err := mails.get(tx, mailKey(mail.Device, mail.Seq))
			if err != nil || !ok {
				return err
			}
			if cur.Resends != mail.Resends && sendErr != nil {
				return nil // resent meanwhile: the new request stands
			}
			now := h.opt.Clock.Now()
			if sendErr == nil {
				cur.State, cur.Sent, cur.LastError = MailSent, now, ""
				sent++
			} else {
				cur.Attempts++
				cur.LastError = sendErr.Error()
				d := m.Backoff << min(cur.Attempts-1, 30)
				if d > m.MaxBackoff || d <= 0 {
					d = m.MaxBackoff
				}
				cur.Next = now.Add(d)
				if cur.Attempts >= m.MaxAttempts {
					cur.State = MailFailed
				}
				failed++
			}
			return putMail(tx, cur)
		})
		if err != nil {
			return sent, failed, err
		}
		if sendErr != nil {
			h.opt.Logger.Warn("email not sent", "device", mail.Device, "seq", mail.Seq, "to", mail.To, "err", sendErr)
		} else {
			h.opt.Logger.Info("email sent", "device", mail.Device, "seq", mail.Seq, "to", mail.To)
		}
	}
	return sent, failed, nil
}

func (m *Mailer) send(mail Mail) error {
	h := m.Hub
	s := mail.Sale.Sale
	o, err := h.Outlet(s.Outlet)
	if err != nil {
		return err
	}
	ev, err := h.Event(s.Event)
	if err != nil {
		return err
	}
	url, err := h.Setting(SettingTicketURL)
	if err != nil {
		return err
	}
	msg, err := Compose(TicketMail{Outlet: o, Event: ev, Sale: mail.Sale, TicketURL: url, Resend: mail.Resends}, m.From, h.opt.Clock.Now())
	if err != nil {
		return err
	}
	return m.Sender.Send(mail.To, msg)
}

// Run sends due emails until ctx ends, looking every Poll and whenever wake receives.
func (m *Mailer) Run(ctx context.Context, wake <-chan struct{}) error {
	m.defaults()
	t := time.NewTicker(m.Poll)
	defer t.Stop()
	for {
		if _, _, err := m.SendDue(); err != nil {
			m.Hub.opt.Logger.Error("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-wake:
		}
	}
}
