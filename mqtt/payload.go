package mqtt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"ticketkiosk/journal"
)

// Version is the payload version this code reads and writes (the "v" field).
const Version = 1

// Payload size limits. A decoder refuses a larger payload before parsing it.
const (
	MaxStateSize = 16 << 10 // device and hub state
	MaxAckSize   = 1 << 10
	MaxBatchSize = 1 << 20 // a journal batch; the device sends at most Options.BatchBytes of entries
	MaxBatchLen  = 2000    // entries in one batch
)

// Errors of the decoders.
var (
	ErrTooLarge       = errors.New("mqtt: payload too large")
	ErrMalformed      = errors.New("mqtt: malformed payload")
	ErrUnknownVersion = errors.New("mqtt: unknown payload version")
)

// Presence values of a state's Status.
const (
	Online  = "online"
	Offline = "offline"
)

// DeviceState is a device's presence and health, published retained on its state topic;
// the same with Status "offline" is its last will.
type DeviceState struct {
	V               int    `json:"v"`
	Status          string `json:"status"`             // online | offline
	Software        string `json:"software,omitempty"` // kioskd version
	ConfigVersion   uint64 `json:"config_version"`     // applied config version, 0 before any
	ConfigError     string `json:"config_error,omitempty"`
	ConfigRefused   uint64 `json:"config_refused,omitempty"` // version of the config refused, when known
	Printer         string `json:"printer,omitempty"`        // printer status, "ok" or what is wrong
	Unsynced        uint64 `json:"unsynced"`                 // journal entries not acknowledged by the hub
	OldestUnsyncedS int64  `json:"oldest_unsynced_s"`        // age of the oldest of them, seconds
	TS              int64  `json:"ts"`                       // device wall clock, Unix milliseconds
}

// HubState is the hub's presence, published retained on the hub state topic; the same with
// Status "offline" is its last will. Devices send their journal only while it says online.
type HubState struct {
	V        int    `json:"v"`
	Status   string `json:"status"`
	Hub      string `json:"hub,omitempty"` // the hub's client id
	Software string `json:"software,omitempty"`
	TS       int64  `json:"ts"` // Unix milliseconds
}

// Ack is the hub's acknowledgement: every entry of the device up to UptoSeq is stored.
type Ack struct {
	V       int    `json:"v"`
	UptoSeq uint64 `json:"upto_seq"`
}

// Batch is a run of a device's journal entries.
type Batch struct {
	Device  string
	Entries []*journal.Entry
}

// check refuses oversized input and reads the version field first, so that a payload of
// another version is refused as such rather than as malformed.
func check(data []byte, limit int) error {
	if len(data) > limit {
		return fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(data), limit)
	}
	var head struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if head.V == nil {
		return fmt.Errorf("%w: no version field", ErrMalformed)
	}
	if *head.V != Version {
		return fmt.Errorf("%w: %d (this side reads %d)", ErrUnknownVersion, *head.V, Version)
	}
	return nil
}

func checkStatus(s string) error {
	if s != Online && s != Offline {
		return fmt.Errorf("%w: status %q", ErrMalformed, s)
	}
	return nil
}

// Encode returns the state as JSON, with V set.
func (s DeviceState) Encode() []byte {
	s.V = Version
	b, _ := json.Marshal(s) // strings and integers only
	return b
}

// DecodeDeviceState parses a device state payload. Unknown fields are ignored (a newer
// device of the same version may add some); an unknown version is refused.
func DecodeDeviceState(data []byte) (DeviceState, error) {
	var s DeviceState
	if err := decodeState(data, &s, &s.Status); err != nil {
		return DeviceState{}, err
	}
	return s, nil
}

// Encode returns the hub state as JSON, with V set.
func (s HubState) Encode() []byte {
	s.V = Version
	b, _ := json.Marshal(s)
	return b
}

// DecodeHubState parses a hub state payload, as DecodeDeviceState does.
func DecodeHubState(data []byte) (HubState, error) {
	var s HubState
	if err := decodeState(data, &s, &s.Status); err != nil {
		return HubState{}, err
	}
	return s, nil
}

// decodeState parses a state payload into s, whose status field is status: within
// MaxStateSize, of this version, JSON, online or offline.
func decodeState(data []byte, s any, status *string) error {
	if err := check(data, MaxStateSize); err != nil {
		return err
	}
	if err := json.Unmarshal(data, s); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return checkStatus(*status)
}

// Encode returns the ack as JSON, with V set.
func (a Ack) Encode() []byte {
	return []byte(`{"v":` + strconv.Itoa(Version) + `,"upto_seq":` + strconv.FormatUint(a.UptoSeq, 10) + `}`)
}

// DecodeAck parses an ack payload.
func DecodeAck(data []byte) (Ack, error) {
	var a Ack
	if err := check(data, MaxAckSize); err != nil {
		return a, err
	}
	var raw struct {
		V       int     `json:"v"`
		UptoSeq *uint64 `json:"upto_seq"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return a, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if raw.UptoSeq == nil {
		return a, fmt.Errorf("%w: no upto_seq", ErrMalformed)
	}
	return Ack{V: raw.V, UptoSeq: *raw.UptoSeq}, nil
}

// EncodeBatch builds a journal batch from entries in their canonical encoding, as the
// store keeps them, without decoding them again.
func EncodeBatch(device string, entries [][]byte) []byte {
	n := 64 + len(device)
	for _, e := range entries {
		n += len(e) + 1
	}
	var b bytes.Buffer
	b.Grow(n)
	b.WriteString(`{"v":`)
	b.WriteString(strconv.Itoa(Version))
	b.WriteString(`,"device":`)
	d, _ := json.Marshal(device)
	b.Write(d)
	b.WriteString(`,"entries":[`)
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// DecodeBatch parses a journal batch and every entry in it (journal.Decode: strict, each
// entry checked). It refuses an empty batch, more than MaxBatchLen entries and entries of
// another device than the batch names; seq order and the chain are the receiver's checks.
func DecodeBatch(data []byte) (*Batch, error) {
	if len(data) > MaxBatchSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(data), MaxBatchSize)
	}
	var raw struct {
		V       *int              `json:"v"`
		Device  string            `json:"device"`
		Entries []json.RawMessage `json:"entries"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&raw)
	if err == nil && len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		err = errors.New("trailing data")
	}
	if err != nil || raw.V == nil || *raw.V != Version {
		// Classify it as check does for the other payloads: version first. (Done only
		// here so that a good batch is scanned once.)
		if cerr := check(data, MaxBatchSize); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if raw.Device == "" || len(raw.Entries) == 0 || len(raw.Entries) > MaxBatchLen {
		return nil, fmt.Errorf("%w: batch of %d entries for device %q", ErrMalformed, len(raw.Entries), raw.Device)
	}
	b := &Batch{Device: raw.Device, Entries: make([]*journal.Entry, len(raw.Entries))}
	for i, r := range raw.Entries {
		e, err := journal.Decode(r)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrMalformed, i, err)
		}
		if e.Device != raw.Device {
			return nil, fmt.Errorf("%w: entry %d of device %q in a batch of %q", ErrMalformed, i, e.Device, raw.Device)
		}
		b.Entries[i] = e
	}
	return b, nil
}
