package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ticketkiosk/hub"
	"ticketkiosk/hub/mail"
	"ticketkiosk/internal/demo"
)

// TestMailList: an email sale of the demo (its hub writes emails with the .eml sink) is in
// the outbox as sent once; resent and refused by a sink that cannot write, mail list shows
// it pending with its attempt, the error and the next try. The buyer's address shows only
// with --addresses, also where an error quotes it.
func TestMailList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	in, feed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	screen, err := os.Create(filepath.Join(t.TempDir(), "screen.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer screen.Close()
	go func() {
		feed.WriteString(demo.CashierCode + "\n" + demo.CashierPass + "\n1\n2\n1\n\b2\nbuyer@example.org\n\n")
		feed.Close()
	}()
	var said bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := demo.Run(ctx, demo.Options{Dir: dir, Stdin: in, Stdout: screen, Stderr: &said, Email: true}); err != nil {
		t.Fatalf("demo: %v\n%s", err, said.String())
	}
	hubDir := filepath.Join(dir, "hub")
	out := mustCtl(t, "", "--dir", hubDir, "mail", "list")
	if !regexp.MustCompile(`(?m)^SALE +STATE +ATTEMPTS +SENT +NEXT TRY +LAST ERROR$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^demo-k1:\d+ +sent +0 +1 +- +-$`).MatchString(out) || strings.Contains(out, "buyer@") {
		t.Fatalf("mail list after the demo:\n%s\n%s", out, said.String())
	}
	sale := strings.Fields(strings.Split(out, "\n")[1])[0]

	// Resent, and refused: the sink's folder is a file.
	mustCtl(t, "", "--dir", hubDir, "resend", sale)
	h, err := hub.Open(hubDir, hub.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	blocked := filepath.Join(t.TempDir(), "buyer@example.org")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, failed, err := (&hub.Mailer{Hub: h, Sender: mail.Dir{Path: blocked}, From: demo.MailFrom}).SendDue(); err != nil || failed != 1 {
		t.Fatalf("refused sending: %d failed, %v", failed, err)
	}
	out = mustCtl(t, "", "--dir", hubDir, "mail", "list", "--state", "pending")
	if !regexp.MustCompile(`(?m)^`+sale+` +pending +1 +1 +in 10s +hub: mail dir: `).MatchString(out) || strings.Contains(out, "buyer@") {
		t.Fatalf("mail list of a refused resend:\n%s", out)
	}
	out = mustCtl(t, "", "--dir", hubDir, "mail", "list", "--format", "json")
	if !strings.Contains(out, "[buyer]: not a directory") || strings.Contains(out, "buyer@") {
		t.Errorf("json without --addresses:\n%s", out)
	}
	out = mustCtl(t, "", "--dir", hubDir, "mail", "list", "--addresses", "--format", "json")
	for _, want := range []string{`"to": "buyer@example.org"`, `"state": "pending"`, `"attempts": 1`, `"deliveries": 1`, `"resends": 1`, `"next": "`} {
		if !strings.Contains(out, want) {
			t.Errorf("json lacks %s:\n%s", want, out)
		}
	}
	if out := mustCtl(t, "", "--dir", hubDir, "mail", "list", "--state", "sent"); strings.Count(out, "\n") != 1 {
		t.Errorf("--state sent lists the pending email:\n%s", out)
	}
	if code, _, errs := ctl(t, "", "--dir", hubDir, "mail", "list", "--state", "lost"); code == 0 || !strings.Contains(errs, `"lost"`) {
		t.Errorf("--state lost: exit %d, %s", code, errs)
	}
	if code, _, errs := ctl(t, "", "--dir", hubDir, "serve", "--broker", "tcp://127.0.0.1:1", "--mail-dir", t.TempDir(), "--smtp-host", "relay"); code == 0 || !strings.Contains(errs, "--mail-dir and --smtp-host") {
		t.Errorf("serve with both a mail dir and a relay: exit %d, %s", code, errs)
	}
}

// TestMailSender: serve's flags choose the .eml folder (sender default tickets@localhost),
// the relay (with its password file's first line), or no delivery; a folder and a relay
// together, or a relay without a sender, are refused.
func TestMailSender(t *testing.T) {
	dir := t.TempDir()
	if s, from, err := mailSender(dir, mail.SMTP{}, "", ""); err != nil || s != (mail.Dir{Path: dir}) || from != "tickets@localhost" {
		t.Errorf("--mail-dir: %#v %q %v", s, from, err)
	}
	if _, from, _ := mailSender(dir, mail.SMTP{From: "t@example.org"}, "", ""); from != "t@example.org" {
		t.Errorf("--mail-dir --smtp-from: %q", from)
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("secret\r\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, from, err := mailSender("", mail.SMTP{Host: "relay", From: "t@example.org"}, pw, "")
	if relay, ok := s.(mail.SMTP); err != nil || !ok || relay.Password != "secret" || relay.Host != "relay" || from != "t@example.org" {
		t.Errorf("--smtp-host: %#v %q %v", s, from, err)
	}
	if s, _, err := mailSender("", mail.SMTP{}, "", ""); s != nil || err != nil {
		t.Errorf("neither: %#v %v", s, err)
	}
	for _, c := range []struct {
		dir  string
		smtp mail.SMTP
		want string
	}{{dir, mail.SMTP{Host: "relay", From: "t@example.org"}, "--mail-dir and --smtp-host"}, {"", mail.SMTP{Host: "relay"}, "--smtp-from is required"}} {
		if _, _, err := mailSender(c.dir, c.smtp, "", ""); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q %+v: %v, want %q", c.dir, c.smtp, err, c.want)
		}
	}
}
