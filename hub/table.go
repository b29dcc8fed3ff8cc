package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/mqtt"
)

var (
	bMeta     = []byte("meta")
	bOutlets  = []byte("outlets")  // id → Outlet
	bEvents   = []byte("events")   // id → Event
	bLinks    = []byte("links")    // outlet \x00 event → Link
	bUsers    = []byte("users")    // lower(email) → User
	bDevices  = []byte("devices")  // id → Device
	bVersions = []byte("versions") // device → config version (u64)
	bPushed   = []byte("pushed")   // device → last signed config version (u64)
	bGrants   = []byte("grants")   // device \x00 event \x00 type → cap granted in a signed config (u64)
	bOutbox   = []byte("outbox")   // device \x00 seq → mail
	bPending  = []byte("pending")  // device \x00 seq of the outbox's pending mails → empty
	bSettings = []byte("settings") // name → value
	bStates   = []byte("states")   // device → last Presence received (made by the first save)
	bRevoked  = []byte("revoked")  // device → Revocation

	allBuckets = [][]byte{bMeta, bOutlets, bEvents, bLinks, bUsers, bDevices, bVersions, bPushed, bGrants, bOutbox, bPending, bSettings, bRevoked}
)

// ErrInUse refuses to remove what sales or other entries of the catalogue refer to; the
// error says what to do instead (unlink, disable, revoke).
var ErrInUse = errors.New("hub: in use")

// db opens the catalogue file for one transaction: read-only with a shared lock, or for
// writing with the exclusive one. The list of free pages stays in the file, as the file is
// opened again for every call.
func (h *Hub) db(readOnly bool) (*bolt.DB, error) {
	return boltutil.Open(filepath.Join(h.dir, DBFile), boltutil.Options{
		Prefix: "hub", Locked: ErrLocked, Timeout: h.opt.Timeout, NoSync: h.opt.NoSync,
		ReadOnly: readOnly, SyncFreelist: true,
	})
}

// update runs fn in a read-write transaction, in which every bucket of allBuckets exists
// (created in the same transaction when missing: one commit, one fsync).
func (h *Hub) update(fn func(tx *bolt.Tx) error) error {
	db, err := h.db(false)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// view runs fn in a read-only transaction of the store opened read-only (a shared lock:
// readers do not wait for each other). Init created every bucket of allBuckets.
func (h *Hub) view(fn func(tx *bolt.Tx) error) error {
	db, err := h.db(true)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(fn)
}

// table is one bucket of JSON-encoded values of type T: the one getter and putter of every
// entity of the catalogue (outlets.go, events.go, links.go, users.go, devices.go) and of
// the outbox and device states.
type table[T any] struct {
	bucket []byte
	what   string                 // names a value in errors: "outlet"
	key    func(id string) []byte // the key of an id; nil: the id's bytes
}

var (
	outlets   = table[catalog.Outlet]{bucket: bOutlets, what: "outlet"}
	events    = table[catalog.Event]{bucket: bEvents, what: "event"}
	links     = table[catalog.Link]{bucket: bLinks, what: "link"}
	users     = table[catalog.User]{bucket: bUsers, what: "user", key: userKey}
	devices   = table[catalog.Device]{bucket: bDevices, what: "device"}
	mails     = table[Mail]{bucket: bOutbox, what: "mail"}
	presences = table[mqtt.Presence]{bucket: bStates, what: "device state"}
	revoked   = table[Revocation]{bucket: bRevoked, what: "revocation"}
)

func (t table[T]) k(id string) []byte {
	if t.key == nil {
		return []byte(id)
	}
	return t.key(id)
}

// has reports whether id is stored.
func (t table[T]) has(tx *bolt.Tx, id string) bool {
	b := tx.Bucket(t.bucket)
	return b != nil && b.Get(t.k(id)) != nil
}

// get returns the value of id and whether there is one.
func (t table[T]) get(tx *bolt.Tx, id string) (T, bool, error) {
	var v T
	b := tx.Bucket(t.bucket)
	if b == nil {
		return v, false, nil
	}
	data := b.Get(t.k(id))
	if data == nil {
		return v, false, nil
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, false, fmt.Errorf("hub: decode %s: %w", t.k(id), err)
	}
	return v, true, nil
}

// one returns the value of id; a missing one is ErrNotFound.
func (t table[T]) one(tx *bolt.Tx, id string) (T, error) {
	v, ok, err := t.get(tx, id)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s %s", ErrNotFound, t.what, id)
	}
	return v, err
}

// put stores v as id's value.
func (t table[T]) put(tx *bolt.Tx, id string, v T) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("hub: encode: %w", err)
	}
	return tx.Bucket(t.bucket).Put(t.k(id), data)
}

// check refuses, with create, an existing id (ErrExists) and, without, an unknown one
// (ErrNotFound).
func (t table[T]) check(tx *bolt.Tx, id string, create bool) error {
	switch exists := t.has(tx, id); {
	case create && exists:
		return fmt.Errorf("%w: %s %s", ErrExists, t.what, id)
	case !create && !exists:
		return fmt.Errorf("%w: %s %s", ErrNotFound, t.what, id)
	}
	return nil
}

// save is check, then put.
func (t table[T]) save(tx *bolt.Tx, id string, v T, create bool) error {
	if err := t.check(tx, id, create); err != nil {
		return err
	}
	return t.put(tx, id, v)
}

// remove deletes id; an unknown one is ErrNotFound.
func (t table[T]) remove(tx *bolt.Tx, id string) error {
	if err := t.check(tx, id, false); err != nil {
		return err
	}
	return tx.Bucket(t.bucket).Delete(t.k(id))
}

// all returns the values whose keys start with prefix ("" for all), in key order (nil for
// none).
func (t table[T]) all(tx *bolt.Tx, prefix string) ([]T, error) {
	return t.where(tx, prefix, nil)
}

// where returns the values under prefix for which keep is true (nil keeps all), in key
// order (nil for none).
func (t table[T]) where(tx *bolt.Tx, prefix string, keep func(T) bool) ([]T, error) {
	var out []T
	b := tx.Bucket(t.bucket)
	if b == nil {
		return nil, nil
	}
	p := []byte(prefix)
	c := b.Cursor()
	for k, data := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, data = c.Next() {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("hub: decode %s: %w", k, err)
		}
		if keep == nil || keep(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// load is one in a read-only transaction of its own.
func (t table[T]) load(h *Hub, id string) (T, error) {
	var v T
	err := h.view(func(tx *bolt.Tx) error {
		var err error
		v, err = t.one(tx, id)
		return err
	})
	return v, err
}

// list is where in a read-only transaction of its own.
func (t table[T]) list(h *Hub, prefix string, keep func(T) bool) ([]T, error) {
	var out []T
	err := h.view(func(tx *bolt.Tx) error {
		var err error
		out, err = t.where(tx, prefix, keep)
		return err
	})
	return out, err
}
