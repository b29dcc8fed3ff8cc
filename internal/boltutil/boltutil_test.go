package boltutil

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	errLocked = errors.New("test: in use")
	errClosed = errors.New("test: closed")
)

func TestOpenCreatesFolderAndBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "x.db")
	db, err := Open(path, Options{Prefix: "test", Locked: errLocked, Timeout: time.Second, Buckets: [][]byte{[]byte("one"), []byte("two")}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = View(db, errClosed, func(tx *bolt.Tx) error {
		for _, b := range []string{"one", "two"} {
			if tx.Bucket([]byte(b)) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenLockedAndClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(path, Options{Prefix: "test", Locked: errLocked, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{Prefix: "test", Locked: errLocked, Timeout: 50 * time.Millisecond})
	if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second open: %v, want errLocked naming the file", err)
	}
	if err := Update(db, errClosed, func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("b"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := Update(db, errClosed, func(*bolt.Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("Update on a closed file: %v, want errClosed", err)
	}
	if err := View(db, errClosed, func(*bolt.Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("View on a closed file: %v, want errClosed", err)
	}
}

func TestOpenOtherErrorsCarryThePrefix(t *testing.T) {
	dir := t.TempDir()
	// The path is a folder: bbolt cannot open it as a file.
	_, err := Open(dir, Options{Prefix: "test", Locked: errLocked, Timeout: time.Second})
	if err == nil || errors.Is(err, errLocked) || !strings.HasPrefix(err.Error(), "test: open ") {
		t.Fatalf("open of a folder: %v", err)
	}
}

func TestU64(t *testing.T) {
	vs := []uint64{0, 1, 255, 256, 1 << 40, ^uint64(0)}
	for i, v := range vs {
		if got := GetU64(U64(v)); got != v {
			t.Errorf("GetU64(U64(%d)) = %d", v, got)
		}
		if i > 0 && bytes.Compare(U64(vs[i-1]), U64(v)) >= 0 {
			t.Errorf("U64(%d) does not sort before U64(%d)", vs[i-1], v)
		}
	}
	if got := GetU64(nil); got != 0 {
		t.Errorf("GetU64(nil) = %d", got)
	}
	if got := GetU64([]byte{1, 2, 3}); got != 0 {
		t.Errorf("GetU64 of 3 bytes = %d", got)
	}
}

func TestDumpIsTheDataNotTheLayout(t *testing.T) {
	write := func(name string, order []string, last string) string {
		db, err := Open(filepath.Join(t.TempDir(), name), Options{Prefix: "test", Locked: errLocked, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.Update(func(tx *bolt.Tx) error {
			for _, k := range order {
				top, err := tx.CreateBucketIfNotExists([]byte("top"))
				if err != nil {
					return err
				}
				if _, err := top.NextSequence(); err != nil {
					return err
				}
				in, err := top.CreateBucketIfNotExists([]byte("in\x00ner"))
				if err != nil {
					return err
				}
				v := "v" + k
				if k == order[len(order)-1] {
					v = last
				}
				if err := in.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
				if err := top.Put([]byte(k), U64(uint64(len(k)))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := Dump(db, &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	a := write("a.db", []string{"k1", "k22", "k333"}, "end")
	b := write("b.db", []string{"k22", "k1", "k333"}, "end")
	if a != b {
		t.Errorf("same data written in another order dumps differently:\n%s\n%s", a, b)
	}
	want := `bucket "top" seq=3
  "k1" = "\x00\x00\x00\x00\x00\x00\x00\x02"
  "k22" = "\x00\x00\x00\x00\x00\x00\x00\x03"
  "k333" = "\x00\x00\x00\x00\x00\x00\x00\x04"
bucket "top"/"in\x00ner" seq=0
  "k1" = "vk1"
  "k22" = "vk22"
  "k333" = "end"
`
	if a != want {
		t.Errorf("dump:\n%s\nwant:\n%s", a, want)
	}
	if c := write("c.db", []string{"k1", "k22", "k333"}, "End"); c == a {
		t.Error("a changed value dumps the same")
	}
}

func TestOpenReadOnlySharesAndCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none", "x.db")
	if _, err := Open(missing, Options{Prefix: "test", Locked: errLocked, Timeout: time.Second, ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing file succeeded")
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read-only open created the folder: %v", err)
	}
	path := filepath.Join(dir, "x.db")
	db, err := Open(path, Options{Prefix: "test", Locked: errLocked, Timeout: time.Second, SyncFreelist: true, Buckets: [][]byte{[]byte("one")}})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro := Options{Prefix: "test", Locked: errLocked, Timeout: time.Second, ReadOnly: true, Buckets: [][]byte{[]byte("two")}}
	r1, err := Open(path, ro)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, ro)
	if err != nil {
		t.Fatalf("second reader waits for the first: %v", err)
	}
	defer r2.Close()
	err = View(r2, errClosed, func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("one")) == nil || tx.Bucket([]byte("two")) != nil {
			t.Error("read-only open: want bucket one and no bucket two")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{Prefix: "test", Locked: errLocked, Timeout: 50 * time.Millisecond}); !errors.Is(err, errLocked) {
		t.Fatalf("writer beside readers: %v, want errLocked", err)
	}
}
