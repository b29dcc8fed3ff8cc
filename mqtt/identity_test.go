package mqtt

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/ledger"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/testkit"
)

// shippedMosquitto starts Mosquitto with the shipped scripts/mosquitto.conf (see
// mqtttest.ShippedMosquitto).
func shippedMosquitto(t *testing.T, ca *testkit.CA) *mqtttest.Broker {
	t.Helper()
	return mqtttest.ShippedMosquitto(t, ca, filepath.Join("..", "scripts"))
}

// certConn returns the connection options to b of a client whose certificate, from ca,
// names it cn.
func certConn(t *testing.T, ca *testkit.CA, b *mqtttest.Broker) func(cn string) Options {
	return func(cn string) Options {
		cert, key := ca.Issue(t, cn, false)
		return Options{URL: b.URL(), CAFile: ca.File(), CertFile: cert, KeyFile: key, ReconnectMax: time.Second}
	}
}

// TestMosquittoClientIDTakeover mounts the takeover attack against Mosquitto run with the
// shipped configuration: a client holding a valid certificate (k1's) connects again and
// again with the client ids "hub" and "k2". The broker binds the client id to the
// certificate's name, so the real hub and kiosk k2 are never disconnected and k2 keeps
// syncing.
func TestMosquittoClientIDTakeover(t *testing.T) {
	ca := testkit.NewCA(t)
	b := shippedMosquitto(t, ca)
	conn := certConn(t, ca, b)
	victimLog, lost := mqtttest.LostCounter()

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

// TestMosquittoCollectorPush: behind the shipped Mosquitto, where every connection of the
// hub is the client "hub", a push through the collector's own connection reaches k2, which
// applies it (and a second one), while the collector is never disconnected and keeps
// acknowledging k2's sales; a push on a connection of its own (mqtt.Push) takes the id and
// disconnects the collector, which is why serve never opens one.
func TestMosquittoCollectorPush(t *testing.T) {
	ca := testkit.NewCA(t)
	b := shippedMosquitto(t, ca)
	conn := certConn(t, ca, b)
	hubLog, lost := mqtttest.LostCounter()
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hubConn := conn("hub")
	col, err := NewCollector(CollectorOptions{Key: testHubKey, Keys: testKeys, Conn: hubConn, Sink: l, Logger: hubLog})
	if err != nil {
		t.Fatal(err)
	}
	col.Start()
	defer col.Halt()
	hubPub, hubKey := testHub(t)
	st := openStore(t, filepath.Join(t.TempDir(), "k2.db"), "k2", true)
	defer st.Close()
	dev, err := NewDevice(DeviceOptions{Conn: conn("k2"), Store: st, Key: deviceKey(st.Device()), HubKey: hubPub, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	dev.Start()
	defer dev.Halt()
	appendSales(t, st, 2)
	testkit.Eventually(t, 20*time.Second, "k2's first sales at the hub", func() bool { return st.Acked() == 2 })

	for v := uint64(1); v <= 2; v++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := col.Push(ctx, PushOptions{}, [][]byte{sign(t, sampleConfig("k2", v), hubKey)})
		cancel()
		if err != nil || len(res) != 1 || !res[0].Published || res[0].Applied != v {
			t.Fatalf("push of version %d through the collector: %+v, %v", v, res, err)
		}
		appendSales(t, st, 1) // and the config_applied entry: every entry acknowledged
		testkit.Eventually(t, 20*time.Second, "k2's sale after the push", func() bool { b, err := st.Unsynced(); return err == nil && b.Entries == 0 })
	}
	if n := lost.Load(); n != 0 {
		t.Fatalf("the pushes through the collector disconnected it %d times", n)
	}
	if c, err := st.Config(); err != nil || c.Version != 2 {
		t.Fatalf("k2's config %+v, %v", c, err)
	}

	// The other way: a push on its own connection, as "hub" too (the two connections take
	// the id from each other, so the push may fail as well).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = Push(ctx, PushOptions{Conn: hubConn, Logger: testLogger()}, [][]byte{sign(t, sampleConfig("k2", 3), hubKey)})
	testkit.Eventually(t, 20*time.Second, "the collector disconnected by the second connection", func() bool { return lost.Load() > 0 })
}
