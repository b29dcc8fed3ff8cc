// Package hub is the organiser's side of the ticket kiosk: the central catalogue (outlets,
// events, links with allotments, users, devices, per-device config versions), the hub's
// Ed25519 key, the building and signing of each device's configuration, email delivery of
// tickets through an SMTP relay with a durable outbox, reports over the hub's counters, and
// ticket verification.
//
// The catalogue lives in one bbolt file in the hub directory. Every call opens the file,
// runs one transaction and closes it again, so `kioskctl serve` and the admin commands can
// share the directory: a command waits (up to Options.Timeout) for the other's transaction
// instead of failing on bbolt's exclusive lock.
package hub

import (
	"errors"
	"time"
)

// Errors.
var (
	ErrExists       = errors.New("hub: already exists")
	ErrNotFound     = errors.New("hub: not found")
	ErrNoHub        = errors.New("hub: no hub here (run kioskctl init)")
	ErrLocked       = errors.New("hub: store in use by another process")
	ErrInvalid      = errors.New("hub: invalid")
	ErrOverGranted  = errors.New("hub: allotment below what devices were already granted")
	ErrDisabled     = errors.New("hub: user disabled")
	ErrNoEmailSales = errors.New("hub: sale is not an email delivery")
)

// Clock tells the time. The hub never calls time.Now directly.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

var _ Clock = SystemClock{}
