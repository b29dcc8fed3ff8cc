package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/hub"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/mqtt"
	"ticketkiosk/mqtt/broker"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// ctl runs one kioskctl command line in-process and returns its exit status and output.
func ctl(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func mustCtl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errs := ctl(t, stdin, args...)
	if code != 0 {
		t.Fatalf("kioskctl %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// sell appends a sale of qty tickets per type through the device's store, with signed codes.
func sell(t *testing.T, s *store.Store, key ed25519.PrivateKey, actor string, qty map[string]int) *journal.Entry {
	t.Helper()
	e, err := s.Append(clock.Wall{}, actor, func(tx journal.Tx, e *journal.Entry) error {
		cfg, err := s.Config()
		if err != nil {
			return err
		}
		ev := cfg.Events[0]
		sale := &journal.Sale{Outlet: cfg.Outlet.ID, Event: ev.ID, Currency: cfg.Outlet.Currency, Delivery: string(cfg.Outlet.Delivery)}
		n := 0
		for _, tt := range ev.Types {
			if q := qty[tt.ID]; q > 0 {
				sale.Lines = append(sale.Lines, journal.Line{Type: tt.ID, Qty: q, Price: tt.Price})
				sale.Total += int64(q) * tt.Price
				n += q
			}
		}
		for _, l := range sale.Lines {
			for range l.Qty {
				i := len(sale.Tickets) + 1
				code, err := journal.NewCode(journal.TicketFacts{Device: s.Device(), Sale: e.Seq, N: i, Of: n, Event: ev.ID, Type: l.Type}, key)
				if err != nil {
					return err
				}
				sale.Tickets = append(sale.Tickets, journal.Ticket{N: i, Type: l.Type, Code: code})
			}
		}
		e.Kind, e.Sale = journal.KindSale, sale
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// createCleo appends to the device's journal the cashier cleo@example.org of outlet books,
// created on the device by the supervisor boss@example.org.
func createCleo(t *testing.T, st *store.Store) {
	t.Helper()
	hash, _ := catalog.HashPassword("pass-cleo")
	if _, err := st.Append(clock.Wall{}, "boss@example.org", func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.User = journal.KindUserCreated, &journal.UserFact{Email: "cleo@example.org", Code: "1002", Role: "cashier", Outlet: "books", PasswordHash: hash, CreatedBy: "boss@example.org"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestEndToEnd: catalogue → push → a device applies → sells (and voids, and creates a
// user) → serve collects and acknowledges → report and verify agree with the device.
func TestEndToEnd(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	t.Setenv("KIOSKCTL_DIR", filepath.Join(dir, "hub"))
	bk, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Anonymous: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	url := bk.URL()

	// The catalogue.
	out := mustCtl(t, "", "init")
	hubKey, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.SplitN(out, "public key: ", 2)[1]))
	if err != nil {
		t.Fatal(err)
	}
	mustCtl(t, "", "outlet", "add", "books", "--name", "Книжарница", "--delivery", "print", "--locale", "bg")
	mustCtl(t, "", "event", "add", "concert", "--title", "Концерт", "--venue", "НДК", "--start", "2027-03-14T20:00", "--type", "std:Стандартен:12.50", "--type", "vip:VIP:40")
	mustCtl(t, "", "link", "books", "concert", "--allot", "std=50,vip=5")
	mustCtl(t, "pass-boss\n", "user", "add", "boss@example.org", "--outlet", "books", "--role", "supervisor", "--code", "9001")
	mustCtl(t, "pass-anna\n", "user", "add", "anna@example.org", "--outlet", "books", "--role", "cashier", "--code", "1001")
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	mustCtl(t, "", "device", "add", "k1", "--outlet", "books", "--key", base64.StdEncoding.EncodeToString(pub))

	// The device, with its store and the mqtt device engine.
	st, err := store.Open(filepath.Join(dir, "k1", "kiosk.db"), store.Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dev, err := mqtt.NewDevice(mqtt.DeviceOptions{Conn: mqtt.Options{URL: url, AllowInsecure: true}, Store: st, Key: priv, HubKey: hubKey,
		Logger: quiet, StateEvery: 200 * time.Millisecond, AckTimeout: time.Second,
		Health: func() mqtt.Health { return mqtt.Health{Software: "test", Printer: "ok"} }})
	if err != nil {
		t.Fatal(err)
	}
	dev.Start()
	defer dev.Halt()

	// push: the device applies version 1 with its lease of the allotment (half: it is alone).
	out = mustCtl(t, "", "push", "--broker", url, "--timeout", "20s")
	if !strings.Contains(out, "1 of 1 devices applied their config") || !strings.Contains(out, "applied") {
		t.Fatalf("push:\n%s", out)
	}
	cfg, err := st.Config()
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := cfg.Allotment("concert", "std"); n != 25 || len(cfg.Users) != 2 {
		t.Fatalf("applied config: allot %d, %d users", n, len(cfg.Users))
	}
	out = mustCtl(t, "", "push", "--broker", url)
	if !strings.Contains(out, "nothing to push") {
		t.Fatalf("second push:\n%s", out)
	}

	// Sales, a void, and a user created on the device by the supervisor.
	s1 := sell(t, st, priv, "anna@example.org", map[string]int{"std": 2, "vip": 1})
	s2 := sell(t, st, priv, "anna@example.org", map[string]int{"std": 1})
	s3 := sell(t, st, priv, "boss@example.org", map[string]int{"vip": 2})
	if _, err := st.Append(clock.Wall{}, "boss@example.org", func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.Void = journal.KindVoid, &journal.Void{Sale: s2.Seq, Approver: "boss@example.org"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	createCleo(t, st)
	dev.Wake()

	// serve collects and acknowledges; the new user reaches the device in config 2.
	h, err := hub.Open(filepath.Join(dir, "hub"), hub.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- hub.NewServer(h, hub.ServeOptions{Conn: mqtt.Options{URL: url, AllowInsecure: true}, AutoPush: true, Collect: 100 * time.Millisecond}).Run(ctx)
	}()
	testkit.Eventually(t, 20*time.Second, "every entry acknowledged", func() bool {
		bl, err := st.Unsynced()
		return err == nil && bl.Entries == 0
	})
	testkit.Eventually(t, 20*time.Second, "config 2 with the device's user", func() bool {
		c, err := st.Config()
		if err != nil || c.Version < 2 {
			return false
		}
		for _, u := range c.Users {
			if u.Email == "cleo@example.org" && u.CreatedBy == "boss@example.org" {
				return true
			}
		}
		return false
	})

	// report agrees with the device's own report, while serve runs (through its API)...
	devRep, err := st.Report(store.Filter{Period: journal.Whole()})
	if err != nil {
		t.Fatal(err)
	}
	checkReport := func(label string) {
		t.Helper()
		var rep hub.Report
		out := mustCtl(t, "", "report", "--outlet", "books", "--by", "type", "--format", "json")
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s: %v\n%s", label, err, out)
		}
		if rep.Total != devRep.Total || len(rep.Rows) != len(devRep.Rows) {
			t.Fatalf("%s: hub %+v, device %+v", label, rep, devRep)
		}
		for i, r := range rep.Rows {
			d := devRep.Rows[i]
			if r.Group[0] != d.Event || r.Group[1] != d.Type || r.Tally != d.Tally {
				t.Fatalf("%s: row %d: hub %+v, device %+v", label, i, r, d)
			}
		}
		// By user, against the device's per-user report.
		for _, u := range []string{"anna@example.org", "boss@example.org"} {
			ur, err := st.Report(store.Filter{Period: journal.Whole(), Users: []string{u}})
			if err != nil {
				t.Fatal(err)
			}
			var hr hub.Report
			out := mustCtl(t, "", "report", "--user", u, "--format", "json")
			if err := json.Unmarshal([]byte(out), &hr); err != nil || hr.Total != ur.Total {
				t.Fatalf("%s: user %s: hub %+v, device %+v (%v)", label, u, hr.Total, ur.Total, err)
			}
		}
	}
	checkReport("while serving")
	// A period: the first sale's day in the outlet's time zone agrees; the day after is
	// empty on both sides.
	sofia, _ := time.LoadLocation("Europe/Sofia")
	d1 := journal.DayOf(s1.WallTime(), sofia)
	for _, p := range []journal.Period{{From: d1, To: d1}, {From: d1 + 1, To: d1 + 1}} {
		dr, err := st.Report(store.Filter{Period: p})
		if err != nil {
			t.Fatal(err)
		}
		var hr hub.Report
		out := mustCtl(t, "", "report", "--from", p.From.String(), "--to", p.To.String(), "--format", "json")
		if err := json.Unmarshal([]byte(out), &hr); err != nil || hr.Total != dr.Total {
			t.Fatalf("period %s..%s: hub %+v, device %+v (%v)", p.From, p.To, hr.Total, dr.Total, err)
		}
	}
	// 2×12.50 + 40 (s1) + 2×40 (s3), s2 voided.
	if devRep.Total.Amount != 14500 || devRep.Total.Tickets != 5 || devRep.Total.Voided != 1 {
		t.Fatalf("device report total %+v", devRep.Total)
	}
	table := mustCtl(t, "", "report", "--by", "day")
	if !strings.Contains(table, "TOTAL") || !strings.Contains(table, "145.00") {
		t.Fatalf("table:\n%s", table)
	}

	// verify: valid, voided, bad.
	code, out, _ := ctl(t, "", "verify", s1.Sale.Tickets[0].Code)
	if code != 0 || !strings.HasPrefix(out, fmt.Sprintf("VALID K1-%d-1\n", s1.Seq)) {
		t.Fatalf("verify valid: %d\n%s", code, out)
	}
	for _, want := range []string{"event Концерт, НДК, 2027-03-14 20:00 EET", "ticket Стандартен, 12,50 €", "by anna@example.org at outlet books"} {
		if !strings.Contains(out, want) {
			t.Fatalf("verify does not say %q:\n%s", want, out)
		}
	}
	code, out, _ = ctl(t, "", "verify", s2.Sale.Tickets[0].Code)
	if code != 1 || !strings.HasPrefix(out, "VOID") {
		t.Fatalf("verify voided: %d\n%s", code, out)
	}
	tampered := []byte(s3.Sale.Tickets[0].Code)
	tampered[10] ^= 'A' ^ 'B'
	code, _, errs := ctl(t, "", "verify", string(tampered))
	if code != 2 || !strings.Contains(errs, "BAD") {
		t.Fatalf("verify tampered: %d %s", code, errs)
	}
	code, _, _ = ctl(t, "", "verify", "not-a-code")
	if code != 2 {
		t.Fatalf("verify garbage: %d", code)
	}
	// A validly signed ticket of a sale the hub never got.
	other, err := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: 999, N: 1, Of: 1, Event: "concert", Type: "std"}, priv)
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = ctl(t, "", "verify", other)
	if code != 1 || !strings.HasPrefix(out, "UNKNOWN") {
		t.Fatalf("verify unknown sale: %d\n%s", code, out)
	}

	// status while serving.
	out = mustCtl(t, "", "status")
	if !strings.Contains(out, "k1") || !strings.Contains(out, "online") {
		t.Fatalf("status:\n%s", out)
	}

	// The device's next state reports nothing unsynced and config 2 applied.
	var sj hub.Status
	testkit.Eventually(t, 20*time.Second, "the device reporting it is in sync", func() bool {
		if err := json.Unmarshal([]byte(mustCtl(t, "", "status", "--format", "json")), &sj); err != nil {
			t.Fatal(err)
		}
		d := sj.Devices[0]
		return d.Unsynced == 0 && d.Applied == d.Version
	})

	// Graceful stop; then the commands read the ledger directly and agree.
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	checkReport("after serve stopped")
	if err := json.Unmarshal([]byte(mustCtl(t, "", "status", "--format", "json")), &sj); err != nil {
		t.Fatal(err)
	}
	d := sj.Devices[0]
	if d.Device != "k1" || d.Applied != d.Version || d.Unsynced != 0 || d.HubSeq != st.LastSeq() || d.Printer != "ok" || d.Alarms != 0 {
		t.Fatalf("status %+v (device last seq %d)", d, st.LastSeq())
	}
	users := mustCtl(t, "", "user", "list")
	if !strings.Contains(users, "cleo@example.org") || !strings.Contains(users, "boss@example.org") {
		t.Fatalf("users:\n%s", users)
	}

	// audit proves every stored entry from the device key; an entry altered in the ledger
	// file is named.
	out = mustCtl(t, "", "audit")
	if want := fmt.Sprintf("1 devices, %d entries proved by ", st.LastSeq()); !strings.Contains(out, want) {
		t.Fatalf("audit:\n%s", out)
	}
	db, err := bolt.Open(h.LedgerPath(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		ents := tx.Bucket([]byte("devices")).Bucket([]byte("k1")).Bucket([]byte("e"))
		k := binary.BigEndian.AppendUint64(nil, s3.Seq)
		return ents.Put(k, bytes.Replace(ents.Get(k), []byte(`"boss@`), []byte(`"mall@`), 1))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = ctl(t, "", "audit")
	if want := fmt.Sprintf("k1 seq %d: ", s3.Seq+1); code != 1 || !strings.Contains(errs, "first bad entry: "+want) {
		t.Fatalf("audit of an altered ledger: exit %d\n%s%s", code, out, errs)
	}
}
