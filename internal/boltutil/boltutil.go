// Package boltutil holds what the bbolt files of the kiosk's store, the hub's ledger and the
// hub's catalogue do alike: opening with a lock timeout and their buckets, transactions that
// tell a closed file by the owner's own error, big-endian numbers as keys and values, and a
// dump of a file's data for tests of its format. What the values mean (journal entries,
// sale states, counters) is package journal's.
package boltutil

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Options say how Open opens a file and how its errors read.
type Options struct {
	Prefix  string        // the owner's error prefix, e.g. "store"
	Locked  error         // returned, wrapped with the path, when another process holds the file
	Timeout time.Duration // how long to wait for another process's lock
	NoSync  bool          // skip fsync (tests and benchmarks only)
	Buckets [][]byte      // created when missing
	// ReadOnly opens the file with a shared lock (readers do not wait for each other) and
	// creates nothing: neither the folder, nor the file, nor Buckets.
	ReadOnly bool
	// SyncFreelist keeps bbolt's list of free pages in the file. Files held open for long
	// (the store, the ledger) leave it out and rebuild it once at open; a file opened for
	// one transaction at a time (the hub's catalogue) keeps it, or every open would scan
	// the whole file.
	SyncFreelist bool
}

// Open opens (creating it and its folder if needed) the bbolt file at path and creates the
// missing buckets. A lock another process still holds after the timeout is opt.Locked; other
// errors start with opt.Prefix.
func Open(path string, opt Options) (*bolt.DB, error) {
	var created []string // folders whose new entries must reach the disk
	if !opt.ReadOnly {
		var err error
		if created, err = newNames(path); err != nil {
			return nil, fmt.Errorf("%s: %w", opt.Prefix, err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("%s: %w", opt.Prefix, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opt.Timeout, NoSync: opt.NoSync, ReadOnly: opt.ReadOnly,
		NoFreelistSync: !opt.SyncFreelist, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s", opt.Locked, path)
		}
		return nil, fmt.Errorf("%s: open %s: %w", opt.Prefix, path, err)
	}
	// bbolt fsyncs the file it creates but not the folder that names it: until the folder
	// is synced, a power cut can lose the new file whole, with every sale committed to it.
	if !opt.NoSync {
		for _, dir := range created {
			if err := syncDir(dir); err != nil {
				db.Close()
				return nil, InitError(opt.Prefix, path, err)
			}
		}
	}
	if opt.ReadOnly || len(opt.Buckets) == 0 {
		return db, nil // nothing to create (and no empty commit to sync)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range opt.Buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, InitError(opt.Prefix, path, err)
	}
	return db, nil
}

// newNames lists, innermost first, the folders that will get a new entry when path and its
// missing folders are created: none when path exists.
func newNames(path string) ([]string, error) {
	var dirs []string
	for p := path; ; {
		_, err := os.Stat(p)
		if err == nil {
			return dirs, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return dirs, nil
		}
		dirs = append(dirs, parent)
		p = parent
	}
}

// syncDir fsyncs a folder, so that the names created in it survive a power cut.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// InitError is the error of a file that opened but could not be prepared for use.
func InitError(prefix, path string, err error) error {
	return fmt.Errorf("%s: init %s: %w", prefix, path, err)
}

// Update runs fn in a read-write transaction of db; a closed db is closed.
func Update(db *bolt.DB, closed error, fn func(tx *bolt.Tx) error) error {
	return whenClosed(db.Update(fn), closed)
}

// View runs fn in a read-only transaction of db; a closed db is closed.
func View(db *bolt.DB, closed error, fn func(tx *bolt.Tx) error) error {
	return whenClosed(db.View(fn), closed)
}

func whenClosed(err, closed error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return closed
	}
	return err
}

// U64 is v in 8 big-endian bytes, which sort as the numbers do.
func U64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// GetU64 reads U64's bytes; anything but 8 bytes (a missing value included) is 0.
func GetU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// Dump writes every bucket of db (nested ones included) with its sequence, and every key
// and value in key order, as quoted text: two files hold the same data exactly when their
// dumps are equal, however bbolt laid out their pages. Tests use it to prove a file format
// unchanged.
func Dump(db *bolt.DB, w io.Writer) error {
	return db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return dumpBucket(w, fmt.Sprintf("%q", name), b)
		})
	})
}

func dumpBucket(w io.Writer, path string, b *bolt.Bucket) error {
	if _, err := fmt.Fprintf(w, "bucket %s seq=%d\n", path, b.Sequence()); err != nil {
		return err
	}
	var nested [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil && b.Bucket(k) != nil {
			nested = append(nested, k)
			continue
		}
		if _, err := fmt.Fprintf(w, "  %q = %q\n", k, v); err != nil {
			return err
		}
	}
	for _, k := range nested {
		if err := dumpBucket(w, fmt.Sprintf("%s/%q", path, k), b.Bucket(k)); err != nil {
			return err
		}
	}
	return nil
}

// DumpFile is Dump of the bbolt file at path, opened read-only.
func DumpFile(path string) (string, error) {
	db, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return "", err
	}
	defer db.Close()
	var b strings.Builder
	err = Dump(db, &b)
	return b.String(), err
}
