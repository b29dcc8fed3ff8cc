package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// ErrInsecure is returned for a plain (unencrypted) broker URL without AllowInsecure.
var ErrInsecure = errors.New("mqtt: plain connection not allowed (use ssl:// or wss://, or allow insecure)")

// Options say how to reach the broker. Every connection of a device or the hub uses them.
type Options struct {
	// URL of the broker: ssl:// (also tls://, mqtts://) or wss:// for TLS; tcp:// (mqtt://)
	// or ws:// only with AllowInsecure.
	URL string
	// Username, and the file holding the password (its first line, trailing newline trimmed).
	Username     string
	PasswordFile string
	// CAFile is a PEM file of the CAs that sign the broker's certificate (default: the
	// system's). CertFile and KeyFile are the optional client certificate and key.
	CAFile, CertFile, KeyFile string
	// AllowInsecure allows tcp:// and ws:// URLs: no encryption, for a broker on loopback
	// or a closed network.
	AllowInsecure bool
	// Prefix of the topics; default DefaultPrefix.
	Prefix string
	// MaxPacket is the largest packet read from the broker (default DefaultMaxPacket): on a
	// larger one the client cuts the connection before reading it, whatever the broker's
	// own limit.
	MaxPacket int
	// KeepAlive is the MQTT keep-alive (default 30s); ReconnectMax the longest wait between
	// reconnection attempts (default 30s); ConnectTimeout that of one attempt (default 10s).
	KeepAlive, ReconnectMax, ConnectTimeout time.Duration

	// dial, when set, opens the network connection (tests use it to cut a connection as a
	// crash would).
	dial func(uri *url.URL, o paho.ClientOptions) (net.Conn, error)
}

func (o Options) topics() (Topics, error) { return NewTopics(o.Prefix) }

// secure reports whether a URL scheme uses TLS, and whether paho knows the scheme.
func secure(scheme string) (tlsOn, known bool) {
	switch scheme {
	case "ssl", "tls", "mqtts", "tcps", "wss":
		return true, true
	case "tcp", "mqtt", "ws":
		return false, true
	}
	return false, false
}

// tlsConfig builds the TLS configuration of the options.
func (o Options) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt: CA file %s: no certificate in it", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.CertFile != "" || o.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func readPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("mqtt: password file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// session is what a client needs besides Options.
type session struct {
	clientID  string
	willTopic string
	will      []byte
	onConnect func(paho.Client)
	onLost    func(error)
	onFailed  func(error) // a connection attempt failed (each retry)
	log       *slog.Logger
	// once: the first connect is tried once and its token says why it failed (a push
	// reports it); without it the connect is retried until it succeeds.
	once bool
}

// newClient builds the one long-lived paho client of a device or the hub: clean session
// (the journal, not the broker's session, carries what matters), QoS 1 will retained,
// auto-reconnect and connect-retry with back-off up to ReconnectMax, and in-order delivery:
// handlers run one at a time in the order the broker sent, which is safe because they only
// hand messages on and never block (so a newer retained config cannot be overtaken by an
// older one).
func newClient(o Options, s session) (paho.Client, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("mqtt: broker URL %q: want scheme://host:port", o.URL)
	}
	tlsOn, known := secure(u.Scheme)
	if !known {
		return nil, fmt.Errorf("mqtt: broker URL %q: unknown scheme %q", o.URL, u.Scheme)
	}
	if !tlsOn && !o.AllowInsecure {
		return nil, fmt.Errorf("%w: %s", ErrInsecure, o.URL)
	}
	if err := CheckID(s.clientID); err != nil {
		return nil, err
	}
	po := paho.NewClientOptions().
		AddBroker(o.URL).
		SetClientID(s.clientID).
		SetCleanSession(true).
		SetOrderMatters(true).
		SetAutoReconnect(true).
		SetConnectRetry(!s.once).
		SetKeepAlive(durationOr(o.KeepAlive, 30*time.Second)).
		SetPingTimeout(10 * time.Second).
		SetConnectTimeout(durationOr(o.ConnectTimeout, 10*time.Second)).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(durationOr(o.ReconnectMax, 30*time.Second)).
		SetWriteTimeout(30 * time.Second)
	if tlsOn {
		cfg, err := o.tlsConfig()
		if err != nil {
			return nil, err
		}
		po.SetTLSConfig(cfg)
	}
	if o.Username != "" {
		po.SetUsername(o.Username)
	}
	if o.PasswordFile != "" {
		pw, err := readPassword(o.PasswordFile)
		if err != nil {
			return nil, err
		}
		po.SetPassword(pw)
	}
	if s.willTopic != "" {
		po.SetBinaryWill(s.willTopic, s.will, 1, true)
	}
	if o.dial != nil {
		po.SetCustomOpenConnectionFn(o.dial)
	} else if dial := cappedDial(u.Scheme, intOr(o.MaxPacket, DefaultMaxPacket), durationOr(o.ConnectTimeout, 10*time.Second)); dial != nil {
		po.SetCustomOpenConnectionFn(dial)
	}
	po.SetOnConnectHandler(func(c paho.Client) {
		s.log.Info("mqtt connected", "broker", o.URL, "client", s.clientID)
		if s.onConnect != nil {
			s.onConnect(c)
		}
	})
	po.SetConnectionLostHandler(func(_ paho.Client, err error) {
		s.log.Warn("mqtt connection lost", "broker", o.URL, "err", err)
		if s.onLost != nil {
			s.onLost(err)
		}
	})
	if s.onFailed != nil {
		po.SetConnectionNotificationHandler(func(_ paho.Client, n paho.ConnectionNotification) {
			if f, ok := n.(paho.ConnectionNotificationFailed); ok {
				s.onFailed(f.Reason)
			}
		})
	}
	po.SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) {
		s.log.Debug("mqtt reconnecting", "broker", o.URL)
	})
	return paho.NewClient(po), nil
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// watch logs a token's error when it completes, off the caller's goroutine; done, when
// set, learns the outcome. It stops waiting when stop closes.
func watch(t paho.Token, stop <-chan struct{}, log *slog.Logger, what string, done func(error)) {
	go func() {
		select {
		case <-t.Done():
		case <-stop:
			return
		}
		err := t.Error()
		if err != nil {
			log.Warn("mqtt "+what+" failed", "err", err)
		}
		if done != nil {
			done(err)
		}
	}()
}
