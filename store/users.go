package store

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// Users returns the outlet's users: the config's, then those created on the device that no
// config includes yet, with disables made on the device applied. Sorted by email.
func (s *Store) Users() ([]catalog.User, error) {
	var out []catalog.User
	err := s.view(func(tx *bolt.Tx) error {
		out = s.usersTx(tx)
		return nil
	})
	return out, err
}

func (s *Store) usersTx(tx *bolt.Tx) []catalog.User {
	seen := map[string]bool{}
	var out []catalog.User
	disabled := tx.Bucket(bDisabled)
	if a := s.cur.Load(); a != nil {
		for _, u := range a.cfg.Users {
			k := userKey(u.Email)
			seen[string(k)] = true
			if disabled.Get(k) != nil {
				u.Disabled = true
			}
			out = append(out, u)
		}
	}
	_ = tx.Bucket(bUsers).ForEach(func(k, v []byte) error {
		if seen[string(k)] {
			return nil
		}
		var u catalog.User
		if json.Unmarshal(v, &u) == nil {
			if disabled.Get(k) != nil {
				u.Disabled = true
			}
			out = append(out, u)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out
}

// User returns the user with this email (any case).
func (s *Store) User(email string) (catalog.User, bool) {
	var (
		u  catalog.User
		ok bool
	)
	_ = s.view(func(tx *bolt.Tx) error {
		u, ok = s.userTx(tx, email)
		return nil
	})
	return u, ok
}

func (s *Store) userTx(tx *bolt.Tx, email string) (catalog.User, bool) {
	for _, u := range s.usersTx(tx) {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return catalog.User{}, false
}

// UserByCode returns the user with this kiosk code.
func (s *Store) UserByCode(code string) (catalog.User, bool) {
	users, _ := s.Users()
	for _, u := range users {
		if u.Code == code {
			return u, true
		}
	}
	return catalog.User{}, false
}

// LoginState is a user's failed-login record.
type LoginState = catalog.LoginState

// MaxLockout caps the growing back-off.
const MaxLockout = 24 * time.Hour

// Login returns a user's failed-login record.
func (s *Store) Login(email string) LoginState {
	var st LoginState
	_ = s.view(func(tx *bolt.Tx) error {
		st = getLogin(tx, email)
		return nil
	})
	return st
}

func getLogin(tx *bolt.Tx, email string) LoginState {
	var st LoginState
	if b := tx.Bucket(bLogins).Get(userKey(email)); b != nil {
		_ = json.Unmarshal(b, &st)
	}
	return st
}

func putLogin(tx *bolt.Tx, email string, st LoginState) error {
	b, _ := json.Marshal(st)
	return tx.Bucket(bLogins).Put(userKey(email), b)
}

// LoginFailed counts a failed login. At the policy's limit the user is locked for the
// lockout time, doubled for each lock since the last success (capped at MaxLockout), and a
// login_locked entry is journaled in the same transaction (returned; nil when not locked).
func (s *Store) LoginFailed(at Clock, email string, p catalog.Policy) (LoginState, *journal.Entry, error) {
	p = p.WithDefaults()
	var (
		st    LoginState
		entry *journal.Entry
	)
	err := s.update(func(tx *bolt.Tx) error {
		st = getLogin(tx, email)
		st.Failures++
		if st.Failures >= p.MaxFailedLogins {
			lock := time.Duration(p.LockoutSeconds) * time.Second
			for i := 0; i < st.Locks && lock < MaxLockout; i++ {
				lock *= 2
			}
			lock = min(lock, MaxLockout)
			st.Locks++
			st.Until = at.Now().Add(lock).UnixMilli()
			failures := st.Failures
			st.Failures = 0
			var err error
			entry, err = s.append(tx, s.location(), at, email, func(_ journal.Tx, e *journal.Entry) error {
				e.Kind = journal.KindLoginLocked
				e.Lock = &journal.Lock{User: strings.ToLower(email), Failures: failures, Until: st.Until}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return putLogin(tx, email, st)
	})
	return st, entry, err
}

// LoginSucceeded clears a user's failed-login record.
func (s *Store) LoginSucceeded(email string) error {
	return s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bLogins).Delete(userKey(email))
	})
}
