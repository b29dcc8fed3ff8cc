package hub

import (
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/hub/mail"
	"ticketkiosk/hub/mail/mailtest"
	"ticketkiosk/journal"
	"ticketkiosk/testkit"
)

// emailHub is a hub with an email outlet, the concert linked, one device, and its ledger.
func emailHub(t *testing.T, locale catalog.Locale) (*Hub, *fakeClock, *device) {
	t.Helper()
	h, clk := newHub(t)
	must(t, h.SaveOutlet(catalog.Outlet{ID: "web", Name: "Бензиностанция 7", Delivery: catalog.DeliveryEmail, Locale: locale, Currency: "EUR", TimeZone: "Europe/Sofia"}, true))
	must(t, h.SaveEvent(concert, true))
	must(t, h.SaveLink(catalog.Link{Outlet: "web", Event: "concert"}))
	k := newDevice(t, "k1")
	must(t, h.AddDevice(catalog.Device{ID: k.id, Outlet: "web", PublicKey: k.pub}))
	return h, clk, k
}

func TestEmailDelivery(t *testing.T) {
	srv := mailtest.Start(t)
	h, clk, k := emailHub(t, catalog.LocaleBG)
	l := openLedger(t, h)
	sale := k.sale(t, "web", "email", "buyer@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"std": 1, "vip": 1})
	printed := k.sale(t, "web", "print", "", clk.Now(), "anna@example.org", concert, map[string]int{"std": 1})
	ingest(t, l, k, sale, printed)

	res, err := h.Collect(l, 0)
	must(t, err)
	if res.Entries != 2 || res.Queued != 1 {
		t.Fatalf("collect: %+v", res)
	}
	m := &Mailer{Hub: h, Sender: srv.Client(mailtest.User, mailtest.Password), From: "tickets@organiser.test"}
	sent, failed, err := m.SendDue()
	must(t, err)
	if sent != 1 || failed != 0 {
		t.Fatalf("sent %d failed %d", sent, failed)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].To != "buyer@example.org" || msgs[0].From != "tickets@organiser.test" || !msgs[0].TLS {
		t.Fatalf("received %+v", msgs)
	}
	pm := mailtest.Parse(t, msgs[0].Data)
	if pm.Subject != "Вашите билети: Концерт" {
		t.Errorf("subject %q", pm.Subject)
	}
	if got := pm.Header.Get("Message-ID"); got != "<sale-k1-1-0@organiser.test>" {
		t.Errorf("Message-ID %q", got)
	}
	// The same facts as the printed ticket, in the outlet's language and time zone
	// (18:00 UTC is 20:00 in Sofia in December).
	for _, want := range []string{"Бензиностанция 7", "Концерт", "НДК, зала 1", "01.12.2026 20:00", "Стандартен", "12,50 €", "VIP", "40,00 €", "Билет 1 от 2", "Билет 2 от 2", "K1-1-1", "K1-1-2", "Общо: 52,50 €"} {
		if !strings.Contains(pm.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, pm.Text)
		}
		if !strings.Contains(pm.HTML, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if len(pm.Images) != 2 {
		t.Fatalf("%d images, want 2", len(pm.Images))
	}
	for _, tk := range sale.Sale.Tickets {
		cid := "ticket-" + string(rune('0'+tk.N)) + "@ticketkiosk"
		if !strings.Contains(pm.HTML, `src="cid:`+cid+`"`) {
			t.Errorf("html does not show %s", cid)
		}
		code := testkit.QRCodePNG(t, pm.Images[cid])
		if code != tk.Code {
			t.Errorf("QR of ticket %d = %q, want %q", tk.N, code, tk.Code)
		}
		f, err := journal.VerifyCode(code, func(string) (ed25519.PublicKey, bool) { return k.pub, true })
		if err != nil || f.N != tk.N {
			t.Errorf("QR code does not verify: %v", err)
		}
	}

	// A restarted hub neither loses nor repeats: the feed position and outbox are durable.
	h2, err := Open(h.Dir(), h.opt)
	must(t, err)
	res, err = h2.Collect(l, 0)
	must(t, err)
	if res.Entries != 0 {
		t.Fatalf("collected again: %+v", res)
	}
	m.Hub = h2
	sent, _, err = m.SendDue()
	must(t, err)
	if sent != 0 || len(srv.Messages()) != 1 {
		t.Fatalf("sent again after restart: %d", sent)
	}

	// resend sends it again, with a new Message-ID.
	refs, err := ParseSale("K1-1-2")
	must(t, err)
	if _, err := h2.Resend(refs...); err != nil {
		t.Fatal(err)
	}
	sent, _, err = m.SendDue()
	must(t, err)
	if sent != 1 || len(srv.Messages()) != 2 {
		t.Fatalf("resend: sent %d, server has %d", sent, len(srv.Messages()))
	}
	if got := mailtest.Parse(t, srv.Messages()[1].Data).Header.Get("Message-ID"); got != "<sale-k1-1-1@organiser.test>" {
		t.Errorf("resent Message-ID %q", got)
	}
	// status counts the email once and its two sendings apart (it said "1 sent" only).
	st, err := localQuery{h: h2, l: l}.Status()
	must(t, err)
	if ms := st.Mail; ms.Sent != 1 || ms.Resent != 1 || ms.Deliveries != 2 || ms.FailedAttempts != 0 {
		t.Errorf("status after a resend: %+v, want 1 sent, 1 resent, 2 deliveries", ms)
	}
	// A printed sale has no email to resend.
	if _, err := h2.Resend(SaleRef{"k1", 2}); !errors.Is(err, ErrNoEmailSales) {
		t.Errorf("resend of a printed sale: %v", err)
	}
}

func TestEmailEnglish(t *testing.T) {
	srv := mailtest.Start(t)
	h, clk, k := emailHub(t, catalog.LocaleEN)
	must(t, h.SetSetting(SettingTicketURL, "https://t.example/t/"))
	l := openLedger(t, h)
	sale := k.sale(t, "web", "email", "buyer@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"std": 3})
	ingest(t, l, k, sale)
	_, err := h.Collect(l, 0)
	must(t, err)
	m := &Mailer{Hub: h, Sender: srv.Client(mailtest.User, mailtest.Password), From: "tickets@organiser.test"}
	if sent, _, err := m.SendDue(); err != nil || sent != 1 {
		t.Fatalf("sent %d, %v", sent, err)
	}
	pm := mailtest.Parse(t, srv.Messages()[0].Data)
	for _, want := range []string{"Your tickets: Концерт", "1 Dec 2026 20:00", "Ticket 3 of 3", "Total: €37.50"} {
		if !strings.Contains(pm.Subject+pm.Text, want) {
			t.Errorf("lacks %q:\n%s", want, pm.Text)
		}
	}
	if len(pm.Images) != 3 {
		t.Fatalf("%d images", len(pm.Images))
	}
	// With a ticket URL, the QR codes carry it before the code, as printed tickets do.
	if got := testkit.QRCodePNG(t, pm.Images["ticket-3@ticketkiosk"]); got != "https://t.example/t/"+sale.Sale.Tickets[2].Code {
		t.Errorf("QR %q", got)
	}
}

// TestEmailRetries: a relay that refuses (wrong password, then a failing DATA) leads to
// retries with a growing back-off, then the failed state; a void cancels a queued email.
func TestEmailRetries(t *testing.T) {
	srv := mailtest.Start(t)
	h, clk, k := emailHub(t, catalog.LocaleEN)
	l := openLedger(t, h)
	s1 := k.sale(t, "web", "email", "a@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"std": 1})
	ingest(t, l, k, s1)
	_, err := h.Collect(l, 0)
	must(t, err)
	m := &Mailer{Hub: h, Sender: srv.Client(mailtest.User, "wrong"), From: "tickets@organiser.test", Backoff: time.Minute, MaxBackoff: 4 * time.Minute, Horizon: 8 * time.Minute}
	var waits []time.Duration
	for i := 0; ; i++ {
		_, failed, err := m.SendDue()
		must(t, err)
		if failed != 1 {
			t.Fatalf("attempt %d: failed %d", i, failed)
		}
		box, err := h.Outbox()
		must(t, err)
		if !strings.Contains(box[0].LastError, "auth") {
			t.Fatalf("last error %q", box[0].LastError)
		}
		if box[0].State == MailFailed {
			break
		}
		waits = append(waits, box[0].Next.Sub(clk.Now()))
		// Not due yet: nothing is tried.
		if _, failed, _ := m.SendDue(); failed != 0 {
			t.Fatal("retried before the back-off")
		}
		clk.Add(box[0].Next.Sub(clk.Now()))
	}
	// 1, 2, 4 minutes, then capped at 4 but cut at the 8-minute horizon: the fifth attempt
	// is the last.
	if want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, time.Minute}; !slices.Equal(waits, want) {
		t.Fatalf("back-off %v, want %v", waits, want)
	}
	box, _ := h.Outbox()
	if box[0].State != MailFailed || box[0].Attempts != 5 || !strings.HasPrefix(box[0].LastError, "given up after 8m0s of retries: ") {
		t.Fatalf("after the horizon: %s after %d attempts: %s", box[0].State, box[0].Attempts, box[0].LastError)
	}
	// resend after fixing the relay's password.
	_, err = h.Resend(SaleRef{"k1", 1})
	must(t, err)
	m.Sender = srv.Client(mailtest.User, mailtest.Password)
	srv.Refuse(mailtest.ErrBusy)
	if _, failed, _ := m.SendDue(); failed != 1 {
		t.Fatal("DATA refusal not counted")
	}
	srv.Refuse(nil)
	clk.Add(time.Minute)
	if sent, _, _ := m.SendDue(); sent != 1 {
		t.Fatal("not sent after the relay recovered")
	}
	// Every refused attempt counts, across the resend; the email is one, sent once.
	st, err := localQuery{h: h, l: l}.Status()
	must(t, err)
	if ms := st.Mail; ms.Sent != 1 || ms.Failed != 0 || ms.Deliveries != 1 || ms.FailedAttempts != 6 || ms.Resent != 1 {
		t.Errorf("status: %+v, want 1 sent, 1 delivery, 6 failed attempts, 1 resent", ms)
	}

	// A buyer address that would inject a header is not queued; it is a problem.
	bad := k.sale(t, "web", "email", "c@example.org\r\nBcc: evil@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"std": 1})
	ingest(t, l, k, bad)
	res, err := h.Collect(l, 0)
	must(t, err)
	if res.Queued != 0 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "valid buyer address") {
		t.Fatalf("collect of an injected buyer: %+v", res)
	}
	if _, err := mail.Compose(mail.TicketMail{Outlet: catalog.Outlet{Locale: "en"}, Event: concert, Sale: bad}, "t@example.org", clk.Now()); err == nil {
		t.Fatal("Compose took an injected buyer")
	}

	// A sale voided before its email left: cancelled, never sent.
	s2 := k.sale(t, "web", "email", "b@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"std": 1})
	v := k.void(s2.Seq, clk.Now(), "boss@example.org")
	ingest(t, l, k, s2, v)
	res, err = h.Collect(l, 0)
	must(t, err)
	if res.Queued != 1 || res.Cancelled != 1 {
		t.Fatalf("collect %+v", res)
	}
	before := len(srv.Messages())
	if sent, _, _ := m.SendDue(); sent != 0 || len(srv.Messages()) != before {
		t.Fatal("a voided sale's email was sent")
	}
}
