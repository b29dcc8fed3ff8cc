package hub

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/mqtt"
)

// DeviceInfo is a device with its config versions.
type DeviceInfo struct {
	catalog.Device
	Version uint64      `json:"version"`           // the version its next config gets
	Signed  uint64      `json:"signed"`            // the last version signed for it by push (0: never)
	Revoked *Revocation `json:"revoked,omitempty"` // set once the device is revoked
}

// Revocation says when and why a device was revoked (RevokeDevice).
type Revocation struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// ErrRevoked refuses what a revoked device may no longer do, and a second revocation.
var ErrRevoked = errors.New("hub: device revoked")

// RevokeDevice marks a device revoked, for good (its key may be in other hands: a stolen
// kiosk): push no longer signs its config, and serve no longer stores its journal batches
// (what it sold before stays in the ledger). The device stays in the catalogue, so its
// history keeps its name and key; a replacement kiosk is added as a new device.
func (h *Hub) RevokeDevice(id, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return problem("device "+id, "a revocation needs a reason (--reason)")
	}
	return h.update(func(tx *bolt.Tx) error {
		if !devices.has(tx, id) {
			return fmt.Errorf("%w: device %s", ErrNotFound, id)
		}
		if r, ok, err := revoked.get(tx, id); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%w: %s was revoked %s (%s)", ErrRevoked, id, r.At.Format(time.RFC3339), r.Reason)
		}
		return revoked.put(tx, id, Revocation{At: h.opt.Clock.Now(), Reason: reason})
	})
}

// isRevoked reports whether a device is revoked.
func isRevoked(tx *bolt.Tx, id string) bool { return revoked.has(tx, id) }

// info is a device with its versions and revocation.
func info(tx *bolt.Tx, d catalog.Device) (DeviceInfo, error) {
	out := DeviceInfo{Device: d, Version: version(tx, d.ID), Signed: signed(tx, d.ID)}
	r, ok, err := revoked.get(tx, d.ID)
	if ok {
		out.Revoked = &r
	}
	return out, err
}

// RefuseRevoked wraps the sink of the journals devices send (serve's ledger) so that it
// refuses the batches of revoked devices: they are neither stored nor acknowledged (logged
// as refused), while the other devices' batches of the same round are stored as before.
// The catalogue is read for every round, so a revocation takes effect in a running serve.
func (h *Hub) RefuseRevoked(s mqtt.MultiSink) mqtt.MultiSink { return refusing{h: h, s: s} }

type refusing struct {
	h *Hub
	s mqtt.MultiSink
}

// revokedOf returns which of devices are revoked.
func (r refusing) revokedOf(devices []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := r.h.view(func(tx *bolt.Tx) error {
		for _, d := range devices {
			if isRevoked(tx, d) {
				out[d] = true
			}
		}
		return nil
	})
	return out, err
}

func (r refusing) Ingest(device string, entries []*journal.Entry) (uint64, error) {
	rev, err := r.revokedOf([]string{device})
	if err != nil {
		return 0, err
	}
	if rev[device] {
		return 0, fmt.Errorf("%w: journal of %s refused", ErrRevoked, device)
	}
	return r.s.Ingest(device, entries)
}

func (r refusing) IngestAll(batches map[string][]*journal.Entry) (map[string]uint64, error) {
	batches, err := unrevoked(r, batches, func(es []*journal.Entry) int { return len(es) })
	if err != nil || len(batches) == 0 {
		return map[string]uint64{}, err
	}
	return r.s.IngestAll(batches)
}

// IngestSealed is IngestAll for batches with their seals, when the sink keeps them
// (mqtt.SealSink: the ledger).
func (r refusing) IngestSealed(batches map[string]ledger.Sealed) (map[string]ledger.Result, error) {
	ss, ok := r.s.(mqtt.SealSink)
	if !ok {
		return nil, errors.New("hub: the journal sink keeps no seals")
	}
	batches, err := unrevoked(r, batches, func(b ledger.Sealed) int { return len(b.Entries) })
	if err != nil || len(batches) == 0 {
		return map[string]ledger.Result{}, err
	}
	return ss.IngestSealed(batches)
}

// Raise records an alarm in the sink, when it keeps them (mqtt.Alarmer: the ledger).
func (r refusing) Raise(device string, kind ledger.AlarmKind, detail string) error {
	if a, ok := r.s.(mqtt.Alarmer); ok {
		return a.Raise(device, kind, detail)
	}
	return nil
}

// unrevoked returns batches without those of revoked devices, which it logs as refused.
func unrevoked[B any](r refusing, batches map[string]B, entries func(B) int) (map[string]B, error) {
	rev, err := r.revokedOf(slices.Collect(maps.Keys(batches)))
	if err != nil || len(rev) == 0 {
		return batches, err
	}
	kept := make(map[string]B, len(batches))
	for d, b := range batches {
		if rev[d] {
			r.h.opt.Logger.Warn("journal batch of a revoked device refused", "device", d, "entries", entries(b))
			continue
		}
		kept[d] = b
	}
	return kept, nil
}

// AddDevice stores a new device of an existing outlet. Every device of the outlet gets a
// new config version (the outlet's allotments are split between its devices).
func (h *Hub) AddDevice(d catalog.Device) error {
	var ps catalog.Problems
	if err := catalog.ValidID(d.ID); err != nil {
		ps = append(ps, catalog.Problem{Where: "device", What: err.Error()})
	} else if err := mqtt.ValidDeviceID(d.ID); err != nil {
		ps = append(ps, catalog.Problem{Where: "device", What: fmt.Sprintf("id %q may hold only lower-case letters, digits and '-' (not first)", d.ID)})
	} else if mqtt.Reserved(d.ID) {
		ps = append(ps, catalog.Problem{Where: "device", What: fmt.Sprintf("id %q is reserved for the hub", d.ID)})
	}
	if len(d.PublicKey) != ed25519.PublicKeySize {
		ps = append(ps, catalog.Problem{Where: "device " + d.ID, What: fmt.Sprintf("public key has %d bytes, want %d", len(d.PublicKey), ed25519.PublicKeySize)})
	}
	if err := invalid(ps); err != nil {
		return err
	}
	return h.update(func(tx *bolt.Tx) error {
		if !outlets.has(tx, d.Outlet) {
			return problem("device "+d.ID, "unknown outlet %s", d.Outlet)
		}
		if err := devices.check(tx, d.ID, true); err != nil {
			return err
		}
		devs, err := devices.all(tx, "")
		if err != nil {
			return err
		}
		for _, o := range devs {
			if o.PublicKey.Equal(d.PublicKey) {
				return problem("device "+d.ID, "public key is already device %s's", o.ID)
			}
		}
		if err := devices.put(tx, d.ID, d); err != nil {
			return err
		}
		return bumpOutlet(tx, d.Outlet)
	})
}

// outletDevices returns the devices of an outlet ("" for every outlet), by id.
func outletDevices(tx *bolt.Tx, outlet string) ([]catalog.Device, error) {
	return devices.where(tx, "", func(d catalog.Device) bool { return outlet == "" || d.Outlet == outlet })
}

// version is the config version a device's next config gets.
func version(tx *bolt.Tx, device string) uint64 {
	return boltutil.GetU64(tx.Bucket(bVersions).Get([]byte(device)))
}

// signed is the last config version signed for a device (0: never).
func signed(tx *bolt.Tx, device string) uint64 {
	return boltutil.GetU64(tx.Bucket(bPushed).Get([]byte(device)))
}

// Devices returns the devices of an outlet ("" for every outlet), by id.
func (h *Hub) Devices(outlet string) ([]DeviceInfo, error) {
	var out []DeviceInfo
	err := h.view(func(tx *bolt.Tx) error {
		devs, err := outletDevices(tx, outlet)
		if err != nil {
			return err
		}
		for _, d := range devs {
			i, err := info(tx, d)
			if err != nil {
				return err
			}
			out = append(out, i)
		}
		return nil
	})
	return out, err
}

// Device returns one device.
func (h *Hub) Device(id string) (DeviceInfo, error) {
	var out DeviceInfo
	err := h.view(func(tx *bolt.Tx) error {
		d, err := devices.one(tx, id)
		if err != nil {
			return err
		}
		out, err = info(tx, d)
		return err
	})
	return out, err
}

// Keys returns a journal.KeyFunc over the catalogue's devices, read once.
func (h *Hub) Keys() (func(device string) (ed25519.PublicKey, bool), error) {
	devs, err := h.Devices("")
	if err != nil {
		return nil, err
	}
	m := make(map[string]ed25519.PublicKey, len(devs))
	for _, d := range devs {
		m[d.ID] = d.PublicKey
	}
	return func(id string) (ed25519.PublicKey, bool) {
		k, ok := m[id]
		return k, ok
	}, nil
}

// bumpOutlet raises the config version of every device of an outlet: something they are
// configured with changed.
func bumpOutlet(tx *bolt.Tx, outlet string) error {
	devs, err := outletDevices(tx, outlet)
	if err != nil {
		return err
	}
	for _, d := range devs {
		if err := bumpDevice(tx, d.ID); err != nil {
			return err
		}
	}
	return nil
}

func bumpDevice(tx *bolt.Tx, device string) error {
	return tx.Bucket(bVersions).Put([]byte(device), boltutil.U64(version(tx, device)+1))
}

// deviceKey returns the public key registered for a device, reading the catalogue (the
// collector asks once per device per few seconds).
func (h *Hub) deviceKey(id string) (ed25519.PublicKey, bool) {
	keys, err := h.Keys()
	if err != nil {
		return nil, false
	}
	return keys(id)
}
