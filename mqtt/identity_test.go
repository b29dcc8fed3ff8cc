package mqtt

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/ledger"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/testkit"
)

// shippedMosquitto starts Mosquitto with the shipped scripts/mosquitto.conf: its listener,
// persistence and file paths replaced by the test's, every other line as shipped.
func shippedMosquitto(t *testing.T, ca *testkit.CA) *mqtttest.Broker {
	t.Helper()
	srvCert, srvKey := ca.Issue(t, "broker", true)
	acl, err := filepath.Abs(filepath.Join("..", "scripts", "mosquitto.acl"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "scripts", "mosquitto.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	paths := map[string]string{"cafile": ca.File(), "certfile": srvCert, "keyfile": srvKey, "acl_file": acl}
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, _, _ := strings.Cut(line, " ")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case key == "listener" || key == "per_listener_settings" || strings.HasPrefix(key, "persistence"):
			continue // the test's own (mqtttest)
		case paths[key] != "":
			line = key + " " + paths[key]
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return startMosquitto(t, "ssl", lines...)
}

// lostCounter is a slog handler counting the "mqtt connection lost" records.
type lostCounter struct{ n *atomic.Int32 }

func (c lostCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c lostCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "mqtt connection lost" {
		c.n.Add(1)
	}
	return nil
}
func (c lostCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c lostCounter) WithGroup(string) slog.Handler      { return c }

// TestMosquittoClientIDTakeover mounts the takeover attack against Mosquitto run with the
// shipped configuration: a client holding a valid certificate (k1's) connects again and
// again with the client ids "hub" and "k2". The broker binds the client id to the
// certificate's name, so the real hub and kiosk k2 are never disconnected and k2 keeps
// syncing.
func TestMosquittoClientIDTakeover(t *testing.T) {
	ca := testkit.NewCA(t)
	b := shippedMosquitto(t, ca)
	conn := func(cn string) Options {
		cert, key := ca.Issue(t, cn, false)
		return Options{URL: b.URL(), CAFile: ca.File(), CertFile: cert, KeyFile: key, ReconnectMax: time.Second}
	}
	var lost atomic.Int32
	victimLog := slog.New(lostCounter{&lost})

	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hub, err := NewCollector(CollectorOptions{Key: testHubKey, Keys: testKeys, Conn: conn("hub"), Sink: l, Logger: victimLog})
	if err != nil {
		t.Fatal(err)
	}
	hub.Start()
	defer hub.Halt()
	hubPub, _ := testHub(t)
	st := openStore(t, filepath.Join(t.TempDir(), "k2.db"), "k2", true)
	defer st.Close()
	appendSales(t, st, 2)
	dev, err := NewDevice(DeviceOptions{Conn: conn("k2"), Store: st, Key: deviceKey(st.Device()), HubKey: hubPub, Logger: victimLog})
	if err != nil {
		t.Fatal(err)
	}
	dev.Start()
	defer dev.Halt()
	testkit.Eventually(t, 20*time.Second, "k2's first sales at the hub", func() bool { return st.Acked() == 2 })

	attacker := conn("k1")
	tcfg, err := attacker.tlsConfig()
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		for _, id := range []string{"hub", "k2"} {
			c := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetTLSConfig(tcfg).
				SetClientID(id).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second))
			tok := c.Connect()
			if !tok.WaitTimeout(20 * time.Second) {
				t.Fatalf("attacker's connect as %q hangs", id)
			}
			if tok.Error() == nil {
				c.Disconnect(50)
			}
		}
	}
	appendSales(t, st, 3)
	testkit.Eventually(t, 20*time.Second, "k2's later sales at the hub", func() bool { return st.Acked() == 5 })
	if n := lost.Load(); n != 0 {
		t.Fatalf("the attacker disconnected the real hub or k2 %d times", n)
	}
	if devs, _ := l.Devices(); len(devs) != 1 || devs[0].ID != "k2" || devs[0].LastSeq != 5 {
		t.Fatalf("hub devices %+v", devs)
	}
}
