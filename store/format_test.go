package store

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
	"ticketkiosk/testkit"
)

// The file format is a contract: a kiosk updated in the field opens the store the previous
// version wrote. testdata/format-v2.db was written by formatScenario with the code of that
// version, and testdata/format-v2.golden is what that code read back from it through the
// store's methods. -update writes both again (only when the format is meant to change).
// Version 2 (journal entries v2) numbers sales: Sale.No and the sale_nos bucket; a version
// 1 file's entries are refused (no fleet ran version 1).
var update = flag.Bool("update", false, "write testdata/format-v2.{db,golden} again")

const (
	formatDB     = "testdata/format-v2.db"
	formatGolden = "testdata/format-v2.golden"
)

// formatScenario writes one of everything the store keeps: config and envelope, sales over
// two days, events and ticket types, a failed print and its reprint, a job cut short, an
// unprinted sale, a void, users created and disabled, failed logins and a lock, a config
// error and an ack.
func formatScenario(t *testing.T, s *Store) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 21, 30, 0, 0, time.UTC)} // 23:30 in Sofia
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	step := func() { c.t = c.t.Add(20 * time.Minute) }
	add := func(fill func(tx journal.Tx, e *journal.Entry) error) *journal.Entry {
		t.Helper()
		step()
		e, err := s.Append(c, boss.Email, fill)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	must(s.ApplyConfig(config(1, boss), []byte("envelope-1"), c))
	step()
	a, err := sale(s, c, 2)
	must(a, err)
	step() // past midnight in Sofia: another day
	b := add(func(tx journal.Tx, e *journal.Entry) error {
		e.Kind = journal.KindSale
		e.Sale = &journal.Sale{Outlet: "o1", Event: "e2", Currency: "EUR", Delivery: "email", Buyer: "buyer@example.org",
			Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1500}, {Type: "red", Qty: 2, Price: 750}}, Total: 3000,
			Tickets: []journal.Ticket{{N: 1, Type: "std", Code: "B1"}, {N: 2, Type: "red", Code: "B2"}, {N: 3, Type: "red", Code: "B3"}}}
		return tx.Printing(e.Seq)
	})
	add(func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.Print = journal.KindPrintFailed, &journal.Print{Sale: b.Seq, Error: "paper out"}
		return nil
	})
	add(func(tx journal.Tx, e *journal.Entry) error {
		e.Kind, e.Reprint = journal.KindReprint, &journal.Reprint{Sale: b.Seq, Copy: 1, Approver: boss.Email}
		return tx.Printing(b.Seq)
	})
	must(nil, s.PrintDone(b.Seq))
	step()
	cut, err := sale(s, c, 1) // its job is cut short: the printing mark stays
	must(cut, err)
	must(nil, s.update(func(tx *bolt.Tx) error { return (&appendTx{tx: tx, s: s}).Printing(cut.Seq) }))
	step()
	owed, err := sale(s, c, 3)
	must(owed, err)
	add(func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.Print = journal.KindPrintFailed, &journal.Print{Sale: owed.Seq, Error: "cover open"}
		return nil
	})
	add(func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.Void = journal.KindVoid, &journal.Void{Sale: a.Seq, Approver: boss.Email, Reason: "wrong date"}
		return nil
	})
	for _, email := range []string{"new@example.org", "gone@example.org"} {
		add(func(_ journal.Tx, e *journal.Entry) error {
			e.Kind = journal.KindUserCreated
			e.User = &journal.UserFact{Email: email, Code: "2" + email[:3], Name: "N " + email[:3], Role: "cashier", Outlet: "o1", PasswordHash: bcryptShape, CreatedBy: boss.Email}
			return nil
		})
	}
	add(func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.User = journal.KindUserDisabled, &journal.UserFact{Email: "gone@example.org"}
		return nil
	})
	for range 5 {
		step()
		if _, _, err := s.LoginFailed(c, "New@example.org", catalog.Policy{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.LoginFailed(c, boss.Email, catalog.Policy{}); err != nil {
		t.Fatal(err)
	}
	must(nil, s.SetConfigError("bad signature"))
	must(nil, s.Ack(3))
}

// readBack is what the store's methods read from a store formatScenario wrote.
func readBack(t *testing.T, s *Store) string {
	t.Helper()
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	cfg, err := s.Config()
	env, envErr := s.Envelope()
	p("config: version %d outlet %s, err %v; envelope %q, err %v; config error %q", s.ConfigVersion(), cfg.Outlet.ID, err, env, envErr, s.ConfigError())
	last := s.LastSeq()
	raws, err := s.Pending(0, 1000, 1<<20)
	p("last %d acked %d, pending %d, err %v", last, s.Acked(), len(raws), err)
	for _, r := range raws {
		p("entry %d: %s", r.Seq, r.Data)
	}
	bl, err := s.Unsynced()
	p("unsynced %d oldest %s, err %v", bl.Entries, bl.Oldest.UTC().Format(time.RFC3339), err)
	n := 0
	err = s.Each(1, func(e *journal.Entry) bool {
		n++
		if e.Kind == journal.KindSale {
			_, st, err := s.Sale(e.Seq)
			seq, noErr := s.SaleSeq(e.Sale.No)
			p("sale %d: no %d (seq %d, err %v) voided %v copies %d unprinted %v, err %v", e.Seq, e.Sale.No, seq, noErr, st.Voided, st.Copies, st.Unprinted, err)
		}
		return true
	})
	p("each: %d entries, err %v", n, err)
	_, err = s.SaleSeq(5)
	p("sale number 5: err %v", err)
	for _, et := range [][2]string{{"e1", "std"}, {"e2", "std"}, {"e2", "red"}, {"e9", "std"}} {
		p("sold %s/%s: %d", et[0], et[1], s.Sold(et[0], et[1]))
	}
	un, err := s.Unprinted()
	p("unprinted %v, err %v", un, err)
	in, err := s.Interrupted()
	p("interrupted %v, err %v", in, err)
	err = s.Counters(func(k journal.Key, tl journal.Tally) {
		p("counter %s %q %q %q: %+v", k.Day, k.User, k.Event, k.Type, tl)
	})
	p("counters err %v", err)
	day, _ := journal.ParseDay("2026-03-02")
	for _, f := range []Filter{
		{Period: journal.Whole()},
		{Period: journal.Period{From: day - 1, To: day - 1}},
		{Period: journal.Period{From: day, To: day}},
		{Period: journal.Period{From: day - 1, To: day}, Users: []string{"BOSS@example.org"}},
		{Period: journal.Whole(), Event: "e2"},
		{Period: journal.Whole(), Users: []string{"nobody@example.org"}},
	} {
		r, err := s.Report(f)
		p("report %+v: %+v, err %v", f, r, err)
	}
	users, err := s.Users()
	for _, u := range users {
		p("user %s code %s name %q role %s outlet %s created by %s disabled %v", u.Email, u.Code, u.Name, u.Role, u.Outlet, u.CreatedBy, u.Disabled)
	}
	p("users err %v", err)
	for _, email := range []string{"new@example.org", "gone@example.org", boss.Email} {
		u, ok := s.User(email)
		p("user %s: %v %s disabled %v; login %+v", email, ok, u.Code, u.Disabled, s.Login(email))
	}
	return w.String()
}

func dump(t *testing.T, path string) string {
	t.Helper()
	d, err := boltutil.DumpFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFormatWritesTheSameBytes: what this code writes is, key by key and byte by byte, what
// the previous version wrote.
func TestFormatWritesTheSameBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := Open(path, Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	formatScenario(t, s)
	s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, compare := testkit.Golden(t, formatDB, data, *update); compare && dump(t, path) != dump(t, formatDB) {
		t.Errorf("the store writes another format than %s (-update and diff the dumps):\n%s", formatDB, dump(t, path))
	}
}

// TestFormatReadsTheOldFile: a store the previous version wrote opens and reads as it did.
func TestFormatReadsTheOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	data, err := os.ReadFile(formatDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := readBack(t, s)
	want, compare := testkit.Golden(t, formatGolden, []byte(got), *update)
	if !compare {
		return
	}
	if got != string(want) {
		t.Errorf("%s reads otherwise than %s (-update and git diff it):\n%s", formatDB, formatGolden, got)
	}
	if !bytes.Contains(want, []byte("voided true")) || !bytes.Contains(want, []byte("unprinted true")) || !bytes.Contains(want, []byte("copies 1")) {
		t.Errorf("%s does not show every sale state", formatGolden)
	}
}
