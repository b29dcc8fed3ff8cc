package hub

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
	"ticketkiosk/testkit"
)

// smtpServer is a real SMTP server (go-smtp) on a loopback port: STARTTLS with a generated
// certificate, AUTH PLAIN only after STARTTLS, and the messages it accepted.
type smtpServer struct {
	srv  *smtp.Server
	addr *net.TCPAddr
	pool *x509.CertPool

	mu     sync.Mutex
	msgs   []received
	refuse error // when set, DATA fails with it
}

type received struct {
	from, to string
	data     []byte
	tls      bool
}

const smtpUser, smtpPass = "hub", "relay-pass"

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	cert, err := x509.ParseCertificate(der)
	must(t, err)
	s := &smtpServer{pool: x509.NewCertPool()}
	s.pool.AddCert(cert)
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, c: c}, nil
	}))
	s.srv.Domain = "relay.test"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	s.srv.AllowInsecureAuth = false
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	s.addr = l.Addr().(*net.TCPAddr)
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *smtpServer) client(user, pass string) SMTP {
	return SMTP{Host: "127.0.0.1", Port: s.addr.Port, Username: user, Password: pass, From: "tickets@organiser.test",
		TLS: &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1"}, Timeout: 5 * time.Second}
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type smtpSession struct {
	s        *smtpServer
	c        *smtp.Conn
	authed   bool
	from, to string
}

func (x *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPass {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { x.to = to; return nil }

func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := x.c.TLSConnectionState()
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.refuse != nil {
		return x.s.refuse
	}
	x.s.msgs = append(x.s.msgs, received{from: x.from, to: x.to, data: b, tls: isTLS})
	return nil
}

func (x *smtpSession) Reset()        {}
func (x *smtpSession) Logout() error { return nil }

// parsedMail is a received email taken apart.
type parsedMail struct {
	header     mail.Header
	subject    string
	text, html string
	images     map[string][]byte // Content-ID → PNG
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	must(t, err)
	pm := parsedMail{header: m.Header, images: map[string][]byte{}}
	pm.subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	must(t, err)
	var walk func(ctype string, r io.Reader)
	walk = func(ctype string, r io.Reader) {
		mt, params, err := mime.ParseMediaType(ctype)
		must(t, err)
		if !strings.HasPrefix(mt, "multipart/") {
			t.Fatalf("unexpected leaf %s", mt)
		}
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			must(t, err)
			ct := p.Header.Get("Content-Type")
			if strings.HasPrefix(ct, "multipart/") {
				walk(ct, p)
				continue
			}
			body, err := io.ReadAll(p)
			must(t, err)
			if p.Header.Get("Content-Transfer-Encoding") == "base64" {
				body, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body)))
				must(t, err)
			}
			switch {
			case strings.HasPrefix(ct, "text/plain"):
				pm.text = string(body)
			case strings.HasPrefix(ct, "text/html"):
				pm.html = string(body)
			case ct == "image/png":
				pm.images[strings.Trim(p.Header.Get("Content-ID"), "<>")] = body
			default:
				t.Fatalf("unexpected part %s", ct)
			}
		}
	}
	walk(m.Header.Get("Content-Type"), m.Body)
	return pm
}

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
	srv := startSMTP(t)
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
	m := &Mailer{Hub: h, Sender: srv.client(smtpUser, smtpPass), From: "tickets@organiser.test"}
	sent, failed, err := m.SendDue()
	must(t, err)
	if sent != 1 || failed != 0 {
		t.Fatalf("sent %d failed %d", sent, failed)
	}
	msgs := srv.messages()
	if len(msgs) != 1 || msgs[0].to != "buyer@example.org" || msgs[0].from != "tickets@organiser.test" || !msgs[0].tls {
		t.Fatalf("received %+v", msgs)
	}
	pm := parseMail(t, msgs[0].data)
	if pm.subject != "Вашите билети: Концерт" {
		t.Errorf("subject %q", pm.subject)
	}
	if got := pm.header.Get("Message-ID"); got != "<sale-k1-1-0@organiser.test>" {
		t.Errorf("Message-ID %q", got)
	}
	// The same facts as the printed ticket, in the outlet's language and time zone
	// (18:00 UTC is 20:00 in Sofia in December).
	for _, want := range []string{"Бензиностанция 7", "Концерт", "НДК, зала 1", "01.12.2026 20:00", "Стандартен", "12.50 EUR", "VIP", "40.00 EUR", "Билет 1 от 2", "Билет 2 от 2", "K1-1-1", "K1-1-2", "Общо: 52.50 EUR"} {
		if !strings.Contains(pm.text, want) {
			t.Errorf("text lacks %q:\n%s", want, pm.text)
		}
		if !strings.Contains(pm.html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if len(pm.images) != 2 {
		t.Fatalf("%d images, want 2", len(pm.images))
	}
	for _, tk := range sale.Sale.Tickets {
		cid := "ticket-" + string(rune('0'+tk.N)) + "@ticketkiosk"
		if !strings.Contains(pm.html, `src="cid:`+cid+`"`) {
			t.Errorf("html does not show %s", cid)
		}
		code := testkit.QRCodePNG(t, pm.images[cid])
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
	if sent != 0 || len(srv.messages()) != 1 {
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
	if sent != 1 || len(srv.messages()) != 2 {
		t.Fatalf("resend: sent %d, server has %d", sent, len(srv.messages()))
	}
	if got := parseMail(t, srv.messages()[1].data).header.Get("Message-ID"); got != "<sale-k1-1-1@organiser.test>" {
		t.Errorf("resent Message-ID %q", got)
	}
	// A printed sale has no email to resend.
	if _, err := h2.Resend(SaleRef{"k1", 2}); !errors.Is(err, ErrNoEmailSales) {
		t.Errorf("resend of a printed sale: %v", err)
	}
}

func TestEmailEnglish(t *testing.T) {
	srv := startSMTP(t)
	h, clk, k := emailHub(t, catalog.LocaleEN)
	must(t, h.SetSetting(SettingTicketURL, "https://t.example/t/"))
	l := openLedger(t, h)
	sale := k.sale(t, "web", "email", "buyer@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"std": 3})
	ingest(t, l, k, sale)
	_, err := h.Collect(l, 0)
	must(t, err)
	m := &Mailer{Hub: h, Sender: srv.client(smtpUser, smtpPass), From: "tickets@organiser.test"}
	if sent, _, err := m.SendDue(); err != nil || sent != 1 {
		t.Fatalf("sent %d, %v", sent, err)
	}
	pm := parseMail(t, srv.messages()[0].data)
	for _, want := range []string{"Your tickets: Концерт", "1 Dec 2026 20:00", "Ticket 3 of 3", "Total: 37.50 EUR"} {
		if !strings.Contains(pm.subject+pm.text, want) {
			t.Errorf("lacks %q:\n%s", want, pm.text)
		}
	}
	if len(pm.images) != 3 {
		t.Fatalf("%d images", len(pm.images))
	}
	// With a ticket URL, the QR codes carry it before the code, as printed tickets do.
	if got := testkit.QRCodePNG(t, pm.images["ticket-3@ticketkiosk"]); got != "https://t.example/t/"+sale.Sale.Tickets[2].Code {
		t.Errorf("QR %q", got)
	}
}

// TestEmailRetries: a relay that refuses (wrong password, then a failing DATA) leads to
// retries with a growing back-off, then the failed state; a void cancels a queued email.
func TestEmailRetries(t *testing.T) {
	srv := startSMTP(t)
	h, clk, k := emailHub(t, catalog.LocaleEN)
	l := openLedger(t, h)
	s1 := k.sale(t, "web", "email", "a@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"std": 1})
	ingest(t, l, k, s1)
	_, err := h.Collect(l, 0)
	must(t, err)
	m := &Mailer{Hub: h, Sender: srv.client(smtpUser, "wrong"), From: "tickets@organiser.test", Backoff: time.Minute, MaxBackoff: 4 * time.Minute, MaxAttempts: 4}
	var waits []time.Duration
	for i := 0; i < 4; i++ {
		_, failed, err := m.SendDue()
		must(t, err)
		if failed != 1 {
			t.Fatalf("attempt %d: failed %d", i, failed)
		}
		box, err := h.Outbox()
		must(t, err)
		waits = append(waits, box[0].Next.Sub(clk.Now()))
		if !strings.Contains(box[0].LastError, "auth") {
			t.Fatalf("last error %q", box[0].LastError)
		}
		// Not due yet: nothing is tried.
		if _, failed, _ := m.SendDue(); failed != 0 {
			t.Fatal("retried before the back-off")
		}
		clk.Add(box[0].Next.Sub(clk.Now()))
	}
	if want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute}; len(waits) != 4 || waits[0] != want[0] || waits[1] != want[1] || waits[2] != want[2] || waits[3] != want[3] {
		t.Fatalf("back-off %v, want %v", waits, want)
	}
	box, _ := h.Outbox()
	if box[0].State != MailFailed || box[0].Attempts != 4 {
		t.Fatalf("after 4 failures: %+v", box[0].State)
	}
	// resend after fixing the relay's password.
	_, err = h.Resend(SaleRef{"k1", 1})
	must(t, err)
	m.Sender = srv.client(smtpUser, smtpPass)
	srv.mu.Lock()
	srv.refuse = &smtp.SMTPError{Code: 451, Message: "try later"}
	srv.mu.Unlock()
	if _, failed, _ := m.SendDue(); failed != 1 {
		t.Fatal("DATA refusal not counted")
	}
	srv.mu.Lock()
	srv.refuse = nil
	srv.mu.Unlock()
	clk.Add(time.Minute)
	if sent, _, _ := m.SendDue(); sent != 1 {
		t.Fatal("not sent after the relay recovered")
	}

	// A buyer address that would inject a header is not queued; it is a problem.
	bad := k.sale(t, "web", "email", "c@example.org\r\nBcc: evil@example.org", clk.Now(), "anna@example.org", concert, map[string]int{"std": 1})
	ingest(t, l, k, bad)
	res, err := h.Collect(l, 0)
	must(t, err)
	if res.Queued != 0 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "valid buyer address") {
		t.Fatalf("collect of an injected buyer: %+v", res)
	}
	if _, err := Compose(TicketMail{Outlet: catalog.Outlet{Locale: "en"}, Event: concert, Sale: bad}, "t@example.org", clk.Now()); err == nil {
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
	before := len(srv.messages())
	if sent, _, _ := m.SendDue(); sent != 0 || len(srv.messages()) != before {
		t.Fatal("a voided sale's email was sent")
	}
}

// TestSMTPRequiresSTARTTLS: the hub never talks to a relay without STARTTLS.
func TestSMTPRequiresSTARTTLS(t *testing.T) {
	srv := startSMTP(t)
	srv.srv.TLSConfig = nil
	err := srv.client(smtpUser, smtpPass).Send("x@example.org", []byte("Subject: x\r\n\r\nx\r\n"))
	if !errors.Is(err, ErrNoSTARTTLS) {
		t.Fatalf("Send without STARTTLS: %v", err)
	}
}

var errRelay = &smtp.SMTPError{Code: 450, Message: "mailbox busy"}
