// Package version holds the software version, set at build time with
// -ldflags "-X ticketkiosk/internal/version.Version=...".
package version

// Version is the software version of kioskd and kioskctl.
var Version = "dev"
