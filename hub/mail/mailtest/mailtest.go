// Package mailtest is a real SMTP relay (go-smtp) on a loopback port for tests of email
// delivery: STARTTLS with a generated certificate, AUTH PLAIN only after STARTTLS, the
// messages it accepted, and a parser that takes a received email apart.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
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
	netmail "net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"ticketkiosk/hub/mail"
)

// The credentials the relay accepts.
const (
	User     = "hub"
	Password = "relay-pass"
	From     = "tickets@organiser.test" // the sender address of Relay.Client
)

// ErrBusy is a temporary refusal (450) to give Refuse.
var ErrBusy = &smtp.SMTPError{Code: 450, Message: "mailbox busy"}

// Relay is a running SMTP relay; t's cleanup stops it.
type Relay struct {
	addr *net.TCPAddr
	pool *x509.CertPool
	cert tls.Certificate

	mu     sync.Mutex
	srv    *smtp.Server
	lis    net.Listener
	msgs   []Received
	refuse error // when set, DATA fails with it
}

// Received is a message the relay accepted.
type Received struct {
	From, To string
	Data     []byte
	TLS      bool // it came over STARTTLS
}

// Start starts a relay on a loopback port with a fresh self-signed certificate.
func Start(t testing.TB) *Relay {
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
	s := &Relay{pool: x509.NewCertPool(), cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
	s.pool.AddCert(cert)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	s.addr = l.Addr().(*net.TCPAddr)
	s.serve(l)
	t.Cleanup(func() { s.Down() })
	return s
}

// serve starts a server of the relay on l.
func (s *Relay) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, c: c}, nil
	}))
	srv.Domain = "relay.test"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}}
	srv.AllowInsecureAuth = false
	s.mu.Lock()
	s.srv, s.lis = srv, l
	s.mu.Unlock()
	go srv.Serve(l) //nolint:errcheck // ends with an error when Close closes the listener
}

// Down stops the relay: its port refuses connections until Up.
func (s *Relay) Down() {
	s.mu.Lock()
	srv, l := s.srv, s.lis
	s.mu.Unlock()
	l.Close() // Serve may not have taken the listener yet, so Close alone can miss it
	srv.Close()
}

// Up starts the relay again on the same port, keeping the messages it accepted before.
func (s *Relay) Up(t testing.TB) {
	t.Helper()
	l, err := net.Listen("tcp", s.addr.String())
	must(t, err)
	s.serve(l)
}

// NoSTARTTLS makes the relay stop offering STARTTLS.
func (s *Relay) NoSTARTTLS() {
	s.mu.Lock()
	s.srv.TLSConfig = nil
	s.mu.Unlock()
}

// Client is how a hub reaches the relay, logging in as user with pass.
func (s *Relay) Client(user, pass string) mail.SMTP {
	return mail.SMTP{Host: "127.0.0.1", Port: s.addr.Port, Username: user, Password: pass, From: From,
		TLS: &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1"}, Timeout: 5 * time.Second}
}

// Messages returns the messages accepted so far.
func (s *Relay) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Refuse makes DATA fail with err from now on (nil accepts again).
func (s *Relay) Refuse(err error) {
	s.mu.Lock()
	s.refuse = err
	s.mu.Unlock()
}

type session struct {
	s        *Relay
	c        *smtp.Conn
	authed   bool
	from, to string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != User || pass != Password {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error { x.to = to; return nil }

func (x *session) Data(r io.Reader) error {
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
	x.s.msgs = append(x.s.msgs, Received{From: x.from, To: x.to, Data: b, TLS: isTLS})
	return nil
}

func (x *session) Reset()        {}
func (x *session) Logout() error { return nil }

// Parsed is a received email taken apart.
type Parsed struct {
	Header     netmail.Header
	Subject    string
	Text, HTML string
	Images     map[string][]byte // Content-ID → PNG
}

// Parse takes an email apart: its header, decoded subject, plain and HTML text and inline
// images. A part it does not expect fails t.
func Parse(t testing.TB, data []byte) Parsed {
	t.Helper()
	var pm Parsed
	pm.Images = map[string][]byte{}
	leaves := 0
	m := walk(t, data, func(p *multipart.Part) {
		ct := p.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "multipart/") {
			return
		}
		leaves++
		body, err := io.ReadAll(p)
		must(t, err)
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			body, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(body)))
			must(t, err)
		}
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			pm.Text = string(body)
		case strings.HasPrefix(ct, "text/html"):
			pm.HTML = string(body)
		case ct == "image/png":
			pm.Images[strings.Trim(p.Header.Get("Content-ID"), "<>")] = body
		default:
			t.Fatalf("unexpected part %s", ct)
		}
	})
	if leaves == 0 {
		t.Fatalf("unexpected leaf %s", m.Header.Get("Content-Type"))
	}
	pm.Header = m.Header
	var err error
	pm.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	must(t, err)
	return pm
}

// walk reads the email data and calls visit with each MIME part at every depth, in order
// (a multipart part before its own parts); it returns the message (its body read).
func walk(t testing.TB, data []byte, visit func(*multipart.Part)) *netmail.Message {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	must(t, err)
	var parts func(ctype string, r io.Reader)
	parts = func(ctype string, r io.Reader) {
		mt, params, err := mime.ParseMediaType(ctype)
		must(t, err)
		if !strings.HasPrefix(mt, "multipart/") {
			return
		}
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			must(t, err)
			visit(p)
			parts(p.Header.Get("Content-Type"), p)
		}
	}
	parts(m.Header.Get("Content-Type"), m.Body)
	return m
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Headers returns every header of a received email: the message's own, then each MIME
// part's at every depth, in order. A message or part that does not parse fails t.
func Headers(t testing.TB, data []byte) []textproto.MIMEHeader {
	t.Helper()
	var out []textproto.MIMEHeader
	m := walk(t, data, func(p *multipart.Part) { out = append(out, p.Header) })
	return append([]textproto.MIMEHeader{textproto.MIMEHeader(m.Header)}, out...)
}
