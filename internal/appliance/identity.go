package appliance

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFile is the device's Ed25519 private key (its 32-byte seed) in the state directory.
const KeyFile = "device.key"

// StoreFile is the device's bbolt store in the state directory.
const StoreFile = "kiosk.db"

// ErrNoKey means the device has no key yet: run kioskd init.
var ErrNoKey = errors.New("no device key: run kioskd init")

// LoadKey reads the device key from stateDir.
func LoadKey(stateDir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(stateDir, KeyFile)
	seed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (%s)", ErrNoKey, path)
	}
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("device key %s: %d bytes, want %d", path, len(seed), ed25519.SeedSize)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("device key %s: mode %v lets others read it; chmod 600", path, fi.Mode().Perm())
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// InitKey creates the device key in stateDir unless one exists, and returns it and whether
// it was created now.
func InitKey(stateDir string) (ed25519.PrivateKey, bool, error) {
	key, err := LoadKey(stateDir)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, ErrNoKey) {
		return nil, false, err
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("device key: %w", err)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, false, err
	}
	path := filepath.Join(stateDir, KeyFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("device key: %w", err)
	}
	_, werr := f.Write(seed)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return nil, false, fmt.Errorf("device key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, false, fmt.Errorf("device key: %w", err)
	}
	if d, err := os.Open(stateDir); err == nil {
		d.Sync()
		d.Close()
	}
	return ed25519.NewKeyFromSeed(seed), true, nil
}

// PublicKeyString is how kioskd prints a public key and kioskctl device add reads it.
func PublicKeyString(key ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
}
