package hub

import (
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
)

func userKey(email string) []byte { return []byte(strings.ToLower(email)) }

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
	if !outlets.has(tx, u.Outlet) {
		return problem("user "+u.Email, "unknown outlet %s", u.Outlet)
	}
	if users.has(tx, u.Email) {
		return fmt.Errorf("%w: user %s", ErrExists, u.Email)
	}
	same, err := outletUsers(tx, u.Outlet)
	if err != nil {
		return err
	}
	if err := invalid(catalog.ValidateUsers(append(same, u))); err != nil {
		return err
	}
	if err := users.put(tx, u.Email, u); err != nil {
		return err
	}
	return bumpOutlet(tx, u.Outlet)
}

// outletUsers returns the users of an outlet ("" for every outlet), by email.
func outletUsers(tx *bolt.Tx, outlet string) ([]catalog.User, error) {
	return users.where(tx, "", func(u catalog.User) bool { return outlet == "" || u.Outlet == outlet })
}

// AddDeviceUser stores a user a supervisor created on a device (a user_created journal
// entry), so that it enters the catalogue and the outlet's next config. A user already
// known with the same outlet is left as it is (the entry was seen before).
func (h *Hub) AddDeviceUser(u catalog.User) (added bool, err error) {
	if err := invalid(u.Validate()); err != nil {
		return false, err
	}
	err = h.update(func(tx *bolt.Tx) error {
		old, ok, err := users.get(tx, u.Email)
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
		u, err := users.one(tx, email)
		if err != nil {
			return err
		}
		if u.Disabled {
			return fmt.Errorf("%w: %s", ErrDisabled, email)
		}
		return disableUser(tx, u)
	})
}

// disableUser stores u disabled and raises the config version of its outlet's devices.
func disableUser(tx *bolt.Tx, u catalog.User) error {
	u.Disabled = true
	if err := users.put(tx, u.Email, u); err != nil {
		return err
	}
	return bumpOutlet(tx, u.Outlet)
}

// EnableUser enables a disabled user again; devices take it back with their next config.
func (h *Hub) EnableUser(email string) error {
	return h.changeUser(email, func(u *catalog.User) error {
		if !u.Disabled {
			return problem("user "+u.Email, "is not disabled")
		}
		u.Disabled = false
		return nil
	})
}

// SetPassword replaces a user's password hash (catalog.HashPassword); devices take the new
// password with their next config.
func (h *Hub) SetPassword(email, hash string) error {
	return h.changeUser(email, func(u *catalog.User) error {
		u.PasswordHash = hash
		return nil
	})
}

// SetCode changes a user's kiosk code, which stays unique in the outlet; devices take the
// new code with their next config.
func (h *Hub) SetCode(email, code string) error {
	return h.changeUser(email, func(u *catalog.User) error {
		u.Code = code
		return nil
	})
}

// changeUser applies change to a stored user, validates it with the outlet's users, stores
// it and raises the config version of the outlet's devices.
func (h *Hub) changeUser(email string, change func(u *catalog.User) error) error {
	return h.update(func(tx *bolt.Tx) error {
		u, err := users.one(tx, email)
		if err != nil {
			return err
		}
		if err := change(&u); err != nil {
			return err
		}
		same, err := outletUsers(tx, u.Outlet)
		if err != nil {
			return err
		}
		// u last, so that a clash names u as the one refused.
		others := slices.DeleteFunc(same, func(o catalog.User) bool { return strings.EqualFold(o.Email, u.Email) })
		if err := invalid(catalog.ValidateUsers(append(others, u))); err != nil {
			return err
		}
		if err := users.put(tx, u.Email, u); err != nil {
			return err
		}
		return bumpOutlet(tx, u.Outlet)
	})
}

// User returns a user by email (in any case).
func (h *Hub) User(email string) (catalog.User, error) { return users.load(h, email) }

// Users returns the users of an outlet ("" for every outlet), by email.
func (h *Hub) Users(outlet string) ([]catalog.User, error) {
	var out []catalog.User
	err := h.view(func(tx *bolt.Tx) error {
		var err error
		out, err = outletUsers(tx, outlet)
		return err
	})
	return out, err
}
