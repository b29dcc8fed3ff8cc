package ledger

import (
	"path/filepath"
	"testing"

	"ticketkiosk/journal"
)

// TestLockAndUnlockEntries: a device's login_locked and login_unlocked entries (the latter
// a supervisor's unlock on the kiosk) are stored in the chain and count nothing.
func TestLockAndUnlockEntries(t *testing.T) {
	l := open(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	c := newChain("k1", "books")
	c.sale("ana@x", "e1", 1, 1000)
	c.add(&journal.Entry{Kind: journal.KindLoginLocked, Actor: "9999", Lock: &journal.Lock{User: "9999", Failures: 5, Until: c.t.Add(60e9).UnixMilli()}})
	c.add(&journal.Entry{Kind: journal.KindLoginUnlocked, Actor: "sup@x", Lock: &journal.Lock{User: "9999", Until: c.t.UnixMilli()}})
	r, err := l.IngestBatch("k1", c.entries)
	if err != nil || r.Stored != 3 || r.Upto != 3 || len(r.Alarms) != 0 {
		t.Fatalf("ingest %+v, %v", r, err)
	}
	e, err := l.Entry("k1", 3)
	if err != nil || e.Kind != journal.KindLoginUnlocked || e.Lock.User != "9999" {
		t.Fatalf("stored %+v, %v", e, err)
	}
	if got := counters(t, l); len(got) != 1 {
		t.Fatalf("counters %+v: the lock entries counted", got)
	}
}
