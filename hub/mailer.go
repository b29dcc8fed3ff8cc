package hub

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/hub/mail"
)

// Mailer sends the outbox's due emails with retries and exponential back-off.
type Mailer struct {
	Hub         *Hub
	Sender      mail.Sender
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
	for _, ml := range box {
		if ml.State != MailPending || ml.Next.After(now) {
			continue
		}
		sendErr := m.send(ml)
		err := h.update(func(tx *bolt.Tx) error {
			cur, ok, err := mails.get(tx, mailKey(ml.Device, ml.Seq))
			if err != nil || !ok {
				return err
			}
			if cur.Resends != ml.Resends && sendErr != nil {
				return nil // resent meanwhile: the new request stands
			}
			now := h.opt.Clock.Now()
			if sendErr == nil {
				cur.Delivered = cur.Deliveries() + 1
				cur.State, cur.Sent, cur.LastError = MailSent, now, ""
				sent++
			} else {
				cur.Attempts++
				cur.Failures++
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
			h.opt.Logger.Warn("email not sent", "device", ml.Device, "seq", ml.Seq, "to", ml.To, "err", sendErr)
		} else {
			h.opt.Logger.Info("email sent", "device", ml.Device, "seq", ml.Seq, "to", ml.To)
		}
	}
	return sent, failed, nil
}

func (m *Mailer) send(ml Mail) error {
	h := m.Hub
	s := ml.Sale.Sale
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
	msg, err := mail.Compose(mail.TicketMail{Outlet: o, Event: ev, Sale: ml.Sale, TicketURL: url, Resend: ml.Resends}, m.From, h.opt.Clock.Now())
	if err != nil {
		return err
	}
	return m.Sender.Send(ml.To, msg)
}

// Run sends due emails until ctx ends, looking every Poll and whenever wake receives.
func (m *Mailer) Run(ctx context.Context, wake <-chan struct{}) error {
	m.defaults()
	t, ticks := m.Hub.opt.Clock.NewTicker(m.Poll)
	defer t.Stop()
	for {
		if _, _, err := m.SendDue(); err != nil {
			m.Hub.opt.Logger.Error("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
		case <-wake:
		}
	}
}
