package mail_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/hub/mail"
	"ticketkiosk/hub/mail/mailtest"
	"ticketkiosk/testkit"
)

// TestDir: the development sink writes each email whole as NAME.eml, named after its
// Message-ID, in a folder it creates, and leaves no temporary file; the same email again
// replaces its file (a crash's sending again), a resend is a file of its own.
func TestDir(t *testing.T) {
	e := sale(t, "buyer@example.org")
	outlet := catalog.Outlet{ID: "web", Name: "Web shop", Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"}
	event := catalog.Event{ID: "concert", Title: "Concert", Venue: "Hall 1", Start: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC),
		Types: []catalog.TicketType{{ID: "std", Name: "Standard", Price: 1250}}}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	dir := filepath.Join(t.TempDir(), "mails")
	d := mail.Dir{Path: dir}
	for _, resend := range []int{0, 0, 1} {
		msg, err := mail.Compose(mail.TicketMail{Outlet: outlet, Event: event, Sale: e, Resend: resend}, "tickets@organiser.test", at)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Send("buyer@example.org", msg); err != nil {
			t.Fatal(err)
		}
	}
	names := lsDir(t, dir)
	if strings.Join(names, " ") != "sale-k1-7-0.eml sale-k1-7-1.eml" {
		t.Fatalf("files %v, want sale-k1-7-0.eml and sale-k1-7-1.eml", names)
	}
	data, err := os.ReadFile(filepath.Join(dir, "sale-k1-7-0.eml"))
	if err != nil {
		t.Fatal(err)
	}
	pm := mailtest.Parse(t, data)
	if pm.Header.Get("To") != "buyer@example.org" || !strings.Contains(pm.Text, "K1-7-1") {
		t.Errorf("the .eml is not the email: %v\n%s", pm.Header, pm.Text)
	}
	if got := testkit.QRCodePNG(t, pm.Images["ticket-1@ticketkiosk"]); got != e.Sale.Tickets[0].Code {
		t.Errorf("QR %q", got)
	}

	// A message without a Message-ID, or with one that would climb out of the folder, stays
	// inside it under a safe name.
	for _, msg := range []string{"Subject: x\r\n\r\nx\r\n", "Message-ID: <../../etc/passwd@x>\r\n\r\nx\r\n"} {
		if err := d.Send("x@example.org", []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	names = lsDir(t, dir)
	if len(names) != 4 {
		t.Fatalf("files %v", names)
	}
	for _, n := range names {
		if !strings.HasSuffix(n, ".eml") || strings.HasPrefix(n, ".") {
			t.Errorf("file %q", n)
		}
	}
	// A folder that cannot be made is an error, as a refusing relay's (the outbox retries).
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := (mail.Dir{Path: file}).Send("x@example.org", []byte("Subject: x\r\n\r\nx\r\n")); err == nil {
		t.Error("a file as the folder was taken")
	}
}

func lsDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
