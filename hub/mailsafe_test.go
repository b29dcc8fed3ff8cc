package hub

import (
	"context"
	"errors"
	"mime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/hub/mail"
	"ticketkiosk/hub/mail/mailtest"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
)

// openHub is a hub directory with clk as its clock (nil: the real one, or a synctest
// bubble's).
func openHub(t testing.TB, clk clock.Clock) *Hub {
	t.Helper()
	dir := t.TempDir()
	opt := Options{Clock: clk, Logger: quiet, NoSync: true}
	_, err := Init(dir, opt)
	must(t, err)
	h, err := Open(dir, opt)
	must(t, err)
	return h
}

// mailCatalog gives h an email outlet named outlet, ev linked to it, and the device id.
func mailCatalog(t testing.TB, h *Hub, outlet string, ev catalog.Event, id string) *device {
	t.Helper()
	must(t, h.SaveOutlet(catalog.Outlet{ID: "web", Name: outlet, Delivery: catalog.DeliveryEmail, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "UTC"}, true))
	must(t, h.SaveEvent(ev, true))
	must(t, h.SaveLink(catalog.Link{Outlet: "web", Event: ev.ID}))
	k := newDevice(t, id)
	must(t, h.AddDevice(catalog.Device{ID: k.id, Outlet: "web", PublicKey: k.pub}))
	return k
}

// mimeHeaders are the header fields the hub's emails have, at top level and in parts.
var mimeHeaders = map[string]bool{
	"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true, "Content-Id": true, "Content-Disposition": true,
}

// checkHeaders fails t when any header of the raw message, at top level or in a MIME part,
// is one the hub does not write, or has a value (decoded) with a control character, or an
// address naming the attacker.
func checkHeaders(t *testing.T, raw []byte) {
	t.Helper()
	hs := mailtest.Headers(t, raw)
	if len(hs) < 4 {
		t.Fatalf("%d headers: not the ticket email", len(hs))
	}
	for i, h := range hs {
		for k, vs := range h {
			if !mimeHeaders[k] {
				t.Errorf("part %d: injected header %s: %q", i, k, vs)
			}
			for _, v := range vs {
				dec, err := new(mime.WordDecoder).DecodeHeader(v)
				if err != nil {
					t.Errorf("part %d: %s: %q: %v", i, k, v, err)
				}
				if strings.ContainsAny(dec, "\r\n\x00") || ((k == "From" || k == "To") && strings.Contains(dec, "attacker")) {
					t.Errorf("part %d: %s: %q carries the attack", i, k, dec)
				}
			}
		}
	}
}

// TestMailInjection mounts the header injections for real: an outlet name, an event title,
// a device id and the device field of the ticket codes carrying "\r\nBcc:" and
// "\r\nReply-To:" (the device id and code as a forged journal would, past the topic's
// check), through the outbox and the mailer to the in-process relay. The relay's DATA,
// parsed with net/mail and mime/multipart, has no header the hub does not write, at top
// level or in any part, and the relay was given the buyer only. A buyer address carrying
// them is never queued, and Compose refuses it (ErrBadAddress).
func TestMailInjection(t *testing.T) {
	srv := mailtest.Start(t)
	h, clk := newHub(t)
	inject := "\r\nBcc: attacker@x\r\nReply-To: attacker@x"
	ev := concert
	ev.Title = "Concert" + inject
	ev.Venue = "Hall" + inject
	k := mailCatalog(t, h, "Shop"+inject, ev, "k1")
	l := openLedger(t, h)
	forged := newDevice(t, "k2"+inject) // as the ledger would hold it without the topic check
	forged.pub, forged.priv = k.pub, k.priv
	sale := k.sale(t, "web", "email", "buyer@example.org", clk.Now(), "anna@example.org", ev, map[string]int{"std": 1, "vip": 1})
	fsale := forged.sale(t, "web", "email", "buyer2@example.org", clk.Now(), "anna@example.org", ev, map[string]int{"std": 1})
	ingest(t, l, k, sale)
	ingest(t, l, forged, fsale)
	bad := k.sale(t, "web", "email", "c@example.org"+inject, clk.Now(), "anna@example.org", ev, map[string]int{"std": 1})
	ingest(t, l, k, bad)
	res, err := h.Collect(l, 0)
	must(t, err)
	if res.Queued != 2 || len(res.Problems) != 1 {
		t.Fatalf("collect: %+v", res)
	}
	m := &Mailer{Hub: h, Sender: srv.Client(mailtest.User, mailtest.Password), From: mailtest.From}
	if sent, failed, err := m.SendDue(); err != nil || sent != 2 || failed != 0 {
		t.Fatalf("sent %d, failed %d, %v", sent, failed, err)
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages at the relay", len(msgs))
	}
	for i, want := range []string{"buyer@example.org", "buyer2@example.org"} {
		if msgs[i].To != want {
			t.Errorf("message %d to %q, want %q only", i, msgs[i].To, want)
		}
		checkHeaders(t, msgs[i].Data)
	}
	pm := mailtest.Parse(t, msgs[1].Data)
	if got := pm.Header.Get("Message-ID"); got != "<sale-k2__Bcc__attacker_x__Reply-To__attacker_x-1-0@organiser.test>" {
		t.Errorf("Message-ID %q", got)
	}
	if !strings.HasPrefix(pm.Subject, "Your ticket: Concert  Bcc: attacker@x") {
		t.Errorf("subject %q: the title, its line breaks as spaces", pm.Subject)
	}

	// The buyer address is checked again where the header is written.
	bad.Sale.Buyer = "c@example.org\r\nBcc: attacker@x"
	if _, err := mail.Compose(mail.TicketMail{Outlet: catalog.Outlet{Locale: "en"}, Event: ev, Sale: bad}, mailtest.From, clk.Now()); !errors.Is(err, mail.ErrBadAddress) {
		t.Fatalf("Compose of an injected buyer: %v", err)
	}
}

// TestMailBadAddressPermanent: an email whose address does not parse is failed at the
// first attempt, with the reason, not retried for the horizon.
func TestMailBadAddressPermanent(t *testing.T) {
	srv := mailtest.Start(t)
	h, clk := newHub(t)
	k := mailCatalog(t, h, "Shop", concert, "k1")
	l := openLedger(t, h)
	ingest(t, l, k, k.sale(t, "web", "email", "buyer@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"std": 1}))
	_, err := h.Collect(l, 0)
	must(t, err)
	m := &Mailer{Hub: h, Sender: srv.Client(mailtest.User, mailtest.Password), From: "not an address"}
	if _, failed, err := m.SendDue(); err != nil || failed != 1 {
		t.Fatalf("failed %d, %v", failed, err)
	}
	box, err := h.Outbox()
	must(t, err)
	if box[0].State != MailFailed || box[0].Attempts != 1 || !strings.HasPrefix(box[0].LastError, "permanent: ") {
		t.Fatalf("%s after %d attempts: %s", box[0].State, box[0].Attempts, box[0].LastError)
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("sent")
	}
}

// TestMailRejectedNotMailed: with serve's validation, an email sale the ingest rejects
// (price 0) is stored but never reaches the outbox or the relay; the honest one does.
func TestMailRejectedNotMailed(t *testing.T) {
	srv := mailtest.Start(t)
	h, clk := newHub(t)
	k := mailCatalog(t, h, "Shop", concert, "k1")
	if _, err := h.SignConfigs("", false); err != nil {
		t.Fatal(err)
	}
	l := validatingLedger(t, h)
	good := k.sale(t, "web", "email", "buyer@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"vip": 1})
	free := k.sale(t, "web", "email", "attacker@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"vip": 1})
	free.Sale.Lines[0].Price, free.Sale.Total = 0, 0
	rechain(k, free)
	r, err := l.IngestBatch("k1", []*journal.Entry{good, free})
	must(t, err)
	if r.Stored != 2 || r.Rejected != 1 {
		t.Fatalf("ingest: %+v", r)
	}
	res, err := h.Collect(l, 0)
	must(t, err)
	if res.Queued != 1 {
		t.Fatalf("collect: %+v", res)
	}
	box, err := h.Outbox()
	must(t, err)
	if len(box) != 1 || box[0].To != "buyer@example.org" {
		t.Fatalf("outbox: %+v", box)
	}
	m := &Mailer{Hub: h, Sender: srv.Client(mailtest.User, mailtest.Password), From: mailtest.From}
	if sent, _, err := m.SendDue(); err != nil || sent != 1 {
		t.Fatalf("sent %d, %v", sent, err)
	}
	for _, msg := range srv.Messages() {
		if msg.To != "buyer@example.org" {
			t.Errorf("mailed %s", msg.To)
		}
	}
}

// downRelay is a relay that is down: it records when it was tried.
type downRelay struct {
	mu    sync.Mutex
	tries []time.Time
}

func (r *downRelay) Send(string, []byte) error {
	r.mu.Lock()
	r.tries = append(r.tries, time.Now())
	r.mu.Unlock()
	return errors.New("dial tcp: connection refused")
}

// TestMailRetrySchedule runs the Mailer for 73 hours of a synctest bubble against a relay
// that is down: attempts at 0, 10 s, 30 s, 70 s… (the back-off doubling), never more than
// the hour's cap apart and every hour once capped, the last exactly at the 72 h horizon,
// then failed with the reason in status, and nothing tried after.
func TestMailRetrySchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := openHub(t, nil)
		k := mailCatalog(t, h, "Shop", concert, "k1")
		l := openLedger(t, h)
		start := time.Now()
		ingest(t, l, k, k.sale(t, "web", "email", "buyer@example.org", start, "anna@example.org", concert, map[string]int{"std": 1}))
		_, err := h.Collect(l, 0)
		must(t, err)
		relay := &downRelay{}
		m := &Mailer{Hub: h, Sender: relay, From: mailtest.From, Poll: 10 * time.Second} // Backoff, MaxBackoff, Horizon: the defaults
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- m.Run(ctx, nil) }()
		time.Sleep(73 * time.Hour)
		cancel()
		must(t, <-done)

		var at []time.Duration
		for _, tr := range relay.tries {
			at = append(at, tr.Sub(start))
		}
		s := time.Second
		for i, want := range []time.Duration{0, 10 * s, 30 * s, 70 * s, 150 * s, 310 * s, 630 * s, 1270 * s, 2550 * s, 5110 * s, 5110*s + time.Hour} {
			if i >= len(at) || at[i] != want {
				t.Fatalf("attempt %d at %v, want %v (attempts %v)", i, at[min(i, len(at)-1)], want, at)
			}
		}
		for i := 10; i < len(at)-1; i++ {
			if at[i]-at[i-1] != time.Hour {
				t.Fatalf("attempt %d %v after the one before, want the 1h cap", i, at[i]-at[i-1])
			}
		}
		if last := at[len(at)-1]; last != DefaultMailHorizon {
			t.Fatalf("last attempt at %v, want at the horizon %v", last, DefaultMailHorizon)
		}
		if n := len(at); n != 81 { // 10 doubling, 70 an hour apart, the last at 72 h
			t.Errorf("%d attempts, want 81", n)
		}
		st, err := localQuery{h: h, l: l}.Status()
		must(t, err)
		if len(st.Mail.Problems) != 1 || st.Mail.Problems[0].State != MailFailed ||
			st.Mail.Problems[0].LastError != "given up after 72h0m0s of retries: dial tcp: connection refused" {
			t.Fatalf("status: %+v", st.Mail.Problems)
		}
	})
}

// TestMailRelayReturns: the real relay goes down with an email queued; the mailer's
// attempts fail; the relay comes back and the email is delivered by the running mailer,
// without resend.
func TestMailRelayReturns(t *testing.T) {
	srv := mailtest.Start(t)
	srv.Down()
	h := openHub(t, nil)
	k := mailCatalog(t, h, "Shop", concert, "k1")
	l := openLedger(t, h)
	ingest(t, l, k, k.sale(t, "web", "email", "buyer@example.org", time.Now(), "anna@example.org", concert, map[string]int{"std": 1}))
	_, err := h.Collect(l, 0)
	must(t, err)
	m := &Mailer{Hub: h, Sender: srv.Client(mailtest.User, mailtest.Password), From: mailtest.From,
		Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Poll: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- m.Run(ctx, nil) }()
	defer func() { cancel(); must(t, <-done) }()
	await := func(what string, ok func(Mail) bool) Mail {
		t.Helper()
		for end := time.Now().Add(20 * time.Second); ; {
			box, err := h.Outbox()
			must(t, err)
			if ok(box[0]) {
				return box[0]
			}
			if time.Now().After(end) {
				t.Fatalf("%s: %+v", what, box[0])
			}
			time.Sleep(5 * time.Millisecond) // polling a deadline, not synchronising
		}
	}
	await("3 failed attempts", func(m Mail) bool { return m.Failures >= 3 })
	if len(srv.Messages()) != 0 {
		t.Fatal("delivered while down")
	}
	srv.Up(t)
	got := await("delivered after the relay returned", func(m Mail) bool { return m.State == MailSent })
	if got.Resends != 0 {
		t.Fatalf("resent: %+v", got)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].To != "buyer@example.org" {
		t.Fatalf("relay has %+v", msgs)
	}
}
