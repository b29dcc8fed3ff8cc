package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/mqtt"
)

// BuildConfig returns the configuration of one device at its current version: its outlet,
// the outlet's linked events, its grant of each capped type (a lease: see grantFor and docs/architecture.md, "Layout: leases"), the outlet's
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
			n := grantFor(tx, devs, device, l.Event, typ, total)
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
	return h.pushSigned(ctx, mqtt.Push, o, configs)
}

// pushFunc publishes envelopes: mqtt.Push on its own connection, or serve's
// mqtt.Collector.Push on the collector's.
type pushFunc func(ctx context.Context, o mqtt.PushOptions, envelopes [][]byte) ([]mqtt.Pushed, error)

// pushSigned is PushSigned through push.
func (h *Hub) pushSigned(ctx context.Context, push pushFunc, o mqtt.PushOptions, configs []Signed) ([]mqtt.Pushed, error) {
	envs := make([][]byte, len(configs))
	for i, s := range configs {
		envs[i] = s.Envelope
	}
	res, err := push(ctx, o, envs)
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

// grantWrite is a grant SignConfigs recorded: its bucket and key, the value before (nil:
// none) and the value written.
type grantWrite struct {
	bucket    []byte
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
			for _, g := range s.grants {
				b := tx.Bucket(g.bucket)
				if b == nil || boltutil.GetU64(b.Get(g.key)) != g.n {
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
// in the same transaction: a grant the device may hold is lowered only once its
// config_applied of a lower one is collected.
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
				w, err := recordGrant(tx, d.ID, g.event, g.typ, cfg.Version, g.n)
				if err != nil {
					return err
				}
				s.grants = append(s.grants, w...)
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
