package ledger

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"ticketkiosk/journal"
)

// FuzzIngest drives the ledger with deliveries chosen by the input: runs of a device's
// journal in any order, repeated, with gaps, and sometimes an entry from another journal
// with the same seqs. Whatever arrives, the ledger holds a prefix of the real journal,
// acknowledges no more than it holds, and counts each stored sale exactly once.
func FuzzIngest(f *testing.F) {
	f.Add([]byte{0, 5, 5, 9, 0, 19})
	f.Add([]byte{10, 19, 0, 9, 0, 19, 0, 19})
	f.Add([]byte{0x80, 3, 0, 3, 4, 8, 0x83, 2})
	// One ledger for all runs, each run with a device (and outlet) of its own.
	l, err := Open(filepath.Join(f.TempDir(), "l.db"), Options{NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	defer l.Close()
	runs := 0
	f.Fuzz(func(t *testing.T, plan []byte) {
		runs++
		dev := fmt.Sprintf("d%d", runs)
		real, other := newChain(dev, dev), newChain(dev, dev)
		for i := range 20 {
			real.sale("ana@x", "ev", 1+i%3, 100)
			if i%2 == 0 {
				other.sale("bob@x", "ev", 1, 100)
			} else {
				other.void(uint64(i))
			}
		}
		var acked uint64
		for i := 0; i+1 < len(plan) && i < 40; i += 2 {
			from, to := int(plan[i]&0x7f)%20, int(plan[i+1]&0x7f)%20
			src := real
			if plan[i]&0x80 != 0 {
				src = other // a journal that is not the one the hub has
			}
			var batch []*journal.Entry
			if from <= to {
				batch = append(batch, src.entries[from:to+1]...)
			} else {
				for j := from; j >= to; j-- { // reversed
					batch = append(batch, src.entries[j])
				}
			}
			upto, err := l.Ingest(dev, batch)
			if err != nil {
				t.Fatal(err)
			}
			acked = max(acked, upto)
		}
		devs, err := l.Devices()
		if err != nil {
			t.Fatal(err)
		}
		var last uint64
		for _, d := range devs {
			if d.ID == dev {
				last = d.LastSeq
				if d.Entries != last {
					t.Fatalf("%d entries for last seq %d", d.Entries, last)
				}
			}
		}
		if acked > last {
			t.Fatalf("acknowledged %d, holds %d", acked, last)
		}
		var want int64
		for seq := uint64(1); seq <= last; seq++ {
			e, err := l.Entry(dev, seq)
			if err != nil {
				t.Fatal(err)
			}
			if e.Hash() != real.entries[seq-1].Hash() {
				if seq == 1 && e.Hash() == other.entries[0].Hash() {
					return // the other journal came first: the hub has that one, consistently
				}
				t.Fatalf("seq %d is not the real entry", seq)
			}
			want += int64(real.entries[seq-1].Sale.Lines[0].Qty)
		}
		var got int64
		_ = l.Counters(func(outlet string, _ journal.Key, tl journal.Tally) {
			if outlet == dev {
				got += tl.Tickets
			}
		})
		if got != want {
			t.Fatalf("counted %d tickets, stored sales hold %d", got, want)
		}
	})
}
