package kiosk

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"ticketkiosk/catalog"
)

// ErrNotLocked: Unlock of a name that is not locked (any more).
var ErrNotLocked = errors.New("kiosk: not locked")

// Locked is a name locked out after failed logins: a user's email, or an id typed that no
// user of the kiosk has (failures of unknown ids are counted and locked like those of a
// user, so that a lock tells nothing about who exists).
type Locked struct {
	Name  string
	Known bool      // a user of the kiosk has this email
	Until time.Time // when the lock ends by itself
}

// supervisor returns the session's user when it is a supervisor now.
func (k *Kiosk) supervisor(s *Session) (catalog.User, error) {
	me, err := k.current(s)
	if err != nil {
		return me, err
	}
	if me.Role != catalog.RoleSupervisor {
		return catalog.User{}, ErrNotSupervisor
	}
	return me, nil
}

// LockedUsers returns the names locked now, users first, each in order. Only a supervisor
// sees them.
func (k *Kiosk) LockedUsers(s *Session) ([]Locked, error) {
	if _, err := k.supervisor(s); err != nil {
		return nil, err
	}
	logins, err := k.opt.Store.Logins()
	if err != nil {
		return nil, fmt.Errorf("kiosk: %w", err)
	}
	now := k.opt.Clock.Now()
	var out []Locked
	for name, st := range logins {
		if locked, until := st.Locked(now); locked {
			_, known := k.opt.Store.User(name)
			out = append(out, Locked{Name: name, Known: known, Until: until})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Known != out[j].Known {
			return out[i].Known
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Unlock ends a lock before its time, at a supervisor's word: the name's failed logins are
// cleared and a login_unlocked entry journaled, in one transaction. A name not locked now
// is ErrNotLocked.
func (k *Kiosk) Unlock(s *Session, name string) error {
	me, err := k.supervisor(s)
	if err != nil {
		return err
	}
	if locked, _ := k.opt.Store.Login(name).Locked(k.opt.Clock.Now()); !locked {
		return ErrNotLocked
	}
	entry, err := k.opt.Store.Unlock(k.opt.Clock, me.Email, name)
	if err != nil {
		return fmt.Errorf("kiosk: unlock: %w", err)
	}
	k.appended(entry)
	k.log.Info("lock ended by a supervisor", "name", name, "supervisor", me.Email)
	return nil
}
