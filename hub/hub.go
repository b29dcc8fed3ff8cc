// Package hub is the organiser's side of the ticket kiosk: the central catalogue (outlets,
// events, links with allotments, users, devices, per-device config versions), the hub's
// Ed25519 key, the building and signing of each device's configuration, the durable outbox
// of ticket emails and the Mailer that sends it (composition and SMTP are hub/mail), reports
// over the hub's counters, ticket verification, and the serve loop (Server).
//
// The catalogue lives in one bbolt file in the hub directory. Every call opens the file,
// runs one transaction and closes it again, so `kioskctl serve` and the admin commands can
// share the directory: a command waits (up to Options.Timeout) for the other's transaction
// instead of failing on bbolt's exclusive lock.
package hub

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/hub/mail"
	"ticketkiosk/internal/clock"
)

// Errors.
var (
	ErrExists       = errors.New("hub: already exists")
	ErrNotFound     = errors.New("hub: not found")
	ErrNoHub        = errors.New("hub: no hub here (run kioskctl init)")
	ErrLocked       = errors.New("hub: store in use by another process")
	ErrInvalid      = errors.New("hub: invalid")
	ErrOverGranted  = errors.New("hub: allotment below what devices were already granted")
	ErrDisabled     = errors.New("hub: user disabled")
	ErrNoEmailSales = mail.ErrNotEmail
)

func invalid(ps catalog.Problems) error {
	if len(ps) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalid, ps)
}

func problem(where, format string, args ...any) error {
	return invalid(catalog.Problems{{Where: where, What: fmt.Sprintf(format, args...)}})
}

// Files in the hub directory.
const (
	KeyFile = "hub.key" // the hub's Ed25519 private key seed, base64, mode 0600
	DBFile  = "hub.db"  // the catalogue and the email outbox (bbolt)
)

// Options configure Open and Init.
type Options struct {
	Clock   clock.Clock   // the hub's time, its timers and tickers; nil: the real clock
	Timeout time.Duration // how long to wait for another process's transaction; default 10s
	Logger  *slog.Logger  // default slog.Default()
	NoSync  bool          // skip fsync (tests and benchmarks only)
}

func (o Options) withDefaults() Options {
	o.Clock = clock.Or(o.Clock)
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

// Init creates a hub in dir: the Ed25519 key (mode 0600), an empty catalogue and the query
// API's token (TokenFile, 0600, unless one is there). It refuses a
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
	if _, err := h.APIToken(); err != nil { // the commands that ask serve work from the start
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
