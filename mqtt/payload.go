package mqtt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// Version is the payload version this code reads and writes (the "v" field). Version 2
// signs journal batches (device key), acks and the hub state (hub key); version 1, unsigned,
// is not read.
const Version = 2

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
	ErrBadSignature   = errors.New("mqtt: bad signature")
	ErrStale          = errors.New("mqtt: stale or replayed")
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
	HubRefused      string `json:"hub_refused,omitempty"`    // the last ack or hub state refused, and why
	HubRefusedN     uint64 `json:"hub_refused_n,omitempty"`  // acks and hub states refused since the start
	TS              int64  `json:"ts"`                       // device wall clock, Unix milliseconds
}

// HubState is the hub's presence, published retained on the hub state topic; the same with
// Status "offline" is its last will. Devices send their journal only while it says online.
// It is signed by the hub key: Epoch names the hub's client (the counter when it was made,
// which is also its will's Counter), Counter grows with every state the client publishes.
type HubState struct {
	V        int    `json:"v"`
	Status   string `json:"status"`
	Hub      string `json:"hub,omitempty"` // the hub's client id
	Software string `json:"software,omitempty"`
	TS       int64  `json:"ts"` // Unix milliseconds
	Epoch    uint64 `json:"epoch"`
	Counter  uint64 `json:"counter"`
	Sig      []byte `json:"sig,omitempty"` // Ed25519 by the hub key over signedBytes
}

// Ack is the hub's acknowledgement: every entry of Device up to UptoSeq is stored. It is
// signed by the hub key, and Counter grows with every ack the hub sends.
type Ack struct {
	V       int    `json:"v"`
	Device  string `json:"device"`
	UptoSeq uint64 `json:"upto_seq"`
	Counter uint64 `json:"counter"`
	Sig     []byte `json:"sig,omitempty"`
}

// Domain separation of the hub's signatures (the config envelope has its own).
const (
	ackDomain      = "ticketkiosk/ack/v2\n"
	hubStateDomain = "ticketkiosk/hub-state/v2\n"
)

// signedBytes is what the hub signs of a payload: its domain and the payload's JSON with V
// set and no signature (encoding/json writes fields in declared order).
func signedBytes(domain string, v any) []byte {
	b, _ := json.Marshal(v) // strings, integers and nil bytes only
	return append([]byte(domain), b...)
}

// Sign returns the hub state signed by key, with V set.
func (s HubState) Sign(key ed25519.PrivateKey) HubState {
	s.V, s.Sig = Version, nil
	s.Sig = ed25519.Sign(key, signedBytes(hubStateDomain, s))
	return s
}

// Verify reports whether the hub state is signed by pub.
func (s HubState) Verify(pub ed25519.PublicKey) error {
	sig := s.Sig
	s.Sig = nil
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, signedBytes(hubStateDomain, s), sig) {
		return fmt.Errorf("%w: hub state", ErrBadSignature)
	}
	return nil
}

// Sign returns the ack signed by key, with V set.
func (a Ack) Sign(key ed25519.PrivateKey) Ack {
	a.V, a.Sig = Version, nil
	a.Sig = ed25519.Sign(key, signedBytes(ackDomain, a))
	return a
}

// Verify reports whether the ack is signed by pub for device.
func (a Ack) Verify(pub ed25519.PublicKey, device string) error {
	sig := a.Sig
	a.Sig = nil
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, signedBytes(ackDomain, a), sig) {
		return fmt.Errorf("%w: ack", ErrBadSignature)
	}
	if a.Device != device {
		return fmt.Errorf("%w: ack for device %q", ErrBadSignature, a.Device)
	}
	return nil
}

// Batch is a run of a device's journal entries, seq First to Last without a gap, each
// carrying the hash of the one before, and the device's seal over them.
type Batch struct {
	Device  string
	Entries []*journal.Entry
	Seal    ledger.Seal
}

// Verify reports whether the batch is sealed by the device key pub.
func (b *Batch) Verify(pub ed25519.PublicKey) error {
	if !b.Seal.Verify(b.Device, pub) {
		return fmt.Errorf("%w: journal batch %d..%d of %q", ErrBadSignature, b.Seal.First, b.Seal.Last, b.Device)
	}
	return nil
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

// Encode returns the hub state as JSON, with V set; sign it first (Sign).
func (s HubState) Encode() []byte {
	s.V = Version
	b, _ := json.Marshal(s)
	return b
}

// DecodeHubState parses a hub state payload, as DecodeDeviceState does; the caller
// verifies its signature (Verify) and its counter.
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

// Encode returns the ack as JSON, with V set; sign it first (Sign).
func (a Ack) Encode() []byte {
	a.V = Version
	b, _ := json.Marshal(a)
	return b
}

// DecodeAck parses an ack payload (strict: every field, nothing else); the caller verifies
// its signature (Verify) and its counter.
func DecodeAck(data []byte) (Ack, error) {
	if err := check(data, MaxAckSize); err != nil {
		return Ack{}, err
	}
	var raw struct {
		V       int     `json:"v"`
		Device  string  `json:"device"`
		UptoSeq *uint64 `json:"upto_seq"`
		Counter uint64  `json:"counter"`
		Sig     []byte  `json:"sig"`
	}
	if err := strict(data, &raw); err != nil {
		return Ack{}, err
	}
	if raw.UptoSeq == nil || raw.Device == "" || len(raw.Sig) != ed25519.SignatureSize {
		return Ack{}, fmt.Errorf("%w: ack without upto_seq, device or signature", ErrMalformed)
	}
	return Ack{V: raw.V, Device: raw.Device, UptoSeq: *raw.UptoSeq, Counter: raw.Counter, Sig: raw.Sig}, nil
}

// strict decodes one JSON value into v, refusing unknown fields and trailing data.
func strict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		err = errors.New("trailing data")
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// SealBatch signs a run of a device's entries in their canonical encoding (as the store
// keeps them) with the device key and returns the batch payload, without decoding them
// again. first is the seq of the first entry; they follow one another.
func SealBatch(key ed25519.PrivateKey, device string, first uint64, entries [][]byte) []byte {
	if len(entries) == 0 {
		return EncodeBatch(device, ledger.Seal{}, nil) // which no receiver takes
	}
	last := first + uint64(len(entries)) - 1
	seal := ledger.Sign(key, device, first, last, sha256.Sum256(entries[len(entries)-1]))
	return EncodeBatch(device, seal, entries)
}

// EncodeBatch builds a journal batch from entries in their canonical encoding and their seal.
func EncodeBatch(device string, seal ledger.Seal, entries [][]byte) []byte {
	n := 256 + len(device)
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
	b.WriteString(`,"first":`)
	b.WriteString(strconv.FormatUint(seal.First, 10))
	b.WriteString(`,"last":`)
	b.WriteString(strconv.FormatUint(seal.Last, 10))
	b.WriteString(`,"head":"`)
	b.WriteString(seal.Head.String())
	b.WriteString(`","sig":"`)
	b.WriteString(base64.StdEncoding.EncodeToString(seal.Sig))
	b.WriteString(`","entries":[`)
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
// entry checked) and checks that it is one run: seqs first to last, each entry carrying the
// hash of the one before, the last hashing to head. It refuses an empty batch, more than
// MaxBatchLen entries and entries of another device than the batch names. The signature is
// the receiver's check (Batch.Verify), as the chain to what it stored.
func DecodeBatch(data []byte) (*Batch, error) {
	if len(data) > MaxBatchSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(data), MaxBatchSize)
	}
	var raw struct {
		V       *int              `json:"v"`
		Device  string            `json:"device"`
		First   uint64            `json:"first"`
		Last    uint64            `json:"last"`
		Head    journal.Hash      `json:"head"`
		Sig     []byte            `json:"sig"`
		Entries []json.RawMessage `json:"entries"`
	}
	err := strict(data, &raw)
	if err != nil || raw.V == nil || *raw.V != Version {
		// Classify it as check does for the other payloads: version first. (Done only
		// here so that a good batch is scanned once.)
		if cerr := check(data, MaxBatchSize); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	n := uint64(len(raw.Entries))
	if raw.Device == "" || n == 0 || n > MaxBatchLen || len(raw.Sig) != ed25519.SignatureSize || raw.First == 0 || raw.Last != raw.First+n-1 {
		return nil, fmt.Errorf("%w: batch of %d entries %d..%d for device %q", ErrMalformed, n, raw.First, raw.Last, raw.Device)
	}
	b := &Batch{Device: raw.Device, Entries: make([]*journal.Entry, n),
		Seal: ledger.Seal{First: raw.First, Last: raw.Last, Head: raw.Head, Sig: raw.Sig}}
	var prev journal.Hash
	for i, r := range raw.Entries {
		e, err := journal.Decode(r)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrMalformed, i, err)
		}
		if e.Device != raw.Device {
			return nil, fmt.Errorf("%w: entry %d of device %q in a batch of %q", ErrMalformed, i, e.Device, raw.Device)
		}
		if e.Seq != raw.First+uint64(i) {
			return nil, fmt.Errorf("%w: entry %d has seq %d in a batch from %d", ErrMalformed, i, e.Seq, raw.First)
		}
		if i > 0 && e.Prev != prev {
			return nil, fmt.Errorf("%w: entry %d does not follow the one before it", ErrMalformed, i)
		}
		// The bytes as sent: each is checked against a signed hash (the next entry's prev,
		// or the head), so they must be the canonical bytes the device hashed.
		prev = sha256.Sum256(r)
		b.Entries[i] = e
	}
	if prev != raw.Head {
		return nil, fmt.Errorf("%w: the last entry does not hash to the head", ErrMalformed)
	}
	return b, nil
}
