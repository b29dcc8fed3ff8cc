// Package e2e is the system-level proof suite: it builds kioskd and kioskctl, runs them
// together with Mosquitto on loopback as an outlet and an organiser would, and checks the
// results through the programs' own outputs and files.
//
//	go test ./e2e                         the short end-to-end run, security checks and a short chaos run
//	E2E_LONG=1 go test ./e2e -run EndToEnd the long end-to-end run (more kiosks, more sales)
//	go test ./e2e -run Chaos -chaos.duration 30m -timeout 40m
//	                                      a long chaos run; it prints its counts
//
// The package holds tests only; the kiosks are driven through their piped keypads and
// their plain-text displays, the way a person at the keypad reads the screen.
package e2e
