// Package kiosk is the appliance core: login and lockout, selling with print-then-confirm,
// reprint and void, user administration and reports, and the screen flow as a pure state
// machine (keys in, screens out). It knows no hardware and no network: it talks to a
// Store, a device.Printer and a Layout through interfaces.
package kiosk

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
)

// Refusals. The screen flow shows each with its own message.
var (
	ErrNoConfig        = errors.New("kiosk: no configuration yet")
	ErrBadCredentials  = errors.New("kiosk: wrong user or password")
	ErrLocked          = errors.New("kiosk: user locked after failed logins")
	ErrDisabled        = errors.New("kiosk: user disabled")
	ErrNotSupervisor   = errors.New("kiosk: only a supervisor may do this")
	ErrUnknownEvent    = errors.New("kiosk: event not linked to this outlet")
	ErrNotOnSale       = errors.New("kiosk: event not on sale now")
	ErrUnknownType     = errors.New("kiosk: unknown ticket type")
	ErrBadQuantity     = errors.New("kiosk: bad quantity")
	ErrSoldOut         = errors.New("kiosk: not enough tickets left")
	ErrEmailRequired   = errors.New("kiosk: buyer email required")
	ErrEmailNotAllowed = errors.New("kiosk: this outlet prints tickets; no buyer email")
	ErrBadEmail        = errors.New("kiosk: bad buyer email")
	ErrPrinterNotReady = errors.New("kiosk: printer not ready")
	ErrPrintFailed     = errors.New("kiosk: printing failed")
	ErrNotYourUser     = errors.New("kiosk: user not created by you")
	ErrUserExists      = errors.New("kiosk: email already in use")
	ErrCodeExists      = errors.New("kiosk: kiosk code already in use")
	ErrInvalidUser     = errors.New("kiosk: invalid user")
	ErrAlreadyVoided   = errors.New("kiosk: sale already voided")
	ErrNoSuchSale      = errors.New("kiosk: no such sale")
	ErrScope           = errors.New("kiosk: report not allowed")
	ErrNotPrinted      = errors.New("kiosk: this outlet does not print tickets")
	ErrSessionEnded    = errors.New("kiosk: session ended")
	ErrSelfDisable     = errors.New("kiosk: cannot disable yourself")
)

// MaxOrderTickets caps the tickets of one order.
const MaxOrderTickets = 50

// LockedError is ErrLocked with the time the lock ends.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("kiosk: user locked until %s", e.Until.Format(time.RFC3339))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// SoldOutError is ErrSoldOut with what is left.
type SoldOutError struct {
	Type string
	Left int64
}

func (e *SoldOutError) Error() string {
	return fmt.Sprintf("kiosk: only %d tickets of %s left", e.Left, e.Type)
}

func (e *SoldOutError) Unwrap() error { return ErrSoldOut }

// PrinterError is ErrPrinterNotReady or ErrPrintFailed with the printer's state.
type PrinterError struct {
	Err    error // ErrPrinterNotReady or ErrPrintFailed
	Status escpos.Status
	Cause  error // the driver's error, if any
}

func (e *PrinterError) Error() string {
	s := e.Err.Error()
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *PrinterError) Unwrap() []error { return []error{e.Err, e.Cause} }

// Layout turns sales and reports into printer jobs.
type Layout interface {
	// Tickets returns the job that prints every ticket of a sale; copy > 0 marks a reprint
	// ("COPY n").
	Tickets(cfg *catalog.DeviceConfig, sale *journal.Entry, copy int) ([]byte, error)
	// Report returns the job that prints a report.
	Report(cfg *catalog.DeviceConfig, title string, r *journal.Report, printedAt time.Time) ([]byte, error)
}

// Clock tells the time and whether the wall clock is synchronised.
type Clock = journal.Clock

// SystemClock is the wall clock: clock.Wall, the time of its Clock (nil: the real one)
// and Synced as its IsSynced says (nil: always true).
type SystemClock = clock.Wall

// Options configure a Kiosk.
type Options struct {
	Store   Store
	Key     ed25519.PrivateKey // the device's key: signs ticket codes
	Clock   Clock
	Printer device.Printer // nil: no printer (email outlets)
	Layout  Layout
	Logger  *slog.Logger
	// StatusTimeout bounds the printer status query before a printed sale; default 2s.
	StatusTimeout time.Duration
	// PrintTimeout bounds one print job; default 30s.
	PrintTimeout time.Duration
	// Appended is called after every journal entry is committed (e.g. to wake the
	// journal publisher). It must not block.
	Appended func(e *journal.Entry)
}

// Kiosk is the appliance core. Its methods are safe for concurrent use; printing is
// serialised.
type Kiosk struct {
	opt     Options
	log     *slog.Logger
	printMu sync.Mutex
}

// New returns a Kiosk.
func New(opt Options) (*Kiosk, error) {
	if opt.Store == nil || len(opt.Key) != ed25519.PrivateKeySize || opt.Clock == nil {
		return nil, errors.New("kiosk: store, key and clock are required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.StatusTimeout <= 0 {
		opt.StatusTimeout = 2 * time.Second
	}
	if opt.PrintTimeout <= 0 {
		opt.PrintTimeout = 30 * time.Second
	}
	return &Kiosk{opt: opt, log: opt.Logger}, nil
}

// Config returns the applied config.
func (k *Kiosk) Config() (*catalog.DeviceConfig, error) {
	cfg, err := k.opt.Store.Config()
	if errors.Is(err, catalog.ErrNoConfig) {
		return nil, ErrNoConfig
	}
	return cfg, err
}

// Now is the kiosk's clock.
func (k *Kiosk) Now() time.Time { return k.opt.Clock.Now() }

func (k *Kiosk) appended(e *journal.Entry) {
	if e != nil && k.opt.Appended != nil {
		k.opt.Appended(e)
	}
}

// Session is a logged-in user.
type Session struct {
	User  catalog.User
	Since time.Time
}

// IsSupervisor reports whether the session's user was a supervisor at login. A new config
// may change the role since: the core checks the current one (Kiosk.current).
func (s *Session) IsSupervisor() bool { return s.User.Role == catalog.RoleSupervisor }

// findUser looks a user up by email or kiosk code.
func (k *Kiosk) findUser(id string) (catalog.User, bool) {
	id = strings.TrimSpace(id)
	if strings.Contains(id, "@") {
		return k.opt.Store.User(id)
	}
	return k.opt.Store.UserByCode(id)
}

// authenticate checks id (email or kiosk code) and password, counting failures and locking.
func (k *Kiosk) authenticate(id, password string) (catalog.User, error) {
	cfg, err := k.Config()
	if err != nil {
		return catalog.User{}, err
	}
	// An id no user has goes the same way as a known one with a wrong password: one
	// password check at the same cost (against a hash nobody's password matches), failures
	// counted and locked under the id typed, the same answers. Only the right password of a
	// known user, which proves the user exists, can tell anything apart (disabled).
	u, known := k.findUser(id)
	name, hash := loginName(id), dummyHash()
	if known {
		name, hash = u.Email, u.PasswordHash
	}
	locked, until := k.opt.Store.Login(name).Locked(k.opt.Clock.Now())
	right := checkPassword(hash, password) == nil && known
	if locked {
		// Locked whatever the password: the check above only spends the same time.
		return catalog.User{}, &LockedError{Until: until}
	}
	if !right && name == "" {
		return catalog.User{}, ErrBadCredentials // no name to count under; no one is called ""
	}
	if !right {
		st, entry, ferr := k.opt.Store.LoginFailed(k.opt.Clock, name, cfg.Policy)
		if ferr != nil {
			return catalog.User{}, fmt.Errorf("kiosk: record failed login: %w", ferr)
		}
		k.appended(entry)
		if entry != nil {
			k.log.Warn("user locked after failed logins", "user", name, "known", known, "until", time.UnixMilli(st.Until))
			return catalog.User{}, &LockedError{Until: time.UnixMilli(st.Until)}
		}
		return catalog.User{}, ErrBadCredentials
	}
	if u.Disabled {
		return catalog.User{}, ErrDisabled
	}
	if err := k.opt.Store.LoginSucceeded(u.Email); err != nil {
		return catalog.User{}, fmt.Errorf("kiosk: %w", err)
	}
	return u, nil
}

// checkPassword verifies a password against a hash: catalog.CheckPassword, a variable so
// that tests count the work each login does.
var checkPassword = catalog.CheckPassword

// loginName is the name failures of an id no user has are counted under: the id typed.
func loginName(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// dummyHash is a bcrypt hash at the password cost of a password nobody has.
var dummyHash = sync.OnceValue(func() string {
	h, _ := catalog.HashPassword("no user has this password")
	return h
})

// Login starts a session for a user known by email or kiosk code.
func (k *Kiosk) Login(id, password string) (*Session, error) {
	u, err := k.authenticate(id, password)
	if err != nil {
		return nil, err
	}
	k.log.Info("login", "user", u.Email, "role", u.Role)
	return &Session{User: u, Since: k.opt.Clock.Now()}, nil
}

// Approve checks a supervisor's credentials for an action that needs approval (void,
// reprint). Failures count toward the supervisor's lockout like a login.
func (k *Kiosk) Approve(id, password string) (catalog.User, error) {
	u, err := k.authenticate(id, password)
	if err != nil {
		return u, err
	}
	if u.Role != catalog.RoleSupervisor {
		return catalog.User{}, ErrNotSupervisor
	}
	return u, nil
}

// current re-reads the session's user, so that a user disabled or changed by a new config
// cannot go on acting under an old session.
func (k *Kiosk) current(s *Session) (catalog.User, error) {
	if s == nil {
		return catalog.User{}, ErrSessionEnded
	}
	u, ok := k.opt.Store.User(s.User.Email)
	if !ok || u.Disabled {
		return catalog.User{}, ErrSessionEnded
	}
	return u, nil
}

// HasPrinter reports whether the kiosk has a printer and a layout to print with.
func (k *Kiosk) HasPrinter() bool { return k.opt.Printer != nil && k.opt.Layout != nil }

// PrinterStatus asks the printer for its state.
func (k *Kiosk) PrinterStatus(ctx context.Context) (escpos.Status, error) {
	if k.opt.Printer == nil {
		return escpos.Status{}, ErrNotPrinted
	}
	ctx, cancel := context.WithTimeout(ctx, k.opt.StatusTimeout)
	defer cancel()
	return k.opt.Printer.Status(ctx)
}
