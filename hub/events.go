package hub

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
)

// SaveEvent validates and stores an event. With create it refuses an existing id; without,
// it refuses an unknown one, refuses to drop a ticket type a link allots, and raises the
// config version of every device of every outlet linked to it.
func (h *Hub) SaveEvent(e catalog.Event, create bool) error {
	if err := invalid(e.Validate()); err != nil {
		return err
	}
	return h.update(func(tx *bolt.Tx) error {
		if err := events.check(tx, e.ID, create); err != nil {
			return err
		}
		linked, err := links.where(tx, "", func(l catalog.Link) bool { return l.Event == e.ID })
		if err != nil {
			return err
		}
		var ps catalog.Problems
		for _, l := range linked {
			for typ := range l.Allot {
				if _, ok := e.Type(typ); !ok {
					ps = append(ps, catalog.Problem{Where: "event " + e.ID, What: fmt.Sprintf("ticket type %s is allotted to outlet %s", typ, l.Outlet)})
				}
			}
		}
		if err := invalid(ps); err != nil {
			return err
		}
		if err := events.put(tx, e.ID, e); err != nil {
			return err
		}
		for _, l := range linked {
			if err := bumpOutlet(tx, l.Outlet); err != nil {
				return err
			}
		}
		return nil
	})
}

// Event returns an event.
func (h *Hub) Event(id string) (catalog.Event, error) { return events.load(h, id) }

// Events returns every event, by id.
func (h *Hub) Events() ([]catalog.Event, error) { return events.list(h, "", nil) }
