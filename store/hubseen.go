package store

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/internal/boltutil"
)

// ErrStaleAck means an ack's counter is not above the highest one accepted: a replay.
var ErrStaleAck = errors.New("store: ack counter not above the last accepted one")

// kHubSeen, in meta: the HubSeen counters, four big-endian uint64s.
var kHubSeen = []byte("hub_seen")

// HubSeen is the highest of the hub's signed counters the device accepted, kept so that a
// replayed or stale ack or hub state is refused after a restart too.
type HubSeen struct {
	Ack     uint64 // the counter of the last ack accepted
	Epoch   uint64 // the hub client whose states are accepted
	Online  uint64 // the counter of its last online state accepted
	Offline uint64 // the counter of its last offline state accepted
}

func (h HubSeen) bytes() []byte {
	b := make([]byte, 0, 32)
	for _, n := range []uint64{h.Ack, h.Epoch, h.Online, h.Offline} {
		b = append(b, boltutil.U64(n)...)
	}
	return b
}

func hubSeen(meta *bolt.Bucket) HubSeen {
	v := meta.Get(kHubSeen)
	if len(v) != 32 {
		return HubSeen{}
	}
	return HubSeen{Ack: boltutil.GetU64(v[0:8]), Epoch: boltutil.GetU64(v[8:16]), Online: boltutil.GetU64(v[16:24]), Offline: boltutil.GetU64(v[24:32])}
}

// HubSeen returns the counters accepted.
func (s *Store) HubSeen() HubSeen {
	var h HubSeen
	_ = s.view(func(tx *bolt.Tx) error {
		h = hubSeen(tx.Bucket(bMeta))
		return nil
	})
	return h
}

// SetHubState records the hub state counters accepted (the Ack counter is left as it is).
func (s *Store) SetHubState(epoch, online, offline uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		h := hubSeen(meta)
		h.Epoch, h.Online, h.Offline = epoch, online, offline
		return meta.Put(kHubSeen, h.bytes())
	})
}

// AckCounted is Ack for a signed ack with its counter, in one transaction: an ack whose
// counter is not above the last one accepted is refused (ErrStaleAck) and changes nothing,
// as does one beyond the last entry (ErrAckBeyondEnd); otherwise the counter is kept.
func (s *Store) AckCounted(upto, counter uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		h := hubSeen(meta)
		if counter <= h.Ack {
			return fmt.Errorf("%w: %d, accepted %d", ErrStaleAck, counter, h.Ack)
		}
		if err := ack(tx, upto); err != nil {
			return err
		}
		h.Ack = counter
		return meta.Put(kHubSeen, h.bytes())
	})
}
