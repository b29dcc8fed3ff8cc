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

// CheckID checks that a device or hub id can be one topic level (and a client id).
func CheckID(id string) error {
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "/+#\x00") {
		return fmt.Errorf("%w: id %q", ErrTopic, id)
	}
	return nil
}

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

// Parse splits a device topic into the device id and kind.
func (t Topics) Parse(topic string) (device, kind string, ok bool) {
	rest, found := strings.CutPrefix(topic, t.Prefix+"/devices/")
	if !found {
		return "", "", false
	}
	device, kind, found = strings.Cut(rest, "/")
	if !found || device == "" || strings.Contains(kind, "/") {
		return "", "", false
	}
	return device, kind, true
}
