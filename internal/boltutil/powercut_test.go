//go:build linux && !386 && !arm && !mips && !mipsle

package boltutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/testkit/powercut"
)

const firstBootEnv = "BOLTUTIL_FIRST_BOOT"

func TestMain(m *testing.M) {
	if path := os.Getenv(firstBootEnv); path != "" {
		os.Exit(firstBoot(path))
	}
	os.Exit(m.Run())
}

// firstBoot is a device's first start: it creates its file (and the folder above it) and
// commits one value, as a store that has just sold its first ticket.
func firstBoot(path string) int {
	db, err := Open(path, Options{Prefix: "test", Locked: errLocked, Buckets: [][]byte{[]byte("b")}})
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte("sale"), []byte("1")) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}

// TestNewFileSurvivesAPowerCut: a value committed to a file Open has just created is on the
// disk after a power cut. bbolt fsyncs the file but not the folders that name it; without
// Open's folder fsyncs the new file (and every sale in it) is lost whole at the cut.
func TestNewFileSurvivesAPowerCut(t *testing.T) {
	powercut.SkipWithoutFUSE(t)
	backing := t.TempDir()
	p, err := powercut.Mount(backing, t.TempDir(), powercut.Options{})
	if err != nil {
		t.Fatal(err) // /dev/fuse exists: a mount that fails is a failure
	}
	defer p.Unmount()
	// bbolt maps its file: the process that serves the mount must not open it (see powercut).
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), firstBootEnv+"="+filepath.Join(p.Dir(), "state", "k.db"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("first boot: %v\n%s", err, out)
	}
	if err := p.Unmount(); err != nil { // the power cut: only what was synced stays
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(backing, "state", "k.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the committed file after the cut: %v", err)
	}
	defer db.Close()
	var got []byte
	db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("b")); b != nil {
			got = append(got, b.Get([]byte("sale"))...)
		}
		return nil
	})
	if string(got) != "1" {
		t.Fatalf("the committed value after the cut: %q", got)
	}
}
