package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/mqtt"
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

	prevSigned []byte       // the device's signed version before (nil: none)
	grants     []grantWrite // the grants recorded with it
}

// PushSigned publishes configs that SignConfigs signed (mqtt.Push with o) and takes back,
// with Unsign, what was recorded for those not published: all of them when the push could
// not connect, so a push that published nothing changes nothing and the next push signs
// them again.
func (h *Hub) PushSigned(ctx context.Context, o mqtt.PushOptions, configs []Signed) ([]mqtt.Pushed, error) {
	envs := make([][]byte, len(configs))
	for i, s := range configs {
		envs[i] = s.Envelope
	}
	res, err := mqtt.Push(ctx, o, envs)
	if res == nil && err != nil {
		return nil, errors.Join(err, h.Unsign(configs, false))
	}
	published := map[string]bool{}
	for _, p := range res {
		published[p.Device] = p.Published
	}
	var unsent []Signed
	for _, s := range configs {
		if !published[s.Device] {
			unsent = append(unsent, s)
		}
	}
	return res, errors.Join(err, h.Unsign(unsent, true))
}

// putOrDelete puts v at k, or deletes k when v is nil.
func putOrDelete(b *bolt.Bucket, k, v []byte) error {
	if v == nil {
		return b.Delete(k)
	}
	return b.Put(k, v)
}

// grantWrite is a grant SignConfigs recorded: its key, the value before (nil: none) and the
// cap written.
type grantWrite struct {
	key, prev []byte
	n         uint64
}

// Unsign takes back what SignConfigs recorded for configs that were not published, so that
// the next push signs them again: each device's signed version goes back to what it was,
// unless a later SignConfigs moved it. With sent false the envelope surely never reached
// the broker (the push could not connect), so the grants recorded with it go back too
// where they are still as recorded; with sent true it may have (no PUBACK is no proof it
// was not stored), so the grants stay: a grant a device may hold is never lowered.
func (h *Hub) Unsign(configs []Signed, sent bool) error {
	return h.update(func(tx *bolt.Tx) error {
		for _, s := range configs {
			if signed(tx, s.Device) != s.Version {
				continue
			}
			if err := putOrDelete(tx.Bucket(bPushed), []byte(s.Device), s.prevSigned); err != nil {
				return err
			}
			if sent {
				continue
			}
			b := tx.Bucket(bGrants)
			for _, g := range s.grants {
				if boltutil.GetU64(b.Get(g.key)) != g.n {
					continue
				}
				if err := putOrDelete(b, g.key, g.prev); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// SignConfigs builds and signs the config of every device of an outlet ("" for every
// outlet) but revoked ones. With changed, only devices whose version is above the last
// one signed are included. It records each device's allotment grants and signed version
// in the same transaction, so a later split never lowers them.
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
			if isRevoked(tx, d.ID) || changed && version(tx, d.ID) <= signed(tx, d.ID) {
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
			s := Signed{Device: d.ID, Outlet: d.Outlet, Version: cfg.Version, Envelope: env, prevSigned: bytes.Clone(tx.Bucket(bPushed).Get([]byte(d.ID)))}
			for _, g := range grants {
				k := grantKey(d.ID, g.event, g.typ)
				s.grants = append(s.grants, grantWrite{key: k, prev: bytes.Clone(tx.Bucket(bGrants).Get(k)), n: uint64(g.n)})
				if err := tx.Bucket(bGrants).Put(k, boltutil.U64(uint64(g.n))); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bPushed).Put([]byte(d.ID), boltutil.U64(cfg.Version)); err != nil {
				return err
			}
			if err := recordPrices(tx, cfg); err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}
