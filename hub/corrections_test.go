package hub

import (
	"errors"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// correctable is a hub with outlet o1 (devices k1, k2; supervisor anna, cashier ben)
// selling the concert, and an unlinked event "spare".
func correctable(t *testing.T) (*Hub, *device, *device) {
	t.Helper()
	h, _ := newHub(t)
	must(t, h.SaveOutlet(catalog.Outlet{ID: "o1", Name: "Books", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"}, true))
	must(t, h.SaveEvent(concert, true))
	spare := concert
	spare.ID = "spare"
	must(t, h.SaveEvent(spare, true))
	must(t, h.SaveLink(catalog.Link{Outlet: "o1", Event: "concert", Allot: map[string]int64{"std": 10}}))
	k1, k2 := newDevice(t, "k1"), newDevice(t, "k2")
	must(t, h.AddDevice(catalog.Device{ID: "k1", Outlet: "o1", PublicKey: k1.pub}))
	must(t, h.AddDevice(catalog.Device{ID: "k2", Outlet: "o1", PublicKey: k2.pub}))
	hash := bcryptHash(t)
	must(t, h.AddUser(catalog.User{Email: "anna@example.org", Code: "1001", Role: catalog.RoleSupervisor, Outlet: "o1", PasswordHash: hash}))
	must(t, h.AddUser(catalog.User{Email: "ben@example.org", Code: "1002", Role: catalog.RoleCashier, Outlet: "o1", PasswordHash: hash}))
	return h, k1, k2
}

// toPush returns the devices whose configs the next push signs.
func toPush(t *testing.T, h *Hub) string {
	t.Helper()
	s, err := h.SignConfigs("", true)
	must(t, err)
	var ids []string
	for _, c := range s {
		ids = append(ids, c.Device)
	}
	return strings.Join(ids, ",")
}

func wantErr(t *testing.T, err, is error, text string) {
	t.Helper()
	if !errors.Is(err, is) || !strings.Contains(err.Error(), text) {
		t.Fatalf("err = %v, want %v saying %q", err, is, text)
	}
}

func TestRevokedDeviceIsNotPushedNorCounted(t *testing.T) {
	h, k1, k2 := correctable(t)
	if got := toPush(t, h); got != "k1,k2" {
		t.Fatalf("first push signs %q", got)
	}
	wantErr(t, h.RevokeDevice("k1", " "), ErrInvalid, "needs a reason")
	wantErr(t, h.RevokeDevice("nope", "stolen"), ErrNotFound, "device nope")
	must(t, h.RevokeDevice("k1", "stolen"))
	wantErr(t, h.RevokeDevice("k1", "again"), ErrRevoked, "(stolen)")

	d, err := h.Device("k1")
	must(t, err)
	if d.Revoked == nil || d.Revoked.Reason != "stolen" || !d.Revoked.At.Equal(h.Now()) {
		t.Fatalf("k1 = %+v", d)
	}
	if d, _ := h.Device("k2"); d.Revoked != nil {
		t.Fatalf("k2 revoked: %+v", d)
	}
	// A change to the outlet would reach both; only k2 is signed, changed or not.
	must(t, h.SetCode("ben@example.org", "2002"))
	if got := toPush(t, h); got != "k2" {
		t.Fatalf("push after revocation signs %q, want k2", got)
	}
	all, err := h.SignConfigs("o1", false)
	must(t, err)
	if len(all) != 1 || all[0].Device != "k2" {
		t.Fatalf("a full push signs %+v", all)
	}

	// serve's sink: k1's batches are refused, k2's of the same round stored.
	l := openLedger(t, h)
	sink := h.RefuseRevoked(l)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	s1 := k1.sale(t, "o1", "print", "", at, "ben@example.org", concert, map[string]int{"std": 2})
	s2 := k2.sale(t, "o1", "print", "", at, "ben@example.org", concert, map[string]int{"std": 1})
	upto, err := sink.IngestAll(map[string][]*journal.Entry{"k1": {s1}, "k2": {s2}})
	must(t, err)
	if _, acked := upto["k1"]; acked || upto["k2"] != 1 {
		t.Fatalf("upto = %v, want k2 only", upto)
	}
	if _, err := sink.Ingest("k1", []*journal.Entry{s1}); !errors.Is(err, ErrRevoked) {
		t.Fatalf("Ingest of k1: %v", err)
	}
	r, err := localQuery{h: h, l: l}.Report(Filter{})
	must(t, err)
	if r.Total.Tickets != 1 {
		t.Fatalf("tickets counted %d, want 1 (k2's)", r.Total.Tickets)
	}
}

func TestUserCorrectionsReachTheDevices(t *testing.T) {
	h, _, _ := correctable(t)
	toPush(t, h)

	wantErr(t, h.EnableUser("ben@example.org"), ErrInvalid, "not disabled")
	must(t, h.DisableUser("ben@example.org"))
	toPush(t, h)
	must(t, h.EnableUser("BEN@example.org"))
	if got := toPush(t, h); got != "k1,k2" {
		t.Fatalf("enable: push signs %q", got)
	}
	cfg, err := h.BuildConfig("k1")
	must(t, err)
	for _, u := range cfg.Users {
		if u.Email == "ben@example.org" && u.Disabled {
			t.Fatal("ben still disabled in the config")
		}
	}

	wantErr(t, h.SetCode("ben@example.org", "1001"), ErrInvalid, "user ben@example.org: kiosk code 1001 is already used by anna@example.org")
	wantErr(t, h.SetCode("ben@example.org", "12"), ErrInvalid, "ben@example.org")
	if got := toPush(t, h); got != "" {
		t.Fatalf("refused changes mark %q for push", got)
	}
	must(t, h.SetCode("ben@example.org", "3003"))
	if got := toPush(t, h); got != "k1,k2" {
		t.Fatalf("code: push signs %q", got)
	}
	if u, _ := h.User("ben@example.org"); u.Code != "3003" {
		t.Fatalf("code = %s", u.Code)
	}

	hash, err := catalog.HashPassword("another-pass")
	must(t, err)
	must(t, h.SetPassword("ben@example.org", hash))
	if got := toPush(t, h); got != "k1,k2" {
		t.Fatalf("password: push signs %q", got)
	}
	if u, _ := h.User("ben@example.org"); u.PasswordHash != hash {
		t.Fatal("password not stored")
	}
	wantErr(t, h.SetPassword("nobody@example.org", hash), ErrNotFound, "user nobody@example.org")
}

func TestRemoveKeepsHistory(t *testing.T) {
	h, k1, _ := correctable(t)
	toPush(t, h)
	l := openLedger(t, h)
	q := localQuery{h: h, l: l}

	// A linked event stays; unlinking marks the outlet's devices.
	wantErr(t, h.RemoveEvent("concert", q), ErrInUse, "unlink it first (kioskctl unlink o1 concert)")
	wantErr(t, h.Unlink("o1", "spare"), ErrNotFound, "does not sell event spare")
	must(t, h.Unlink("o1", "concert"))
	if got := toPush(t, h); got != "k1,k2" {
		t.Fatalf("unlink: push signs %q", got)
	}
	cfg, err := h.BuildConfig("k1")
	must(t, err)
	if len(cfg.Events) != 0 {
		t.Fatalf("unlinked event still in the config: %+v", cfg.Events)
	}

	// An event with sales stays, unlinked or not.
	ingest(t, l, k1, k1.sale(t, "o1", "print", "", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "ben@example.org", concert, map[string]int{"std": 1}))
	wantErr(t, h.RemoveEvent("concert", q), ErrInUse, "event concert has 1 tickets sold in the ledger and stays: unlink")
	onlyVIP := concert
	onlyVIP.Types = concert.Types[1:]
	wantErr(t, h.ChangeEvent(onlyVIP, q), ErrInvalid, "ticket type std has 1 tickets sold in the ledger and stays")
	renamed := concert
	renamed.Types = []catalog.TicketType{{ID: "std", Name: "Renamed", Price: 1300}}
	must(t, h.ChangeEvent(renamed, q))
	onlyVIP.ID = "spare" // no sales: its types may go
	must(t, h.ChangeEvent(onlyVIP, q))
	must(t, h.RemoveEvent("spare", q))
	wantErr(t, h.RemoveEvent("spare", q), ErrNotFound, "event spare")
	if _, err := h.Event("concert"); err != nil {
		t.Fatal(err)
	}

	// An outlet with sales, or with devices and users, stays.
	wantErr(t, h.RemoveOutlet("o1", q), ErrInUse, "outlet o1 has 1 tickets sold")
	must(t, h.SaveOutlet(catalog.Outlet{ID: "o2", Name: "Two", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "UTC"}, true))
	must(t, h.AddDevice(catalog.Device{ID: "k3", Outlet: "o2", PublicKey: newDevice(t, "k3").pub}))
	wantErr(t, h.RemoveOutlet("o2", q), ErrInUse, "outlet o2 has 1 device and stays: unlink its events to stop its sales, disable its users and revoke its devices instead")
	must(t, h.SaveOutlet(catalog.Outlet{ID: "o3", Name: "Three", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "UTC"}, true))
	must(t, h.RemoveOutlet("o3", q))
	if _, err := h.Outlet("o3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("o3 after removal: %v", err)
	}
}
