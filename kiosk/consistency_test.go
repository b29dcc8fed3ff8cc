package kiosk

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
	"ticketkiosk/store"
)

// checkConsistent recomputes, from the journal alone, what the store keeps pre-aggregated
// and compares: counters, allotment use, sale states; and checks the chain and that seqs
// run 1..LastSeq with no gap.
func checkConsistent(t testing.TB, st *store.Store) int {
	t.Helper()
	cfg, err := st.Config()
	if err != nil {
		t.Fatal(err)
	}
	loc := cfg.Outlet.Location()
	want := map[journal.Key]journal.Tally{}
	sold := map[[2]string]int64{}
	sales := map[uint64]*journal.Entry{}
	var all []journal.Entry
	err = st.Each(1, func(e *journal.Entry) bool {
		all = append(all, *e)
		var voided *journal.Entry
		switch e.Kind {
		case journal.KindSale:
			// Sale numbers count sale entries from 1, with no gap and no repeat, across
			// every kill: each is its sale's, committed with it.
			if want := uint64(len(sales) + 1); e.Sale.No != want {
				t.Errorf("sale at seq %d has number %d, want %d", e.Seq, e.Sale.No, want)
			}
			if seq, err := st.SaleSeq(e.Sale.No); err != nil || seq != e.Seq {
				t.Errorf("sale number %d maps to seq %d (%v), want %d", e.Sale.No, seq, err, e.Seq)
			}
			sales[e.Seq] = e
			for _, l := range e.Sale.Lines {
				sold[[2]string{e.Sale.Event, l.Type}] += int64(l.Qty)
			}
		case journal.KindVoid:
			voided = sales[e.Void.Sale]
			for _, l := range voided.Sale.Lines {
				sold[[2]string{voided.Sale.Event, l.Type}] -= int64(l.Qty)
			}
		}
		for _, d := range journal.Deltas(e, voided, loc) {
			tl := want[d.Key]
			tl.Add(d.Tally)
			want[d.Key] = tl
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := journal.VerifyChain(nil, all); err != nil {
		t.Fatalf("chain: %v", err)
	}
	if uint64(len(all)) != st.LastSeq() {
		t.Fatalf("%d entries, last seq %d: a gap", len(all), st.LastSeq())
	}
	got := map[journal.Key]journal.Tally{}
	st.Counters(func(k journal.Key, tl journal.Tally) { got[k] = tl })
	for k, w := range want {
		if got[k] != w {
			t.Fatalf("counter %+v = %+v, recomputed %+v", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && !g.IsZero() {
			t.Fatalf("counter %+v = %+v has no entries behind it", k, g)
		}
	}
	// The whole-period totals agree with the day counters.
	var sum journal.Tally
	for _, tl := range want {
		sum.Add(tl)
	}
	whole, err := st.Report(store.Filter{Period: journal.Whole()})
	if err != nil || whole.Total != sum {
		t.Fatalf("whole-period report %+v, day counters sum to %+v (%v)", whole.Total, sum, err)
	}
	for k, n := range sold {
		if got := st.Sold(k[0], k[1]); got != n {
			t.Fatalf("sold %v = %d, recomputed %d", k, got, n)
		}
	}
	return len(sales)
}

// TestRandomOperationsKeepCountersTrue is a property test: random sells, voids, reprints,
// print failures and user creations, over random days, keep every counter equal to a
// recomputation from the journal.
func TestRandomOperationsKeepCountersTrue(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			r := newRig(t, catalog.DeliveryPrint)
			sessions := []*Session{
				{User: mustUser(t, r, "ann@example.org")},
				{User: mustUser(t, r, "carl@example.org")},
				{User: mustUser(t, r, "sup@example.org")},
			}
			sup := mustUser(t, r, "sup@example.org")
			var saleSeqs []uint64
			types := []string{"std", "kid"}
			for i := 0; i < 300; i++ {
				s := sessions[rng.IntN(len(sessions))]
				r.clock.Add(time.Duration(rng.IntN(20)) * time.Hour)
				switch op := rng.IntN(10); {
				case op < 6:
					o := Order{Event: "e1"}
					for n := 1 + rng.IntN(2); n > 0; n-- {
						o.Lines = append(o.Lines, OrderLine{Type: types[rng.IntN(2)], Qty: 1 + rng.IntN(3)})
					}
					if rng.IntN(8) == 0 {
						r.printer.failJob = fmt.Errorf("jam")
					}
					sale, err := r.k.Sell(context.Background(), s, o)
					if err == nil {
						saleSeqs = append(saleSeqs, sale.Entry.Sale.No)
					}
				case op < 8 && len(saleSeqs) > 0:
					r.k.Void(s, saleSeqs[rng.IntN(len(saleSeqs))], sup, "")
				case op < 9 && len(saleSeqs) > 0:
					r.k.Reprint(context.Background(), s, saleSeqs[rng.IntN(len(saleSeqs))], sup)
				default:
					n := strconv.Itoa(8000 + i)
					u, err := r.k.CreateUser(sessions[2], NewUser{Email: "u" + n + "@example.org", Code: n, Role: catalog.RoleCashier, Password: "pass-" + n})
					if err == nil {
						sessions = append(sessions, &Session{User: u})
					}
				}
			}
			if n := checkConsistent(t, r.st); n < 50 {
				t.Fatalf("only %d sales made: the property was barely exercised", n)
			}
		})
	}
}

func mustUser(t testing.TB, r *rig, email string) catalog.User {
	u, ok := r.st.User(email)
	if !ok {
		t.Fatalf("no user %s", email)
	}
	return u
}

// The crash test runs sales in a child process, kills it with SIGKILL at a random moment,
// many times, and then checks that the store has no partial sale, no gap and an intact chain.
const crashEnv = "KIOSK_CRASH_CHILD_STORE"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	os.Exit(m.Run())
}

// crashChild sells forever into the durable store at path, printing each committed seq.
func crashChild(path string) {
	st, err := store.Open(path, store.Options{Device: "k1", Timeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	clock := &testClock{t: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), synced: true}
	k, _ := New(Options{Store: st, Key: deviceKey, Clock: clock, Printer: &scriptPrinter{status: okStatus}, Layout: textLayout{}, Logger: quiet})
	u, _ := st.User("ann@example.org")
	s := &Session{User: u}
	for i := 0; ; i++ {
		clock.Add(time.Minute)
		o := Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1 + i%3}}}
		if i%5 == 4 {
			o.Lines = append(o.Lines, OrderLine{Type: "kid", Qty: 1})
		}
		sale, err := k.Sell(context.Background(), s, o)
		if err != nil {
			continue // sold out of kid tickets: go on with the others
		}
		if i%7 == 6 {
			sup, _ := st.User("sup@example.org")
			k.Void(s, sale.Entry.Sale.No, sup, "")
		}
		fmt.Println(sale.Entry.Seq)
	}
}

func TestCrashDuringSales(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs child processes; skipped with -short")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "kiosk.db")
	st, err := store.Open(path, store.Options{Device: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, catalog.DeliveryPrint)
	cfg.Allot = map[string]map[string]int64{"e1": {"kid": 1_000_000}}
	if _, err := st.ApplyConfig(cfg, []byte("{}"), &testClock{t: time.Now(), synced: true}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	rng := rand.New(rand.NewPCG(42, 42))
	kills := 25
	var lastSeq uint64
	interrupted := 0
	for i := 0; i < kills; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the first committed sale, then kill at a random moment.
		buf := make([]byte, 64)
		if _, err := out.Read(buf); err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		st, err := store.Open(path, store.Options{Device: "k1"})
		if err != nil {
			t.Fatalf("reopen after kill %d: %v", i, err)
		}
		// A job the kill cut short is journaled as print_failed, never left silent.
		k, _ := New(Options{Store: st, Key: deviceKey, Clock: &testClock{t: time.Now(), synced: true}, Logger: quiet})
		cut, err := k.RecoverInterrupted()
		if err != nil || len(cut) > 1 {
			t.Fatalf("kill %d: interrupted jobs %v, %v", i, cut, err)
		}
		interrupted += len(cut)
		if left, _ := st.Interrupted(); len(left) != 0 {
			t.Fatalf("kill %d: still marked printing after recovery: %v", i, left)
		}
		checkConsistent(t, st)
		seq := st.LastSeq()
		if seq <= lastSeq {
			t.Fatalf("kill %d: no progress (seq %d)", i, seq)
		}
		lastSeq = seq
		st.Close()
	}
	t.Logf("%d kills, %d journal entries, %d print jobs cut short and journaled, all consistent", kills, lastSeq, interrupted)
}
