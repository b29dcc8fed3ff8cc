package hub

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/mqtt"
	"ticketkiosk/store"
)

// errNoMore is the kiosk's refusal of a sale beyond its grant.
var errNoMore = errors.New("not that many left")

// kioskSim is a kiosk over a real store: it applies signed configs, sells within the grant
// its applied config carries (as kiosk.Sell does) and sends its journal to the ledger.
type kioskSim struct {
	dev    *device
	st     *store.Store
	sent   uint64
	signed []Signed // configs signed for it, not yet applied or superseded
}

func newKioskSim(t *testing.T, h *Hub, id, outlet string) *kioskSim {
	t.Helper()
	k := &kioskSim{dev: newDevice(t, id)}
	must(t, h.AddDevice(catalog.Device{ID: id, Outlet: outlet, PublicKey: k.dev.pub}))
	st, err := store.Open(filepath.Join(t.TempDir(), id+".db"), store.Options{Device: id, NoSync: true})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	k.st = st
	return k
}

// offer hands the kiosk the configs signed for it (they reach it later, or never).
func (k *kioskSim) offer(signed []Signed) {
	for _, s := range signed {
		if s.Device == k.dev.id {
			k.signed = append(k.signed, s)
		}
	}
}

// apply applies the newest config offered, if any.
func (k *kioskSim) apply(t *testing.T, h *Hub) {
	t.Helper()
	if len(k.signed) == 0 {
		return
	}
	s := k.signed[len(k.signed)-1]
	k.signed = nil
	cfg, err := catalog.Open(s.Envelope, h.PublicKey(), k.dev.id)
	must(t, err)
	_, err = k.st.ApplyConfig(cfg, s.Envelope, clock.Wall{})
	must(t, err)
}

// grant is the cap of std in the applied config (-1: none applied).
func (k *kioskSim) grant(t *testing.T) int64 {
	cfg, err := k.st.Config()
	if err != nil || cfg == nil {
		return -1
	}
	n, _ := cfg.Allotment("concert", "std")
	return n
}

// sell sells n std tickets, refused beyond the applied config's grant.
func (k *kioskSim) sell(t *testing.T, n int) error {
	t.Helper()
	_, err := k.st.Append(clock.Wall{}, "boss@example.org", func(tx journal.Tx, e *journal.Entry) error {
		cfg, err := k.st.Config()
		if err != nil || cfg == nil {
			return errNoMore
		}
		if c, capped := cfg.Allotment("concert", "std"); capped && tx.Sold("concert", "std")+int64(n) > c {
			return errNoMore
		}
		s := &journal.Sale{Outlet: cfg.Outlet.ID, Event: "concert", Currency: "EUR", Delivery: "print",
			Lines: []journal.Line{{Type: "std", Qty: n, Price: 1250}}, Total: int64(n) * 1250}
		for i := 1; i <= n; i++ {
			code, err := journal.NewCode(journal.TicketFacts{Device: k.dev.id, Sale: e.Seq, N: i, Of: n, Event: "concert", Type: "std"}, k.dev.priv)
			if err != nil {
				return err
			}
			s.Tickets = append(s.Tickets, journal.Ticket{N: i, Type: "std", Code: code})
		}
		e.Kind, e.Sale = journal.KindSale, s
		return nil
	})
	return err
}

// sync sends what the kiosk has not sent to the ledger and lets the hub collect it.
func (k *kioskSim) sync(t *testing.T, h *Hub, l *ledger.Ledger) CollectResult {
	t.Helper()
	var es []*journal.Entry
	must(t, k.st.Each(k.sent+1, func(e *journal.Entry) bool { es = append(es, e); return true }))
	if len(es) > 0 {
		r, err := l.IngestBatch(k.dev.id, es)
		must(t, err)
		if r.Rejected > 0 || len(r.Alarms) > 0 {
			t.Fatalf("%s's honest entries rejected: %+v", k.dev.id, r)
		}
		k.sent = r.Upto
	}
	res, err := h.Collect(l, 0)
	must(t, err)
	return res
}

func (k *kioskSim) sold() int64 { return k.st.Sold("concert", "std") }

// leaseOutlet makes outlet books selling concert with std capped at allot.
func leaseOutlet(t *testing.T, allot int64) (*Hub, *ledger.Ledger) {
	t.Helper()
	h, _ := newHub(t)
	must(t, h.SaveOutlet(catalog.Outlet{ID: "books", Name: "Books", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "UTC"}, true))
	must(t, h.SaveEvent(concert, true))
	must(t, h.SaveLink(catalog.Link{Outlet: "books", Event: "concert", Allot: map[string]int64{"std": allot}}))
	must(t, h.AddUser(catalog.User{Email: "boss@example.org", Code: "9001", Role: catalog.RoleSupervisor, Outlet: "books", PasswordHash: bcryptHash(t)}))
	return h, validatingLedger(t, h)
}

// push signs the changed configs and offers them to the kiosks.
func push(t *testing.T, h *Hub, ks ...*kioskSim) {
	t.Helper()
	signed, err := h.SignConfigs("", true)
	must(t, err)
	for _, k := range ks {
		k.offer(signed)
	}
}

func online(t *testing.T, h *Hub, ids ...string) {
	t.Helper()
	st := map[string]mqtt.Presence{}
	for _, id := range ids {
		st[id] = mqtt.Presence{DeviceState: mqtt.DeviceState{Status: mqtt.Online}}
	}
	must(t, h.saveStates(st, false))
}

// TestSecondKioskSellsAtOnce: a kiosk added to an outlet whose first kiosk has sold gets a
// grant from what the outlet has unassigned and sells at once.
func TestSecondKioskSellsAtOnce(t *testing.T) {
	h, l := leaseOutlet(t, 10)
	k1 := newKioskSim(t, h, "k1", "books")
	push(t, h, k1)
	k1.apply(t, h)
	must(t, k1.sell(t, 3))
	k1.sync(t, h, l)

	k2 := newKioskSim(t, h, "k2", "books")
	push(t, h, k1, k2)
	k2.apply(t, h)
	if g := k2.grant(t); g <= 0 {
		t.Fatalf("the second kiosk's grant is %d", g)
	}
	must(t, k2.sell(t, 1))
	k2.sync(t, h, l)
	if g1, g2 := k1.grant(t), k2.grant(t); g1+g2 > 10 {
		t.Fatalf("grants %d + %d exceed the allotment 10", g1, g2)
	}
}

// TestTopUpAsTheKioskSells: an online kiosk with less than half a lease left is topped up
// from what the outlet has left; an offline one keeps what it holds.
func TestTopUpAsTheKioskSells(t *testing.T) {
	h, l := leaseOutlet(t, 20)
	k1 := newKioskSim(t, h, "k1", "books")
	push(t, h, k1)
	k1.apply(t, h)
	if g := k1.grant(t); g != 10 {
		t.Fatalf("first grant %d, want a lease of half the allotment (10)", g)
	}
	must(t, k1.sell(t, 6))
	k1.sync(t, h, l)
	// Offline: no top-up; it sells within what it holds.
	if n, err := h.TopUp(l); err != nil || n != 0 {
		t.Fatalf("top-up of an offline kiosk: %d, %v", n, err)
	}
	if err := k1.sell(t, 5); !errors.Is(err, errNoMore) {
		t.Fatalf("sold beyond the grant offline: %v", err)
	}
	online(t, h, "k1")
	if n, err := h.TopUp(l); err != nil || n != 1 {
		t.Fatalf("top-up: %d, %v", n, err)
	}
	push(t, h, k1)
	k1.apply(t, h)
	if g := k1.grant(t); g != 16 {
		t.Fatalf("grant after the top-up %d, want sold 6 + a lease of 10", g)
	}
	must(t, k1.sell(t, 8))
	k1.sync(t, h, l)
	// Sold 14 of 16: topped up again, to the whole allotment at most.
	if n, err := h.TopUp(l); err != nil || n != 1 {
		t.Fatalf("second top-up: %d, %v", n, err)
	}
	push(t, h, k1)
	k1.apply(t, h)
	if g := k1.grant(t); g != 20 {
		t.Fatalf("grant after the second top-up %d, want the allotment's 20", g)
	}
	// Nothing left to give: no more top-ups.
	must(t, k1.sell(t, 6))
	k1.sync(t, h, l)
	if n, err := h.TopUp(l); err != nil || n != 0 {
		t.Fatalf("top-up with nothing left: %d, %v", n, err)
	}
}

// TestMoveWaitsForConfigApplied: grant moved from k1 to k2 reaches k2 only once the hub
// has collected k1's config_applied of the lowered config.
func TestMoveWaitsForConfigApplied(t *testing.T) {
	h, l := leaseOutlet(t, 8)
	k1 := newKioskSim(t, h, "k1", "books")
	push(t, h, k1)
	k1.apply(t, h) // lease 4
	must(t, k1.sell(t, 3))
	k1.sync(t, h, l)
	online(t, h, "k1")
	if n, err := h.TopUp(l); err != nil || n != 1 {
		t.Fatalf("top-up: %d, %v", n, err)
	}
	push(t, h, k1)
	k1.apply(t, h) // 3 + 4 = 7; 1 unassigned
	k1.sync(t, h, l)
	k2 := newKioskSim(t, h, "k2", "books")
	push(t, h, k1, k2)
	k2.apply(t, h)
	if g1, g2 := k1.grant(t), k2.grant(t); g1 != 7 || g2 != 1 {
		t.Fatalf("grants %d, %d; want 7 and the unassigned 1", g1, g2)
	}

	must(t, h.MoveGrant("concert", "std", "k1", "k2", 3))
	push(t, h, k1, k2)
	k2.apply(t, h)
	if g := k2.grant(t); g != 1 {
		t.Fatalf("k2 got %d before k1 applied the lowered grant", g)
	}
	// k1 sells offline within what it held, then applies the lower cap: the hub has not
	// seen it yet, so nothing is released.
	k1.sync(t, h, l)
	push(t, h, k1, k2)
	if g := k2.grant(t); g != 1 {
		t.Fatalf("k2's grant %d", g)
	}
	k1.apply(t, h)
	if g := k1.grant(t); g != 4 {
		t.Fatalf("k1's lowered grant %d, want 4", g)
	}
	if err := k1.sell(t, 2); !errors.Is(err, errNoMore) {
		t.Fatalf("k1 sold above its lowered grant: %v", err)
	}
	res := k1.sync(t, h, l)
	if res.Regrants != 1 {
		t.Fatalf("collecting k1's config_applied: %+v, want k2 given a new version", res)
	}
	push(t, h, k1, k2)
	k2.apply(t, h)
	if g := k2.grant(t); g != 4 {
		t.Fatalf("k2's grant after the move %d, want 4", g)
	}
	must(t, k2.sell(t, 4))
	k2.sync(t, h, l)

	al, err := h.Allotments(l, "books")
	must(t, err)
	for _, a := range al {
		if a.Type == "std" && a.Device == "" && (a.Granted != 8 || a.Sold != 7) {
			t.Fatalf("outlet line %+v", a)
		}
	}
}

// TestGrantsNeverExceedTheAllotment runs random sequences of sales, syncs, applies, pushes,
// top-ups and moves over three kiosks, some offline for long, and checks after every step
// that what the kiosks may sell (each the most of what it sold and of the caps of the
// configs it runs or may still apply) sums to no more than the allotment, and that the
// hub's accounting agrees.
func TestGrantsNeverExceedTheAllotment(t *testing.T) {
	const allot = 12
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			h, l := leaseOutlet(t, allot)
			ks := []*kioskSim{newKioskSim(t, h, "k1", "books")}
			push(t, h, ks...)
			for step := range 120 {
				k := ks[r.IntN(len(ks))]
				var op string
				switch x := r.IntN(10); {
				case x < 3:
					op = "sell"
					if err := k.sell(t, 1+r.IntN(3)); err != nil && !errors.Is(err, errNoMore) {
						t.Fatal(err)
					}
				case x < 5:
					op = "sync"
					k.sync(t, h, l)
				case x < 6:
					op = "apply"
					k.apply(t, h)
				case x < 7:
					op = "push"
					push(t, h, ks...)
				case x < 8:
					op = "top-up"
					var ids []string
					for _, o := range ks {
						if r.IntN(2) == 0 {
							ids = append(ids, o.dev.id)
						}
					}
					online(t, h, ids...)
					_, err := h.TopUp(l)
					must(t, err)
				case x < 9:
					op = "move"
					to := ks[r.IntN(len(ks))]
					if err := h.MoveGrant("concert", "std", k.dev.id, to.dev.id, int64(1+r.IntN(3))); err != nil && !errors.Is(err, ErrInvalid) {
						t.Fatal(err)
					}
				default:
					op = "add"
					if len(ks) < 3 {
						ks = append(ks, newKioskSim(t, h, fmt.Sprintf("k%d", len(ks)+1), "books"))
					}
				}
				var may int64
				must(t, h.view(func(tx *bolt.Tx) error {
					for _, o := range ks {
						m := max(o.sold(), o.grant(t))
						for _, s := range o.signed {
							cfg, err := catalog.Open(s.Envelope, h.PublicKey(), o.dev.id)
							must(t, err)
							if c, _ := cfg.Allotment("concert", "std"); cfg.Version > o.st.ConfigVersion() {
								m = max(m, c)
							}
						}
						if hd := held(tx, o.dev.id, "concert", "std"); hd < m {
							t.Fatalf("step %d (%s): %s may sell %d, the hub accounts %d", step, op, o.dev.id, m, hd)
						}
						may += m
					}
					return nil
				}))
				if may > allot {
					t.Fatalf("step %d (%s): the kiosks may sell %d, above the allotment %d", step, op, may, allot)
				}
			}
		})
	}
}

// TestGrantOfAnOldHubIsNotReleasedBlind: a grant signed before leases were recorded (no
// version caps) is not lowered by a config_applied whose caps the hub does not know.
func TestGrantOfAnOldHubIsNotReleasedBlind(t *testing.T) {
	h, l := leaseOutlet(t, 10)
	k1 := newKioskSim(t, h, "k1", "books")
	push(t, h, k1) // a lease of 5
	old := k1.signed
	must(t, h.update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bLeases) }))
	k2 := newKioskSim(t, h, "k2", "books")
	must(t, h.MoveGrant("concert", "std", "k1", "k2", 2))
	push(t, h, k1, k2) // k1's lowered config, recorded
	lowered := k1.signed
	k1.signed = old
	k1.apply(t, h) // the old hub's config: its caps are not recorded
	k1.sync(t, h, l)
	must(t, h.view(func(tx *bolt.Tx) error {
		if g := held(tx, "k1", "concert", "std"); g != 5 {
			t.Errorf("k1's grant %d after an unknown config applied, want 5 kept", g)
		}
		return nil
	}))
	// The lowered config, once applied, releases it.
	k1.signed = lowered
	k1.apply(t, h)
	k1.sync(t, h, l)
	must(t, h.view(func(tx *bolt.Tx) error {
		if g := held(tx, "k1", "concert", "std"); g != 3 {
			t.Errorf("k1's grant %d after the lowered config applied, want 3", g)
		}
		return nil
	}))
}
