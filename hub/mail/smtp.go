// Package mail composes the email of a sale's tickets and delivers it through an SMTP
// relay (SMTP), or writes it as an .eml file for development (Dir). It keeps no state: the hub's durable outbox (in hub.db, written in the same
// transaction as the ledger feed position) decides what is sent when.
package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"time"
)

// SMTP is how the hub reaches its mail relay.
type SMTP struct {
	Host     string
	Port     int // default 587
	Username string
	Password string
	From     string // the sender address, e.g. tickets@organiser.example
	// TLS is the client TLS configuration for STARTTLS; nil uses the system roots and Host.
	TLS *tls.Config
	// Timeout bounds one delivery (dial, STARTTLS, AUTH, DATA); default 30s.
	Timeout time.Duration
}

// ErrNoSTARTTLS means the relay does not offer STARTTLS; the hub never sends a password or
// a buyer's tickets in the clear.
var ErrNoSTARTTLS = errors.New("hub: smtp: relay does not offer STARTTLS")

// Sender sends one email (SMTP.Send).
type Sender interface {
	Send(to string, msg []byte) error
}

var _ Sender = SMTP{}

// Send delivers one message to one recipient through the relay: STARTTLS (required), AUTH
// PLAIN when a username is set, then the message.
func (s SMTP) Send(to string, msg []byte) error {
	port := s.Port
	if port == 0 {
		port = 587
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	addr := net.JoinHostPort(s.Host, strconv.Itoa(port))
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return fmt.Errorf("hub: smtp: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("hub: smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return ErrNoSTARTTLS
	}
	tc := s.TLS
	if tc == nil {
		tc = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	if err := c.StartTLS(tc); err != nil {
		return fmt.Errorf("hub: smtp: starttls: %w", err)
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("hub: smtp: auth: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("hub: smtp: mail from: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("hub: smtp: rcpt to: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("hub: smtp: data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("hub: smtp: data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("hub: smtp: data: %w", err)
	}
	return c.Quit()
}
