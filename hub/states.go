package hub

import (
	bolt "go.etcd.io/bbolt"

	"ticketkiosk/mqtt"
)

func (h *Hub) saveStates(states map[string]mqtt.Presence) error {
	if len(states) == 0 {
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
		return nil
	})
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
