package hub

import (
	"errors"
	"fmt"
	"sort"
	"testing"

	"ticketkiosk/catalog"
)

func setupOutlet(t *testing.T, h *Hub) (*device, *device) {
	t.Helper()
	must(t, h.SaveOutlet(catalog.Outlet{ID: "books", Name: "Книжарница", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"}, true))
	must(t, h.SaveEvent(concert, true))
	// Two devices: each gets a lease of a quarter (6), half stays unassigned.
	must(t, h.SaveLink(catalog.Link{Outlet: "books", Event: "concert", Allot: map[string]int64{"std": 24}}))
	must(t, h.AddUser(catalog.User{Email: "boss@example.org", Code: "9001", Role: catalog.RoleSupervisor, Outlet: "books", PasswordHash: bcryptHash(t)}))
	k1, k2 := newDevice(t, "k1"), newDevice(t, "k2")
	must(t, h.AddDevice(catalog.Device{ID: k1.id, Outlet: "books", PublicKey: k1.pub}))
	must(t, h.AddDevice(catalog.Device{ID: k2.id, Outlet: "books", PublicKey: k2.pub}))
	return k1, k2
}

func TestBuildAndSignConfigs(t *testing.T) {
	h, _ := newHub(t)
	k1, k2 := setupOutlet(t, h)
	signed, err := h.SignConfigs("", true)
	must(t, err)
	if len(signed) != 2 {
		t.Fatalf("signed %d configs, want 2", len(signed))
	}
	var sum int64
	for i, s := range signed {
		dev := []*device{k1, k2}[i]
		cfg, err := catalog.Open(s.Envelope, h.PublicKey(), dev.id)
		must(t, err)
		if cfg.Version != s.Version || cfg.Outlet.ID != "books" || len(cfg.Events) != 1 || len(cfg.Users) != 1 {
			t.Fatalf("config of %s: %+v", dev.id, cfg)
		}
		n, ok := cfg.Allotment("concert", "std")
		if !ok {
			t.Fatalf("config of %s has no std allotment", dev.id)
		}
		if _, capped := cfg.Allotment("concert", "vip"); capped {
			t.Fatalf("vip is capped on %s", dev.id)
		}
		sum += n
		// Another device's key does not open it.
		if _, err := catalog.Open(s.Envelope, h.PublicKey(), "k9"); !errors.Is(err, catalog.ErrWrongDevice) {
			t.Fatalf("open as k9: %v", err)
		}
	}
	if sum != 12 {
		t.Fatalf("device caps sum to %d, want a lease of 6 each (half of the outlet's 24)", sum)
	}
	// Nothing changed: a changed-only push signs nothing.
	again, err := h.SignConfigs("", true)
	must(t, err)
	if len(again) != 0 {
		t.Fatalf("re-signed %d unchanged configs", len(again))
	}
	// The allotment cannot go below what was granted, and can go up.
	if err := h.SaveLink(catalog.Link{Outlet: "books", Event: "concert", Allot: map[string]int64{"std": 10}}); !errors.Is(err, ErrOverGranted) {
		t.Fatalf("lowering below grants: %v", err)
	}
	must(t, h.SaveLink(catalog.Link{Outlet: "books", Event: "concert", Allot: map[string]int64{"std": 30}}))
	devs, err := h.Devices("books")
	must(t, err)
	for _, d := range devs {
		if d.Version <= d.Signed {
			t.Fatalf("device %s: version %d not above signed %d after a link change", d.ID, d.Version, d.Signed)
		}
	}
	signed, err = h.SignConfigs("books", true)
	must(t, err)
	if len(signed) != 2 || signed[0].Version <= 1 {
		t.Fatalf("signed %+v", signed)
	}
}

func TestCatalogueRefusals(t *testing.T) {
	h, _ := newHub(t)
	setupOutlet(t, h)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"duplicate outlet", h.SaveOutlet(catalog.Outlet{ID: "books", Name: "x", Delivery: "print", Locale: "bg", Currency: "EUR", TimeZone: "UTC"}, true), ErrExists},
		{"unknown outlet set", h.SaveOutlet(catalog.Outlet{ID: "zz", Name: "x", Delivery: "print", Locale: "bg", Currency: "EUR", TimeZone: "UTC"}, false), ErrNotFound},
		{"invalid outlet", h.SaveOutlet(catalog.Outlet{ID: "x"}, true), ErrInvalid},
		{"duplicate event", h.SaveEvent(concert, true), ErrExists},
		{"event drops an allotted type", h.SaveEvent(catalog.Event{ID: "concert", Title: "t", Venue: "v", Start: concert.Start, Types: []catalog.TicketType{{ID: "vip", Name: "VIP", Price: 1}}}, false), ErrInvalid},
		{"link unknown type", h.SaveLink(catalog.Link{Outlet: "books", Event: "concert", Allot: map[string]int64{"gold": 1}}), ErrInvalid},
		{"user code taken", h.AddUser(catalog.User{Email: "x@example.org", Code: "9001", Role: catalog.RoleCashier, Outlet: "books", PasswordHash: bcryptHash(t)}), ErrInvalid},
		{"user unknown creator", h.AddUser(catalog.User{Email: "y@example.org", Code: "1002", Role: catalog.RoleCashier, Outlet: "books", PasswordHash: bcryptHash(t), CreatedBy: "nobody@example.org"}), ErrInvalid},
		{"device short key", h.AddDevice(catalog.Device{ID: "k3", Outlet: "books", PublicKey: []byte{1, 2}}), ErrInvalid},
		{"disable unknown", h.DisableUser("ghost@example.org"), ErrNotFound},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
}

func TestDeviceUsersEnterTheCatalogue(t *testing.T) {
	h, _ := newHub(t)
	setupOutlet(t, h)
	u := catalog.User{Email: "new@example.org", Code: "2002", Role: catalog.RoleCashier, Outlet: "books", PasswordHash: bcryptHash(t), CreatedBy: "boss@example.org"}
	added, err := h.AddDeviceUser(u)
	must(t, err)
	if !added {
		t.Fatal("not added")
	}
	added, err = h.AddDeviceUser(u)
	must(t, err)
	if added {
		t.Fatal("added twice")
	}
	cfg, err := h.BuildConfig("k1")
	must(t, err)
	var emails []string
	for _, x := range cfg.Users {
		emails = append(emails, x.Email)
	}
	sort.Strings(emails)
	if fmt.Sprint(emails) != "[boss@example.org new@example.org]" {
		t.Fatalf("config users %v", emails)
	}
}
