package store

import (
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// Config returns the applied config, or ErrNoConfig.
func (s *Store) Config() (*catalog.DeviceConfig, error) {
	a := s.cur.Load()
	if a == nil {
		return nil, ErrNoConfig
	}
	return a.cfg, nil
}

// ConfigVersion returns the applied config version (0 before any).
func (s *Store) ConfigVersion() uint64 {
	if a := s.cur.Load(); a != nil {
		return a.cfg.Version
	}
	return 0
}

// ApplyConfig applies a verified config atomically with its signed envelope, and journals a
// config_applied entry in the same transaction. It refuses a version not above the applied
// one (rollback or replay) with ErrStaleConfig and keeps the config it had. Users created on
// the device that the new config includes are dropped from the local list; local disables
// the config now also records are dropped.
func (s *Store) ApplyConfig(cfg *catalog.DeviceConfig, envelope []byte, at Clock) (*journal.Entry, error) {
	if cfg.DeviceID != s.device {
		return nil, fmt.Errorf("store: config for device %q, this is %q", cfg.DeviceID, s.device)
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("store: encode config: %w", err)
	}
	var entry *journal.Entry
	err = s.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if cur := meta.Get(kConfig); cur != nil {
			var old struct {
				Version uint64 `json:"version"`
			}
			if err := json.Unmarshal(cur, &old); err == nil && cfg.Version <= old.Version {
				return fmt.Errorf("%w: offered %d, applied %d", ErrStaleConfig, cfg.Version, old.Version)
			}
		}
		if err := meta.Put(kConfig, body); err != nil {
			return err
		}
		if err := meta.Put(kEnvelope, envelope); err != nil {
			return err
		}
		if err := meta.Delete(kConfigErr); err != nil {
			return err
		}
		users, disabled := tx.Bucket(bUsers), tx.Bucket(bDisabled)
		for _, u := range cfg.Users {
			k := userKey(u.Email)
			if err := users.Delete(k); err != nil {
				return err
			}
			if u.Disabled {
				if err := disabled.Delete(k); err != nil {
					return err
				}
			}
		}
		var err error
		entry, err = s.append(tx, cfg.Outlet.Location(), at, "", func(_ journal.Tx, e *journal.Entry) error {
			e.Kind = journal.KindConfigApplied
			e.Config = &journal.Config{Version: cfg.Version}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.setConfig(cfg)
	return entry, nil
}

// Envelope returns the signed envelope of the applied config.
func (s *Store) Envelope() ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		out = append(out, tx.Bucket(bMeta).Get(kEnvelope)...)
		return nil
	})
	if err == nil && out == nil {
		err = ErrNoConfig
	}
	return out, err
}

// SetConfigError records why the last config offered was refused ("" clears it), for the
// device's state topic.
func (s *Store) SetConfigError(reason string) error {
	return s.update(func(tx *bolt.Tx) error {
		if reason == "" {
			return tx.Bucket(bMeta).Delete(kConfigErr)
		}
		return tx.Bucket(bMeta).Put(kConfigErr, []byte(reason))
	})
}

// ConfigError returns why the last config offered was refused, or "".
func (s *Store) ConfigError() string {
	var out string
	_ = s.view(func(tx *bolt.Tx) error {
		out = string(tx.Bucket(bMeta).Get(kConfigErr))
		return nil
	})
	return out
}

func userKey(email string) []byte { return []byte(strings.ToLower(email)) }

// Clock tells the time and whether the wall clock is synchronised.
type Clock = journal.Clock
