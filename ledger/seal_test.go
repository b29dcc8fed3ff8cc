package ledger

import (
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
)

// seal seals entries first..last of c with key, as a device does for a batch.
func seal(key ed25519.PrivateKey, c *chain, first, last uint64) Seal {
	return Sign(key, c.entries[0].Device, first, last, c.entries[last-1].Hash())
}

func TestAuditProvesSealedEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := open(t, path, Options{})
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := key.Public().(ed25519.PublicKey)
	keys := func(d string) (ed25519.PublicKey, bool) { return pub, d == "k1" }
	c := newChain("k1", "o1")
	for range 6 {
		c.sale("anna", "concert", 1, 1000)
	}
	// Two batches, the second overlapping the first (a resend from the acked seq).
	_, err := l.IngestSealed(map[string]Sealed{"k1": {Entries: c.slice(1, 3), Seals: []Seal{seal(key, c, 1, 3)}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.IngestSealed(map[string]Sealed{"k1": {Entries: c.slice(2, 6), Seals: []Seal{seal(key, c, 2, 6)}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.Audit(keys)
	if err != nil || len(rep.Problems) != 0 || rep.Entries != 6 || rep.Seals != 2 {
		t.Fatalf("audit of a sealed ledger: %+v, %v", rep, err)
	}

	// Entries stored with no seal over them are not proved.
	for range 2 {
		c.sale("anna", "concert", 1, 1000)
	}
	if _, err := l.IngestBatch("k1", c.slice(7, 8)); err != nil {
		t.Fatal(err)
	}
	rep, _ = l.Audit(keys)
	if len(rep.Problems) != 1 || rep.Problems[0].Seq != 7 || !errors.Is(rep.Problems[0].Err, ErrUnsealed) {
		t.Fatalf("unsealed entries: %+v", rep)
	}
	// Without the device's key nothing is proved.
	rep, _ = l.Audit(func(string) (ed25519.PublicKey, bool) { return nil, false })
	if len(rep.Problems) != 1 || !errors.Is(rep.Problems[0].Err, ErrUnknownKey) {
		t.Fatalf("no key: %+v", rep)
	}
	// An entry altered in the file breaks its proof: the first bad one is named.
	l.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		e := *c.entries[3]
		e.Actor = "mallory"
		data, _ := e.Encode()
		return tx.Bucket(bDevices).Bucket([]byte("k1")).Bucket(bEntries).Put(boltutil.U64(4), data)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	l = open(t, path, Options{})
	rep, _ = l.Audit(keys)
	if len(rep.Problems) != 1 || rep.Problems[0].Seq != 5 || !errors.Is(rep.Problems[0].Err, journal.ErrChain) {
		t.Fatalf("altered entry 4: %+v", rep)
	}
}

func TestSealNotKeptForEntriesNotStored(t *testing.T) {
	l := open(t, filepath.Join(t.TempDir(), "ledger.db"), Options{})
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	c := newChain("k1", "o1")
	for range 4 {
		c.sale("anna", "concert", 1, 1000)
	}
	// Beyond a gap: nothing stored, no seal kept.
	if _, err := l.IngestSealed(map[string]Sealed{"k1": {Entries: c.slice(3, 4), Seals: []Seal{seal(key, c, 3, 4)}}}); err != nil {
		t.Fatal(err)
	}
	rep, _ := l.Audit(func(string) (ed25519.PublicKey, bool) { return key.Public().(ed25519.PublicKey), true })
	if rep.Entries != 0 || rep.Seals != 0 {
		t.Fatalf("a seal over entries not stored: %+v", rep)
	}
}
