package store

import (
	"errors"
	"strings"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/journal"
)

// ErrNotLocked: Unlock of a name that is not locked.
var ErrNotLocked = errors.New("store: not locked")

// Logins returns every failed-login record by the name it counts: a user's email, or an id
// typed that no user has.
func (s *Store) Logins() (map[string]LoginState, error) {
	out := map[string]LoginState{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bLogins).ForEach(func(k, _ []byte) error {
			out[string(k)] = getLogin(tx, string(k))
			return nil
		})
	})
	return out, err
}

// Unlock ends the lock of name now: its failed-login record is cleared and a
// login_unlocked entry by actor is journaled, in one transaction (returned). A name that is
// not locked at at.Now() is ErrNotLocked, and nothing is written.
func (s *Store) Unlock(at Clock, actor, name string) (*journal.Entry, error) {
	var entry *journal.Entry
	err := s.update(func(tx *bolt.Tx) error {
		st := getLogin(tx, name)
		if locked, _ := st.Locked(at.Now()); !locked {
			return ErrNotLocked
		}
		if err := tx.Bucket(bLogins).Delete(userKey(name)); err != nil {
			return err
		}
		var err error
		entry, err = s.append(tx, s.location(), at, actor, func(_ journal.Tx, e *journal.Entry) error {
			e.Kind = journal.KindLoginUnlocked
			e.Lock = &journal.Lock{User: strings.ToLower(name), Until: st.Until}
			return nil
		})
		return err
	})
	return entry, err
}
