package hub

import (
	"bytes"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
)

func linkKey(outlet, event string) string { return outlet + "\x00" + event }

func grantKey(device, event, typ string) []byte {
	return []byte(device + "\x00" + event + "\x00" + typ)
}

// SaveLink links an outlet to an event, or replaces the link's allotments. The outlet, the
// event and every allotted ticket type must exist; an allotment may not be lowered below
// what the outlet's devices were already granted in signed configs (they may have sold it
// offline). It raises the config version of the outlet's devices.
func (h *Hub) SaveLink(l catalog.Link) error {
	return h.update(func(tx *bolt.Tx) error {
		var ps catalog.Problems
		where := "link " + l.Outlet + " " + l.Event
		if !outlets.has(tx, l.Outlet) {
			ps = append(ps, catalog.Problem{Where: where, What: "unknown outlet " + l.Outlet})
		}
		ev, ok, err := events.get(tx, l.Event)
		if err != nil {
			return err
		}
		if !ok {
			ps = append(ps, catalog.Problem{Where: where, What: "unknown event " + l.Event})
		}
		types := make([]string, 0, len(l.Allot))
		for typ := range l.Allot {
			types = append(types, typ)
		}
		sort.Strings(types)
		for _, typ := range types {
			n := l.Allot[typ]
			if ok {
				if _, has := ev.Type(typ); !has {
					ps = append(ps, catalog.Problem{Where: where, What: "event has no ticket type " + typ})
				}
			}
			if n < 0 || n > catalog.MaxAllotment {
				ps = append(ps, catalog.Problem{Where: where + ": " + typ, What: fmt.Sprintf("allotment %d is outside 0..%d", n, catalog.MaxAllotment)})
			}
		}
		if err := invalid(ps); err != nil {
			return err
		}
		granted, err := outletGrants(tx, l.Outlet, l.Event)
		if err != nil {
			return err
		}
		for _, typ := range types {
			if g := granted[typ]; l.Allot[typ] < g {
				return fmt.Errorf("%w: %s %s %s: %d already granted to devices, cannot lower to %d", ErrOverGranted, l.Outlet, l.Event, typ, g, l.Allot[typ])
			}
		}
		if err := links.put(tx, linkKey(l.Outlet, l.Event), l); err != nil {
			return err
		}
		return bumpOutlet(tx, l.Outlet)
	})
}

// Unlink stops an outlet selling an event: the event leaves the configs of the outlet's
// devices with their next push. The sales made stay in the ledger, and the grants stay
// recorded, so linking again never lowers a device's cap.
func (h *Hub) Unlink(outlet, event string) error {
	return h.update(func(tx *bolt.Tx) error {
		if !links.has(tx, linkKey(outlet, event)) {
			return fmt.Errorf("%w: outlet %s does not sell event %s", ErrNotFound, outlet, event)
		}
		if err := tx.Bucket(bLinks).Delete([]byte(linkKey(outlet, event))); err != nil {
			return err
		}
		return bumpOutlet(tx, outlet)
	})
}

// outletGrants sums what the outlet's devices were granted of an event, by ticket type.
func outletGrants(tx *bolt.Tx, outlet, event string) (map[string]int64, error) {
	devs, err := outletDevices(tx, outlet)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, d := range devs {
		prefix := grantKey(d.ID, event, "")
		c := tx.Bucket(bGrants).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			out[string(k[len(prefix):])] += int64(boltutil.GetU64(v))
		}
	}
	return out, nil
}

// Links returns the links of an outlet ("" for every outlet).
func (h *Hub) Links(outlet string) ([]catalog.Link, error) {
	prefix := ""
	if outlet != "" {
		prefix = outlet + "\x00"
	}
	return links.list(h, prefix, nil)
}
