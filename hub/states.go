package hub

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/mqtt"
)

// kStatesSaved is the meta key of the time serve last saved the device states.
var kStatesSaved = []byte("states_saved")

// saveStates saves the device states serve received and the time of saving, which is
// how old the states are once serve has stopped (StatesSaved). With final (serve stopping)
// the time is saved even when no state changed.
func (h *Hub) saveStates(states map[string]mqtt.Presence, final bool) error {
	if len(states) == 0 && !final {
		return nil
	}
	return h.update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bStates); err != nil {
			return err
		}
		for d, p := range states {
			if err := presences.put(tx, d, p); err != nil {
				return err
			}
		}
		t, err := h.Now().UTC().MarshalBinary()
		if err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(kStatesSaved, t)
	})
}

// StatesSaved returns when serve last saved the device states (zero: never).
func (h *Hub) StatesSaved() (time.Time, error) {
	var t time.Time
	err := h.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bMeta).Get(kStatesSaved); b != nil {
			return t.UnmarshalBinary(b)
		}
		return nil
	})
	return t, err
}

// States returns the last state received from each device, as serve saved them.
func (h *Hub) States() (map[string]mqtt.Presence, error) {
	out := map[string]mqtt.Presence{}
	err := h.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bStates)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			p, _, err := presences.get(tx, string(k))
			out[string(k)] = p
			return err
		})
	})
	return out, err
}
