package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/mqtt"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// TestForgedJournalRefusedByServe: through Mosquitto (no ACL) into the real kioskctl
// serve, a rogue kiosk with k1's device id and its own key, and one with a device id no one
// registered, publish journal batches; none is stored, acknowledged or counted, each raises
// one signature alarm however many batches came; k1's own batch is stored and acknowledged,
// and kioskctl audit proves it from k1's key once serve stopped.
func TestForgedJournalRefusedByServe(t *testing.T) {
	e := newEnv(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, rogue, _ := ed25519.GenerateKey(rand.Reader)
	e.mustCtl("", "outlet", "add", "books", "--name", "Books", "--delivery", "print", "--locale", "en")
	e.mustCtl("", "device", "add", "k1", "--outlet", "books", "--key", base64.StdEncoding.EncodeToString(pub))

	// The sales of a device's store, as it would send them.
	sales := func(device string, key ed25519.PrivateKey, n int) [][]byte {
		st, err := store.Open(filepath.Join(e.dir, device+".db"), store.Options{Device: device, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for range n {
			if _, err := st.Append(clock.Wall{}, "anna@example.org", func(tx journal.Tx, en *journal.Entry) error {
				code, err := journal.NewCode(journal.TicketFacts{Device: device, Sale: en.Seq, N: 1, Of: 1, Event: "jazz", Type: "std"}, key)
				en.Kind, en.Sale = journal.KindSale, &journal.Sale{Outlet: "books", Event: "jazz", Currency: "EUR", Delivery: "print",
					Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250, Tickets: []journal.Ticket{{N: 1, Type: "std", Code: code}}}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		pending, err := st.Pending(0, 10, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		raws := make([][]byte, len(pending))
		for i, p := range pending {
			raws[i] = p.Data
		}
		return raws
	}
	raws := sales("k1", priv, 3)
	other := sales("k9", rogue, 1)

	serve := e.serve()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(e.broker.URL()).SetClientID("rogue"))
	if tk := c.Connect(); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
		t.Fatalf("connect: %v", tk.Error())
	}
	defer c.Disconnect(50)
	var (
		mu   sync.Mutex
		acks []mqtt.Ack
	)
	topic := func(device, kind string) string { return mqtt.DefaultPrefix + "/devices/" + device + "/" + kind }
	// Serve's query API answers before its collector has subscribed; a batch published
	// before then is lost (no session). The collector publishes its online state after
	// subscribing, and the broker keeps one client's packets in order.
	online := make(chan struct{})
	var onlineOnce sync.Once
	c.Subscribe(mqtt.DefaultPrefix+"/hub/state", 1, func(_ paho.Client, m paho.Message) {
		if s, err := mqtt.DecodeHubState(m.Payload()); err == nil && s.Status == mqtt.Online {
			onlineOnce.Do(func() { close(online) })
		}
	}).WaitTimeout(20 * time.Second)
	select {
	case <-online:
	case <-time.After(60 * time.Second):
		t.Fatal("serve never said it is online")
	}
	c.Subscribe(topic("k1", "ack"), 1, func(_ paho.Client, m paho.Message) {
		if a, err := mqtt.DecodeAck(m.Payload()); err == nil {
			mu.Lock()
			acks = append(acks, a)
			mu.Unlock()
		}
	}).WaitTimeout(20 * time.Second)
	publish := func(device string, payload []byte) {
		if tk := c.Publish(topic(device, "journal"), 1, false, payload); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
			t.Fatalf("publish: %v", tk.Error())
		}
	}
	for range 4 {
		publish("k1", mqtt.SealBatch(rogue, "k1", 1, raws))
	}
	publish("k9", mqtt.SealBatch(rogue, "k9", 1, other))
	publish("k1", mqtt.SealBatch(priv, "k1", 1, raws))

	testkit.Eventually(t, 60*time.Second, "k1's own batch stored and acknowledged", func() bool {
		d, err := e.deviceStatus("k1")
		mu.Lock()
		defer mu.Unlock()
		return err == nil && d.HubSeq == 3 && len(acks) > 0
	})
	hubKey, _ := base64.StdEncoding.DecodeString(e.hubKey)
	mu.Lock()
	for _, a := range acks {
		if a.UptoSeq != 3 || a.Verify(hubKey, "k1") != nil {
			t.Errorf("ack %+v: not the hub's ack of k1's own batch", a)
		}
	}
	mu.Unlock()
	s, err := e.status()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, a := range s.Alarms {
		if a.Kind == ledger.AlarmSignature {
			got[a.Device] = a.Count
		}
	}
	if len(got) != 2 || got["k1"] != 1 || got[ledger.UnknownDevice] != 1 {
		t.Fatalf("signature alarms %v in %+v", got, s.Alarms)
	}

	serve.Stop()
	testkit.Eventually(t, 30*time.Second, "serve stopped", func() bool {
		select {
		case <-serve.done:
			return true
		default:
			return false
		}
	})
	out := e.mustCtl("", "audit")
	if !strings.Contains(out, "1 devices, 3 entries proved by 1 device signatures") {
		t.Fatalf("audit:\n%s", out)
	}
}
