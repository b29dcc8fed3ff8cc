package kiosk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// NewUser is what a supervisor enters to create a user.
type NewUser struct {
	Email    string
	Code     string
	Name     string
	Role     catalog.Role
	Password string
}

// CreateUser creates a supervisor or cashier at the outlet, created by the session's
// supervisor. The user is journaled (with its password hash) and can log in at once; the
// hub adds it to the catalogue and the next config.
func (k *Kiosk) CreateUser(s *Session, nu NewUser) (catalog.User, error) {
	me, err := k.current(s)
	if err != nil {
		return catalog.User{}, err
	}
	if me.Role != catalog.RoleSupervisor {
		return catalog.User{}, ErrNotSupervisor
	}
	cfg, err := k.Config()
	if err != nil {
		return catalog.User{}, err
	}
	nu.Email = strings.TrimSpace(nu.Email)
	if err := catalog.ValidEmail(nu.Email); err != nil {
		return catalog.User{}, fmt.Errorf("%w: %v", ErrInvalidUser, err)
	}
	if err := catalog.ValidCode(nu.Code); err != nil {
		return catalog.User{}, fmt.Errorf("%w: %v", ErrInvalidUser, err)
	}
	if nu.Role != catalog.RoleCashier && nu.Role != catalog.RoleSupervisor {
		return catalog.User{}, fmt.Errorf("%w: role %q", ErrInvalidUser, nu.Role)
	}
	hash, err := catalog.HashPassword(nu.Password)
	if err != nil {
		return catalog.User{}, fmt.Errorf("%w: %v", ErrInvalidUser, err)
	}
	u := catalog.User{Email: nu.Email, Code: nu.Code, Name: nu.Name, Role: nu.Role, Outlet: cfg.Outlet.ID,
		PasswordHash: hash, CreatedBy: me.Email}
	if err := u.Validate().Err(); err != nil {
		return catalog.User{}, fmt.Errorf("%w: %v", ErrInvalidUser, err)
	}
	entry, err := k.opt.Store.Append(k.opt.Clock, me.Email, func(tx journal.Tx, e *journal.Entry) error {
		for _, o := range tx.Users() {
			if strings.EqualFold(o.Email, u.Email) {
				return ErrUserExists
			}
			if o.Code == u.Code {
				return ErrCodeExists
			}
		}
		e.Kind = journal.KindUserCreated
		e.User = &journal.UserFact{Email: u.Email, Code: u.Code, Name: u.Name, Role: string(u.Role),
			Outlet: u.Outlet, PasswordHash: u.PasswordHash, CreatedBy: u.CreatedBy}
		return nil
	})
	if err != nil {
		return catalog.User{}, err
	}
	k.appended(entry)
	k.log.Info("user created", "user", u.Email, "role", u.Role, "by", me.Email)
	return u, nil
}

// DisableUser disables a user in the session supervisor's subtree.
func (k *Kiosk) DisableUser(s *Session, email string) error {
	me, err := k.current(s)
	if err != nil {
		return err
	}
	if me.Role != catalog.RoleSupervisor {
		return ErrNotSupervisor
	}
	if strings.EqualFold(email, me.Email) {
		return ErrSelfDisable
	}
	target, ok := k.inSubtree(me.Email, email)
	if !ok {
		return ErrNotYourUser
	}
	entry, err := k.opt.Store.Append(k.opt.Clock, me.Email, func(_ journal.Tx, e *journal.Entry) error {
		e.Kind = journal.KindUserDisabled
		e.User = &journal.UserFact{Email: target.Email}
		return nil
	})
	if err != nil {
		return err
	}
	k.appended(entry)
	return nil
}

// Subtree returns the users the session's supervisor created, directly or through users
// it created, in order of email; the supervisor itself is not included. A cashier's
// session is ErrNotSupervisor.
func (k *Kiosk) Subtree(s *Session) ([]catalog.User, error) {
	me, err := k.current(s)
	if err != nil {
		return nil, err
	}
	if me.Role != catalog.RoleSupervisor {
		return nil, ErrNotSupervisor
	}
	return k.subtree(me.Email)
}

// subtree returns the users created by email, directly or not, in order of email.
func (k *Kiosk) subtree(email string) ([]catalog.User, error) {
	users, err := k.opt.Store.Users()
	if err != nil {
		return nil, err
	}
	return catalog.Subtree(users, email), nil
}

func (k *Kiosk) inSubtree(root, email string) (catalog.User, bool) {
	sub, err := k.subtree(root)
	if err != nil {
		return catalog.User{}, false
	}
	for _, u := range sub {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return catalog.User{}, false
}

// ScopeKind is whose sales a report covers.
type ScopeKind int

// Report scopes.
const (
	ScopeMe     ScopeKind = iota // the session's own sales
	ScopeOutlet                  // the whole outlet (supervisors)
	ScopeUser                    // one user of the supervisor's subtree, with that user's subtree
)

// Scope selects a report's sellers.
type Scope struct {
	Kind ScopeKind
	User string // for ScopeUser
}

// Report returns a report of tickets and money per event and ticket type for the scope,
// over the period (journal.Whole() for the whole distribution period), for one event or
// all (""). A cashier sees only its own sales; a supervisor sees its own, the outlet's, or
// those of a user it created (directly or not) — with that user's own subtree — and not
// those of users created by others. It reads the pre-aggregated counters.
func (k *Kiosk) Report(s *Session, sc Scope, event string, p journal.Period) (*journal.Report, error) {
	me, err := k.current(s)
	if err != nil {
		return nil, err
	}
	f := journal.Filter{Period: p, Event: event}
	switch sc.Kind {
	case ScopeMe:
		f.Users = []string{me.Email}
	case ScopeOutlet:
		if me.Role != catalog.RoleSupervisor {
			return nil, ErrScope
		}
	case ScopeUser:
		if me.Role != catalog.RoleSupervisor {
			return nil, ErrScope
		}
		target, ok := k.inSubtree(me.Email, sc.User)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNotYourUser, sc.User)
		}
		f.Users = []string{target.Email}
		sub, err := k.subtree(target.Email)
		if err != nil {
			return nil, err
		}
		for _, u := range sub {
			f.Users = append(f.Users, u.Email)
		}
	default:
		return nil, errors.New("kiosk: unknown report scope")
	}
	return k.opt.Store.Report(f)
}

// PrintReport prints a report.
func (k *Kiosk) PrintReport(ctx context.Context, s *Session, title string, r *journal.Report) error {
	if _, err := k.current(s); err != nil {
		return err
	}
	cfg, err := k.Config()
	if err != nil {
		return err
	}
	k.printMu.Lock()
	defer k.printMu.Unlock()
	if err := k.ready(ctx); err != nil {
		return err
	}
	job, err := k.opt.Layout.Report(cfg, title, r, k.opt.Clock.Now())
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, k.opt.PrintTimeout)
	defer cancel()
	if err := k.opt.Printer.Print(pctx, job); err != nil {
		return &PrinterError{Err: ErrPrintFailed, Cause: err}
	}
	return nil
}
