// Package systemd holds the systemd units of kioskd and kioskctl serve, embedded so that
// packaging and tests read the same files.
package systemd

import _ "embed"

// Kioskd is kioskd.service.
//
//go:embed kioskd.service
var Kioskd string

// KioskctlServe is kioskctl-serve.service.
//
//go:embed kioskctl-serve.service
var KioskctlServe string
