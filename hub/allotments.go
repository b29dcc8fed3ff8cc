package hub

import (
	"sort"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// Allotment is one line of the allotments view: an outlet's allotment of an event's ticket
// type (Device empty), or one device's grant of it.
type Allotment struct {
	Outlet string `json:"outlet"`
	Event  string `json:"event"`
	Type   string `json:"type"`
	Device string `json:"device,omitempty"` // empty on the outlet's line
	// Capped: the outlet's allotment caps the type; Allotted is the cap (outlet's line).
	Capped   bool  `json:"capped"`
	Allotted int64 `json:"allotted"`
	Granted  int64 `json:"granted"` // granted to the device in signed configs; the outlet's line sums them
	Sold     int64 `json:"sold"`    // tickets sold, net of voids, as far as the hub has the journals
	Left     int64 `json:"left"`    // Allotted (outlet) or Granted (device) minus Sold; 0 when uncapped
	// Device lines: Cap is the cap of the newest config signed for the device (below Granted
	// while a lowered grant waits for its config_applied); Wanted, when above Cap, is what a
	// top-up or a move is to give it as the outlet's unassigned remainder allows.
	Cap    int64 `json:"cap,omitempty"`
	Wanted int64 `json:"wanted,omitempty"`
}

// Allotments lists, for each linked event and ticket type of an outlet ("" for every
// outlet), the outlet's allotment, what its devices were granted, sold and have left: the
// outlet's sales from the hub's counters, each device's from its journal in l.
func (h *Hub) Allotments(l *ledger.Ledger, outlet string) ([]Allotment, error) {
	if outlet != "" {
		if _, err := h.Outlet(outlet); err != nil {
			return nil, err
		}
	}
	linked, err := h.Links(outlet)
	if err != nil {
		return nil, err
	}
	evs, err := h.Events()
	if err != nil {
		return nil, err
	}
	types := map[string][]string{}
	for _, e := range evs {
		for _, t := range e.Types {
			types[e.ID] = append(types[e.ID], t.ID)
		}
	}
	devs, err := h.Devices(outlet)
	if err != nil {
		return nil, err
	}
	grants, caps, wanted := map[[3]string]int64{}, map[[3]string]int64{}, map[[3]string]int64{}
	if err := h.view(func(tx *bolt.Tx) error {
		for _, d := range devs {
			for _, k := range linked {
				if k.Outlet != d.Outlet {
					continue
				}
				for _, t := range types[k.Event] {
					key := [3]string{d.ID, k.Event, t}
					grants[key] = held(tx, d.ID, k.Event, t)
					caps[key] = latestCap(tx, d.ID, k.Event, t)
					if w, ok := leaseGet(tx, targetKey(d.ID, k.Event, t)); ok && int64(w) > caps[key] {
						wanted[key] = int64(w)
					}
				}
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// Sold per outlet from the counters, per device from its journal.
	outletSold := map[[3]string]int64{}
	if err := l.Counters(func(o string, k journal.Key, t journal.Tally) {
		outletSold[[3]string{o, k.Event, k.Type}] += t.Tickets
	}); err != nil {
		return nil, err
	}
	deviceSold := map[[3]string]int64{}
	for _, d := range devs {
		sold, err := l.Sold(d.ID)
		if err != nil {
			return nil, err
		}
		for k, n := range sold {
			deviceSold[[3]string{d.ID, k[0], k[1]}] = n
		}
	}
	var out []Allotment
	for _, k := range linked {
		for _, t := range types[k.Event] {
			allot, capped := k.Allot[t]
			a := Allotment{Outlet: k.Outlet, Event: k.Event, Type: t, Capped: capped, Allotted: allot, Sold: outletSold[[3]string{k.Outlet, k.Event, t}]}
			var lines []Allotment
			for _, d := range devs {
				if d.Outlet != k.Outlet || !capped {
					continue
				}
				key := [3]string{d.ID, k.Event, t}
				g, sold := grants[key], deviceSold[key]
				a.Granted += g
				lines = append(lines, Allotment{Outlet: k.Outlet, Event: k.Event, Type: t, Device: d.ID, Capped: true, Granted: g, Sold: sold, Left: g - sold, Cap: caps[key], Wanted: wanted[key]})
			}
			if capped {
				a.Left = allot - a.Sold
			}
			out = append(out, a)
			out = append(out, lines...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Outlet != b.Outlet {
			return a.Outlet < b.Outlet
		}
		if a.Event != b.Event {
			return a.Event < b.Event
		}
		return a.Type < b.Type
	})
	return out, nil
}
