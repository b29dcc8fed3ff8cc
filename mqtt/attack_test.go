package mqtt

import (
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// The attacks of the trust issue, mounted for real through the embedded broker: another
// client on the same broker (no ACL) plays a rogue kiosk or a rogue hub.

// rogueKey is a key no one registered.
var rogueKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// ledgerHub is a collector storing straight into a ledger (a SealSink and an Alarmer), with
// only the devices named registered.
func ledgerHub(t *testing.T, conn Options, dir string, registered ...string) (*Collector, *ledger.Ledger) {
	t.Helper()
	l, err := ledger.Open(filepath.Join(dir, "ledger.db"), ledger.Options{NoSync: true, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	keys := func(id string) (ed25519.PublicKey, bool) {
		for _, r := range registered {
			if r == id {
				return testKeys(id)
			}
		}
		return nil, false
	}
	h, err := NewCollector(CollectorOptions{Conn: conn, Sink: l, Key: testHubKey, Keys: keys, AlarmEvery: time.Hour, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	t.Cleanup(func() { h.Halt(); l.Close() })
	waitSubscribed(t, conn)
	return h, l
}

// waitSubscribed returns once the collector's journal subscription is in place: it
// publishes its online state after subscribing, and the broker handles one client's
// packets in order. A batch published before that would be lost (no session), and the
// tests that count refusals would see none.
func waitSubscribed(t *testing.T, conn Options) {
	t.Helper()
	tp, _ := NewTopics("")
	online := make(chan struct{})
	var once sync.Once
	spy := rawClient(t, conn, "spy-subscribed", map[string]paho.MessageHandler{tp.HubState(): func(_ paho.Client, m paho.Message) {
		if s, err := DecodeHubState(m.Payload()); err == nil && s.Status == Online {
			once.Do(func() { close(online) })
		}
	}})
	defer spy.Disconnect(0)
	select {
	case <-online:
	case <-time.After(20 * time.Second):
		t.Fatal("the collector never said it is online")
	}
}

// acks collects the acks published on a device's ack topic.
type acks struct {
	mu  sync.Mutex
	got []Ack
}

func (a *acks) handler(_ paho.Client, m paho.Message) {
	if ack, err := DecodeAck(m.Payload()); err == nil {
		a.mu.Lock()
		a.got = append(a.got, ack)
		a.mu.Unlock()
	}
}

func (a *acks) list() []Ack {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Ack(nil), a.got...)
}

func TestForgedBatchIsNotStoredAckedOrCounted(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true}
	dir := t.TempDir()
	_, l := ledgerHub(t, conn, dir, "k1")
	tp, _ := NewTopics("")
	seen := &acks{}
	rogue := rawClient(t, conn, "rogue", map[string]paho.MessageHandler{tp.Ack("k1"): seen.handler})

	// A rogue kiosk with the same device id and its own key: five forged batches of two
	// sales, then one from a device nobody registered.
	forged := entries(t, "k1", 2)
	for range 5 {
		wait(t, rogue.Publish(tp.Journal("k1"), 1, false, SealBatch(rogueKey, "k1", 1, forged)))
	}
	wait(t, rogue.Publish(tp.Journal("k9"), 1, false, SealBatch(deviceKey("k9"), "k9", 1, entries(t, "k9", 1))))
	// Then the real k1's first entry (entries of another store: seq 1 with its own bytes).
	st := openStore(t, filepath.Join(dir, "k1.db"), "k1", true)
	appendSales(t, st, 1)
	raws, err := st.Pending(0, 10, 1<<20)
	if err != nil || len(raws) != 1 {
		t.Fatal(raws, err)
	}
	wait(t, rogue.Publish(tp.Journal("k1"), 1, false, SealBatch(deviceKey("k1"), "k1", 1, [][]byte{raws[0].Data})))

	// The hub handles messages in order: once the real entry is acknowledged, the forged
	// ones were refused before it.
	testkit.Eventually(t, 20*time.Second, "the real entry acknowledged", func() bool { return len(seen.list()) > 0 })
	for _, a := range seen.list() {
		if a.UptoSeq != 1 || a.Verify(testHubPub, "k1") != nil {
			t.Fatalf("ack %+v (a forged batch acknowledged, or an ack not signed by the hub)", a)
		}
	}
	devs, err := l.Devices()
	if err != nil || len(devs) != 1 || devs[0].ID != "k1" || devs[0].Entries != 1 {
		t.Fatalf("ledger devices %+v, %v (forged entries stored?)", devs, err)
	}
	var tickets int64
	_ = l.Counters(func(_ string, _ journal.Key, tl journal.Tally) { tickets += tl.Tickets })
	if tickets != 1 {
		t.Fatalf("%d tickets counted, want the real sale's 1", tickets)
	}
	// One alarm per device for the interval, however many batches: k1's (five refused) and
	// one for every unregistered id.
	alarms, err := l.Alarms()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, a := range alarms {
		if a.Kind == ledger.AlarmSignature {
			got[a.Device] = a.Count
		}
	}
	if len(got) != 2 || got["k1"] != 1 || got[ledger.UnknownDevice] != 1 {
		t.Fatalf("signature alarms %v (%+v)", got, alarms)
	}
	// What is stored is proved offline from the device key.
	rep, err := l.Audit(testKeys)
	if err != nil || len(rep.Problems) != 0 || rep.Entries != 1 || rep.Seals != 1 {
		t.Fatalf("audit %+v, %v", rep, err)
	}
}

// hubAs plays the hub's part on the wire with the tests' hub key: its state, and acks.
type hubAs struct {
	t      *testing.T
	c      paho.Client
	tp     Topics
	epoch  uint64
	signed uint64
}

func (h *hubAs) state(status string, key ed25519.PrivateKey) []byte {
	h.signed++
	return HubState{Status: status, Hub: "hub", Epoch: h.epoch, Counter: h.epoch + h.signed}.Sign(key).Encode()
}

func (h *hubAs) publishState(status string, key ed25519.PrivateKey) {
	wait(h.t, h.c.Publish(h.tp.HubState(), 1, true, h.state(status, key)))
}

func (h *hubAs) ack(device string, upto, counter uint64, key ed25519.PrivateKey) {
	wait(h.t, h.c.Publish(h.tp.Ack(device), 1, false, Ack{Device: device, UptoSeq: upto, Counter: counter}.Sign(key).Encode()))
}

func refusedCount(d *Device) uint64 {
	_, n := d.hubRefus.last()
	return n
}

func TestForgedAckKeepsUnsentEntries(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true}
	dir := t.TempDir()
	tp, _ := NewTopics("")
	const n = 50
	st := openStore(t, filepath.Join(dir, "k1.db"), "k1", true)
	appendSales(t, st, n)
	var (
		mu       sync.Mutex
		realAcks [][]byte
	)
	spy := rawClient(t, conn, "spy", map[string]paho.MessageHandler{tp.Ack("k1"): func(_ paho.Client, m paho.Message) {
		if a, err := DecodeAck(m.Payload()); err != nil || a.Verify(testHubPub, "k1") != nil {
			return // the forged ones
		}
		mu.Lock()
		realAcks = append(realAcks, append([]byte(nil), m.Payload()...))
		mu.Unlock()
	}})
	// No real hub yet: the attacker says online (signed: a captured state of the hub) so
	// that the kiosk sends, then acknowledges everything with acks the hub never signed.
	fake := &hubAs{t: t, c: spy, tp: tp, epoch: 1000}
	fake.publishState(Online, testHubKey)
	d := startDevice(t, conn, st)
	testkit.Eventually(t, 20*time.Second, "the kiosk sees the hub online", func() bool { _, hub := d.Online(); return hub })

	fake.ack("k1", n, 1<<62, rogueKey)                                                      // another key
	wait(t, fake.c.Publish(tp.Ack("k1"), 1, false, Ack{Device: "k1", UptoSeq: n}.Encode())) // unsigned
	wait(t, fake.c.Publish(tp.Ack("k1"), 1, false, Ack{Device: "k2", UptoSeq: n, Counter: 1 << 62}.Sign(testHubKey).Encode()))
	testkit.Eventually(t, 20*time.Second, "three acks refused", func() bool { return refusedCount(d) == 3 })
	if st.Acked() != 0 || st.HubSeen().Ack != 0 {
		t.Fatalf("a forged ack marked %d entries synced", st.Acked())
	}
	// The state topic reports the refusals.
	testkit.Eventually(t, 20*time.Second, "refusals on the state topic", func() bool {
		s := d.state(Online)
		return s.HubRefusedN == 3 && s.HubRefused != ""
	})

	// The real hub comes: the kiosk resends what the forged acks claimed, and every entry
	// reaches the ledger.
	_, l := ledgerHub(t, conn, dir, "k1")
	testkit.Eventually(t, 60*time.Second, "every entry acknowledged by the real hub", func() bool { return st.Acked() == n })
	devs, err := l.Devices()
	if err != nil || len(devs) != 1 || devs[0].Entries != n {
		t.Fatalf("ledger %+v, %v", devs, err)
	}
	// One of the hub's own acks played again, after a newer one: refused as stale.
	appendSales(t, st, 5)
	d.Wake()
	testkit.Eventually(t, 60*time.Second, "the new sales acknowledged", func() bool { return st.Acked() == n+5 })
	mu.Lock()
	first := realAcks[0]
	mu.Unlock()
	if a, err := DecodeAck(first); err != nil || a.Counter >= st.HubSeen().Ack {
		t.Fatalf("the first real ack %+v, %v; accepted counter %d", a, err, st.HubSeen().Ack)
	}
	wait(t, spy.Publish(tp.Ack("k1"), 1, false, first))
	testkit.Eventually(t, 20*time.Second, "the replayed ack refused", func() bool { return refusedCount(d) == 4 })
	if reason, _ := d.hubRefus.last(); !strings.Contains(reason, ErrStale.Error()) {
		t.Fatalf("replay refused as %q", reason)
	}
}

func TestForgedAndReplayedHubStateRefused(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true}
	dir := t.TempDir()
	tp, _ := NewTopics("")

	// A hub that ran before and stopped: its signed offline state is captured.
	var (
		mu       sync.Mutex
		captured [][]byte
	)
	spy := rawClient(t, conn, "spy", map[string]paho.MessageHandler{tp.HubState(): func(_ paho.Client, m paho.Message) {
		if s, err := DecodeHubState(m.Payload()); err == nil && s.Status == Offline {
			mu.Lock()
			captured = append(captured, append([]byte(nil), m.Payload()...))
			mu.Unlock()
		}
	}})
	old, oldLedger := ledgerHub(t, conn, filepath.Join(dir))
	testkit.Eventually(t, 20*time.Second, "the old hub online", func() bool { return old.client.IsConnectionOpen() })
	old.Halt()
	oldLedger.Close()
	testkit.Eventually(t, 20*time.Second, "the old hub's offline state captured", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(captured) > 0
	})
	mu.Lock()
	replay := captured[len(captured)-1]
	mu.Unlock()

	hubDir := t.TempDir()
	_, l := ledgerHub(t, conn, hubDir, "k1")
	st := openStore(t, filepath.Join(dir, "k1.db"), "k1", true)
	appendSales(t, st, 10)
	d := startDevice(t, conn, st)
	testkit.Eventually(t, 30*time.Second, "the first sales acknowledged", func() bool { return st.Acked() == 10 })

	// Forged retained offline (another key), unsigned offline, and the old hub's genuine
	// offline replayed: each refused, the kiosk keeps syncing.
	attacker := &hubAs{t: t, c: spy, tp: tp, epoch: 1 << 62}
	attacker.publishState(Offline, rogueKey)
	wait(t, spy.Publish(tp.HubState(), 1, true, HubState{Status: Offline, Hub: "hub", Epoch: 1 << 62, Counter: 1 << 62}.Encode()))
	wait(t, spy.Publish(tp.HubState(), 1, true, replay))
	testkit.Eventually(t, 20*time.Second, "three hub states refused", func() bool { return refusedCount(d) >= 3 })
	if _, hub := d.Online(); !hub {
		t.Fatal("a refused hub state stopped the kiosk's syncing")
	}
	if seen := st.HubSeen(); seen.Epoch == 0 || seen.Online == 0 || seen.Offline != 0 {
		t.Fatalf("hub state counters %+v", seen)
	}
	appendSales(t, st, 10)
	d.Wake()
	testkit.Eventually(t, 30*time.Second, "sales after the attack acknowledged", func() bool { return st.Acked() == 20 })
	devs, _ := l.Devices()
	if len(devs) != 1 || devs[0].Entries != 20 {
		t.Fatalf("ledger %+v", devs)
	}
}

// The kiosk's counter rule for hub states, case by case.
func TestAcceptHubState(t *testing.T) {
	on := func(epoch, ctr uint64) HubState { return HubState{Status: Online, Epoch: epoch, Counter: ctr} }
	off := func(epoch, ctr uint64) HubState { return HubState{Status: Offline, Epoch: epoch, Counter: ctr} }
	seen := store.HubSeen{Ack: 9}
	steps := []struct {
		s     HubState
		fresh bool
		stale bool
	}{
		{on(10, 11), true, false},   // the hub's client 10 comes online
		{on(10, 11), true, false},   // its retained state again (a reconnection)
		{off(10, 10), true, false},  // its will: the connection is gone
		{off(10, 10), false, false}, // the will again: nothing new
		{on(10, 11), true, false},   // the online state before the will, replayed: taken (the kiosk then sends into the void until its ack timeout)
		{on(10, 12), true, false},   // the same client reconnected
		{off(10, 10), false, false}, // the will once more: nothing new
		{off(5, 6), false, true},    // an older client's state
		{on(20, 21), true, false},   // a new hub client
		{off(10, 13), false, true},  // the old client's, replayed after
	}
	for i, s := range steps {
		next, fresh, err := acceptHubState(seen, s.s)
		if fresh != s.fresh || (err != nil) != s.stale {
			t.Fatalf("step %d %+v: fresh %v, err %v", i, s.s, fresh, err)
		}
		if next.Ack != 9 {
			t.Fatalf("step %d changed the ack counter", i)
		}
		seen = next
	}
}
