package hub

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/mqtt"
	"ticketkiosk/mqtt/broker"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// brokerAndHub starts an embedded broker (anonymous, on loopback) and makes a hub in a
// temporary directory, for a test through serve; dir is the directory beside the hub's.
func brokerAndHub(t *testing.T) (*broker.Broker, *Hub, string) {
	t.Helper()
	bk, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Anonymous: true, Logger: quiet})
	must(t, err)
	t.Cleanup(func() { bk.Close() })
	dir := t.TempDir()
	opt := Options{Logger: quiet, NoSync: true}
	_, err = Init(filepath.Join(dir, "hub"), opt)
	must(t, err)
	h, err := Open(filepath.Join(dir, "hub"), opt)
	must(t, err)
	return bk, h, dir
}

// TestServeTopsUpAnOnlineKiosk: through serve and the embedded broker, a kiosk that sells
// below half its lease gets a new config with a higher cap by itself, and a kiosk added
// afterwards gets a grant from what is left and sells at once.
func TestServeTopsUpAnOnlineKiosk(t *testing.T) {
	bk, h, dir := brokerAndHub(t)
	must(t, h.SaveOutlet(catalog.Outlet{ID: "books", Name: "Books", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "UTC"}, true))
	must(t, h.SaveEvent(concert, true))
	must(t, h.SaveLink(catalog.Link{Outlet: "books", Event: "concert", Allot: map[string]int64{"std": 20}}))
	must(t, h.AddUser(catalog.User{Email: "boss@example.org", Code: "9001", Role: catalog.RoleSupervisor, Outlet: "books", PasswordHash: bcryptHash(t)}))

	conn := mqtt.Options{URL: bk.URL(), AllowInsecure: true}
	wake := map[string]func(){}
	kiosk := func(id string) *kioskSim {
		k := &kioskSim{dev: newDevice(t, id)}
		must(t, h.AddDevice(catalog.Device{ID: id, Outlet: "books", PublicKey: k.dev.pub}))
		st, err := store.Open(filepath.Join(dir, id+".db"), store.Options{Device: id, NoSync: true})
		must(t, err)
		t.Cleanup(func() { st.Close() })
		k.st = st
		dev, err := mqtt.NewDevice(mqtt.DeviceOptions{Conn: conn, Store: st, Key: k.dev.priv, HubKey: h.PublicKey(), Logger: quiet})
		must(t, err)
		dev.Start()
		t.Cleanup(func() { _ = dev.Halt() })
		wake[id] = dev.Wake
		return k
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pushAll := func() {
		signed, err := h.SignConfigs("", true)
		must(t, err)
		pctx, pcancel := context.WithTimeout(ctx, 20*time.Second)
		defer pcancel()
		_, err = h.PushSigned(pctx, mqtt.PushOptions{Conn: conn, ClientID: "hub-push-test", Logger: quiet}, signed)
		must(t, err)
	}
	k1 := kiosk("k1")
	done := make(chan error, 1)
	go func() {
		done <- NewServer(h, ServeOptions{Conn: conn, AutoPush: true, Collect: 50 * time.Millisecond}).Run(ctx)
	}()
	pushAll()
	if g := k1.grant(t); g != 10 {
		t.Fatalf("k1's first grant %d, want a lease of 10", g)
	}
	must(t, k1.sell(t, 6))
	wake["k1"]() // as the kiosk does after a sale
	testkit.Eventually(t, 20*time.Second, "k1 topped up to 16", func() bool { return k1.grant(t) == 16 })

	k2 := kiosk("k2")
	pushAll()
	if g := k2.grant(t); g != 4 {
		t.Fatalf("k2's grant %d, want the 4 left unassigned", g)
	}
	must(t, k2.sell(t, 4))
	wake["k2"]()
	testkit.Eventually(t, 20*time.Second, "k2's sale acknowledged", func() bool { bl, _ := k2.st.Unsynced(); return bl.Entries == 0 })
	cancel()
	must(t, <-done)
	// Both kiosks' sales counted (none rejected), the grants within the allotment.
	q, err := h.Query()
	must(t, err)
	defer q.Close()
	al, err := q.Allotments("books")
	must(t, err)
	for _, a := range al {
		if a.Type == "std" && a.Device == "" && (a.Sold != 10 || a.Granted != 20) {
			t.Fatalf("outlet line %+v, want 10 sold of 20 granted", a)
		}
	}
}
