package hub

import (
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
