package hub

import (
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
)

// SaveOutlet validates and stores an outlet. With create it refuses an existing id;
// without, it refuses an unknown one and raises the config version of the outlet's devices.
func (h *Hub) SaveOutlet(o catalog.Outlet, create bool) error {
	if err := invalid(o.Validate()); err != nil {
		return err
	}
	return h.update(func(tx *bolt.Tx) error {
		if err := outlets.save(tx, o.ID, o, create); err != nil {
			return err
		}
		return bumpOutlet(tx, o.ID)
	})
}

// RemoveOutlet removes an outlet that has no sales in the ledger (sales: Hub.Query) and
// that no link, device or user refers to. Otherwise it refuses: unlink its events to stop
// its sales, disable its users and revoke its devices instead.
func (h *Hub) RemoveOutlet(id string, sales Query) error {
	instead := "unlink its events to stop its sales, disable its users and revoke its devices instead"
	if err := h.refuseSold(sales, Filter{Outlet: id}, "outlet "+id, instead); err != nil {
		return err
	}
	return h.update(func(tx *bolt.Tx) error {
		if !outlets.has(tx, id) {
			return fmt.Errorf("%w: outlet %s", ErrNotFound, id)
		}
		ls, err := links.all(tx, id+"\x00")
		if err != nil {
			return err
		}
		devs, err := outletDevices(tx, id)
		if err != nil {
			return err
		}
		us, err := outletUsers(tx, id)
		if err != nil {
			return err
		}
		var refs []string
		if len(ls) > 0 {
			refs = append(refs, plural(len(ls), "event linked", "events linked"))
		}
		if len(devs) > 0 {
			refs = append(refs, plural(len(devs), "device", "devices"))
		}
		if len(us) > 0 {
			refs = append(refs, plural(len(us), "user", "users"))
		}
		if len(refs) > 0 {
			return fmt.Errorf("%w: outlet %s has %s and stays: %s", ErrInUse, id, strings.Join(refs, ", "), instead)
		}
		return outlets.remove(tx, id)
	})
}

// plural writes n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Outlet returns an outlet.
func (h *Hub) Outlet(id string) (catalog.Outlet, error) { return outlets.load(h, id) }

// Outlets returns every outlet, by id.
func (h *Hub) Outlets() ([]catalog.Outlet, error) { return outlets.list(h, "", nil) }

// Currencies returns each outlet's currency by outlet id, for a report (Filter.Currency).
func (h *Hub) Currencies() (map[string]string, error) {
	os, err := h.Outlets()
	if err != nil {
		return nil, err
	}
	cur := make(map[string]string, len(os))
	for _, o := range os {
		cur[o.ID] = o.Currency
	}
	return cur, nil
}
