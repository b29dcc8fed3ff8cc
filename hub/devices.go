package hub

import (
	"crypto/ed25519"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/mqtt"
)

// DeviceInfo is a device with its config versions.
type DeviceInfo struct {
	catalog.Device
	Version uint64 `json:"version"` // the version its next config gets
	Signed  uint64 `json:"signed"`  // the last version signed for it by push (0: never)
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
		for _, d := range devs {
			out = append(out, DeviceInfo{Device: d, Version: version(tx, d.ID), Signed: signed(tx, d.ID)})
		}
		return err
	})
	return out, err
}

// Device returns one device.
func (h *Hub) Device(id string) (DeviceInfo, error) {
	var out DeviceInfo
	err := h.view(func(tx *bolt.Tx) error {
		d, err := devices.one(tx, id)
		out = DeviceInfo{Device: d, Version: version(tx, id), Signed: signed(tx, id)}
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
