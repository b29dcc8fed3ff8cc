package hub

import (
	"fmt"
	"strings"

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

// ChangeEvent is SaveEvent of an existing event that also keeps every ticket type with
// sales in the ledger (sales is a Query: Hub.Query): its name and price may change, it may
// not go (reports name the sold tickets' types).
func (h *Hub) ChangeEvent(e catalog.Event, sales Query) error {
	r, err := sales.Report(Filter{Event: e.ID, By: ByType})
	if err != nil {
		return err
	}
	var ps catalog.Problems
	for _, row := range r.Rows {
		if n := row.Tickets + row.Voided; len(row.Group) == 2 && n > 0 {
			if _, ok := e.Type(row.Group[1]); !ok {
				ps = append(ps, catalog.Problem{Where: "event " + e.ID, What: fmt.Sprintf("ticket type %s has %d tickets sold in the ledger and stays (its name and price may change)", row.Group[1], n)})
			}
		}
	}
	if err := invalid(ps); err != nil {
		return err
	}
	return h.SaveEvent(e, false)
}

// RemoveEvent removes an event that no outlet sells and that has no sales in the ledger
// (sales is a Query: Hub.Query). A linked event is refused (unlink it first), one with
// sales too: the sales keep referring to it.
func (h *Hub) RemoveEvent(id string, sales Query) error {
	if err := h.refuseSold(sales, Filter{Event: id}, "event "+id, "unlink it from its outlets instead (kioskctl unlink OUTLET "+id+")"); err != nil {
		return err
	}
	return h.update(func(tx *bolt.Tx) error {
		if !events.has(tx, id) {
			return fmt.Errorf("%w: event %s", ErrNotFound, id)
		}
		linked, err := links.where(tx, "", func(l catalog.Link) bool { return l.Event == id })
		if err != nil {
			return err
		}
		if len(linked) > 0 {
			var os []string
			for _, l := range linked {
				os = append(os, l.Outlet)
			}
			return fmt.Errorf("%w: event %s is sold by outlet %s: unlink it first (kioskctl unlink %s %s)", ErrInUse, id, strings.Join(os, ", "), os[0], id)
		}
		return events.remove(tx, id)
	})
}

// refuseSold refuses, with ErrInUse, to remove what (in an error) when the ledger holds
// sales matching f; instead says what to do.
func (h *Hub) refuseSold(sales Query, f Filter, what, instead string) error {
	r, err := sales.Report(f)
	if err != nil {
		return err
	}
	if n := r.Total.Tickets + r.Total.Voided; n > 0 {
		return fmt.Errorf("%w: %s has %d tickets sold in the ledger and stays: %s", ErrInUse, what, n, instead)
	}
	return nil
}

// Event returns an event.
func (h *Hub) Event(id string) (catalog.Event, error) { return events.load(h, id) }

// Events returns every event, by id.
func (h *Hub) Events() ([]catalog.Event, error) { return events.list(h, "", nil) }
