package hub

import bolt "go.etcd.io/bbolt"

// Settings the hub knows.
const (
	SettingTicketURL = "ticket_url" // devices put it before the code in QR codes
)

// Setting returns a hub setting ("" when unset).
func (h *Hub) Setting(name string) (string, error) {
	var v string
	err := h.view(func(tx *bolt.Tx) error {
		v = setting(tx, name)
		return nil
	})
	return v, err
}

func setting(tx *bolt.Tx, name string) string { return string(tx.Bucket(bSettings).Get([]byte(name))) }

// SetSetting stores a hub setting. Settings that devices see (SettingTicketURL) raise every
// device's config version.
func (h *Hub) SetSetting(name, value string) error {
	return h.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bSettings).Put([]byte(name), []byte(value)); err != nil {
			return err
		}
		if name != SettingTicketURL {
			return nil
		}
		return tx.Bucket(bDevices).ForEach(func(k, _ []byte) error { return bumpDevice(tx, string(k)) })
	})
}
