// Package store keeps a kiosk's state in bbolt: the applied config, the users created on the
// device, the journal with its per-device sequence and hash chain, the outbox cursor,
// pre-aggregated report counters, allotment use, sale states and failed-login counters.
//
// Every journal entry is written in one transaction with everything it changes (counters,
// allotment use, sale state, users): a sale is its entry, its counters and its outbox mark,
// or nothing.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
)

// Errors.
var (
	ErrLocked      = errors.New("store: in use by another process")
	ErrClosed      = errors.New("store: closed")
	ErrStaleConfig = errors.New("store: config version not above the applied one")
	ErrNoConfig    = catalog.ErrNoConfig
	ErrNotFound    = errors.New("store: not found")
)

var (
	bMeta     = []byte("meta")
	bJournal  = []byte("journal")
	bCounters = []byte("counters") // day × user × event × type
	bTotals   = []byte("totals")   // user × event × type, for whole-period reports
	bSold     = []byte("sold")
	bSales    = []byte("sales")
	bUsers    = []byte("users")    // users created on the device, until a config includes them
	bDisabled = []byte("disabled") // users disabled on the device, until a config says so too
	bLogins   = []byte("logins")
	bPrinting = []byte("printing")  // sales whose job is printing (sale seq → seq of the entry that started it)
	bUnprint  = []byte("unprinted") // sales whose tickets did not print and owe a reprint
	bSaleNos  = []byte("sale_nos")  // sale number → seq of its sale entry; its sequence is the last sale number

	kConfig    = []byte("config")     // the applied DeviceConfig, JSON
	kEnvelope  = []byte("envelope")   // the signed envelope it came in
	kLastHash  = []byte("last_hash")  // hash of the last journal entry
	kAcked     = []byte("acked")      // highest seq the hub acknowledged
	kConfigErr = []byte("config_err") // why the last config offered was refused
)

// Options configure Open.
type Options struct {
	Device  string        // this device's id, written into every entry
	Timeout time.Duration // how long to wait for another process's lock; default 1s
	NoSync  bool          // skip fsync (tests and benchmarks only)
}

// Store is an open kiosk store. Its methods are safe for concurrent use.
type Store struct {
	db     *bolt.DB
	device string
	cur    atomic.Pointer[applied]
}

// applied is the config in force and the time zone its counters use.
type applied struct {
	cfg *catalog.DeviceConfig
	loc *time.Location
}

// Open opens (creating if needed) the store at path.
func Open(path string, opt Options) (*Store, error) {
	if opt.Device == "" {
		return nil, errors.New("store: device id is empty")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = time.Second
	}
	db, err := boltutil.Open(path, boltutil.Options{Prefix: "store", Locked: ErrLocked, Timeout: opt.Timeout, NoSync: opt.NoSync,
		Buckets: [][]byte{bMeta, bJournal, bCounters, bTotals, bSold, bSales, bUsers, bDisabled, bLogins, bPrinting, bUnprint, bSaleNos}})
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, device: opt.Device}
	if err := s.loadConfig(); err != nil {
		db.Close()
		return nil, boltutil.InitError("store", path, err)
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Device returns the device id.
func (s *Store) Device() string { return s.device }

// Path returns the store's file.
func (s *Store) Path() string { return s.db.Path() }

func (s *Store) loadConfig() error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bMeta).Get(kConfig)
		if b == nil {
			return nil
		}
		var cfg catalog.DeviceConfig
		if err := json.Unmarshal(b, &cfg); err != nil {
			return fmt.Errorf("stored config: %w", err)
		}
		s.setConfig(&cfg)
		return nil
	})
}

func (s *Store) setConfig(cfg *catalog.DeviceConfig) {
	s.cur.Store(&applied{cfg: cfg, loc: cfg.Outlet.Location()})
}

// location is the time zone of counter days: the outlet's, or UTC before any config.
func (s *Store) location() *time.Location {
	if a := s.cur.Load(); a != nil {
		return a.loc
	}
	return time.UTC
}

func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	return boltutil.Update(s.db, ErrClosed, fn)
}

func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	return boltutil.View(s.db, ErrClosed, fn)
}
