//go:build linux && !386 && !arm && !mips && !mipsle

package store

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"ticketkiosk/journal"
	"ticketkiosk/testkit/powercut"
)

// Power cuts: a child process sells on a store kept on a power-cut filesystem (package
// testkit/powercut: what was not fsync'd is lost, unsynced pages may be torn) and prints
// each sale once Append returned, the moment the kiosk's screen says done and the tickets
// print, and again once PrintDone returned, as the kiosk's Sell does. The power goes at a
// random operation of the filesystem; then every sale the child confirmed must be in the
// journal, the chain whole, the counters those of the journal, no sale whose PrintDone was
// confirmed still marked printing (offered for a reprint at start-up), and every mark a
// sale's. (The one sale a boot may leave with its mark either way is the last: its PrintDone
// may have committed before the cut without the child saying so.)
// The same run with bbolt's fsync switched off (Options.NoSync) must be caught losing sales.
const (
	powerCutEnv      = "STORE_POWER_CUT_CHILD"  // the cycle number: the child sells
	powerCutNoSync   = "STORE_POWER_CUT_NOSYNC" // "true": the child sells without fsync
	powerCutCheckEnv = "STORE_POWER_CUT_CHECK"  // the store to check; STORE_POWER_CUT_SALES lists the confirmed sales
)

type confirmedSale struct {
	qty     int
	code    string
	printed bool // PrintDone returned
}

func init() {
	children[powerCutEnv] = powerCutChild
	children[powerCutCheckEnv] = powerCutCheck
}

func TestPowerCut(t *testing.T) {
	confirmed := map[uint64]confirmedSale{}
	powercut.Run(t, powercut.Target{
		Cuts:   25,
		MaxOps: 3000, // about 9 operations a sale: 0 to 330 sales a boot
		Setup: func(t *testing.T, backing string) {
			s, err := Open(filepath.Join(backing, "k.db"), Options{Device: "k1"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.ApplyConfig(config(1, boss), nil, &clock{t: time.Unix(1_800_000_000, 0)}); err != nil {
				t.Fatal(err)
			}
		},
		Child: func(cycle int, nosync bool) *exec.Cmd {
			return powercut.Self(powerCutEnv+"="+strconv.Itoa(cycle), powerCutNoSync+"="+strconv.FormatBool(nosync))
		},
		Unit: "sales",
		Confirmed: func(t *testing.T, line string) int {
			var seq uint64
			var c confirmedSale
			if _, err := fmt.Sscanf(line, "printed %d", &seq); err == nil {
				c = confirmed[seq]
				c.printed = true
				confirmed[seq] = c
				return 0
			}
			if _, err := fmt.Sscanf(line, "sold %d %d %s", &seq, &c.qty, &c.code); err != nil {
				t.Errorf("child said %q", line)
				return 0
			}
			confirmed[seq] = c
			return 1
		},
		Confirmations: func() int { return len(confirmed) },
		Check: func(t *testing.T, backing string) *exec.Cmd {
			var b strings.Builder
			for seq, c := range confirmed {
				fmt.Fprintf(&b, "%d %d %s %t\n", seq, c.qty, c.code, c.printed)
			}
			list := filepath.Join(t.TempDir(), "confirmed")
			if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			return powercut.Self(powerCutCheckEnv+"="+filepath.Join(backing, "k.db"), "STORE_POWER_CUT_SALES="+list)
		},
		Forget: func() { clear(confirmed) },
	})
}

// powerCutChild sells on the mount until its filesystem fails (the cut), printing
// "sold SEQ QTY CODE" for each sale committed and "printed SEQ" once its printing mark is
// cleared.
func powerCutChild(cycle string) int {
	s, err := Open(filepath.Join(os.Getenv(powercut.DirEnv), "k.db"), Options{Device: "k1", NoSync: os.Getenv(powerCutNoSync) == "true"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err) // the cut came during open
		return 0
	}
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	for i := 1; ; i++ {
		qty := 1 + i%3
		e, err := s.Append(c, "boss@example.org", func(tx journal.Tx, e *journal.Entry) error {
			e.Kind = journal.KindSale
			e.Sale = &journal.Sale{Outlet: "o1", Event: "e1", Currency: "EUR", Delivery: "print",
				Lines: []journal.Line{{Type: "std", Qty: qty, Price: 1000}}, Total: int64(qty) * 1000}
			for n := 1; n <= qty; n++ {
				e.Sale.Tickets = append(e.Sale.Tickets, journal.Ticket{N: n, Type: "std", Code: fmt.Sprintf("P%s-%d-%d", cycle, i, n)})
			}
			return tx.Printing(e.Seq)
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "sale:", err)
			return 0
		}
		fmt.Printf("sold %d %d %s\n", e.Seq, qty, e.Sale.Tickets[0].Code)
		if err := s.PrintDone(e.Seq); err != nil {
			fmt.Fprintln(os.Stderr, "print done:", err)
			return 0
		}
		fmt.Printf("printed %d\n", e.Seq)
		c.t = c.t.Add(time.Minute)
	}
}

// powerCutCheck prints the problems of the store at path after a cut, one a line: bbolt
// panics on a damaged file in a goroutine of its own (the fsync-off run damages it), so the
// check runs in a process of its own.
func powerCutCheck(path string) int {
	b, err := os.ReadFile(os.Getenv("STORE_POWER_CUT_SALES"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	confirmed := map[uint64]confirmedSale{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var seq uint64
		var c confirmedSale
		if _, err := fmt.Sscanf(line, "%d %d %s %t", &seq, &c.qty, &c.code, &c.printed); err == nil {
			confirmed[seq] = c
		}
	}
	for _, p := range storeProblems(path, confirmed) {
		fmt.Println(p)
	}
	return 0
}

// storeProblems opens the store as the next boot would and lists what is wrong: a
// confirmed sale missing or different, a broken chain, counters that are not the journal's,
// a printing mark that is not as confirmed.
func storeProblems(path string, confirmed map[uint64]confirmedSale) (problems []string) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			problems = append(problems, fmt.Sprintf("reading the store panicked: %v", r))
		}
	}()
	s, err := Open(path, Options{Device: "k1", NoSync: true})
	if err != nil {
		return []string{fmt.Sprintf("open: %v", err)}
	}
	defer s.Close()
	var all []journal.Entry
	if err := s.Each(1, func(e *journal.Entry) bool { all = append(all, *e); return true }); err != nil {
		return []string{fmt.Sprintf("journal: %v", err)}
	}
	if err := journal.VerifyChain(nil, all); err != nil || uint64(len(all)) != s.LastSeq() {
		problems = append(problems, fmt.Sprintf("chain: %d entries, last seq %d: %v", len(all), s.LastSeq(), err))
	}
	for seq, c := range confirmed {
		e, _, err := s.Sale(seq)
		if err != nil {
			problems = append(problems, fmt.Sprintf("confirmed sale %d (%s) lost: %v", seq, c.code, err))
		} else if len(e.Sale.Tickets) != c.qty || e.Sale.Tickets[0].Code != c.code {
			problems = append(problems, fmt.Sprintf("confirmed sale %d (%s) is now %s×%d", seq, c.code, e.Sale.Tickets[0].Code, len(e.Sale.Tickets)))
		}
	}
	marked := map[uint64]bool{}
	if seqs, err := s.Interrupted(); err != nil {
		problems = append(problems, fmt.Sprintf("printing marks: %v", err))
	} else {
		for _, seq := range seqs {
			marked[seq] = true
		}
	}
	for seq, c := range confirmed {
		if c.printed && marked[seq] {
			problems = append(problems, fmt.Sprintf("confirmed sale %d: printed, and marked printing again", seq))
		}
	}
	for seq := range marked {
		if seq == 0 || seq > uint64(len(all)) || all[seq-1].Kind != journal.KindSale {
			problems = append(problems, fmt.Sprintf("a printing mark for %d, which is no sale", seq))
		}
	}
	var qty, amount, tickets, total int64
	for _, e := range all {
		if e.Sale != nil {
			qty += int64(e.Sale.Lines[0].Qty)
			amount += e.Sale.Total
		}
	}
	if err := s.Counters(func(k journal.Key, tl journal.Tally) { tickets += tl.Tickets; total += tl.Amount }); err != nil {
		problems = append(problems, fmt.Sprintf("counters: %v", err))
	}
	if sold := s.Sold("e1", "std"); sold != qty || tickets != qty || total != amount {
		problems = append(problems, fmt.Sprintf("counters: sold %d, report %d tickets %d, journal %d tickets %d", sold, tickets, total, qty, amount))
	}
	return problems
}
