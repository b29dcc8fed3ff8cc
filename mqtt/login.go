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

// Connection failures: Reason's code for why connecting to the broker failed, a closed set
// (a display translates it; logs say FailureWords).
const (
	FailNotAuthorised  = "not_authorised"
	FailBadCredentials = "bad_credentials"
	FailIDRejected     = "id_rejected"
	FailUnavailable    = "unavailable"
	FailBadProtocol    = "bad_protocol"
	FailTLS            = "tls"
	FailTimeout        = "timeout"
	FailUnreachable    = "unreachable"
	FailOther          = "not_connected"
)

// failureWords are the failures' short English words, at most 20 characters (a display's row).
var failureWords = map[string]string{
	FailNotAuthorised:  "not authorised",
	FailBadCredentials: "bad user or password",
	FailIDRejected:     "client id rejected",
	FailUnavailable:    "broker unavailable",
	FailBadProtocol:    "protocol refused",
	FailTLS:            "TLS error",
	FailTimeout:        "no answer",
	FailUnreachable:    "unreachable",
	FailOther:          "not connected",
}

// Failures lists every code Reason returns.
var Failures = []string{FailNotAuthorised, FailBadCredentials, FailIDRejected, FailUnavailable,
	FailBadProtocol, FailTLS, FailTimeout, FailUnreachable, FailOther}

// FailureWords says failure code in a few English words ("not authorised", "TLS error"), for
// logs and terminals; an unknown code is returned as it is.
func FailureWords(code string) string {
	if w, ok := failureWords[code]; ok {
		return w
	}
	return code
}

// Reason says why connecting to the broker failed: code is one of Failures (FailureWords
// puts it in a few words), detail a sentence for a log or a terminal.
func Reason(err error) (code, detail string) {
	refusals := []struct {
		err  error
		code byte
		fail string
	}{
		{packets.ErrorRefusedNotAuthorised, packets.ErrRefusedNotAuthorised, FailNotAuthorised},
		{packets.ErrorRefusedBadUsernameOrPassword, packets.ErrRefusedBadUsernameOrPassword, FailBadCredentials},
		{packets.ErrorRefusedIDRejected, packets.ErrRefusedIDRejected, FailIDRejected},
		{packets.ErrorRefusedServerUnavailable, packets.ErrRefusedServerUnavailable, FailUnavailable},
		{packets.ErrorRefusedBadProtocolVersion, packets.ErrRefusedBadProtocolVersion, FailBadProtocol},
	}
	for _, r := range refusals {
		if errors.Is(err, r.err) {
			return r.fail, fmt.Sprintf("the broker refused the connection: %s (CONNACK code %d)", strings.ToLower(r.err.Error()), r.code)
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
		return FailTLS, fmt.Sprintf("TLS: %v", err)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return FailTimeout, "no answer from the broker in time"
	case errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED):
		return FailUnreachable, fmt.Sprintf("broker unreachable: %v", err)
	}
	return FailOther, err.Error()
}
