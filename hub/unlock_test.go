package hub

import (
	"testing"

	"ticketkiosk/journal"
)

// TestCollectLockEntries: a kiosk's lock and a supervisor's unlock (login_unlocked) pass
// the hub's ingest and collect without a problem, and change nothing in the catalogue.
func TestCollectLockEntries(t *testing.T) {
	h, clk := newHub(t)
	k1, _ := setupOutlet(t, h)
	l := openLedger(t, h)
	until := clk.Now().Add(60e9).UnixMilli()
	lock := k1.next(&journal.Entry{Kind: journal.KindLoginLocked, Lock: &journal.Lock{User: "9999", Failures: 5, Until: until}}, clk.Now(), "9999")
	unlock := k1.next(&journal.Entry{Kind: journal.KindLoginUnlocked, Lock: &journal.Lock{User: "9999", Until: until}}, clk.Now(), "boss@example.org")
	for _, e := range []*journal.Entry{lock, unlock} {
		if err := e.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	ingest(t, l, k1, lock, unlock)
	v0, _ := h.Device("k1")
	res, err := h.Collect(l, 0)
	must(t, err)
	if res.Entries != 2 || len(res.Problems) != 0 {
		t.Fatalf("collect %+v", res)
	}
	if v1, _ := h.Device("k1"); v1.Version != v0.Version {
		t.Fatal("lock entries raised the config version")
	}
}
