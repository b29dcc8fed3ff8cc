//go:build linux && !386 && !arm && !mips && !mipsle

package ledger

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"ticketkiosk/journal"
	"ticketkiosk/testkit/powercut"
)

// Power cuts: a child process ingests a device's journal into a ledger kept on a power-cut
// filesystem (package testkit/powercut) in batches of random size, as the hub drains the
// broker, and prints the seq it may acknowledge after each batch. The power goes at a
// random operation of the filesystem; then every entry acknowledged must be in the ledger,
// the chain whole, and the counters those of the entries. The same run with bbolt's fsync
// switched off (Options.NoSync) must be caught losing acknowledged entries.
const (
	powerCutEnv      = "LEDGER_POWER_CUT_CHILD"  // the cycle number: the child ingests
	powerCutNoSync   = "LEDGER_POWER_CUT_NOSYNC" // "true": the child ingests without fsync
	powerCutCheckEnv = "LEDGER_POWER_CUT_CHECK"  // the ledger to check; LEDGER_POWER_CUT_ACKED the seq acknowledged
)

func TestMain(m *testing.M) {
	if cycle := os.Getenv(powerCutEnv); cycle != "" {
		os.Exit(powerCutChild(cycle))
	}
	if path := os.Getenv(powerCutCheckEnv); path != "" {
		os.Exit(powerCutCheck(path))
	}
	os.Exit(m.Run())
}

// powerCutEntry is the device's entry seq: what it holds follows from seq alone, so that a
// check knows what each stored entry must be, whatever survived of the batches before.
func powerCutEntry(seq uint64, prev journal.Hash) *journal.Entry {
	qty := 1 + int(seq%3)
	s := &journal.Sale{No: seq, Outlet: "o1", Event: "ev", Currency: "EUR", Delivery: "print",
		Lines: []journal.Line{{Type: "std", Qty: qty, Price: 1000}}, Total: int64(qty) * 1000}
	for i := 1; i <= qty; i++ {
		s.Tickets = append(s.Tickets, journal.Ticket{N: i, Type: "std", Code: fmt.Sprintf("L%d-%d", seq, i)})
	}
	return &journal.Entry{V: journal.Version, Device: "k1", Seq: seq, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli() + int64(seq)*1000,
		ClockSynced: true, Kind: journal.KindSale, Actor: "ann@x", Prev: prev, Sale: s}
}

func TestPowerCut(t *testing.T) {
	var acked uint64
	powercut.Run(t, powercut.Target{
		Cuts:   25,
		MaxOps: 2000, // a batch of 1 to 40 entries is about 12 operations
		Setup: func(t *testing.T, backing string) {
			l, err := Open(filepath.Join(backing, "ledger.db"), Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			l.Close()
		},
		Child: func(cycle int, nosync bool) *exec.Cmd {
			return powercut.Self(powerCutEnv+"="+strconv.Itoa(cycle), powerCutNoSync+"="+strconv.FormatBool(nosync))
		},
		Unit: "acknowledged entries",
		Confirmed: func(t *testing.T, line string) int {
			var upto uint64
			if _, err := fmt.Sscanf(line, "ack %d", &upto); err != nil {
				t.Errorf("child said %q", line)
				return 0
			}
			if upto <= acked {
				t.Errorf("acknowledged %d after %d", upto, acked)
				return 0
			}
			n := upto - acked
			acked = upto
			return int(n)
		},
		Confirmations: func() int { return int(acked) },
		Check: func(t *testing.T, backing string) *exec.Cmd {
			return powercut.Self(powerCutCheckEnv+"="+filepath.Join(backing, "ledger.db"), "LEDGER_POWER_CUT_ACKED="+strconv.FormatUint(acked, 10))
		},
		Forget: func() { acked = 0 },
	})
}

// powerCutChild resends the device's journal from what the ledger holds, in batches, until
// its filesystem fails (the cut), printing "ack UPTO" after each batch stored.
func powerCutChild(cycle string) int {
	l, err := Open(filepath.Join(os.Getenv(powercut.DirEnv), "ledger.db"),
		Options{NoSync: os.Getenv(powerCutNoSync) == "true", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err) // the cut came during open
		return 0
	}
	ds, err := l.Devices()
	if err != nil {
		fmt.Fprintln(os.Stderr, "devices:", err)
		return 0
	}
	var last uint64
	var prev journal.Hash
	for _, d := range ds {
		if d.ID == "k1" {
			last, prev = d.LastSeq, d.LastHash
		}
	}
	n, _ := strconv.ParseUint(cycle, 10, 64)
	rng := rand.New(rand.NewPCG(n, last))
	for {
		batch := make([]*journal.Entry, 1+rng.IntN(40))
		for i := range batch {
			batch[i] = powerCutEntry(last+uint64(i)+1, prev)
			prev = batch[i].Hash()
		}
		r, err := l.IngestBatch("k1", batch)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ingest:", err)
			return 0
		}
		if r.Upto != last+uint64(len(batch)) {
			fmt.Fprintf(os.Stderr, "ingest after %d: %+v\n", last, r)
			return 1
		}
		fmt.Printf("ack %d\n", r.Upto)
		last = r.Upto
	}
}

// powerCutCheck prints the problems of the ledger at path after a cut, one a line, in a
// process of its own (bbolt panics on a damaged file in a goroutine of its own).
func powerCutCheck(path string) int {
	acked, err := strconv.ParseUint(os.Getenv("LEDGER_POWER_CUT_ACKED"), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for _, p := range ledgerProblems(path, acked) {
		fmt.Println(p)
	}
	return 0
}

// ledgerProblems opens the ledger as the next start of the hub would and lists what is
// wrong: an acknowledged entry missing or different, a broken chain, counters that are not
// the entries'.
func ledgerProblems(path string, acked uint64) (problems []string) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			problems = append(problems, fmt.Sprintf("reading the ledger panicked: %v", r))
		}
	}()
	l, err := Open(path, Options{NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return []string{fmt.Sprintf("open: %v", err)}
	}
	defer l.Close()
	var all []journal.Entry
	if err := l.Each("k1", 1, func(e *journal.Entry) bool { all = append(all, *e); return true }); err != nil {
		return []string{fmt.Sprintf("entries: %v", err)}
	}
	var last uint64
	if ds, err := l.Devices(); err != nil {
		problems = append(problems, fmt.Sprintf("devices: %v", err))
	} else if len(ds) == 1 {
		last = ds[0].LastSeq
	}
	if err := journal.VerifyChain(nil, all); err != nil || uint64(len(all)) != last {
		problems = append(problems, fmt.Sprintf("chain: %d entries, last seq %d: %v", len(all), last, err))
	}
	if last < acked {
		problems = append(problems, fmt.Sprintf("acknowledged up to %d, the ledger holds up to %d: %d acknowledged entries lost", acked, last, acked-last))
	}
	var qty, amount, tickets, total int64
	for i := range all {
		e := &all[i]
		if e.Sale == nil || len(e.Sale.Tickets) != 1+int(e.Seq%3) || e.Sale.Tickets[0].Code != fmt.Sprintf("L%d-1", e.Seq) {
			problems = append(problems, fmt.Sprintf("entry %d is not the device's", e.Seq))
			break
		}
		qty += int64(e.Sale.Lines[0].Qty)
		amount += e.Sale.Total
	}
	if err := l.Counters(func(_ string, _ journal.Key, tl journal.Tally) { tickets += tl.Tickets; total += tl.Amount }); err != nil {
		problems = append(problems, fmt.Sprintf("counters: %v", err))
	}
	if tickets != qty || total != amount {
		problems = append(problems, fmt.Sprintf("counters: %d tickets %d, entries %d tickets %d", tickets, total, qty, amount))
	}
	return problems
}
