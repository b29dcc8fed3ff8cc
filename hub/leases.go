package hub

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/ledger"
	"ticketkiosk/mqtt"
)

// Grants follow the selling (docs/architecture.md, "Layout: leases"). For each device and
// capped ticket type the hub keeps:
//
//   - held (bucket grants): the most the device may have sold or may still sell, whatever
//     config it runs: the highest cap of the configs signed for it that it may still apply
//     or run (those from the newest applied version on), or what it sold if more. The sum
//     over an outlet's devices never exceeds the outlet's allotment; what is left is the
//     unassigned remainder.
//   - the cap of each signed version not yet superseded by an applied one (bucket leases,
//     "v" keys), from which held is recomputed when the hub collects a config_applied entry;
//   - a target (bucket leases, "t" keys): the cap wanted at the next signing, set by a
//     top-up or a move.
//
// A signed cap above held is taken from the remainder only; a cap below held (a move)
// lowers held only once the device's config_applied of it is collected.
var bLeases = []byte("leases")

func capPrefix(device, event, typ string) []byte {
	return []byte("v\x00" + device + "\x00" + event + "\x00" + typ + "\x00")
}

func capKey(device, event, typ string, v uint64) []byte {
	return append(capPrefix(device, event, typ), boltutil.U64(v)...)
}

func targetKey(device, event, typ string) []byte {
	return []byte("t\x00" + device + "\x00" + event + "\x00" + typ)
}

func appliedKey(device string) []byte { return []byte("a\x00" + device) }

// leaseGet reads a leases value; ok is false when there is none.
func leaseGet(tx *bolt.Tx, k []byte) (uint64, bool) {
	b := tx.Bucket(bLeases)
	if b == nil {
		return 0, false
	}
	v := b.Get(k)
	return boltutil.GetU64(v), v != nil
}

func leaseBucket(tx *bolt.Tx) (*bolt.Bucket, error) { return tx.CreateBucketIfNotExists(bLeases) }

// held is what the device may sell of the type as the hub accounts it.
func held(tx *bolt.Tx, device, event, typ string) int64 {
	return int64(boltutil.GetU64(tx.Bucket(bGrants).Get(grantKey(device, event, typ))))
}

// latestCap is the cap of the newest config signed for the device still recorded, or held
// when none is (a grant from before leases).
func latestCap(tx *bolt.Tx, device, event, typ string) int64 {
	if b := tx.Bucket(bLeases); b != nil {
		p := capPrefix(device, event, typ)
		c := b.Cursor()
		var last []byte
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			last = v
		}
		if last != nil {
			return int64(boltutil.GetU64(last))
		}
	}
	return held(tx, device, event, typ)
}

// Lease is the grant a device gets of a capped type when it has none yet, and what a
// top-up gives it beyond what it sold: half the allotment shared out between the outlet's
// devices, at least 1. The other half stays unassigned for devices added later and for
// top-ups.
func Lease(allot int64, devices int) int64 {
	n := int64(max(devices, 1)) * 2
	return max(1, (allot+n-1)/n)
}

// topUpDue reports whether a device with left of its grant is due a top-up of lease.
func topUpDue(left, lease int64) bool { return 2*left < lease }

// outletHeld sums held over the outlet's devices of one type.
func outletHeld(tx *bolt.Tx, devs []catalog.Device, event, typ string) int64 {
	var sum int64
	for _, d := range devs {
		sum += held(tx, d.ID, event, typ)
	}
	return sum
}

// grantFor is the cap a config signed now gives device of a type with allotment total:
// its target (or its newest cap, or a Lease when it has none), and above what it holds
// only as far as the outlet's unassigned remainder goes.
func grantFor(tx *bolt.Tx, devs []catalog.Device, device, event, typ string, total int64) int64 {
	h := held(tx, device, event, typ)
	want, ok := leaseGet(tx, targetKey(device, event, typ))
	switch {
	case ok:
	case h > 0 || hasCaps(tx, device, event, typ):
		want = uint64(latestCap(tx, device, event, typ))
	default:
		want = uint64(Lease(total, len(devs)))
	}
	if int64(want) <= h {
		return int64(want)
	}
	free := max(total-outletHeld(tx, devs, event, typ), 0)
	return min(int64(want), h+free)
}

func hasCaps(tx *bolt.Tx, device, event, typ string) bool {
	b := tx.Bucket(bLeases)
	if b == nil {
		return false
	}
	p := capPrefix(device, event, typ)
	k, _ := b.Cursor().Seek(p)
	return k != nil && bytes.HasPrefix(k, p)
}

// recordGrant records, in SignConfigs' transaction, the cap n of a config version signed
// for device: the version's cap and held raised to it. It returns what to undo if the
// config is never published (Unsign).
func recordGrant(tx *bolt.Tx, device, event, typ string, version uint64, n int64) ([]grantWrite, error) {
	lb, err := leaseBucket(tx)
	if err != nil {
		return nil, err
	}
	ck := capKey(device, event, typ, version)
	cprev := bytes.Clone(lb.Get(ck))
	c := max(uint64(n), boltutil.GetU64(cprev)) // a version signed again keeps the higher cap
	gk := grantKey(device, event, typ)
	gprev := bytes.Clone(tx.Bucket(bGrants).Get(gk))
	g := max(uint64(n), boltutil.GetU64(gprev))
	if err := lb.Put(ck, boltutil.U64(c)); err != nil {
		return nil, err
	}
	if err := tx.Bucket(bGrants).Put(gk, boltutil.U64(g)); err != nil {
		return nil, err
	}
	return []grantWrite{{bucket: bGrants, key: gk, prev: gprev, n: g}, {bucket: bLeases, key: ck, prev: cprev, n: c}}, nil
}

// applied records that the hub collected device's config_applied of version: every
// entry the device made before it is in the ledger, and from then on it sells within that
// version's caps or a later one's. Caps of older versions are dropped and held is
// recomputed (never below sold, what the device is known to have sold). It returns how
// many other devices of the outlet got a new config version because grant they wait for
// (a move's target) was released.
func applied(tx *bolt.Tx, device string, version uint64, sold map[[2]string]int64) (int, error) {
	lb, err := leaseBucket(tx)
	if err != nil {
		return 0, err
	}
	if a, _ := leaseGet(tx, appliedKey(device)); a >= version {
		return 0, nil
	}
	if err := lb.Put(appliedKey(device), boltutil.U64(version)); err != nil {
		return 0, err
	}
	p := []byte("v\x00" + device + "\x00")
	live := map[[2]string]int64{}
	known := map[[2]string]bool{} // the applied version's cap is recorded
	var stale [][]byte
	c := lb.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		rest := k[len(p):]
		parts := bytes.SplitN(rest[:len(rest)-8], []byte{0}, 3)
		if len(parts) != 3 {
			continue
		}
		et := [2]string{string(parts[0]), string(parts[1])}
		switch kv := boltutil.GetU64(rest[len(rest)-8:]); {
		case kv < version:
			stale = append(stale, bytes.Clone(k))
			continue
		case kv == version:
			known[et] = true
		}
		live[et] = max(live[et], int64(boltutil.GetU64(v)))
	}
	for _, k := range stale {
		if err := lb.Delete(k); err != nil {
			return 0, err
		}
	}
	released := map[[2]string]bool{}
	for et, n := range live {
		if !known[et] {
			continue // signed before leases were recorded: what it allowed is not known here
		}
		n = max(n, sold[et])
		if n < held(tx, device, et[0], et[1]) {
			if err := tx.Bucket(bGrants).Put(grantKey(device, et[0], et[1]), boltutil.U64(uint64(n))); err != nil {
				return 0, err
			}
			released[et] = true
		}
	}
	if len(released) == 0 {
		return 0, nil
	}
	d, ok, err := devices.get(tx, device)
	if err != nil || !ok {
		return 0, err
	}
	devs, err := outletDevices(tx, d.Outlet)
	if err != nil {
		return 0, err
	}
	bumped := 0
	for _, o := range devs {
		if o.ID == device || isRevoked(tx, o.ID) {
			continue
		}
		for et := range released {
			if t, ok := leaseGet(tx, targetKey(o.ID, et[0], et[1])); ok && int64(t) > latestCap(tx, o.ID, et[0], et[1]) {
				if err := bumpDevice(tx, o.ID); err != nil {
					return 0, err
				}
				bumped++
				break
			}
		}
	}
	return bumped, nil
}

// TopUp gives each online device (as serve last saved the states), for every capped type
// of which it has less than half a Lease left, a target of what it sold plus a Lease, as
// far as the outlet's unclaimed remainder goes, and a new config version; the caller
// pushes the changed configs. A device waiting for a lowered grant to apply is not topped
// up. It returns how many devices got a new version.
func (h *Hub) TopUp(l *ledger.Ledger) (int, error) {
	states, err := h.States()
	if err != nil {
		return 0, err
	}
	solds := map[string]map[[2]string]int64{}
	for id, p := range states {
		if p.Status != mqtt.Online {
			continue
		}
		if solds[id], err = l.Sold(id); err != nil {
			return 0, err
		}
	}
	if len(solds) == 0 {
		return 0, nil
	}
	bumped := 0
	err = h.update(func(tx *bolt.Tx) error {
		bumped = 0
		for id, sold := range solds {
			d, ok, err := devices.get(tx, id)
			if err != nil {
				return err
			}
			if !ok || isRevoked(tx, id) {
				continue
			}
			n, err := topUpDevice(tx, d, sold)
			if err != nil {
				return err
			}
			if n {
				bumped++
				if err := bumpDevice(tx, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return bumped, err
}

// topUpDevice sets the top-up targets of one device and reports whether any was raised.
func topUpDevice(tx *bolt.Tx, d catalog.Device, sold map[[2]string]int64) (bool, error) {
	devs, err := outletDevices(tx, d.Outlet)
	if err != nil {
		return false, err
	}
	linked, err := links.all(tx, d.Outlet+"\x00")
	if err != nil {
		return false, err
	}
	raised := false
	for _, lk := range linked {
		for typ, total := range lk.Allot {
			hd := held(tx, d.ID, lk.Event, typ)
			latest := latestCap(tx, d.ID, lk.Event, typ)
			target, hasTarget := leaseGet(tx, targetKey(d.ID, lk.Event, typ))
			s := sold[[2]string{lk.Event, typ}]
			if hasTarget && int64(target) < hd && s < hd {
				continue // a lowered grant waits for its config_applied
			}
			lease := Lease(total, len(devs))
			if !topUpDue(latest-s, lease) {
				continue
			}
			var claims int64
			for _, o := range devs {
				claims += claim(tx, o.ID, lk.Event, typ)
			}
			own := claim(tx, d.ID, lk.Event, typ)
			want := min(s+lease, own+total-claims)
			if want <= latest || hasTarget && want <= int64(target) {
				continue
			}
			lb, err := leaseBucket(tx)
			if err != nil {
				return false, err
			}
			if err := lb.Put(targetKey(d.ID, lk.Event, typ), boltutil.U64(uint64(want))); err != nil {
				return false, err
			}
			raised = true
		}
	}
	return raised, nil
}

// claim is what a device holds or is to get of a type: the most of held, its newest cap
// and its target. Top-ups share out only what no device claims, so a move's receiver is
// not overtaken.
func claim(tx *bolt.Tx, device, event, typ string) int64 {
	t, _ := leaseGet(tx, targetKey(device, event, typ))
	return max(held(tx, device, event, typ), latestCap(tx, device, event, typ), int64(t))
}

// MoveGrant moves n of a capped ticket type's grant from one device of an outlet to
// another: from's next config caps it n lower, to's n higher. to gets the moved part only
// once the hub has collected from's config_applied of the lowered config (before, from may
// still sell it offline); until then to gets what the outlet has unassigned. Both devices
// get a new config version; push to send them.
func (h *Hub) MoveGrant(event, typ, from, to string, n int64) error {
	if n <= 0 {
		return problem("grant move", "move a positive number of tickets, not %d", n)
	}
	if from == to {
		return problem("grant move", "from and to are the same device %s", from)
	}
	return h.update(func(tx *bolt.Tx) error {
		f, err := devices.one(tx, from)
		if err != nil {
			return err
		}
		t, err := devices.one(tx, to)
		if err != nil {
			return err
		}
		if f.Outlet != t.Outlet {
			return problem("grant move", "%s is of outlet %s, %s of %s", from, f.Outlet, to, t.Outlet)
		}
		if isRevoked(tx, to) {
			return problem("grant move", "device %s is revoked", to)
		}
		lk, ok, err := links.get(tx, linkKey(f.Outlet, event))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: outlet %s does not sell event %s", ErrNotFound, f.Outlet, event)
		}
		if _, capped := lk.Allot[typ]; !capped {
			return problem("grant move", "ticket type %s of %s is not capped at outlet %s", typ, event, f.Outlet)
		}
		fromCap := latestCap(tx, from, event, typ)
		if tg, ok := leaseGet(tx, targetKey(from, event, typ)); ok {
			fromCap = int64(tg)
		}
		if n > fromCap {
			return problem("grant move", "%s is granted %d of %s %s, cannot move %d", from, fromCap, event, typ, n)
		}
		toCap := latestCap(tx, to, event, typ)
		if tg, ok := leaseGet(tx, targetKey(to, event, typ)); ok {
			toCap = max(toCap, int64(tg))
		}
		lb, err := leaseBucket(tx)
		if err != nil {
			return err
		}
		if err := lb.Put(targetKey(from, event, typ), boltutil.U64(uint64(fromCap-n))); err != nil {
			return err
		}
		if err := lb.Put(targetKey(to, event, typ), boltutil.U64(uint64(toCap+n))); err != nil {
			return err
		}
		if err := bumpDevice(tx, from); err != nil {
			return err
		}
		return bumpDevice(tx, to)
	})
}
