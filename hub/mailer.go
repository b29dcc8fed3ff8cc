package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/hub/mail"
)

// DefaultMailHorizon is how long the Mailer retries an email by default: 72 hours, a long
// weekend of a relay down, after which it needs `kioskctl resend`.
const DefaultMailHorizon = 72 * time.Hour

// Mailer sends the outbox's due emails with retries and exponential back-off.
type Mailer struct {
	Hub        *Hub
	Sender     mail.Sender
	From       string
	Backoff    time.Duration // first retry after this; doubles each time; default 10s
	MaxBackoff time.Duration // the back-off's cap; default 1h
	// Horizon is how long after an email was queued (or resent) it is retried; the last
	// attempt is at the horizon, then the email is failed with the reason. Default
	// DefaultMailHorizon. An address that cannot be parsed fails at once.
	Horizon time.Duration
	Poll    time.Duration // how often Run looks for due emails; default 2s
}

func (m *Mailer) defaults() {
	if m.Backoff <= 0 {
		m.Backoff = 10 * time.Second
	}
	if m.MaxBackoff <= 0 {
		m.MaxBackoff = time.Hour
	}
	if m.Horizon <= 0 {
		m.Horizon = DefaultMailHorizon
	}
	if m.Poll <= 0 {
		m.Poll = 2 * time.Second
	}
}

// SendDue sends every pending email whose time has come, and records each outcome. An
// email the relay accepted is marked sent; a refused one is retried after the back-off
// (doubling from Backoff up to MaxBackoff) until Horizon has passed since it was queued or
// resent, then failed; one whose address does not parse is failed at once. A crash between the relay's acceptance and the mark sends it
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
				end := cur.retrySince().Add(m.Horizon)
				switch {
				case errors.Is(sendErr, mail.ErrBadAddress):
					cur.State = MailFailed
					cur.LastError = "permanent: " + cur.LastError
				case !now.Before(end):
					cur.State = MailFailed
					cur.LastError = fmt.Sprintf("given up after %s of retries: %s", m.Horizon, cur.LastError)
				default:
					cur.Next = now.Add(m.backoff(cur.Attempts))
					if cur.Next.After(end) {
						cur.Next = end // the last attempt is at the horizon
					}
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

// backoff returns the wait after the n-th failed attempt: Backoff doubled n-1 times, at
// most MaxBackoff.
func (m *Mailer) backoff(n int) time.Duration {
	d := m.Backoff << min(n-1, 30)
	if d > m.MaxBackoff || d <= 0 {
		d = m.MaxBackoff
	}
	return d
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
