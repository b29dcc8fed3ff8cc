// Package broker is the embedded MQTT broker (mochi-mqtt) of `kioskctl broker` and
// `kioskctl demo`, for demos and tests. Production uses Mosquitto or a broker cluster.
package broker

import (
	"crypto/subtle"
	"fmt"
	"log/slog"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is a running embedded broker.
type Broker struct {
	srv *mochi.Server
	tcp *listeners.TCP
}

// Options configure Start.
type Options struct {
	Listen   string // TCP address, e.g. 127.0.0.1:1883 (port 0 picks a free one)
	Username string // when set, clients must log in with Username and Password
	Password string
	Logger   *slog.Logger
}

// Start starts an embedded broker listening on o.Listen.
func Start(o Options) (*Broker, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	srv := mochi.New(&mochi.Options{Logger: o.Logger.With("component", "broker"), InlineClient: false})
	if err := srv.AddHook(&login{user: o.Username, pass: o.Password}, nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: o.Listen})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("broker: listen %s: %w", o.Listen, err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	return &Broker{srv: srv, tcp: tcp}, nil
}

// Addr returns the address the broker listens on.
func (b *Broker) Addr() string { return b.tcp.Address() }

// URL returns the broker's URL for MQTT clients (tcp://host:port).
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Close stops the broker and disconnects its clients.
func (b *Broker) Close() error { return b.srv.Close() }

func (b *Broker) String() string { return "broker(" + b.Addr() + ")" }

// login lets every client in when user is empty, otherwise only clients that log in as
// user with pass. Every logged-in client may use every topic.
type login struct {
	mochi.HookBase
	user, pass string
}

func (*login) ID() string { return "kioskctl-login" }

func (*login) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (l *login) OnConnectAuthenticate(_ *mochi.Client, pk packets.Packet) bool {
	if l.user == "" {
		return true
	}
	u := subtle.ConstantTimeCompare(pk.Connect.Username, []byte(l.user))
	p := subtle.ConstantTimeCompare(pk.Connect.Password, []byte(l.pass))
	return u&p == 1
}

func (*login) OnACLCheck(*mochi.Client, string, bool) bool { return true }
