package hub

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
)

// Files in the hub directory.
const (
	KeyFile = "hub.key" // the hub's Ed25519 private key seed, base64, mode 0600
	DBFile  = "hub.db"  // the catalogue and the email outbox (bbolt)
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

	allBuckets = [][]byte{bMeta, bOutlets, bEvents, bLinks, bUsers, bDevices, bVersions, bPushed, bGrants, bOutbox, bPending, bSettings}
)

// Options configure Open and Init.
type Options struct {
	Clock   Clock         // default SystemClock
	Timeout time.Duration // how long to wait for another process's transaction; default 10s
	Logger  *slog.Logger  // default slog.Default()
	NoSync  bool          // skip fsync (tests and benchmarks only)
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Hub is an opened hub directory: its key and its catalogue. Its methods are safe for
// concurrent use and, through the file lock, for use by several processes.
type Hub struct {
	dir string
	key ed25519.PrivateKey
	opt Options
}

// Init creates a hub in dir: the Ed25519 key (mode 0600) and an empty catalogue. It refuses a
// directory that already has a key, so a hub's key is never replaced by accident.
func Init(dir string, opt Options) (ed25519.PublicKey, error) {
	opt = opt.withDefaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("hub: init: %w", err)
	}
	kp := filepath.Join(dir, KeyFile)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("hub: init: %w", err)
	}
	f, err := os.OpenFile(kp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%w: a hub key in %s", ErrExists, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("hub: init: %w", err)
	}
	_, err = fmt.Fprintln(f, base64.StdEncoding.EncodeToString(priv.Seed()))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(kp)
		return nil, fmt.Errorf("hub: init: write key: %w", err)
	}
	h := &Hub{dir: dir, key: priv, opt: opt}
	if err := h.update(func(*bolt.Tx) error { return nil }); err != nil {
		return nil, err
	}
	return pub, nil
}

// Open opens the hub in dir, made by Init.
func Open(dir string, opt Options) (*Hub, error) {
	opt = opt.withDefaults()
	raw, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoHub, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("hub: open: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("hub: open: %s is not a base64 Ed25519 seed", KeyFile)
	}
	if _, err := os.Stat(filepath.Join(dir, DBFile)); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNoHub, dir, err)
	}
	return &Hub{dir: dir, key: ed25519.NewKeyFromSeed(seed), opt: opt}, nil
}

// Dir returns the hub directory.
func (h *Hub) Dir() string { return h.dir }

// PublicKey returns the hub's public key, which every device's config names.
func (h *Hub) PublicKey() ed25519.PublicKey { return h.key.Public().(ed25519.PublicKey) }

// Logger returns the hub's logger.
func (h *Hub) Logger() *slog.Logger { return h.opt.Logger }

// Now returns the hub clock's time.
func (h *Hub) Now() time.Time { return h.opt.Clock.Now() }

func (h *Hub) db(readOnly bool) (*bolt.DB, error) {
	db, err := bolt.Open(filepath.Join(h.dir, DBFile), 0o600, &bolt.Options{Timeout: h.opt.Timeout, NoSync: h.opt.NoSync, ReadOnly: readOnly})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, h.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("hub: open store: %w", err)
	}
	return db, nil
}

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
// readers do not wait for each other). Init created every bucket fn may read.
func (h *Hub) view(fn func(tx *bolt.Tx) error) error {
	db, err := h.db(true)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(fn)
}

func put(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("hub: encode: %w", err)
	}
	return b.Put(k, data)
}

func get[T any](b *bolt.Bucket, k []byte) (T, bool, error) {
	var v T
	data := b.Get(k)
	if data == nil {
		return v, false, nil
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, false, fmt.Errorf("hub: decode %s: %w", k, err)
	}
	return v, true, nil
}

func all[T any](b *bolt.Bucket, prefix []byte) ([]T, error) {
	var out []T
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var t T
		if err := json.Unmarshal(v, &t); err != nil {
			return nil, fmt.Errorf("hub: decode %s: %w", k, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func linkKey(outlet, event string) []byte { return []byte(outlet + "\x00" + event) }

func userKey(email string) []byte { return []byte(strings.ToLower(email)) }

func grantKey(device, event, typ string) []byte {
	return []byte(device + "\x00" + event + "\x00" + typ)
}

func invalid(ps catalog.Problems) error {
	if len(ps) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalid, ps)
}

func problem(where, format string, args ...any) error {
	return invalid(catalog.Problems{{Where: where, What: fmt.Sprintf(format, args...)}})
}

// bumpOutlet raises the config version of every device of an outlet: something they are
// configured with changed.
func bumpOutlet(tx *bolt.Tx, outlet string) error {
	devs, err := all[catalog.Device](tx.Bucket(bDevices), nil)
	if err != nil {
		return err
	}
	for _, d := range devs {
		if d.Outlet != outlet {
			continue
		}
		if err := bumpDevice(tx, d.ID); err != nil {
			return err
		}
	}
	return nil
}

func bumpDevice(tx *bolt.Tx, device string) error {
	b := tx.Bucket(bVersions)
	return b.Put([]byte(device), boltutil.U64(boltutil.GetU64(b.Get([]byte(device)))+1))
}

// SaveOutlet validates and stores an outlet. With create it refuses an existing id;
// without, it refuses an unknown one and raises the config version of the outlet's devices.
func (h *Hub) SaveOutlet(o catalog.Outlet, create bool) error {
	if err := invalid(o.Validate()); err != nil {
		return err
	}
	return h.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutlets)
		exists := b.Get([]byte(o.ID)) != nil
		switch {
		case create && exists:
			return fmt.Errorf("%w: outlet %s", ErrExists, o.ID)
		case !create && !exists:
			return fmt.Errorf("%w: outlet %s", ErrNotFound, o.ID)
		}
		if err := put(b, []byte(o.ID), o); err != nil {
			return err
		}
		return bumpOutlet(tx, o.ID)
	})
}

// Outlet returns an outlet.
func (h *Hub) Outlet(id string) (catalog.Outlet, error) {
	var o catalog.Outlet
	err := h.view(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		o, ok, err = get[catalog.Outlet](tx.Bucket(bOutlets), []byte(id))
		if err == nil && !ok {
			err = fmt.Errorf("%w: outlet %s", ErrNotFound, id)
		}
		return err
	})
	return o, err
}

// Outlets returns every outlet, by id.
func (h *Hub) Outlets() ([]catalog.Outlet, error) {
	var out []catalog.Outlet
	err := h.view(func(tx *bolt.Tx) error {
		var err error
		out, err = all[catalog.Outlet](tx.Bucket(bOutlets), nil)
		return err
	})
	return out, err
}

// SaveEvent validates and stores an event. With create it refuses an existing id; without,
// it refuses an unknown one, refuses to drop a ticket type a link allots, and raises the
// config version of every device of every outlet linked to it.
func (h *Hub) SaveEvent(e catalog.Event, create bool) error {
	if err := invalid(e.Validate()); err != nil {
		return err
	}
	return h.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bEvents)
		exists := b.Get([]byte(e.ID)) != nil
		switch {
		case create && exists:
			return fmt.Errorf("%w: event %s", ErrExists, e.ID)
		case !create && !exists:
			return fmt.Errorf("%w: event %s", ErrNotFound, e.ID)
		}
		links, err := all[catalog.Link](tx.Bucket(bLinks), nil)
		if err != nil {
			return err
		}
		var ps catalog.Problems
		var outlets []string
		for _, l := range links {
			if l.Event != e.ID {
				continue
			}
			outlets = append(outlets, l.Outlet)
			for typ := range l.Allot {
				if _, ok := e.Type(typ); !ok {
					ps = append(ps, catalog.Problem{Where: "event " + e.ID, What: fmt.Sprintf("ticket type %s is allotted to outlet %s", typ, l.Outlet)})
				}
			}
		}
		if err := invalid(ps); err != nil {
			return err
		}
		if err := put(b, []byte(e.ID), e); err != nil {
			return err
		}
		for _, o := range outlets {
			if err := bumpOutlet(tx, o); err != nil {
				return err
			}
		}
		return nil
	})
}

// Event returns an event.
func (h *Hub) Event(id string) (catalog.Event, error) {
	var e catalog.Event
	err := h.view(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		e, ok, err = get[catalog.Event](tx.Bucket(bEvents), []byte(id))
		if err == nil && !ok {
			err = fmt.Errorf("%w: event %s", ErrNotFound, id)
		}
		return err
	})
	return e, err
}

// Events returns every event, by id.
func (h *Hub) Events() ([]catalog.Event, error) {
	var out []catalog.Event
	err := h.view(func(tx *bolt.Tx) error {
		var err error
		out, err = all[catalog.Event](tx.Bucket(bEvents), nil)
		return err
	})
	return out, err
}

// SaveLink links an outlet to an event, or replaces the link's allotments. The outlet, the
// event and every allotted ticket type must exist; an allotment may not be lowered below
// what the outlet's devices were already granted in signed configs (they may have sold it
// offline). It raises the config version of the outlet's devices.
func (h *Hub) SaveLink(l catalog.Link) error {
	return h.update(func(tx *bolt.Tx) error {
		var ps catalog.Problems
		where := "link " + l.Outlet + " " + l.Event
		if tx.Bucket(bOutlets).Get([]byte(l.Outlet)) == nil {
			ps = append(ps, catalog.Problem{Where: where, What: "unknown outlet " + l.Outlet})
		}
		ev, ok, err := get[catalog.Event](tx.Bucket(bEvents), []byte(l.Event))
		if err != nil {
			return err
		}
		if !ok {
			ps = append(ps, catalog.Problem{Where: where, What: "unknown event " + l.Event})
		}
		types := make([]string, 0, len(l.Allot))
		for typ := range l.Allot {
			types = append(types, typ)
		}
		sort.Strings(types)
		for _, typ := range types {
			n := l.Allot[typ]
			if ok {
				if _, has := ev.Type(typ); !has {
					ps = append(ps, catalog.Problem{Where: where, What: "event has no ticket type " + typ})
				}
			}
			if n < 0 || n > catalog.MaxAllotment {
				ps = append(ps, catalog.Problem{Where: where + ": " + typ, What: fmt.Sprintf("allotment %d is outside 0..%d", n, catalog.MaxAllotment)})
			}
		}
		if err := invalid(ps); err != nil {
			return err
		}
		granted, err := outletGrants(tx, l.Outlet, l.Event)
		if err != nil {
			return err
		}
		for _, typ := range types {
			if g := granted[typ]; l.Allot[typ] < g {
				return fmt.Errorf("%w: %s %s %s: %d already granted to devices, cannot lower to %d", ErrOverGranted, l.Outlet, l.Event, typ, g, l.Allot[typ])
			}
		}
		if err := put(tx.Bucket(bLinks), linkKey(l.Outlet, l.Event), l); err != nil {
			return err
		}
		return bumpOutlet(tx, l.Outlet)
	})
}

// outletGrants sums what the outlet's devices were granted of an event, by ticket type.
func outletGrants(tx *bolt.Tx, outlet, event string) (map[string]int64, error) {
	devs, err := all[catalog.Device](tx.Bucket(bDevices), nil)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, d := range devs {
		if d.Outlet != outlet {
			continue
		}
		prefix := grantKey(d.ID, event, "")
		c := tx.Bucket(bGrants).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			out[string(k[len(prefix):])] += int64(boltutil.GetU64(v))
		}
	}
	return out, nil
}

// Links returns the links of an outlet ("" for every outlet).
func (h *Hub) Links(outlet string) ([]catalog.Link, error) {
	var out []catalog.Link
	err := h.view(func(tx *bolt.Tx) error {
		var prefix []byte
		if outlet != "" {
			prefix = []byte(outlet + "\x00")
		}
		var err error
		out, err = all[catalog.Link](tx.Bucket(bLinks), prefix)
		return err
	})
	return out, err
}

// AddUser validates and stores a new user of an existing outlet: the user's own rules,
// then together with the outlet's users (kiosk code unique in the outlet, creator a
// supervisor of the same outlet) and an email unique in the whole hub. It raises the config
// version of the outlet's devices.
func (h *Hub) AddUser(u catalog.User) error {
	if err := invalid(u.Validate()); err != nil {
		return err
	}
	return h.update(func(tx *bolt.Tx) error { return addUser(tx, u) })
}

func addUser(tx *bolt.Tx, u catalog.User) error {
	if tx.Bucket(bOutlets).Get([]byte(u.Outlet)) == nil {
		return problem("user "+u.Email, "unknown outlet %s", u.Outlet)
	}
	b := tx.Bucket(bUsers)
	if b.Get(userKey(u.Email)) != nil {
		return fmt.Errorf("%w: user %s", ErrExists, u.Email)
	}
	users, err := all[catalog.User](b, nil)
	if err != nil {
		return err
	}
	var same []catalog.User
	for _, o := range users {
		if o.Outlet == u.Outlet {
			same = append(same, o)
		}
	}
	if err := invalid(catalog.ValidateUsers(append(same, u))); err != nil {
		return err
	}
	if err := put(b, userKey(u.Email), u); err != nil {
		return err
	}
	return bumpOutlet(tx, u.Outlet)
}

// AddDeviceUser stores a user a supervisor created on a device (a user_created journal
// entry), so that it enters the catalogue and the outlet's next config. A user already
// known with the same outlet is left as it is (the entry was seen before).
func (h *Hub) AddDeviceUser(u catalog.User) (added bool, err error) {
	if err := invalid(u.Validate()); err != nil {
		return false, err
	}
	err = h.update(func(tx *bolt.Tx) error {
		old, ok, err := get[catalog.User](tx.Bucket(bUsers), userKey(u.Email))
		if err != nil {
			return err
		}
		if ok {
			if old.Outlet != u.Outlet {
				return fmt.Errorf("%w: user %s belongs to outlet %s, not %s", ErrExists, u.Email, old.Outlet, u.Outlet)
			}
			return nil
		}
		added = true
		return addUser(tx, u)
	})
	return added, err
}

// DisableUser marks a user disabled; devices drop it with their next config.
func (h *Hub) DisableUser(email string) error {
	return h.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bUsers)
		u, ok, err := get[catalog.User](b, userKey(email))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: user %s", ErrNotFound, email)
		}
		if u.Disabled {
			return fmt.Errorf("%w: %s", ErrDisabled, email)
		}
		u.Disabled = true
		if err := put(b, userKey(email), u); err != nil {
			return err
		}
		return bumpOutlet(tx, u.Outlet)
	})
}

// User returns a user by email (in any case).
func (h *Hub) User(email string) (catalog.User, error) {
	var u catalog.User
	err := h.view(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		u, ok, err = get[catalog.User](tx.Bucket(bUsers), userKey(email))
		if err == nil && !ok {
			err = fmt.Errorf("%w: user %s", ErrNotFound, email)
		}
		return err
	})
	return u, err
}

// Users returns the users of an outlet ("" for every outlet), by email.
func (h *Hub) Users(outlet string) ([]catalog.User, error) {
	var out []catalog.User
	err := h.view(func(tx *bolt.Tx) error {
		users, err := all[catalog.User](tx.Bucket(bUsers), nil)
		for _, u := range users {
			if outlet == "" || u.Outlet == outlet {
				out = append(out, u)
			}
		}
		return err
	})
	return out, err
}

// DeviceInfo is a device with its config versions.
type DeviceInfo struct {
	catalog.Device
	Version uint64 `json:"version"` // the version its next config gets
	Signed  uint64 `json:"signed"`  // the last version signed for it by push (0: never)
}

// AddDevice stores a new device of an existing outlet. Every device of the outlet gets a
// new config version (the outlet's allotments are split between its devices).
func (h *Hub) AddDevice(d catalog.Device) error {
	var ps catalog.Problems
	if err := catalog.ValidID(d.ID); err != nil {
		ps = append(ps, catalog.Problem{Where: "device", What: err.Error()})
	}
	if len(d.PublicKey) != ed25519.PublicKeySize {
		ps = append(ps, catalog.Problem{Where: "device " + d.ID, What: fmt.Sprintf("public key has %d bytes, want %d", len(d.PublicKey), ed25519.PublicKeySize)})
	}
	if err := invalid(ps); err != nil {
		return err
	}
	return h.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bOutlets).Get([]byte(d.Outlet)) == nil {
			return problem("device "+d.ID, "unknown outlet %s", d.Outlet)
		}
		b := tx.Bucket(bDevices)
		if b.Get([]byte(d.ID)) != nil {
			return fmt.Errorf("%w: device %s", ErrExists, d.ID)
		}
		devs, err := all[catalog.Device](b, nil)
		if err != nil {
			return err
		}
		for _, o := range devs {
			if o.PublicKey.Equal(d.PublicKey) {
				return problem("device "+d.ID, "public key is already device %s's", o.ID)
			}
		}
		if err := put(b, []byte(d.ID), d); err != nil {
			return err
		}
		return bumpOutlet(tx, d.Outlet)
	})
}

// Devices returns the devices of an outlet ("" for every outlet), by id.
func (h *Hub) Devices(outlet string) ([]DeviceInfo, error) {
	var out []DeviceInfo
	err := h.view(func(tx *bolt.Tx) error {
		devs, err := all[catalog.Device](tx.Bucket(bDevices), nil)
		for _, d := range devs {
			if outlet == "" || d.Outlet == outlet {
				out = append(out, DeviceInfo{Device: d,
					Version: boltutil.GetU64(tx.Bucket(bVersions).Get([]byte(d.ID))),
					Signed:  boltutil.GetU64(tx.Bucket(bPushed).Get([]byte(d.ID)))})
			}
		}
		return err
	})
	return out, err
}

// Device returns one device.
func (h *Hub) Device(id string) (DeviceInfo, error) {
	var out DeviceInfo
	err := h.view(func(tx *bolt.Tx) error {
		d, ok, err := get[catalog.Device](tx.Bucket(bDevices), []byte(id))
		if err == nil && !ok {
			err = fmt.Errorf("%w: device %s", ErrNotFound, id)
		}
		out = DeviceInfo{Device: d,
			Version: boltutil.GetU64(tx.Bucket(bVersions).Get([]byte(id))),
			Signed:  boltutil.GetU64(tx.Bucket(bPushed).Get([]byte(id)))}
		return err
	})
	return out, err
}

// Keys returns a journal.KeyFunc over the catalogue's devices, read once.
func (h *Hub) Keys() (func(device string) (ed25519.PublicKey, bool), error) {
	devs, err := h.Devices("")
	if err != nil {
		return nil, err
	}
	m := make(map[string]ed25519.PublicKey, len(devs))
	for _, d := range devs {
		m[d.ID] = d.PublicKey
	}
	return func(id string) (ed25519.PublicKey, bool) {
		k, ok := m[id]
		return k, ok
	}, nil
}

// Setting returns a hub setting ("" when unset).
func (h *Hub) Setting(name string) (string, error) {
	var v string
	err := h.view(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bSettings).Get([]byte(name)))
		return nil
	})
	return v, err
}

// SetSetting stores a hub setting. Settings that devices see (SettingTicketURL) raise every
// device's config version.
func (h *Hub) SetSetting(name, value string) error {
	return h.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bSettings).Put([]byte(name), []byte(value)); err != nil {
			return err
		}
		if name != SettingTicketURL {
			return nil
		}
		return tx.Bucket(bDevices).ForEach(func(k, _ []byte) error { return bumpDevice(tx, string(k)) })
	})
}

// Settings the hub knows.
const (
	SettingTicketURL = "ticket_url" // devices put it before the code in QR codes
)
