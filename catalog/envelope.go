package catalog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// EnvelopeVersion is the version of the signed-config format this code reads and writes.
const EnvelopeVersion = 1

// MaxEnvelopeSize is the largest signed config a device accepts.
const MaxEnvelopeSize = 4 << 20

// Errors of Open. Each wraps into a message that says more.
var (
	ErrMalformed      = errors.New("config: malformed envelope")
	ErrTooLarge       = errors.New("config: envelope too large")
	ErrUnknownVersion = errors.New("config: unknown envelope version")
	ErrBadSignature   = errors.New("config: bad signature")
	ErrWrongDevice    = errors.New("config: for another device")
	ErrInvalid        = errors.New("config: invalid")
)

// Envelope is a device configuration signed by the hub's Ed25519 key and bound to one device
// and outlet. The signature covers the binding fields and the exact Config bytes.
type Envelope struct {
	V        int             `json:"v"`
	DeviceID string          `json:"device_id"`
	OutletID string          `json:"outlet_id"`
	Version  uint64          `json:"version"`
	IssuedAt int64           `json:"issued_at"` // Unix seconds
	Config   json.RawMessage `json:"config"`
	Sig      []byte          `json:"sig"` // base64 in JSON
}

func (e *Envelope) signedBytes() []byte {
	var b bytes.Buffer
	b.WriteString("ticketkiosk/config/v1\n")
	b.WriteString(e.DeviceID)
	b.WriteByte('\n')
	b.WriteString(e.OutletID)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(e.Version, 10))
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(e.IssuedAt, 10))
	b.WriteByte('\n')
	b.Write(e.Config)
	return b.Bytes()
}

// Sign validates cfg and returns its signed envelope, encoded as JSON.
func Sign(cfg *DeviceConfig, key ed25519.PrivateKey) ([]byte, error) {
	if err := cfg.Validate().Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if cfg.IssuedAt.IsZero() {
		return nil, fmt.Errorf("%w: issued_at is missing", ErrInvalid)
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	env := Envelope{
		V:        EnvelopeVersion,
		DeviceID: cfg.DeviceID,
		OutletID: cfg.Outlet.ID,
		Version:  cfg.Version,
		IssuedAt: cfg.IssuedAt.Unix(),
		Config:   body,
	}
	env.Sig = ed25519.Sign(key, env.signedBytes())
	out, err := json.Marshal(&env)
	if err != nil {
		return nil, fmt.Errorf("config: encode envelope: %w", err)
	}
	if len(out) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(out), MaxEnvelopeSize)
	}
	return out, nil
}

// Open checks a signed envelope for device deviceID against the hub's public key and
// returns the configuration in it. It refuses an oversized or malformed payload, an unknown
// envelope version, a bad signature, another device's config, a config whose inner fields
// disagree with the signed binding, and an invalid config. Rollback is the store's check.
func Open(data []byte, hub ed25519.PublicKey, deviceID string) (*DeviceConfig, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(data), MaxEnvelopeSize)
	}
	if len(hub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("config: hub public key has %d bytes, want %d", len(hub), ed25519.PublicKeySize)
	}
	var env Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.V != EnvelopeVersion {
		return nil, fmt.Errorf("%w: %d (this device reads %d)", ErrUnknownVersion, env.V, EnvelopeVersion)
	}
	if len(env.Sig) != ed25519.SignatureSize || len(env.Config) == 0 {
		return nil, fmt.Errorf("%w: missing signature or config", ErrMalformed)
	}
	if !ed25519.Verify(hub, env.signedBytes(), env.Sig) {
		return nil, ErrBadSignature
	}
	if env.DeviceID != deviceID {
		return nil, fmt.Errorf("%w: signed for %q, this is %q", ErrWrongDevice, env.DeviceID, deviceID)
	}
	var cfg DeviceConfig
	dec := json.NewDecoder(bytes.NewReader(env.Config))
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("%w: config: %v", ErrMalformed, err)
	}
	if cfg.DeviceID != env.DeviceID || cfg.Outlet.ID != env.OutletID || cfg.Version != env.Version || cfg.IssuedAt.Unix() != env.IssuedAt {
		return nil, fmt.Errorf("%w: the config disagrees with its signed binding", ErrMalformed)
	}
	if err := cfg.Validate().Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return &cfg, nil
}

// Peek reads an envelope's binding without checking its signature, for logs and status.
func Peek(data []byte) (Envelope, error) {
	var env Envelope
	if len(data) > MaxEnvelopeSize {
		return env, ErrTooLarge
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return env, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	env.Config = nil
	return env, nil
}

// Now truncates t to what a config records (seconds, UTC).
func Now(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
