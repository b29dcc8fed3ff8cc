package hub

import (
	"errors"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// validatingLedger opens the hub's ledger with the ingest's validation, as serve does.
func validatingLedger(t *testing.T, h *Hub) *ledger.Ledger {
	t.Helper()
	l, err := h.OpenLedger(ledger.Options{NoSync: true, Validate: h.Validator()})
	must(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// TestIngestRejects mounts each attack of a registered device with its real key: every
// entry is signed and chained as the kiosk would, yet claims what its config does not
// allow. Each is stored as rejected with its reason and acknowledged, never counted, never
// in the feed; the device's honest entries around them are taken.
func TestIngestRejects(t *testing.T) {
	h, _ := newHub(t)
	k1, _ := setupOutlet(t, h) // books: concert, std capped at 24 (k1's lease 6), vip uncapped
	must(t, h.SaveOutlet(catalog.Outlet{ID: "fuel", Name: "Fuel", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "UTC"}, true))
	must(t, h.AddUser(catalog.User{Email: "fuelboss@example.org", Code: "9002", Role: catalog.RoleSupervisor, Outlet: "fuel", PasswordHash: bcryptHash(t)}))
	must(t, h.AddUser(catalog.User{Email: "cash@example.org", Code: "9003", Role: catalog.RoleCashier, Outlet: "books", PasswordHash: bcryptHash(t)}))
	if _, err := h.SignConfigs("", false); err != nil {
		t.Fatal(err)
	}
	l := validatingLedger(t, h)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	boss := "boss@example.org"

	good := k1.sale(t, "books", "print", "", at, boss, concert, map[string]int{"std": 2, "vip": 1})
	fuel := k1.sale(t, "fuel", "print", "", at, boss, concert, map[string]int{"vip": 1})
	free := k1.sale(t, "books", "print", "", at, boss, concert, map[string]int{"vip": 1})
	// 50 VIP at price 0, with codes the device signed: the price is the lie.
	free.Sale.Lines[0].Qty, free.Sale.Lines[0].Price, free.Sale.Total = 50, 0, 0
	free.Sale.Tickets = nil
	for i := 1; i <= 50; i++ {
		code, err := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: free.Seq, N: i, Of: 50, Event: "concert", Type: "vip"}, k1.priv)
		must(t, err)
		free.Sale.Tickets = append(free.Sale.Tickets, journal.Ticket{N: i, Type: "vip", Code: code})
	}
	rechain(k1, free)
	over := k1.sale(t, "books", "print", "", at, boss, concert, map[string]int{"std": 5}) // 2 + 5 > 6
	forged := k1.sale(t, "books", "print", "", at, boss, concert, map[string]int{"vip": 1})
	other := newDevice(t, "k9")
	forged.Sale.Tickets[0].Code, _ = journal.NewCode(journal.TicketFacts{Device: "k1", Sale: forged.Seq, N: 1, Of: 1, Event: "concert", Type: "vip"}, other.priv)
	rechain(k1, forged)
	mismatch := k1.sale(t, "books", "print", "", at, boss, concert, map[string]int{"vip": 1})
	mismatch.Sale.Tickets[0].Code, _ = journal.NewCode(journal.TicketFacts{Device: "k1", Sale: 1, N: 1, Of: 1, Event: "concert", Type: "vip"}, k1.priv)
	rechain(k1, mismatch)
	user := func(kind journal.Kind, actor string, f journal.UserFact) *journal.Entry {
		return k1.next(&journal.Entry{Kind: kind, User: &f}, at, actor)
	}
	foreignSup := user(journal.KindUserCreated, "fuelboss@example.org", journal.UserFact{Email: "evil@example.org", Code: "6666", Role: "supervisor", Outlet: "books", PasswordHash: bcryptHash(t), CreatedBy: "fuelboss@example.org"})
	byCashier := user(journal.KindUserCreated, "cash@example.org", journal.UserFact{Email: "evil2@example.org", Code: "6667", Role: "supervisor", Outlet: "books", PasswordHash: bcryptHash(t), CreatedBy: "cash@example.org"})
	forFuel := user(journal.KindUserCreated, boss, journal.UserFact{Email: "evil3@example.org", Code: "6668", Role: "cashier", Outlet: "fuel", PasswordHash: bcryptHash(t), CreatedBy: boss})
	mine := user(journal.KindUserCreated, boss, journal.UserFact{Email: "new@example.org", Code: "2002", Role: "cashier", Outlet: "books", PasswordHash: bcryptHash(t), CreatedBy: boss})
	notMine := user(journal.KindUserDisabled, boss, journal.UserFact{Email: "cash@example.org"})
	disableMine := user(journal.KindUserDisabled, boss, journal.UserFact{Email: "new@example.org"})
	last := k1.sale(t, "books", "print", "", at, boss, concert, map[string]int{"std": 4}) // 2 + 4 = 6: the grant

	all := []*journal.Entry{good, fuel, free, over, forged, mismatch, foreignSup, byCashier, forFuel, mine, notMine, disableMine, last}
	r, err := l.IngestBatch("k1", all)
	must(t, err)
	if r.Upto != last.Seq || r.Stored != len(all) || r.Rejected != 9 {
		t.Fatalf("ingest: %+v", r)
	}
	want := map[uint64]string{
		fuel.Seq:       "sale for outlet fuel by a device of outlet books",
		free.Seq:       "price 0 of vip is not its price",
		over.Seq:       "5 std tickets beyond the device's grant of 6 for concert (2 sold before)",
		forged.Seq:     "ticket 1: ticket code: bad signature",
		mismatch.Seq:   "ticket 1: its code is of k1 seq 1",
		foreignSup.Seq: "actor fuelboss@example.org is not a user of outlet books",
		byCashier.Seq:  "actor cash@example.org is not a supervisor",
		forFuel.Seq:    "user evil3@example.org created for outlet fuel",
		notMine.Seq:    "user cash@example.org is not in the subtree of supervisor boss@example.org",
	}
	rej, err := l.Rejected()
	must(t, err)
	if len(rej) != len(want) {
		t.Fatalf("rejected %+v", rej)
	}
	for _, x := range rej {
		if !strings.Contains(x.Reason, want[x.Seq]) || want[x.Seq] == "" {
			t.Errorf("seq %d rejected for %q, want %q", x.Seq, x.Reason, want[x.Seq])
		}
	}
	alarms, err := l.Alarms()
	must(t, err)
	if len(alarms) != len(want) || alarms[0].Kind != ledger.AlarmRejected {
		t.Fatalf("alarms %v", alarms)
	}

	// Counted: only the honest sales (2 + 4 std, 1 vip).
	var tickets int64
	must(t, l.Counters(func(o string, k journal.Key, tl journal.Tally) {
		if o != "books" {
			t.Errorf("counter of outlet %s", o)
		}
		tickets += tl.Tickets
	}))
	if tickets != 7 {
		t.Fatalf("counted %d tickets, want 7", tickets)
	}
	// The feed (mail, catalogue) has only the accepted entries.
	var fed []uint64
	must(t, l.Feed(0, func(_ uint64, _ string, e *journal.Entry) bool { fed = append(fed, e.Seq); return true }))
	if len(fed) != len(all)-len(want) {
		t.Fatalf("feed %v", fed)
	}
	res, err := h.Collect(l, 0)
	must(t, err)
	if res.Users != 1 || res.Disabled != 1 {
		t.Fatalf("collect %+v", res)
	}
	if _, err := h.User("evil@example.org"); err == nil {
		t.Fatal("a forged supervisor entered the catalogue")
	}
	// A rejected sale's tickets do not verify as sold.
	if _, _, err := l.Sale("k1", free.Seq); !errors.Is(err, ledger.ErrRejected) {
		t.Fatalf("rejected sale read as %v", err)
	}
	if v, err := h.Verify(free.Sale.Tickets[0].Code, l); err != nil || v.Verdict != BadTicket || !strings.Contains(v.Reason, "rejected at ingest") {
		t.Fatalf("a ticket of a rejected sale verifies %+v, %v", v, err)
	}
	// The grant holds across batches: one more std is beyond it.
	more := k1.sale(t, "books", "print", "", at, boss, concert, map[string]int{"std": 1})
	r, err = l.IngestBatch("k1", []*journal.Entry{more})
	must(t, err)
	if r.Rejected != 1 || r.Upto != more.Seq {
		t.Fatalf("beyond the grant: %+v", r)
	}
}

// rechain signs e's place in k's chain again after a test changed it (e is k's last entry).
func rechain(k *device, e *journal.Entry) {
	k.prev = e.Hash()
}

// TestIngestRejectsUnknownDevices: entries of a device the catalogue does not have are
// stored as rejected (the chain is the device's, the hub acknowledges it), never counted.
func TestIngestRejectsUnknownDevices(t *testing.T) {
	h, _ := newHub(t)
	setupOutlet(t, h)
	_, err := h.SignConfigs("", false)
	must(t, err)
	l := validatingLedger(t, h)
	ghost := newDevice(t, "ghost")
	r, err := l.IngestBatch("ghost", []*journal.Entry{ghost.sale(t, "books", "print", "", time.Now(), "boss@example.org", concert, map[string]int{"vip": 1})})
	must(t, err)
	if r.Rejected != 1 || r.Upto != 1 || !strings.Contains(r.Alarms[0].Detail, "device ghost is not registered") {
		t.Fatalf("%+v", r)
	}
}

// TestResolveConflictLetsTheDeviceIn: an entry colliding with the real device's seq (here
// stored first: a restored device, or a forger with the key) wedges the real device in a
// conflict; resolving it with the device's entry standing sets the stored one aside, undoes
// its counts, and the real device's entries are taken on its next resend.
func TestResolveConflictLetsTheDeviceIn(t *testing.T) {
	h, _ := newHub(t)
	k1, _ := setupOutlet(t, h)
	_, err := h.SignConfigs("", false)
	must(t, err)
	l := validatingLedger(t, h)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	real := *k1
	impostor := k1 // same id and key, another journal
	bad := impostor.sale(t, "books", "print", "", at, "boss@example.org", concert, map[string]int{"vip": 3})
	ingest(t, l, impostor, bad)
	r1 := real.sale(t, "books", "print", "", at, "boss@example.org", concert, map[string]int{"std": 1})
	r2 := real.sale(t, "books", "print", "", at, "boss@example.org", concert, map[string]int{"std": 1})
	r, err := l.IngestBatch("k1", []*journal.Entry{r1, r2})
	must(t, err)
	if r.Upto != 0 || len(r.Alarms) == 0 || r.Alarms[0].Kind != ledger.AlarmConflict {
		t.Fatalf("conflict: %+v", r)
	}
	id := r.Alarms[0].ID()
	if _, err := l.Resolve(id, "", ledger.StandDevice); err == nil {
		t.Fatal("resolved without a reason")
	}
	if _, err := l.Resolve(id, "k1 was restored", ledger.StandNone); err == nil {
		t.Fatal("a conflict resolved without saying which entry stands")
	}
	a, err := l.Resolve(id, "the impostor's sale at seq 1", ledger.StandDevice)
	must(t, err)
	if a.Resolved == nil || !strings.Contains(a.Resolution, "the impostor's sale at seq 1") {
		t.Fatalf("resolution %+v", a)
	}
	r, err = l.IngestBatch("k1", []*journal.Entry{r1, r2})
	must(t, err)
	if r.Upto != 2 || r.Stored != 2 {
		t.Fatalf("after the resolution: %+v", r)
	}
	counts := map[string]int64{}
	must(t, l.Counters(func(_ string, k journal.Key, tl journal.Tally) { counts[k.Type] += tl.Tickets }))
	if counts["vip"] != 0 || counts["std"] != 2 {
		t.Fatalf("counters %v", counts)
	}
	var fed []uint64
	must(t, l.Feed(0, func(_ uint64, _ string, e *journal.Entry) bool { fed = append(fed, e.Seq); return true }))
	if len(fed) != 2 {
		t.Fatalf("feed %v", fed)
	}
	e, err := l.Entry("k1", 1)
	must(t, err)
	if e.Hash() != r1.Hash() {
		t.Fatal("seq 1 is not the real device's")
	}
}

// BenchmarkIngestValidated ingests batches of 200 one-ticket sales of one device into the
// ledger (no fsync) with the ingest's validation and without; it reports entries/s.
func BenchmarkIngestValidated(b *testing.B) {
	for _, validate := range []bool{false, true} {
		b.Run(map[bool]string{false: "unchecked", true: "validated"}[validate], func(b *testing.B) {
			h, _ := newHub(b)
			must(b, h.SaveOutlet(catalog.Outlet{ID: "books", Name: "Books", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"}, true))
			must(b, h.SaveEvent(concert, true))
			must(b, h.SaveLink(catalog.Link{Outlet: "books", Event: "concert", Allot: map[string]int64{"std": 1000000}}))
			k := newDevice(b, "k1")
			must(b, h.AddDevice(catalog.Device{ID: k.id, Outlet: "books", PublicKey: k.pub}))
			_, err := h.SignConfigs("", false)
			must(b, err)
			opt := ledger.Options{NoSync: true}
			if validate {
				opt.Validate = h.Validator()
			}
			l, err := h.OpenLedger(opt)
			must(b, err)
			defer l.Close()
			at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
			batches := make([][]*journal.Entry, b.N)
			for i := range batches {
				for range 200 {
					batches[i] = append(batches[i], k.sale(b, "books", "print", "", at, "boss@example.org", concert, map[string]int{"std": 1}))
				}
			}
			b.ResetTimer()
			for _, batch := range batches {
				r, err := l.IngestBatch("k1", batch)
				if err != nil || r.Rejected > 0 || r.Stored != len(batch) {
					b.Fatalf("%+v %v", r, err)
				}
			}
			b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
