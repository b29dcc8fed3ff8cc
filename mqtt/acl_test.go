package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/ledger"
	"ticketkiosk/testkit"
)

// TestMosquittoTLSAndDeviceACL runs the hub and a device through Mosquitto over TLS with
// client certificates (the certificate's name is the MQTT user) and the per-device ACL
// patterns of scripts/mosquitto.acl, and shows that a device can neither read another device's
// config nor write into another device's journal.
func TestMosquittoTLSAndDeviceACL(t *testing.T) {
	ca := testkit.NewCA(t)
	srvCert, srvKey := ca.Issue(t, "broker", true)
	// The ACL shipped for production.
	acl, err := filepath.Abs(filepath.Join("..", "scripts", "mosquitto.acl"))
	if err != nil {
		t.Fatal(err)
	}
	b := startMosquitto(t, "ssl",
		"cafile "+ca.File(),
		"certfile "+srvCert,
		"keyfile "+srvKey,
		"require_certificate true",
		"use_identity_as_username true",
		"acl_file "+acl,
	)
	conn := func(cn string) Options {
		cert, key := ca.Issue(t, cn, false)
		return Options{URL: b.URL(), CAFile: ca.File(), CertFile: cert, KeyFile: key, ReconnectMax: time.Second}
	}
	hubConn, k1Conn, k2Conn := conn("hub"), conn("k1"), conn("k2")

	// Without a client certificate the broker ends the TLS session.
	noCert := Options{CAFile: ca.File()}
	tcfg, err := noCert.tlsConfig()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tls.Dial("tcp", b.Addr(), tcfg)
	if err == nil {
		raw.SetDeadline(time.Now().Add(20 * time.Second))
		_, err = raw.Read(make([]byte, 1))
		raw.Close()
	}
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("a client without a certificate was not refused: %v", err)
	}

	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hub, err := NewCollector(CollectorOptions{Key: testHubKey, Keys: testKeys, Conn: hubConn, Sink: l, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	hub.Start()
	defer hub.Halt()

	hubPub, hubKey := testHub(t)
	st := openStore(t, filepath.Join(t.TempDir(), "k1.db"), "k1", true)
	defer st.Close()
	appendSales(t, st, 3)
	dev, err := NewDevice(DeviceOptions{Conn: k1Conn, Store: st, Key: deviceKey(st.Device()), HubKey: hubPub, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	dev.Start()
	defer dev.Halt()

	// The hub pushes both devices' configs; k1 applies its own over TLS.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Push(ctx, PushOptions{Conn: hubConn, Logger: testLogger()}, [][]byte{sign(t, sampleConfig("k1", 1), hubKey)})
	if err != nil || len(res) != 1 || res[0].Applied != 1 {
		t.Fatalf("push k1: %+v, %v", res, err)
	}
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	defer cancelShort()
	res, err = Push(short, PushOptions{Conn: hubConn, Logger: testLogger()}, [][]byte{sign(t, sampleConfig("k2", 1), hubKey)})
	if !errors.Is(err, ErrPushIncomplete) || len(res) != 1 || res[0].Done() || !res[0].Published {
		t.Fatalf("push k2 (offline): %+v, %v", res, err)
	}
	// k1's sales and its config_applied entry reach the hub through the ACL.
	testkit.Eventually(t, 20*time.Second, "k1's journal at the hub", func() bool { return st.Acked() == 4 })
	testkit.Eventually(t, 20*time.Second, "k1's state at the hub", func() bool { return hub.States()["k1"].ConfigVersion == 1 })

	// A rogue client with k1's certificate tries k2's topics.
	tp, _ := NewTopics("")
	var (
		mu   sync.Mutex
		got  = map[string]int{}
		acks = make(chan uint64, 16)
	)
	count := func(_ paho.Client, m paho.Message) {
		mu.Lock()
		got[m.Topic()]++
		mu.Unlock()
	}
	rogue := rawClient(t, k1Conn, "k1-rogue")
	// Subscribing to k2's config first, then to k1's: Mosquitto sends retained messages in
	// the order of the subscriptions, so k1's arriving means k2's would have come already.
	tok := rogue.Subscribe(tp.Config("k2"), 1, count)
	tok.WaitTimeout(20 * time.Second)
	if st, ok := tok.(*paho.SubscribeToken); ok {
		if q, found := st.Result()[tp.Config("k2")]; found && q != 0x80 {
			t.Logf("broker granted QoS %d for another device's config (messages still withheld)", q)
		}
	}
	wait(t, rogue.Subscribe(tp.Config("k1"), 1, count))
	wait(t, rogue.Subscribe(tp.Ack("k1"), 1, func(_ paho.Client, m paho.Message) {
		if a, err := DecodeAck(m.Payload()); err == nil {
			acks <- a.UptoSeq
		}
	}))
	testkit.Eventually(t, 20*time.Second, "k1's own retained config", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got[tp.Config("k1")] > 0
	})
	mu.Lock()
	if n := got[tp.Config("k2")]; n != 0 {
		t.Fatalf("k1 read k2's config %d times", n)
	}
	mu.Unlock()

	// Writing a forged k2 batch into k2's journal, then a duplicate of k1's first entry
	// into k1's own: the hub acknowledges the second, so it has seen all the rogue sent
	// before it, and it has nothing of k2.
	forged := testBatch("k2", entries(t, "k2", 2))
	wait(t, rogue.Publish(tp.Journal("k2"), 1, false, forged))
	first, err := st.Pending(0, 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	wait(t, rogue.Publish(tp.Journal("k1"), 1, false, testBatch("k1", [][]byte{first[0].Data})))
	select {
	case upto := <-acks:
		if upto != 4 {
			t.Fatalf("ack %d for k1", upto)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no ack for the rogue's k1 batch")
	}
	if _, err := l.Entry("k2", 1); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("k2's journal at the hub has a forged entry: %v", err)
	}
	devs, _ := l.Devices()
	if len(devs) != 1 || devs[0].ID != "k1" || devs[0].LastSeq != 4 {
		t.Fatalf("hub devices %+v", devs)
	}
	// And k2's own connection cannot write k1's state.
	k2 := rawClient(t, k2Conn, "k2")
	wait(t, k2.Publish(tp.State("k1"), 1, true, DeviceState{Status: Offline, ConfigVersion: 99}.Encode()))
	wait(t, k2.Publish(tp.State("k2"), 1, true, DeviceState{Status: Online, ConfigVersion: 0}.Encode()))
	testkit.Eventually(t, 20*time.Second, "k2's own state at the hub", func() bool { _, ok := hub.States()["k2"]; return ok })
	if s := hub.States()["k1"]; s.ConfigVersion != 1 || s.Status != Online {
		t.Fatalf("k2 overwrote k1's state: %+v", s)
	}
}
