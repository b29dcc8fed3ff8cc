package hub

import (
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
)

// Split divides an outlet's allotment of one ticket type between its devices so that the
// outlet total is never exceeded, even by devices that sell offline on an older config.
//
// The rule: a cap once granted to a device in a signed config is never lowered (the device
// may already have sold up to it offline, and an older config may still be in force).
// Devices whose earlier grant is above the equal share keep it; the rest of the allotment
// is split equally between the other devices, the remainder of the division going one
// ticket each to the first devices by id. The caps sum to total whenever total is at least
// the sum of earlier grants (SaveLink refuses a lower total), so the sum of what the devices
// may sell never exceeds the outlet's allotment. ids must be sorted.
func Split(total int64, ids []string, prev map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(ids))
	fixed := map[string]bool{}
	var rest int64
	var free []string
	for {
		rest = total
		free = free[:0]
		for _, id := range ids {
			if fixed[id] {
				rest -= prev[id]
			} else {
				free = append(free, id)
			}
		}
		if len(free) == 0 {
			break
		}
		share := max(rest, 0) / int64(len(free))
		changed := false
		for _, id := range free {
			if prev[id] > share {
				fixed[id] = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for id := range fixed {
		out[id] = prev[id]
	}
	if len(free) > 0 {
		rest = max(rest, 0)
		share, extra := rest/int64(len(free)), rest%int64(len(free))
		for i, id := range free {
			out[id] = share
			if int64(i) < extra {
				out[id]++
			}
		}
	}
	return out
}

// BuildConfig returns the configuration of one device at its current version: its outlet,
// the outlet's linked events, its share of the outlet's allotments (Split), the outlet's
// users (disabled ones included, so devices drop them), and the hub settings. It is
// validated with the catalogue rules; IssuedAt is the hub clock's time.
func (h *Hub) BuildConfig(device string) (*catalog.DeviceConfig, error) {
	var cfg *catalog.DeviceConfig
	err := h.view(func(tx *bolt.Tx) error {
		var err error
		cfg, _, err = h.buildConfig(tx, device)
		return err
	})
	return cfg, err
}

// grant is one device's cap of one ticket type, to record when its config is signed.
type grant struct {
	event, typ string
	n          int64
}

func (h *Hub) buildConfig(tx *bolt.Tx, device string) (*catalog.DeviceConfig, []grant, error) {
	d, err := devices.one(tx, device)
	if err != nil {
		return nil, nil, err
	}
	o, ok, err := outlets.get(tx, d.Outlet)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: outlet %s of device %s", ErrNotFound, d.Outlet, device)
	}
	cfg := &catalog.DeviceConfig{
		Version:  version(tx, device),
		DeviceID: device,
		IssuedAt: catalog.Now(h.opt.Clock.Now()),
		Outlet:   o,
		Events:   []catalog.Event{},
		Users:    []catalog.User{},
		Hub:      catalog.HubSettings{TicketURL: setting(tx, SettingTicketURL)},
	}
	devs, err := outletDevices(tx, o.ID)
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for _, x := range devs {
		ids = append(ids, x.ID)
	}
	sort.Strings(ids)
	linked, err := links.all(tx, o.ID+"\x00")
	if err != nil {
		return nil, nil, err
	}
	var grants []grant
	for _, l := range linked {
		ev, ok, err := events.get(tx, l.Event)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, fmt.Errorf("%w: event %s linked to %s", ErrNotFound, l.Event, o.ID)
		}
		cfg.Events = append(cfg.Events, ev)
		for typ, total := range l.Allot {
			prev := map[string]int64{}
			for _, id := range ids {
				prev[id] = int64(boltutil.GetU64(tx.Bucket(bGrants).Get(grantKey(id, l.Event, typ))))
			}
			n := Split(total, ids, prev)[device]
			if cfg.Allot == nil {
				cfg.Allot = map[string]map[string]int64{}
			}
			if cfg.Allot[l.Event] == nil {
				cfg.Allot[l.Event] = map[string]int64{}
			}
			cfg.Allot[l.Event][typ] = n
			grants = append(grants, grant{l.Event, typ, n})
		}
	}
	us, err := outletUsers(tx, o.ID)
	if err != nil {
		return nil, nil, err
	}
	cfg.Users = append(cfg.Users, us...)
	if cfg.Version == 0 {
		cfg.Version = 1
	}
	if err := invalid(cfg.Validate()); err != nil {
		return nil, nil, fmt.Errorf("hub: config of %s: %w", device, err)
	}
	return cfg, grants, nil
}

// Signed is one device's signed config, ready to publish retained.
type Signed struct {
	Device   string
	Outlet   string
	Version  uint64
	Envelope []byte
}

// SignConfigs builds and signs the config of every device of an outlet ("" for every
// outlet). With changed, only devices whose version is above the last one signed are
// included. It records each device's allotment grants and signed version in the same
// transaction, so a later split never lowers them.
func (h *Hub) SignConfigs(outlet string, changed bool) ([]Signed, error) {
	var out []Signed
	err := h.update(func(tx *bolt.Tx) error {
		out = out[:0]
		devs, err := outletDevices(tx, outlet)
		if err != nil {
			return err
		}
		if outlet != "" && !outlets.has(tx, outlet) {
			return fmt.Errorf("%w: outlet %s", ErrNotFound, outlet)
		}
		for _, d := range devs {
			if changed && version(tx, d.ID) <= signed(tx, d.ID) {
				continue
			}
			cfg, grants, err := h.buildConfig(tx, d.ID)
			if err != nil {
				return err
			}
			env, err := catalog.Sign(cfg, h.key)
			if err != nil {
				return fmt.Errorf("hub: sign config of %s: %w", d.ID, err)
			}
			for _, g := range grants {
				if err := tx.Bucket(bGrants).Put(grantKey(d.ID, g.event, g.typ), boltutil.U64(uint64(g.n))); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bPushed).Put([]byte(d.ID), boltutil.U64(cfg.Version)); err != nil {
				return err
			}
			out = append(out, Signed{Device: d.ID, Outlet: d.Outlet, Version: cfg.Version, Envelope: env})
		}
		return nil
	})
	return out, err
}
