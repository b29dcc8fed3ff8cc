package broker

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/mqtt"
	"ticketkiosk/testkit"
)

var quiet = slog.New(slog.DiscardHandler)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// client connects with a login and client id; lost counts the times the broker cut it.
type client struct {
	paho.Client
	mu   sync.Mutex
	got  map[string][][]byte
	lost int
}

func dial(url, user, pass, id string) (*client, error) {
	c := &client{got: map[string][][]byte{}}
	o := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetUsername(user).SetPassword(pass).
		SetConnectTimeout(5 * time.Second).SetAutoReconnect(false).
		SetConnectionLostHandler(func(paho.Client, error) { c.mu.Lock(); c.lost++; c.mu.Unlock() })
	c.Client = paho.NewClient(o)
	t := c.Connect()
	t.WaitTimeout(10 * time.Second)
	return c, t.Error()
}

func (c *client) handler(_ paho.Client, m paho.Message) {
	c.mu.Lock()
	c.got[m.Topic()] = append(c.got[m.Topic()], m.Payload())
	c.mu.Unlock()
}

func (c *client) count(topic string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got[topic])
}

func (c *client) lostCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lost
}

func done(t testing.TB, tok paho.Token) error {
	t.Helper()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatal("token timed out")
	}
	return tok.Error()
}

func startGuarded(t *testing.T, o Options) *Broker {
	t.Helper()
	o.Listen, o.Logger = "127.0.0.1:0", quiet
	if o.Users == nil && !o.Anonymous {
		o.Users = map[string]string{"hub": "hub-pw", "k1": "k1-pw", "k2": "k2-pw"}
	}
	b, err := Start(o)
	must(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

// TestBrokerLogin: only a known login with its password gets in, with its own client id
// (the hub: "hub" or "hub-…"); the broker refuses to start without logins unless told to
// let everyone in.
func TestBrokerLogin(t *testing.T) {
	b := startGuarded(t, Options{})
	for _, c := range [][3]string{{"hub", "hub-pw", "hub"}, {"hub", "hub-pw", "hub-push"}, {"k1", "k1-pw", "k1"}} {
		cl, err := dial(b.URL(), c[0], c[1], c[2])
		if err != nil {
			t.Errorf("login %q as client %q refused: %v", c[0], c[2], err)
			continue
		}
		cl.Disconnect(50)
	}
	for _, c := range [][3]string{{"hub", "wrong", "hub"}, {"k3", "k1-pw", "k3"}, {"", "", "x"},
		{"k1", "k1-pw", "k2"}, {"k1", "k1-pw", "hub"}, {"hub", "hub-pw", "k1"}} {
		if cl, err := dial(b.URL(), c[0], c[1], c[2]); err == nil {
			cl.Disconnect(50)
			t.Errorf("login %q/%q as client %q admitted", c[0], c[1], c[2])
		}
	}
	if _, err := Start(Options{Listen: "127.0.0.1:0", Logger: quiet}); err == nil {
		t.Error("a broker without logins started")
	}
	if _, err := Start(Options{Listen: "127.0.0.1:0", Logger: quiet, Users: map[string]string{"k\r\n1": "x"}}); err == nil {
		t.Error("a login that is not a device id accepted")
	}

	open := startGuarded(t, Options{Anonymous: true})
	pub, err := dial(open.URL(), "", "", "pub")
	must(t, err)
	must(t, done(t, pub.Publish("tickets/v1/devices/k1/config", 1, true, []byte("cfg"))))
	pub.Disconnect(50)
	sub, err := dial(open.URL(), "", "", "sub")
	must(t, err)
	defer sub.Disconnect(50)
	must(t, done(t, sub.Subscribe("tickets/v1/devices/+/config", 1, sub.handler)))
	testkit.Eventually(t, 10*time.Second, "the retained config", func() bool { return sub.count("tickets/v1/devices/k1/config") == 1 })
}

// TestBrokerTakeover: a device's login cannot take the hub's or another device's client id,
// so the real ones stay connected.
func TestBrokerTakeover(t *testing.T) {
	b := startGuarded(t, Options{})
	hub, err := dial(b.URL(), "hub", "hub-pw", "hub")
	must(t, err)
	defer hub.Disconnect(50)
	k2, err := dial(b.URL(), "k2", "k2-pw", "k2")
	must(t, err)
	defer k2.Disconnect(50)
	for range 3 {
		for _, id := range []string{"hub", "k2"} {
			if c, err := dial(b.URL(), "k1", "k1-pw", id); err == nil {
				c.Disconnect(50)
			}
		}
	}
	// A round trip through the broker after the attack: a kicked client would know by now.
	must(t, done(t, hub.Subscribe(mqtt.DefaultPrefix+"/devices/k2/state", 1, hub.handler)))
	must(t, done(t, k2.Publish(mqtt.DefaultPrefix+"/devices/k2/state", 1, false, []byte("on"))))
	testkit.Eventually(t, 10*time.Second, "k2's state at the hub", func() bool { return hub.count(mqtt.DefaultPrefix+"/devices/k2/state") == 1 })
	if hub.lostCount() != 0 || k2.lostCount() != 0 || !hub.IsConnected() || !k2.IsConnected() {
		t.Fatalf("the attacker disconnected the hub (%d) or k2 (%d)", hub.lostCount(), k2.lostCount())
	}
}

// TestBrokerDeviceTopics: the rules of scripts/mosquitto.acl. k1 reads its own config and
// ack and the hub's state, never k2's config nor a wildcard; it writes its own journal and
// state, never k2's journal nor its own config; the hub reads and writes everything.
func TestBrokerDeviceTopics(t *testing.T) {
	b := startGuarded(t, Options{})
	tp, _ := mqtt.NewTopics("")
	hub, err := dial(b.URL(), "hub", "hub-pw", "hub")
	must(t, err)
	defer hub.Disconnect(50)
	for _, d := range []string{"k1", "k2"} {
		must(t, done(t, hub.Publish(tp.Config(d), 1, true, []byte("cfg-"+d))))
		must(t, done(t, hub.Publish(tp.Ack(d), 1, true, []byte("ack-"+d))))
	}
	must(t, done(t, hub.Publish(tp.HubState(), 1, true, []byte("online"))))
	must(t, done(t, hub.Subscribe(tp.All(mqtt.KindJournal), 1, hub.handler)))
	must(t, done(t, hub.Subscribe(tp.All(mqtt.KindConfig), 1, hub.handler)))

	k1, err := dial(b.URL(), "k1", "k1-pw", "k1")
	must(t, err)
	defer k1.Disconnect(50)
	// Forbidden subscriptions first: retained messages come in the order of the
	// subscriptions, so once the allowed ones arrived the forbidden would have.
	for _, f := range []string{tp.Config("k2"), tp.All(mqtt.KindConfig), mqtt.DefaultPrefix + "/#", tp.Journal("k2")} {
		k1.Subscribe(f, 1, k1.handler).WaitTimeout(10 * time.Second)
	}
	for _, f := range []string{tp.Config("k1"), tp.Ack("k1"), tp.HubState()} {
		must(t, done(t, k1.Subscribe(f, 1, k1.handler)))
	}
	testkit.Eventually(t, 10*time.Second, "k1's own retained topics", func() bool {
		// paho hands a message to every handler whose filter matches, refused or not.
		return k1.count(tp.Config("k1")) > 0 && k1.count(tp.Ack("k1")) > 0 && k1.count(tp.HubState()) > 0
	})
	if n := k1.count(tp.Config("k2")) + k1.count(tp.Ack("k2")); n != 0 {
		t.Fatalf("k1 read k2's topics %d times", n)
	}
	// Forbidden writes, then an allowed one: the broker cuts off a client that writes where
	// it may not (an MQTT 3.1.1 client has no other answer to a refused QoS 1 publish), and
	// the hub has the allowed one only.
	for _, forged := range []string{tp.Journal("k2"), tp.Config("k1"), tp.State("k2")} {
		k1.Publish(forged, 1, false, []byte("forged")).WaitTimeout(10 * time.Second)
		testkit.Eventually(t, 10*time.Second, "k1 cut off after writing "+forged, func() bool { return !k1.IsConnectionOpen() })
		k1, err = dial(b.URL(), "k1", "k1-pw", "k1")
		must(t, err)
	}
	must(t, done(t, k1.Publish(tp.Journal("k1"), 1, false, []byte("mine"))))
	testkit.Eventually(t, 10*time.Second, "k1's journal at the hub", func() bool { return hub.count(tp.Journal("k1")) == 1 })
	if n := hub.count(tp.Journal("k2")); n != 0 {
		t.Fatalf("k1 wrote k2's journal")
	}
	hub.mu.Lock()
	defer hub.mu.Unlock()
	if got := hub.got[tp.Config("k1")]; len(got) != 1 || string(got[0]) != "cfg-k1" {
		t.Fatalf("k1's config at the hub: %q", got)
	}
}

// TestBrokerPacketCap: a packet over MaxPacket is refused and its sender cut off; the
// subscriber never gets it.
func TestBrokerPacketCap(t *testing.T) {
	b := startGuarded(t, Options{MaxPacket: 64 << 10})
	tp, _ := mqtt.NewTopics("")
	k1, err := dial(b.URL(), "k1", "k1-pw", "k1")
	must(t, err)
	defer k1.Disconnect(50)
	must(t, done(t, k1.Subscribe(tp.Config("k1"), 1, k1.handler)))
	hub, err := dial(b.URL(), "hub", "hub-pw", "hub")
	must(t, err)
	hub.Publish(tp.Config("k1"), 1, false, bytes.Repeat([]byte("x"), 128<<10)).WaitTimeout(10 * time.Second)
	testkit.Eventually(t, 10*time.Second, "the sender cut off", func() bool { return !hub.IsConnectionOpen() })
	hub2, err := dial(b.URL(), "hub", "hub-pw", "hub-2")
	must(t, err)
	defer hub2.Disconnect(50)
	must(t, done(t, hub2.Publish(tp.Config("k1"), 1, false, []byte("small"))))
	testkit.Eventually(t, 10*time.Second, "the small config", func() bool { return k1.count(tp.Config("k1")) == 1 })
	k1.mu.Lock()
	defer k1.mu.Unlock()
	if got := k1.got[tp.Config("k1")][0]; string(got) != "small" {
		t.Fatalf("k1 got %d bytes", len(got))
	}
}

func TestReadUsers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "users")
	must(t, os.WriteFile(p, []byte("# logins\nhub:s3cret\n\nk1:pw:with:colons\r\n"), 0o600))
	u, err := ReadUsers(p)
	must(t, err)
	if len(u) != 2 || u["hub"] != "s3cret" || u["k1"] != "pw:with:colons" {
		t.Fatalf("users %q", u)
	}
	for _, bad := range []string{"hub\n", "hub:\n", "k1:a\nk1:b\n"} {
		must(t, os.WriteFile(p, []byte(bad), 0o600))
		if _, err := ReadUsers(p); err == nil || !strings.Contains(err.Error(), "users") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
