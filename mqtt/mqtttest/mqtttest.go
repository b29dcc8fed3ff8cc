// Package mqtttest holds what the tests that run a real broker share: finding the Mosquitto
// binary, running it on a generated config (StartMosquitto) and picking a free loopback port.
package mqtttest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Mosquitto returns the path of the mosquitto binary. Without one the test fails under CI
// (scripts/install-deps.sh must install it) and is skipped elsewhere.
func Mosquitto(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("mosquitto is not installed (CI must install it: scripts/install-deps.sh)")
	}
	t.Skip("mosquitto is not installed (make deps installs it)")
	return ""
}

// FreeAddr returns a loopback address whose port was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// PasswordFile writes a Mosquitto password file (mosquitto_passwd) with one user and its
// password, mode 0600, and returns its path, for StartMosquitto's "password_file" line.
func PasswordFile(t testing.TB, user, password string) string {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "passwd")
	if out, err := exec.Command("mosquitto_passwd", "-b", "-c", pw, user, password).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	if err := os.Chmod(pw, 0o600); err != nil {
		t.Fatal(err)
	}
	return pw
}
