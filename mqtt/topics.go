// Package mqtt is the wire between kiosks and the hub: the topic scheme, the JSON payloads
// and their decoders, the paho client set-up (TLS, credentials, will, auto-reconnect), the
// device's engine (signed config subscriber, pipelined journal publisher, presence) and the
// hub's engine (journal collector feeding a Sink, acknowledgements, presence, config push).
//
// Exactly-once delivery of the journal comes from the journal and the hub's ack, not from
// MQTT QoS: the device resends everything after the acknowledged seq until the hub, having
// stored it durably and idempotently by (device, seq), acknowledges it. See docs/protocol.md.
package mqtt

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultPrefix is the topic prefix of protocol version 1.
const DefaultPrefix = "tickets/v1"

// Topic kinds under a device.
const (
	KindConfig  = "config"  // hub → device, retained, QoS 1: the signed config envelope
	KindState   = "state"   // device → hub, retained, QoS 1: presence and health (will: offline)
	KindJournal = "journal" // device → hub, QoS 1: a batch of journal entries
	KindAck     = "ack"     // hub → device, QoS 1: the seq stored up to
)

// ErrTopic is returned for a prefix or id that cannot be part of a topic.
var ErrTopic = errors.New("mqtt: bad topic part")

// Topics is the topic scheme under one prefix.
type Topics struct {
	Prefix string
}

// NewTopics returns the scheme under prefix (DefaultPrefix when empty). The prefix must not
// start or end with a slash nor hold a wildcard.
func NewTopics(prefix string) (Topics, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") || strings.ContainsAny(prefix, "+#\x00") {
		return Topics{}, fmt.Errorf("%w: prefix %q", ErrTopic, prefix)
	}
	return Topics{Prefix: prefix}, nil
}

// MaxIDLen is the longest device or client id.
const MaxIDLen = 63

// ReservedID is the id the shipped ACL gives every topic (the hub's certificate name). It and
// every id starting with ReservedID+"-" (the hub's other clients) are never a device's.
const ReservedID = "hub"

// ValidDeviceID checks a device id (and a client id) against the one charset of the wire:
// [a-z0-9][a-z0-9-]{0,62}. CR, LF, '/', '+', '#' and everything else are impossible, so an
// id is always one topic level, one MQTT user name and safe in a header.
func ValidDeviceID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("%w: id %q: want 1 to %d characters", ErrTopic, id, MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0) {
			return fmt.Errorf("%w: id %q: want lower-case letters, digits and '-' (not first)", ErrTopic, id)
		}
	}
	return nil
}

// Reserved reports whether id is the hub's (ReservedID, or ReservedID followed by '-'):
// `kioskctl device add` refuses it, since the ACL lets that name read and write everything.
func Reserved(id string) bool {
	return id == ReservedID || strings.HasPrefix(id, ReservedID+"-")
}

// CheckID checks that a device or hub id can be one topic level and a client id
// (ValidDeviceID).
func CheckID(id string) error { return ValidDeviceID(id) }

// Device returns the topic of one kind of a device.
func (t Topics) Device(device, kind string) string {
	return t.Prefix + "/devices/" + device + "/" + kind
}

// Config returns the device's config topic.
func (t Topics) Config(device string) string { return t.Device(device, KindConfig) }

// State returns the device's state topic.
func (t Topics) State(device string) string { return t.Device(device, KindState) }

// Journal returns the device's journal topic.
func (t Topics) Journal(device string) string { return t.Device(device, KindJournal) }

// Ack returns the device's ack topic.
func (t Topics) Ack(device string) string { return t.Device(device, KindAck) }

// HubState returns the hub's presence topic.
func (t Topics) HubState() string { return t.Prefix + "/hub/state" }

// All returns the filter matching one kind of every device.
func (t Topics) All(kind string) string { return t.Device("+", kind) }

// Parse splits a device topic into the device id and kind; a device id that is not valid
// (ValidDeviceID) is not a device topic.
func (t Topics) Parse(topic string) (device, kind string, ok bool) {
	rest, found := strings.CutPrefix(topic, t.Prefix+"/devices/")
	if !found {
		return "", "", false
	}
	device, kind, found = strings.Cut(rest, "/")
	if !found || ValidDeviceID(device) != nil || strings.Contains(kind, "/") {
		return "", "", false
	}
	return device, kind, true
}
