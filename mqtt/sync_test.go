package mqtt

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// countingSink is the ledger, counting what the hub handed it.
type countingSink struct {
	l *ledger.Ledger

	mu                   sync.Mutex
	calls, stored, dups  int
	held, maxBatchLength int
}

func (s *countingSink) Ingest(device string, entries []*journal.Entry) (uint64, error) {
	r, err := s.l.IngestBatch(device, entries)
	s.count(r, len(entries))
	return r.Upto, err
}

func (s *countingSink) IngestAll(batches map[string][]*journal.Entry) (map[string]uint64, error) {
	rs, err := s.l.IngestBatches(batches)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for device, r := range rs {
		s.count(r, len(batches[device]))
		out[device] = r.Upto
	}
	return out, nil
}

func (s *countingSink) count(r ledger.Result, n int) {
	s.mu.Lock()
	s.calls++
	s.stored += r.Stored
	s.dups += r.Duplicates
	s.held += r.Held
	s.maxBatchLength = max(s.maxBatchLength, n)
	s.mu.Unlock()
}

// singleSink hides IngestAll, so that the hub stores device by device.
type singleSink struct{ s Sink }

func (s singleSink) Ingest(device string, entries []*journal.Entry) (uint64, error) {
	return s.s.Ingest(device, entries)
}

func (s *countingSink) counts() (calls, stored, dups, held int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, s.stored, s.dups, s.held
}

// hubRig is a hub with its ledger that a test can kill and reopen.
type hubRig struct {
	path   string
	noSync bool
	single bool // through Sink.Ingest only
	conn   Options
	k      *killable
	l      *ledger.Ledger
	sink   *countingSink
	hub    *Collector
}

func startHub(t testing.TB, conn Options, path string, noSync bool, single ...bool) *hubRig {
	t.Helper()
	r := &hubRig{path: path, noSync: noSync, conn: conn, sink: &countingSink{}, single: len(single) > 0 && single[0]}
	r.start(t)
	t.Cleanup(r.stop)
	return r
}

func (r *hubRig) start(t testing.TB) {
	t.Helper()
	l, err := ledger.Open(r.path, ledger.Options{NoSync: r.noSync, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	r.l, r.sink.l = l, l
	r.k = &killable{}
	conn := r.conn
	if conn.dial == nil && strings.HasPrefix(conn.URL, "tcp://") {
		conn.dial = r.k.dial
	}
	var sink Sink = r.sink
	if r.single {
		sink = singleSink{r.sink}
	}
	r.hub, err = NewCollector(CollectorOptions{Key: testHubKey, Keys: testKeys, Conn: conn, Sink: sink, Software: "test", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	r.hub.Start()
}

// crash kills the hub mid-work and reopens it with its ledger.
func (r *hubRig) crash(t testing.TB) {
	t.Helper()
	r.hub.kill(r.k)
	if err := r.l.Close(); err != nil {
		t.Fatal(err)
	}
	r.start(t)
}

func (r *hubRig) stop() {
	r.hub.Halt()
	r.l.Close()
}

func startDevice(t testing.TB, conn Options, st *store.Store) *Device {
	t.Helper()
	pub, _ := testHub(t)
	d, err := NewDevice(DeviceOptions{Conn: conn, Store: st, Key: deviceKey(st.Device()), HubKey: pub, Logger: testLogger(),
		AckTimeout: 2 * time.Second, Health: func() Health { return Health{Software: "test", Printer: "ok"} }})
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	t.Cleanup(func() { d.Halt() })
	return d
}

// drain runs a device with n unacknowledged entries against a hub through broker b, with
// the broker restarted, the hub killed and reopened, and duplicate, reordered and
// out-of-gap batches injected along the way; then checks that the hub holds every entry
// exactly once and counts what the device counts.
func drain(t *testing.T, b broker, n int, single bool) {
	conn := Options{URL: b.URL(), AllowInsecure: true, ReconnectMax: 500 * time.Millisecond}
	dir := t.TempDir()
	st := backlogStore(t, dir, n, true)
	defer st.Close()
	rig := startHub(t, conn, filepath.Join(dir, "ledger.db"), true, single)
	limit := 60 * time.Second

	// Another client plays old batches again (duplicates), out of order, and a batch far
	// beyond what the hub has (it must wait for the gap to fill): first before the device
	// starts, so that the hub sees each case, then again after the hub's crash.
	tp, _ := NewTopics("")
	var (
		hubMu     sync.Mutex
		hubOnline []int64
	)
	inj := rawClient(t, conn, "injector", map[string]paho.MessageHandler{tp.HubState(): func(_ paho.Client, m paho.Message) {
		if s, err := DecodeHubState(m.Payload()); err == nil && s.Status == Online {
			hubMu.Lock()
			hubOnline = append(hubOnline, s.TS)
			hubMu.Unlock()
		}
	}})
	hubOnlineSince := func(ts int64) bool {
		hubMu.Lock()
		defer hubMu.Unlock()
		return len(hubOnline) > 0 && hubOnline[len(hubOnline)-1] >= ts
	}
	batch := func(from uint64) []byte {
		raws, err := st.Pending(from-1, 100, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		data := make([][]byte, len(raws))
		for i, r := range raws {
			data[i] = r.Data
		}
		return testBatch("k1", data)
	}
	inject := func() {
		for _, from := range []uint64{201, 1, 101, 1, uint64(n) - 99} {
			wait(t, inj.Publish(tp.Journal("k1"), 1, false, batch(from)))
		}
	}
	testkit.Eventually(t, limit, "the hub online", func() bool { return hubOnlineSince(0) })
	inject()
	testkit.Eventually(t, limit, "the injected batches stored", func() bool {
		devs, _ := rig.l.Devices()
		_, _, dups, held := rig.sink.counts()
		return len(devs) == 1 && devs[0].LastSeq >= 200 && dups >= 100 && held >= 100
	})
	if st.Acked() != 0 {
		t.Fatal("the device has acks before it started")
	}

	t0 := time.Now()
	startDevice(t, conn, st)
	testkit.Eventually(t, limit, "a third acknowledged", func() bool { return st.Acked() >= uint64(n/3) })
	t.Logf("%d acknowledged after %v; restarting the broker", st.Acked(), time.Since(t0))
	b.Restart()
	testkit.Eventually(t, limit, "two thirds acknowledged", func() bool { return st.Acked() >= uint64(2*n/3) })
	t.Logf("%d acknowledged after %v; killing the hub", st.Acked(), time.Since(t0))
	crashed := time.Now().UnixMilli()
	rig.crash(t)
	testkit.Eventually(t, limit, "the reopened hub online", func() bool { return hubOnlineSince(crashed) })
	inject()

	testkit.Eventually(t, limit, "everything acknowledged", func() bool { return st.Acked() == uint64(n) })
	t.Logf("all %d acknowledged after %v", n, time.Since(t0))
	testkit.Eventually(t, limit, "the hub to have everything", func() bool {
		devs, _ := rig.l.Devices()
		return len(devs) == 1 && devs[0].LastSeq == uint64(n)
	})

	devs, err := rig.l.Devices()
	if err != nil {
		t.Fatal(err)
	}
	if d := devs[0]; d.ID != "k1" || d.Entries != uint64(n) || d.Alarms != 0 || !d.GapSince.IsZero() {
		t.Fatalf("hub's view of k1: %+v", d)
	}
	last, err := st.Entry(uint64(n))
	if err != nil {
		t.Fatal(err)
	}
	if devs[0].LastHash != last.Hash() {
		t.Fatal("the hub's last hash is not the device's")
	}
	if alarms, _ := rig.l.Alarms(); len(alarms) != 0 {
		t.Fatalf("alarms %v", alarms)
	}
	// The hub counts exactly what the device counts.
	want := map[journal.Key]journal.Tally{}
	if err := st.Counters(func(k journal.Key, tl journal.Tally) { want[k] = tl }); err != nil {
		t.Fatal(err)
	}
	var total journal.Tally
	got := map[journal.Key]journal.Tally{}
	if err := rig.l.Counters(func(outlet string, k journal.Key, tl journal.Tally) {
		if outlet != "sofia-1" {
			t.Errorf("outlet %q", outlet)
		}
		got[k] = tl
		total.Add(tl)
	}); err != nil {
		t.Fatal(err)
	}
	if total.Tickets != int64(n) || total.Amount != int64(n)*1250 {
		t.Fatalf("hub total %+v for %d sales", total, n)
	}
	if len(got) != len(want) {
		t.Fatalf("hub has %d counters, device %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("counter %+v: hub %+v, device %+v", k, got[k], v)
		}
	}
	if bl, err := st.Unsynced(); err != nil || bl.Entries != 0 {
		t.Fatalf("device backlog %+v, %v", bl, err)
	}
	// The hub heard the device say so.
	testkit.Eventually(t, limit, "the device's state with nothing unsynced", func() bool {
		p, ok := rig.hub.States()["k1"]
		return ok && p.Status == Online && p.Unsynced == 0 && p.Software == "test"
	})
}

// TestDrain100kEmbedded: a device offline for 100,000 sales drains through the embedded
// broker, which restarts mid-drain, to a hub killed and reopened mid-drain.
func TestDrain100kEmbedded(t *testing.T) {
	drain(t, startMochi(t), 100_000, false)
}

// TestDrainMosquitto: the same through Mosquitto, with 20,000 sales (the 100,000 case
// runs in TestDrain100kEmbedded and in BenchmarkDrainMosquitto), and a sink that stores
// device by device rather than all devices' batches of a round in one commit.
func TestDrainMosquitto(t *testing.T) {
	drain(t, startMosquitto(t, "tcp", "allow_anonymous true"), 20_000, true)
}

// TestWakeSendsAtOnce: with the periodic tick an hour away, an entry appended after the
// backlog drained reaches the hub only because the kiosk called Wake.
func TestWakeSendsAtOnce(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true}
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "k1.db"), "k1", true)
	defer st.Close()
	appendSales(t, st, 5)
	rig := startHub(t, conn, filepath.Join(dir, "ledger.db"), true)
	pub, _ := testHub(t)
	d, err := NewDevice(DeviceOptions{Conn: conn, Store: st, Key: deviceKey(st.Device()), HubKey: pub, Logger: testLogger(),
		AckTimeout: time.Hour, StateEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	defer d.Halt()
	testkit.Eventually(t, 20*time.Second, "the backlog acknowledged", func() bool { return st.Acked() == 5 })
	if broker, hub := d.Online(); !broker || !hub {
		t.Fatalf("online: broker %v, hub %v", broker, hub)
	}
	for i := uint64(6); i <= 8; i++ {
		appendSales(t, st, 1)
		d.Wake()
		testkit.Eventually(t, 20*time.Second, "the new entry at the hub", func() bool {
			e, err := rig.l.Entry("k1", i)
			return err == nil && e.Seq == i
		})
	}
	testkit.Eventually(t, 20*time.Second, "the new entries acknowledged", func() bool { return st.Acked() == 8 })
	rig.hub.Halt()
	testkit.Eventually(t, 20*time.Second, "the device to see the hub offline", func() bool {
		broker, hub := d.Online()
		return broker && !hub
	})
}

// TestDeviceCrashMidDrain: the device is cut off mid-drain as by kill -9 and starts again
// from its store: nothing is lost or stored twice.
func TestDeviceCrashMidDrain(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true, ReconnectMax: 500 * time.Millisecond}
	dir := t.TempDir()
	path := filepath.Join(dir, "k1.db")
	st := openStore(t, path, "k1", true)
	appendSales(t, st, 3000)
	st.Close()
	st = openStore(t, path, "k1", false) // durable from here on, as on a kiosk
	rig := startHub(t, conn, filepath.Join(dir, "ledger.db"), true)

	k := &killable{}
	devConn := conn
	devConn.dial = k.dial
	pub, _ := testHub(t)
	d, err := NewDevice(DeviceOptions{Conn: devConn, Store: st, Key: deviceKey(st.Device()), HubKey: pub, Logger: testLogger(),
		BatchEntries: 50, AckTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	testkit.Eventually(t, 30*time.Second, "part of the backlog acknowledged", func() bool { return st.Acked() >= 500 })
	// kill -9: the engine stops where it is, the connection drops without a DISCONNECT,
	// and the store is closed under it.
	d.halt.Do(func() {
		close(d.quit)
		<-d.done
		k.cut()
		d.client.Disconnect(0)
	})
	acked := st.Acked()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, "the device's will at the hub", func() bool {
		p, ok := rig.hub.States()["k1"]
		return ok && p.Status == Offline
	})

	st = openStore(t, path, "k1", false)
	defer st.Close()
	if st.Acked() != acked || st.LastSeq() != 3000 {
		t.Fatalf("after the crash: acked %d (was %d), last %d", st.Acked(), acked, st.LastSeq())
	}
	startDevice(t, conn, st)
	testkit.Eventually(t, 30*time.Second, "everything acknowledged", func() bool { return st.Acked() == 3000 })
	devs, err := rig.l.Devices()
	if err != nil || len(devs) != 1 || devs[0].LastSeq != 3000 || devs[0].Entries != 3000 || devs[0].Alarms != 0 {
		t.Fatalf("hub: %+v, %v", devs, err)
	}
	var total journal.Tally
	_ = rig.l.Counters(func(_ string, _ journal.Key, tl journal.Tally) { total.Add(tl) })
	if total.Tickets != 3000 {
		t.Fatalf("hub counts %d tickets", total.Tickets)
	}
}

// TestNoJournalWhileHubOffline: a device whose broker has no hub online sends no journal;
// once the hub comes online it does.
func TestNoJournalWhileHubOffline(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true}
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "k1.db"), "k1", true)
	defer st.Close()
	appendSales(t, st, 3)
	tp, _ := NewTopics("")
	var (
		mu              sync.Mutex
		journals, state int
		last            DeviceState
	)
	rawClient(t, conn, "spy", map[string]paho.MessageHandler{
		tp.Journal("k1"): func(paho.Client, paho.Message) { mu.Lock(); journals++; mu.Unlock() },
		tp.State("k1"): func(_ paho.Client, m paho.Message) {
			st, err := DecodeDeviceState(m.Payload())
			mu.Lock()
			state++
			if err == nil {
				last = st
			}
			mu.Unlock()
		},
	})
	d := startDevice(t, conn, st)
	// The device publishes its state after any journal of the same step, on the same
	// connection: once the spy has its state, a journal message would have come first.
	testkit.Eventually(t, 20*time.Second, "the device's state", func() bool { mu.Lock(); defer mu.Unlock(); return state > 0 })
	mu.Lock()
	if journals != 0 {
		t.Fatalf("%d journal messages with no hub", journals)
	}
	// The state tells the backlog.
	if last.Status != Online || last.Unsynced != 3 || last.OldestUnsyncedS < 0 || last.Software != "test" || last.Printer != "ok" {
		t.Fatalf("state %+v", last)
	}
	mu.Unlock()
	if broker, hub := d.Online(); !broker || hub {
		t.Fatalf("online: broker %v, hub %v", broker, hub)
	}
	startHub(t, conn, filepath.Join(dir, "ledger.db"), true)
	testkit.Eventually(t, 20*time.Second, "the journal once the hub is online", func() bool { return st.Acked() == 3 })
	testkit.Eventually(t, 20*time.Second, "a state with nothing unsynced", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return last.Unsynced == 0 && last.OldestUnsyncedS == 0
	})
	mu.Lock()
	defer mu.Unlock()
	if journals == 0 {
		t.Fatal("the spy saw no journal message")
	}
}

// TestStateRepublished: with nothing changing, the state is published again every
// StateEvery, so the hub sees a device alive.
func TestStateRepublished(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true}
	st := openStore(t, filepath.Join(t.TempDir(), "k1.db"), "k1", true)
	defer st.Close()
	tp, _ := NewTopics("")
	var (
		mu  sync.Mutex
		tss []int64
	)
	rawClient(t, conn, "spy", map[string]paho.MessageHandler{tp.State("k1"): func(_ paho.Client, m paho.Message) {
		if s, err := DecodeDeviceState(m.Payload()); err == nil && s.Status == Online {
			mu.Lock()
			tss = append(tss, s.TS)
			mu.Unlock()
		}
	}})
	pub, _ := testHub(t)
	d, err := NewDevice(DeviceOptions{Conn: conn, Store: st, Key: deviceKey(st.Device()), HubKey: pub, Logger: testLogger(),
		StateEvery: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	defer d.Halt()
	testkit.Eventually(t, 20*time.Second, "three state publishes", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(tss) >= 3 && tss[2] > tss[0]
	})
}

// hubProcess is the hub of TestHubKilledMidDrain in a process of its own, with a durable
// ledger, serving until it is killed.
func hubProcess() int {
	l, err := ledger.Open(os.Getenv("MQTT_HUB_PROCESS"), ledger.Options{Logger: testLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	h, err := NewCollector(CollectorOptions{Key: testHubKey, Keys: testKeys, Conn: Options{URL: os.Getenv("MQTT_HUB_BROKER"), AllowInsecure: true}, Sink: l, Logger: testLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	h.Start()
	select {}
}

// TestHubKilledMidDrain kills the hub process with SIGKILL mid-drain, twice, and starts it
// again on its durable ledger: the ledger ends with every entry once and no alarm.
func TestHubKilledMidDrain(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true, ReconnectMax: 500 * time.Millisecond}
	dir := t.TempDir()
	const n = 6000
	path := filepath.Join(dir, "k1.db")
	st := openStore(t, path, "k1", true)
	appendSales(t, st, n)
	st.Close()
	st = openStore(t, path, "k1", false)
	defer st.Close()

	ledgerPath := filepath.Join(dir, "ledger.db")
	startHubProcess := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "MQTT_HUB_PROCESS="+ledgerPath, "MQTT_HUB_BROKER="+b.URL())
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}
	hub := startHubProcess()
	d, err := NewDevice(DeviceOptions{Conn: conn, Store: st, Key: deviceKey(st.Device()), HubKey: testHubPub,
		Logger: testLogger(), BatchEntries: 50, AckTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d.Start()
	defer d.Halt()
	for _, at := range []uint64{n / 3, 2 * n / 3} {
		testkit.Eventually(t, 60*time.Second, fmt.Sprintf("%d acknowledged", at), func() bool { return st.Acked() >= at })
		kill(hub)
		if a := st.Acked(); a >= n {
			t.Fatalf("the hub was killed after the drain (%d acknowledged)", a)
		}
		hub = startHubProcess()
	}
	testkit.Eventually(t, 60*time.Second, "everything acknowledged", func() bool { return st.Acked() == n })
	kill(hub)

	l, err := ledger.Open(ledgerPath, ledger.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	devs, err := l.Devices()
	if err != nil || len(devs) != 1 || devs[0].LastSeq != n || devs[0].Entries != n || devs[0].Alarms != 0 {
		t.Fatalf("ledger after two kills: %+v, %v", devs, err)
	}
	var total journal.Tally
	if err := l.Counters(func(_ string, _ journal.Key, tl journal.Tally) { total.Add(tl) }); err != nil {
		t.Fatal(err)
	}
	if total.Tickets != n || total.Amount != n*1250 {
		t.Fatalf("ledger counts %+v for %d sales", total, n)
	}
}

// TestDeviceKilledMidDrain kills the device process (deviceProcess, durable store) with
// SIGKILL mid-drain and starts it again: its store resumes and the hub has every entry once.
func TestDeviceKilledMidDrain(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true}
	dir := t.TempDir()
	const n = 6000
	path := filepath.Join(dir, "k1.db")
	st := openStore(t, path, "k1", true)
	appendSales(t, st, n)
	st.Close()
	rig := startHub(t, conn, filepath.Join(dir, "ledger.db"), false)
	acked := func() uint64 {
		devs, _ := rig.l.Devices()
		if len(devs) == 0 {
			return 0
		}
		return devs[0].LastSeq
	}
	device := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "MQTT_DEVICE_PROCESS="+path, "MQTT_DEVICE_BROKER="+b.URL(), "MQTT_DEVICE_ENTRIES="+strconv.Itoa(n))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	cmd := device()
	testkit.Eventually(t, 60*time.Second, "part of the journal at the hub", func() bool { return acked() >= n/3 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if a := acked(); a >= n {
		t.Fatalf("the device was killed after the drain (%d at the hub)", a)
	}
	if err := device().Wait(); err != nil { // drains the rest, then exits
		t.Fatalf("device process: %v", err)
	}
	devs, err := rig.l.Devices()
	if err != nil || len(devs) != 1 || devs[0].LastSeq != n || devs[0].Entries != n || devs[0].Alarms != 0 {
		t.Fatalf("hub: %+v, %v", devs, err)
	}
	st = openStore(t, path, "k1", true)
	defer st.Close()
	if st.Acked() != n {
		t.Fatalf("device store acked %d", st.Acked())
	}
}
