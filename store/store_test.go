package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }
func (c *clock) Synced() bool   { return false }

const bcryptShape = "$2a$10$abcdefghijklmnopqrstuuJ3a1Kk0tGxzxqL0JXzJ8L9JvYz2o1e"

func config(version uint64, users ...catalog.User) *catalog.DeviceConfig {
	return &catalog.DeviceConfig{
		Version: version, DeviceID: "k1", IssuedAt: time.Unix(1_800_000_000, 0),
		Outlet: catalog.Outlet{ID: "o1", Name: "Outlet", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"},
		Events: []catalog.Event{{ID: "e1", Title: "Show", Venue: "Hall", Start: time.Unix(1_900_000_000, 0),
			Types: []catalog.TicketType{{ID: "std", Name: "Standard", Price: 1000}}}},
		Users: users,
	}
}

var boss = catalog.User{Email: "boss@example.org", Code: "1000", Role: catalog.RoleSupervisor, Outlet: "o1", PasswordHash: bcryptShape}

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "k.db"), Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sale(s *Store, c Clock, qty int) (*journal.Entry, error) {
	return s.Append(c, "boss@example.org", func(tx journal.Tx, e *journal.Entry) error {
		e.Kind = journal.KindSale
		e.Sale = &journal.Sale{Outlet: "o1", Event: "e1", Currency: "EUR", Delivery: "print",
			Lines: []journal.Line{{Type: "std", Qty: qty, Price: 1000}}, Total: int64(qty) * 1000}
		for i := 1; i <= qty; i++ {
			e.Sale.Tickets = append(e.Sale.Tickets, journal.Ticket{N: i, Type: "std", Code: fmt.Sprint("C", e.Seq, i)})
		}
		return nil
	})
}

func TestSecondProcessGetsAClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := Open(path, Options{Device: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(path, Options{Device: "k1", Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

func TestApplyConfig(t *testing.T) {
	s := open(t)
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	if _, err := s.Config(); !errors.Is(err, ErrNoConfig) {
		t.Fatalf("fresh store: %v", err)
	}
	e, err := s.ApplyConfig(config(5, boss), []byte("env5"), c)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != journal.KindConfigApplied || e.Config.Version != 5 || e.Seq != 1 {
		t.Fatalf("entry %+v", e)
	}
	for _, v := range []uint64{5, 4, 1} {
		_, err := s.ApplyConfig(config(v, boss), []byte("old"), c)
		if !errors.Is(err, ErrStaleConfig) {
			t.Fatalf("version %d: %v, want ErrStaleConfig", v, err)
		}
	}
	if s.ConfigVersion() != 5 || s.LastSeq() != 1 {
		t.Fatalf("after refusals: version %d, last seq %d", s.ConfigVersion(), s.LastSeq())
	}
	if env, _ := s.Envelope(); string(env) != "env5" {
		t.Fatalf("envelope %q", env)
	}
	other := config(6, boss)
	other.DeviceID = "k2"
	if _, err := s.ApplyConfig(other, nil, c); err == nil {
		t.Fatal("applied another device's config")
	}
	// It survives a reopen.
	path := s.Path()
	s.Close()
	s2, err := Open(path, Options{Device: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.ConfigVersion() != 5 {
		t.Fatalf("reopened version %d", s2.ConfigVersion())
	}
}

func TestLocalUsersUntilConfigIncludesThem(t *testing.T) {
	s := open(t)
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	s.ApplyConfig(config(1, boss), nil, c)
	nu := journal.UserFact{Email: "new@example.org", Code: "2000", Role: "cashier", Outlet: "o1", PasswordHash: bcryptShape, CreatedBy: boss.Email}
	if _, err := s.Append(c, boss.Email, func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.User = journal.KindUserCreated, &nu
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if u, ok := s.UserByCode("2000"); !ok || u.CreatedBy != boss.Email {
		t.Fatalf("local user: %+v %v", u, ok)
	}
	// Disabled on the device.
	s.Append(c, boss.Email, func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.User = journal.KindUserDisabled, &journal.UserFact{Email: nu.Email}
		return nil
	})
	if u, _ := s.User("NEW@example.org"); !u.Disabled {
		t.Fatal("local disable not applied")
	}
	// A config that includes the user, not yet disabled: the local disable stays.
	cu := catalog.User{Email: nu.Email, Code: "2000", Role: catalog.RoleCashier, Outlet: "o1", PasswordHash: bcryptShape, CreatedBy: boss.Email}
	s.ApplyConfig(config(2, boss, cu), nil, c)
	if u, _ := s.User(nu.Email); !u.Disabled {
		t.Fatal("local disable lost before the hub recorded it")
	}
	users, _ := s.Users()
	if len(users) != 2 {
		t.Fatalf("users %d, want 2 (no duplicate of the local user)", len(users))
	}
	// The hub re-enables the user later: the local override is gone once the hub had it.
	cu.Disabled = true
	s.ApplyConfig(config(3, boss, cu), nil, c)
	cu.Disabled = false
	s.ApplyConfig(config(4, boss, cu), nil, c)
	if u, _ := s.User(nu.Email); u.Disabled {
		t.Fatal("re-enabled user still disabled")
	}
}

func TestOutboxAndAck(t *testing.T) {
	s := open(t)
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	s.ApplyConfig(config(1, boss), nil, c)
	for i := 0; i < 10; i++ {
		c.t = c.t.Add(time.Minute)
		if _, err := sale(s, c, 1); err != nil {
			t.Fatal(err)
		}
	}
	bl, _ := s.Unsynced()
	if bl.Entries != 11 || !bl.Oldest.Equal(time.Unix(1_800_000_000, 0)) {
		t.Fatalf("backlog %+v", bl)
	}
	p, _ := s.Pending(s.Acked(), 4, 1<<20)
	if len(p) != 4 || p[0].Seq != 1 || p[3].Seq != 4 {
		t.Fatalf("pending %v", p)
	}
	if err := s.Ack(4); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(2); err != nil || s.Acked() != 4 {
		t.Fatalf("lower ack moved the cursor: %d %v", s.Acked(), err)
	}
	p, _ = s.Pending(s.Acked(), 100, 1)
	if len(p) != 1 || p[0].Seq != 5 {
		t.Fatalf("byte-capped pending %v", p)
	}
	bl, _ = s.Unsynced()
	if bl.Entries != 7 || !bl.Oldest.Equal(time.Unix(1_800_000_000, 0).Add(4*time.Minute)) {
		t.Fatalf("backlog after ack %+v", bl)
	}
	if err := s.Ack(99); !errors.Is(err, ErrAckBeyondEnd) || s.Acked() != 4 {
		t.Fatalf("ack beyond the end: %v, acked %d", err, s.Acked())
	}
	// Entries are never forgotten, only marked synced.
	if e, err := s.Entry(3); err != nil || e.Seq != 3 {
		t.Fatalf("entry 3 after ack: %v", err)
	}
}

func TestVoidEffects(t *testing.T) {
	s := open(t)
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	s.ApplyConfig(config(1, boss), nil, c)
	e, _ := sale(s, c, 3)
	void := func() error {
		_, err := s.Append(c, boss.Email, func(_ journal.Tx, v *journal.Entry) error {
			v.Kind, v.Void = journal.KindVoid, &journal.Void{Sale: e.Seq, Approver: boss.Email}
			return nil
		})
		return err
	}
	if err := void(); err != nil {
		t.Fatal(err)
	}
	if err := void(); !errors.Is(err, journal.ErrAlreadyVoided) {
		t.Fatalf("second void: %v", err)
	}
	if s.Sold("e1", "std") != 0 {
		t.Fatalf("sold after void: %d", s.Sold("e1", "std"))
	}
	r, _ := s.Report(Filter{Period: journal.Whole()})
	if r.Total.Tickets != 0 || r.Total.Voided != 3 {
		t.Fatalf("report %+v", r.Total)
	}
	last := s.LastSeq()
	if err := void(); err == nil || s.LastSeq() != last {
		t.Fatal("a refused entry was written")
	}
}

func TestClosedStoreIsAnError(t *testing.T) {
	s := open(t)
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	s.ApplyConfig(config(1, boss), nil, c)
	s.Close()
	if _, err := sale(s, c, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("append on a closed store: %v", err)
	}
	if _, err := s.Report(Filter{Period: journal.Whole()}); !errors.Is(err, ErrClosed) {
		t.Fatalf("report on a closed store: %v", err)
	}
}

// Full disk: a child process whose file size limit (RLIMIT_FSIZE) stops the store from
// growing sells until the kernel refuses; every refusal must be a clean error, and the store
// must reopen consistent.
const fullDiskEnv = "STORE_FULL_DISK_CHILD"

// children maps an environment variable to the child process it selects: when the test
// binary starts with it set, it runs that child on its value instead of the tests. The
// power-cut children add themselves where their filesystem builds (powercut_test.go).
var children = map[string]func(string) int{fullDiskEnv: fullDiskChild}

func TestMain(m *testing.M) {
	for env, child := range children {
		if arg := os.Getenv(env); arg != "" {
			os.Exit(child(arg))
		}
	}
	os.Exit(m.Run())
}

func fullDiskChild(path string) int {
	s, err := Open(path, Options{Device: "k1"})
	if err != nil {
		fmt.Println("open:", err)
		return 3
	}
	defer s.Close()
	signalIgnoreXFSZ()
	lim := syscall.Rlimit{Cur: 256 << 10, Max: 256 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		return 3
	}
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	failures := 0
	for i := 0; i < 5000 && failures < 20; i++ {
		if _, err := sale(s, c, 2); err != nil {
			failures++
			if failures == 1 {
				fmt.Println("first error:", err)
			}
		}
	}
	fmt.Println("failures:", failures)
	return 0
}

func TestFullDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := Open(path, Options{Device: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	s.ApplyConfig(config(1, boss), nil, &clock{t: time.Unix(1_800_000_000, 0)})
	s.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fullDiskEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "failures: 20") || strings.Contains(string(out), "panic") {
		t.Fatalf("the child did not hit the full disk cleanly:\n%s", out)
	}
	t.Logf("child: %s", strings.TrimSpace(string(out)))
	s, err = Open(path, Options{Device: "k1"})
	if err != nil {
		t.Fatalf("reopen after full disk: %v", err)
	}
	defer s.Close()
	var all []journal.Entry
	s.Each(1, func(e *journal.Entry) bool { all = append(all, *e); return true })
	if err := journal.VerifyChain(nil, all); err != nil || uint64(len(all)) != s.LastSeq() {
		t.Fatalf("after full disk: %d entries, last %d, chain %v", len(all), s.LastSeq(), err)
	}
	var sold int64
	for _, e := range all {
		if e.Sale != nil {
			sold += int64(e.Sale.Lines[0].Qty)
		}
	}
	if s.Sold("e1", "std") != sold || len(all) < 10 {
		t.Fatalf("sold %d, journal says %d (%d entries)", s.Sold("e1", "std"), sold, len(all))
	}
}

func TestUnprintedIndex(t *testing.T) {
	s := open(t)
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	s.ApplyConfig(config(1, boss), nil, c)
	a, _ := sale(s, c, 1)
	b, _ := sale(s, c, 1)
	fail := func(seq uint64) {
		t.Helper()
		if _, err := s.Append(c, boss.Email, func(_ journal.Tx, e *journal.Entry) error {
			e.Kind, e.Print = journal.KindPrintFailed, &journal.Print{Sale: seq, Error: "jam"}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	fail(a.Seq)
	fail(b.Seq)
	if got, _ := s.Unprinted(); len(got) != 2 || got[0] != a.Seq || got[1] != b.Seq {
		t.Fatalf("Unprinted = %v", got)
	}
	s.Append(c, boss.Email, func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.Reprint = journal.KindReprint, &journal.Reprint{Sale: a.Seq, Copy: 1, Approver: boss.Email}
		return nil
	})
	s.Append(c, boss.Email, func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.Void = journal.KindVoid, &journal.Void{Sale: b.Seq, Approver: boss.Email}
		return nil
	})
	if got, _ := s.Unprinted(); len(got) != 0 {
		t.Fatalf("after a reprint and a void: %v", got)
	}
}

// TestSaleNumbers: sales are numbered per device from 1 over sale entries only, in the
// sale's transaction (a refused sale takes no number), and numbering goes on after a
// reopen; SaleSeq maps a number to its entry.
func TestSaleNumbers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := Open(path, Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	if _, err := s.ApplyConfig(config(1, boss), []byte("env"), c); err != nil { // seq 1
		t.Fatal(err)
	}
	var got [][2]uint64 // sale number, seq
	add := func() {
		t.Helper()
		e, err := sale(s, c, 1)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, [2]uint64{e.Sale.No, e.Seq})
	}
	add() // no 1, seq 2
	refused := errors.New("refused")
	if _, err := s.Append(c, boss.Email, func(_ journal.Tx, e *journal.Entry) error {
		e.Kind, e.Sale = journal.KindSale, &journal.Sale{}
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("refused sale: %v", err)
	}
	if _, err := s.Append(c, boss.Email, func(_ journal.Tx, e *journal.Entry) error { // seq 3
		e.Kind, e.User = journal.KindUserCreated, &journal.UserFact{Email: "new@example.org", Role: "cashier"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	add() // no 2, seq 4
	s.Close()
	if s, err = Open(path, Options{Device: "k1", NoSync: true}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	add() // no 3, seq 5
	want := [][2]uint64{{1, 2}, {2, 4}, {3, 5}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sale numbers and seqs %v, want %v", got, want)
	}
	for _, w := range want {
		if seq, err := s.SaleSeq(w[0]); err != nil || seq != w[1] {
			t.Errorf("SaleSeq(%d) = %d, %v; want %d", w[0], seq, err, w[1])
		}
		if e, _, err := s.Sale(w[1]); err != nil || e.Sale.No != w[0] {
			t.Errorf("stored sale %d: %+v, %v; want number %d", w[1], e, err, w[0])
		}
	}
	for _, no := range []uint64{0, 4} {
		if _, err := s.SaleSeq(no); !errors.Is(err, ErrNotASale) {
			t.Errorf("SaleSeq(%d): %v, want ErrNotASale", no, err)
		}
	}
}
