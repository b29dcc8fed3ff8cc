package hub

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/mqtt"
	"ticketkiosk/mqtt/broker"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// logBuf is a log destination the test reads while serve writes to it.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeRefusesRevokedDevice: serve stores and acknowledges the journal of a device of
// the outlet, and refuses a revoked one's: its sale is neither stored nor acknowledged.
func TestServeRefusesRevokedDevice(t *testing.T) {
	bk, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Anonymous: true, Logger: quiet})
	must(t, err)
	defer bk.Close()
	dir := t.TempDir()
	logs := &logBuf{}
	opt := Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), NoSync: true}
	_, err = Init(filepath.Join(dir, "hub"), opt)
	must(t, err)
	h, err := Open(filepath.Join(dir, "hub"), opt)
	must(t, err)
	must(t, h.SaveOutlet(catalog.Outlet{ID: "o1", Name: "Books", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"}, true))
	must(t, h.SaveEvent(concert, true))
	must(t, h.SaveLink(catalog.Link{Outlet: "o1", Event: "concert"}))

	conn := mqtt.Options{URL: bk.URL(), AllowInsecure: true}
	stores := map[string]*store.Store{}
	for _, id := range []string{"k1", "k2"} {
		k := newDevice(t, id)
		must(t, h.AddDevice(catalog.Device{ID: id, Outlet: "o1", PublicKey: k.pub}))
		st, err := store.Open(filepath.Join(dir, id+".db"), store.Options{Device: id, NoSync: true})
		must(t, err)
		defer st.Close()
		_, err = st.Append(clock.Wall{}, "anna@example.org", func(tx journal.Tx, e *journal.Entry) error {
			code, err := journal.NewCode(journal.TicketFacts{Device: id, Sale: e.Seq, N: 1, Of: 1, Event: "concert", Type: "std"}, k.priv)
			e.Kind, e.Sale = journal.KindSale, &journal.Sale{Outlet: "o1", Event: "concert", Currency: "EUR", Delivery: "print",
				Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250, Tickets: []journal.Ticket{{N: 1, Type: "std", Code: code}}}
			return err
		})
		must(t, err)
		stores[id] = st
		dev, err := mqtt.NewDevice(mqtt.DeviceOptions{Conn: conn, Store: st, Key: k.priv, HubKey: h.PublicKey(), Logger: quiet})
		must(t, err)
		dev.Start()
		defer dev.Halt()
	}
	_, err = h.SignConfigs("", false) // the prices the ingest checks sales against
	must(t, err)
	must(t, h.RevokeDevice("k1", "stolen"))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- NewServer(h, ServeOptions{Conn: conn, Collect: 50 * time.Millisecond}).Run(ctx)
	}()
	unsynced := func(id string) uint64 { bl, _ := stores[id].Unsynced(); return bl.Entries }
	testkit.Eventually(t, 20*time.Second, "k2's sale acknowledged", func() bool { return unsynced("k2") == 0 })
	testkit.Eventually(t, 20*time.Second, "k1's batch refused", func() bool {
		return strings.Contains(logs.String(), `journal batch of a revoked device refused" device=k1`)
	})
	cancel()
	must(t, <-done)
	if n := unsynced("k1"); n != 1 {
		t.Fatalf("k1 has %d unsynced entries, want its sale unacknowledged", n)
	}
	q, err := h.Query()
	must(t, err)
	defer q.Close()
	r, err := q.Report(Filter{By: ByOutlet})
	must(t, err)
	if r.Total.Tickets != 1 {
		t.Fatalf("serve counted %d tickets, want 1 (k2's)", r.Total.Tickets)
	}
}
