package ledger

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
	"ticketkiosk/testkit"
)

// The file format is a contract: a hub updated in place opens the ledger the previous
// version wrote. testdata/format-v2.db was written by formatScenario with the code of that
// version, and testdata/format-v2.golden is what that code read back from it. -update
// writes both again (only when the format is meant to change). Version 2: journal entries
// v2, whose sales carry their sale number (journal.Sale.No); the ledger stores them as sent.
var update = flag.Bool("update", false, "write testdata/format-v2.{db,golden} again")

const (
	formatDB     = "testdata/format-v2.db"
	formatGolden = "testdata/format-v2.golden"
)

// formatScenario ingests one of everything the ledger keeps: two devices of two outlets in
// two time zones, sales, a failed print and its reprint, a void and a second void of the
// same sale, a user created, a gap that lasts, a conflicting duplicate, a broken chain and a
// foreign entry.
func formatScenario(t *testing.T, path string) {
	t.Helper()
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatal(err)
	}
	clk := &calendar{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	l, err := Open(path, Options{NoSync: true, Clock: clk, GapTimeout: time.Minute, Logger: slog.New(slog.DiscardHandler),
		Location: func(outlet string) *time.Location {
			if outlet == "o1" {
				return sofia
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ingest := func(device string, entries ...*journal.Entry) {
		t.Helper()
		if _, err := l.IngestBatch(device, entries); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(30 * time.Second)
	}
	d1 := newChain("d1", "o1")
	d1.t = time.Date(2026, 3, 1, 21, 52, 0, 0, time.UTC) // 23:52 in Sofia: seq 9 on is the next day
	d1.sale("ann@x", "ev", 2, 500)
	d1.sale("bob@x", "ev", 1, 700)
	d1.add(&journal.Entry{Kind: journal.KindPrintFailed, Actor: "bob@x", Print: &journal.Print{Sale: 2, Error: "paper out"}})
	d1.add(&journal.Entry{Kind: journal.KindReprint, Actor: "bob@x", Reprint: &journal.Reprint{Sale: 2, Copy: 1, Approver: "sup@x"}})
	d1.void(1)
	d1.void(1)
	d1.user("cat@x")
	d1.sale("cat@x", "ev2", 3, 250)
	d1.add(&journal.Entry{Kind: journal.KindPrintFailed, Actor: "cat@x", Print: &journal.Print{Sale: 8, Error: "cover open"}})
	d1.sale("ann@x", "ev", 1, 500)
	d1.sale("ann@x", "ev", 2, 500)
	d1.sale("ann@x", "ev", 3, 500)
	ingest("d1", d1.slice(1, 5)...)
	ingest("d1", d1.slice(3, 7)...) // duplicates, then the second void
	ingest("d1", d1.slice(9, 10)...)
	clk.t = clk.t.Add(time.Minute)
	ingest("d1", d1.slice(9, 10)...) // the gap lasts
	ingest("d1", d1.slice(8, 10)...)
	ingest("d1", d1.slice(12, 12)...) // a gap still open

	d2 := newChain("d2", "o2")
	d2.sale("dan@x", "ev", 1, 900)
	d2.sale("dan@x", "ev", 4, 900)
	ingest("d2", d2.slice(1, 2)...)
	other := newChain("d2", "o2")
	other.sale("eve@x", "ev", 1, 900)
	other.sale("eve@x", "ev", 1, 900)
	other.sale("eve@x", "ev", 1, 900)
	ingest("d2", other.slice(2, 3)...) // a conflict, and an entry that breaks the chain
	ingest("d2", d1.slice(1, 1)...)    // foreign
	d2.sale("dan@x", "ev", 1, 900)
	ingest("d2", d2.slice(3, 3)...)
}

// readBack is what the ledger's methods read from a ledger formatScenario wrote.
func readBack(t *testing.T, l *Ledger) string {
	t.Helper()
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }
	devs, err := l.Devices()
	for _, d := range devs {
		p("device %s: last %d hash %s entries %d alarms %d gap since %s held %d seen %s", d.ID, d.LastSeq, d.LastHash, d.Entries,
			d.Alarms, d.GapSince.UTC().Format(time.RFC3339), d.Held, d.Seen.UTC().Format(time.RFC3339))
		err := l.Each(d.ID, 1, func(e *journal.Entry) bool {
			b, _ := e.Encode()
			p("entry %s %d: %s", d.ID, e.Seq, b)
			if e.Kind == journal.KindSale {
				sale, st, err := l.Sale(d.ID, e.Seq)
				p("sale %s %d: no %d voided %v by %d copies %d unprinted %v, entry %d, err %v", d.ID, e.Seq, sale.Sale.No, st.Voided, st.VoidedBy, st.Copies, st.Unprinted, sale.Seq, err)
			}
			return true
		})
		p("each err %v", err)
	}
	p("devices err %v", err)
	alarms, err := l.Alarms()
	for _, a := range alarms {
		p("alarm %s first %s last %s", a, a.First.UTC().Format(time.RFC3339), a.Last.UTC().Format(time.RFC3339))
	}
	p("alarms err %v", err)
	err = l.Counters(func(outlet string, k journal.Key, tl journal.Tally) {
		p("counter %s %s %q %q %q: %+v", outlet, k.Day, k.User, k.Event, k.Type, tl)
	})
	p("counters err %v", err)
	err = l.Feed(0, func(pos uint64, device string, e *journal.Entry) bool {
		p("feed %d: %s %d", pos, device, e.Seq)
		return true
	})
	p("feed end %d, err %v", l.FeedEnd(), err)
	_, _, err = l.Sale("d1", 7)
	p("not a sale: %v", err)
	_, err = l.Entry("d2", 9)
	p("no entry: %v", err)
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
	path := filepath.Join(t.TempDir(), "ledger.db")
	formatScenario(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, compare := testkit.Golden(t, formatDB, data, *update); compare && dump(t, path) != dump(t, formatDB) {
		t.Errorf("the ledger writes another format than %s (-update and diff the dumps):\n%s", formatDB, dump(t, path))
	}
}

// TestFormatReadsTheOldFile: a ledger the previous version wrote opens and reads as it did.
func TestFormatReadsTheOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	data, err := os.ReadFile(formatDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got := readBack(t, open(t, path, Options{NoSync: true}))
	want, compare := testkit.Golden(t, formatGolden, []byte(got), *update)
	if !compare {
		return
	}
	if got != string(want) {
		t.Errorf("%s reads otherwise than %s (-update and git diff it):\n%s", formatDB, formatGolden, got)
	}
	for _, s := range []string{"voided true by 5", "unprinted true", "copies 1", "gap at seq", "conflict at", "chain at", "foreign at", "effect at"} {
		if !bytes.Contains(want, []byte(s)) {
			t.Errorf("%s does not show %q", formatGolden, s)
		}
	}
}
