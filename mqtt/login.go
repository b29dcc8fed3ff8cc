package mqtt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"syscall"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// Login connects to the broker once as clientID with o's credentials and TLS (CONNECT, and
// the broker's CONNACK), then disconnects. Its error is why the broker did not let it in;
// Reason puts it in words. kioskd check uses it: a broker that answers TCP or TLS can still
// refuse the device's password.
func Login(ctx context.Context, o Options, clientID string) error {
	c, err := newClient(o, session{clientID: clientID, log: slog.New(slog.DiscardHandler), once: true})
	if err != nil {
		return err
	}
	t := c.Connect()
	select {
	case <-t.Done():
	case <-ctx.Done():
		c.Disconnect(0)
		return ctx.Err()
	}
	if err := t.Error(); err != nil {
		return err
	}
	c.Disconnect(250)
	return nil
}

// Reason says why connecting to the broker failed: short is a few words for a small display
// ("not authorised", "bad user or password", "TLS error", "unreachable", "no answer"; at
// most 20 characters, a display's row),
// detail a sentence for a log or a terminal.
func Reason(err error) (short, detail string) {
	refusals := []struct {
		err   error
		code  byte
		short string
	}{
		{packets.ErrorRefusedNotAuthorised, packets.ErrRefusedNotAuthorised, "not authorised"},
		{packets.ErrorRefusedBadUsernameOrPassword, packets.ErrRefusedBadUsernameOrPassword, "bad user or password"},
		{packets.ErrorRefusedIDRejected, packets.ErrRefusedIDRejected, "client id rejected"},
		{packets.ErrorRefusedServerUnavailable, packets.ErrRefusedServerUnavailable, "broker unavailable"},
		{packets.ErrorRefusedBadProtocolVersion, packets.ErrRefusedBadProtocolVersion, "protocol refused"},
	}
	for _, r := range refusals {
		if errors.Is(err, r.err) {
			return r.short, fmt.Sprintf("the broker refused the connection: %s (CONNACK code %d)", strings.ToLower(r.err.Error()), r.code)
		}
	}
	var (
		ne        net.Error
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		host      x509.HostnameError
		invalid   x509.CertificateInvalidError
		header    tls.RecordHeaderError
		alert     tls.AlertError
	)
	switch {
	case errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &host) || errors.As(err, &invalid) ||
		errors.As(err, &header) || errors.As(err, &alert) || strings.Contains(err.Error(), "tls: "):
		return "TLS error", fmt.Sprintf("TLS: %v", err)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "no answer", "no answer from the broker in time"
	case errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED):
		return "unreachable", fmt.Sprintf("broker unreachable: %v", err)
	}
	return "not connected", err.Error()
}
