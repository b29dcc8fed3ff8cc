// Package broker is the embedded MQTT broker (mochi-mqtt) of `kioskctl broker` and
// `kioskctl demo`, for demos and tests. Production uses Mosquitto or a broker cluster.
//
// It enforces what the shipped Mosquitto configuration does: every client logs in, its
// client id is its login (the hub's clients: "hub" or "hub-…"), the hub's login may use
// every topic and any other login is a device id confined to its own topics (it reads its
// config and ack and the hub's presence, writes its journal and state), and packets are
// capped in size.
package broker

import (
	"bufio"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"ticketkiosk/mqtt"
)

// DefaultMaxPacket is the largest MQTT packet the broker accepts by default (8 MiB, as the
// shipped Mosquitto configuration's max_packet_size): a journal batch is at most 1 MiB, a
// signed config at most 4 MiB.
const DefaultMaxPacket = 8 << 20

// Broker is a running embedded broker.
type Broker struct {
	srv *mochi.Server
	tcp *listeners.TCP
}

// Options configure Start.
type Options struct {
	Listen string // TCP address, e.g. 127.0.0.1:1883 (port 0 picks a free one)
	// Users maps each login to its password. mqtt.ReservedID ("hub") is the hub's; every
	// other login is a device id (mqtt.ValidDeviceID) confined to that device's topics.
	Users map[string]string
	// Anonymous lets every client in without a login and with the hub's rights: only for
	// tests that run hub and devices in one process. Start refuses Users and Anonymous
	// together, and neither.
	Anonymous bool
	Prefix    string // topic prefix; default mqtt.DefaultPrefix
	MaxPacket uint32 // largest packet accepted; default DefaultMaxPacket
	Logger    *slog.Logger
}

// Start starts an embedded broker listening on o.Listen.
func Start(o Options) (*Broker, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxPacket == 0 {
		o.MaxPacket = DefaultMaxPacket
	}
	if len(o.Users) == 0 && !o.Anonymous {
		return nil, errors.New("broker: no logins (Users) and not Anonymous")
	}
	if len(o.Users) > 0 && o.Anonymous {
		return nil, errors.New("broker: Users and Anonymous together")
	}
	for u, p := range o.Users {
		if err := mqtt.ValidDeviceID(u); err != nil {
			return nil, fmt.Errorf("broker: login: %w", err)
		}
		if p == "" {
			return nil, fmt.Errorf("broker: login %q has an empty password", u)
		}
	}
	topics, err := mqtt.NewTopics(o.Prefix)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	caps := mochi.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = o.MaxPacket
	srv := mochi.New(&mochi.Options{Logger: o.Logger.With("component", "broker"), InlineClient: false, Capabilities: caps})
	if err := srv.AddHook(&guard{users: o.Users, anonymous: o.Anonymous, topics: topics}, nil); err != nil {
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

// ReadUsers reads a logins file: one "name:password" a line; blank lines and lines starting
// with '#' are skipped.
func ReadUsers(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("broker: users: %w", err)
	}
	defer f.Close()
	users := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, pass, ok := strings.Cut(line, ":")
		if !ok || pass == "" {
			return nil, fmt.Errorf("broker: users %s:%d: want name:password", path, n)
		}
		if _, dup := users[name]; dup {
			return nil, fmt.Errorf("broker: users %s:%d: %q twice", path, n, name)
		}
		users[name] = pass
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("broker: users: %w", err)
	}
	return users, nil
}

// guard authenticates clients, binds their client id to their login and confines devices
// to their topics (the Mosquitto ACL pattern file, scripts/mosquitto.acl).
type guard struct {
	mochi.HookBase
	users     map[string]string
	anonymous bool
	topics    mqtt.Topics
}

func (*guard) ID() string { return "kioskctl-guard" }

func (*guard) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (g *guard) OnConnectAuthenticate(_ *mochi.Client, pk packets.Packet) bool {
	if g.anonymous {
		return true
	}
	user := string(pk.Connect.Username)
	want, known := g.users[user]
	// Compare even for an unknown login, so that the time does not tell which logins exist.
	ok := subtle.ConstantTimeCompare(pk.Connect.Password, []byte(want)) == 1 && known
	return ok && ownID(user, pk.Connect.ClientIdentifier)
}

// ownID reports whether a login may use a client id: a device only its own id, the hub
// "hub" and "hub-…" (serve, push and auto-push at once).
func ownID(user, clientID string) bool {
	if user == mqtt.ReservedID {
		return mqtt.Reserved(clientID)
	}
	return clientID == user
}

func (g *guard) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	if g.anonymous {
		return true
	}
	user := string(cl.Properties.Username)
	if user == mqtt.ReservedID {
		return true
	}
	if _, known := g.users[user]; !known {
		return false
	}
	return Allowed(g.topics, user, topic, write)
}

// Allowed reports whether device may write (or read: subscribe to) topic, by the rules of
// the Mosquitto ACL pattern file: a device reads its config and ack and the hub's presence,
// and writes its journal and state; nothing else, and no wildcard filter.
func Allowed(t mqtt.Topics, device, topic string, write bool) bool {
	if write {
		return topic == t.Journal(device) || topic == t.State(device)
	}
	return topic == t.Config(device) || topic == t.Ack(device) || topic == t.HubState()
}
