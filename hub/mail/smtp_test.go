package mail_test

import (
	"errors"
	"testing"

	"ticketkiosk/hub/mail"
	"ticketkiosk/hub/mail/mailtest"
)

// TestSMTPRequiresSTARTTLS: the hub never talks to a relay without STARTTLS.
func TestSMTPRequiresSTARTTLS(t *testing.T) {
	srv := mailtest.Start(t)
	srv.NoSTARTTLS()
	err := srv.Client(mailtest.User, mailtest.Password).Send("x@example.org", []byte("Subject: x\r\n\r\nx\r\n"))
	if !errors.Is(err, mail.ErrNoSTARTTLS) {
		t.Fatalf("Send without STARTTLS: %v", err)
	}
}
