package mqtt

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/testkit"
)

// gatedSink holds every ingest until open is closed, as a slow disk would.
type gatedSink struct {
	*ledger.Ledger
	open chan struct{}
}

func (g gatedSink) Ingest(device string, e []*journal.Entry) (uint64, error) {
	<-g.open
	return g.Ledger.Ingest(device, e)
}

func (g gatedSink) IngestAll(b map[string][]*journal.Entry) (map[string]uint64, error) {
	<-g.open
	return g.Ledger.IngestAll(b)
}

func (g gatedSink) IngestSealed(b map[string]ledger.Sealed) (map[string]ledger.Result, error) {
	<-g.open
	return g.Ledger.IngestSealed(b)
}

// recordCounter counts the log records of each message.
type recordCounter struct {
	mu *sync.Mutex
	n  map[string]int
}

func (c recordCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c recordCounter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	c.n[r.Message]++
	c.mu.Unlock()
	return nil
}
func (c recordCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c recordCounter) WithGroup(string) slog.Handler      { return c }

func (c recordCounter) count(msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[msg]
}

// TestCollectorQueueBoundDropsAndTheDeviceResends: with the hub's store stalled, the ingest
// queue takes at most QueueBatches batches and drops the rest unacknowledged, with one
// warning per device per interval however many were dropped; once the store moves again
// the device's resends bring every dropped batch in, each entry stored once.
func TestCollectorQueueBoundDropsAndTheDeviceResends(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true, ReconnectMax: time.Second}
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sink := gatedSink{l, make(chan struct{})}
	logs := recordCounter{&sync.Mutex{}, map[string]int{}}
	var known atomic.Int32
	hub, err := NewCollector(CollectorOptions{Key: testHubKey, Keys: testKeys, Conn: conn, Sink: sink, Logger: slog.New(logs),
		QueueBatches: 4, WarnEvery: time.Hour,
		Known: func(d string) bool { known.Add(1); return d == "k1" }})
	if err != nil {
		t.Fatal(err)
	}
	hub.Start()
	defer hub.Halt()

	const n = 200
	st := openStore(t, filepath.Join(t.TempDir(), "k1.db"), "k1", true)
	defer st.Close()
	appendSales(t, st, n)
	hubPub, _ := testHub(t)
	dev, err := NewDevice(DeviceOptions{Conn: conn, Store: st, Key: deviceKey(st.Device()), HubKey: hubPub, Logger: testLogger(),
		BatchEntries: 10, Window: 16, AckTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	dev.Start()
	defer dev.Halt()

	const dropped = "journal batch dropped, the ingest queue is full; the device sends it again"
	testkit.Eventually(t, 20*time.Second, "a dropped batch", func() bool { return logs.count(dropped) > 0 })
	if st.Acked() != 0 {
		t.Fatalf("acked %d with the store stalled", st.Acked())
	}
	close(sink.open)
	testkit.Eventually(t, 60*time.Second, "every entry acknowledged", func() bool { return st.Acked() == n })
	devs, err := l.Devices()
	if err != nil || len(devs) != 1 || devs[0].LastSeq != n {
		t.Fatalf("hub devices %+v, %v", devs, err)
	}
	if c := logs.count(dropped); c != 1 {
		t.Fatalf("%d drop warnings for one device in one interval", c)
	}
	// A state of an unregistered device is not kept.
	raw := rawClient(t, conn, "k9")
	wait(t, raw.Publish(hub.topics.State("k9"), 1, true, DeviceState{Status: Online}.Encode()))
	testkit.Eventually(t, 20*time.Second, "k9's state looked at", func() bool {
		return logs.count("device state of an unregistered device ignored") == 1
	})
	if _, ok := hub.States()["k9"]; ok {
		t.Fatal("the state of an unregistered device was kept")
	}
	if _, ok := hub.States()["k1"]; !ok {
		t.Fatal("k1's state was not kept")
	}
}
