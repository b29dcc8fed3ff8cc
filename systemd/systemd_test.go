package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// verify runs systemd-analyze verify on a unit, with its /usr/bin programs pointed at an
// executable that exists here (the test binary), since the packages are not installed.
func verify(t *testing.T, name, unit string) {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing: scripts/install-deps.sh installs systemd")
		}
		t.Skip("systemd-analyze not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unit = strings.ReplaceAll(unit, "/usr/bin/kioskd", self)
	unit = strings.ReplaceAll(unit, "/usr/bin/kioskctl", self)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	// systemd-analyze also reports problems of other units on this machine; keep the lines
	// about ours.
	var ours []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, name) {
			ours = append(ours, line)
		}
	}
	if err != nil || len(ours) > 0 {
		t.Fatalf("systemd-analyze verify %s: %v\n%s", name, err, strings.Join(ours, "\n"))
	}
}

func directives(unit string) map[string][]string {
	m := map[string][]string{}
	for _, line := range strings.Split(unit, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			m[k] = append(m[k], v)
		}
	}
	return m
}

func TestKioskdUnit(t *testing.T) {
	verify(t, "kioskd.service", Kioskd)
	d := directives(Kioskd)
	want := map[string]string{
		"Type": "notify", "ExecStart": "/usr/bin/kioskd run --config /etc/kioskd/kioskd.toml",
		"WatchdogSec": "60", "Restart": "on-failure", "User": "kioskd", "StateDirectory": "kioskd",
		"ConfigurationDirectory": "kioskd", "ProtectSystem": "strict", "NoNewPrivileges": "yes",
		"DevicePolicy": "closed", "CapabilityBoundingSet": "",
	}
	for k, v := range want {
		if len(d[k]) != 1 || d[k][0] != v {
			t.Errorf("%s=%q, want %q", k, d[k], v)
		}
	}
	if _, ok := d["PrivateDevices"]; ok {
		t.Error("PrivateDevices would hide the printer, keypad and display")
	}
	groups := strings.Fields(strings.Join(d["SupplementaryGroups"], " "))
	for _, g := range []string{"dialout", "gpio", "i2c", "lp"} {
		if !contains(groups, g) {
			t.Errorf("SupplementaryGroups lacks %s", g)
		}
	}
	allowed := strings.Join(d["DeviceAllow"], "\n")
	for _, dev := range []string{"char-ttyUSB", "char-usb ", "char-i2c", "char-gpiochip", "char-input"} {
		if !strings.Contains(allowed+" ", dev) {
			t.Errorf("DeviceAllow lacks %s", dev)
		}
	}
}

func TestServeUnit(t *testing.T) {
	verify(t, "kioskctl-serve.service", KioskctlServe)
	d := directives(KioskctlServe)
	for k, v := range map[string]string{"User": "kioskctl", "PrivateDevices": "yes", "ProtectSystem": "strict", "NoNewPrivileges": "yes"} {
		if len(d[k]) != 1 || d[k][0] != v {
			t.Errorf("%s=%q, want %q", k, d[k], v)
		}
	}
	if !strings.Contains(d["ExecStart"][0], "kioskctl serve --broker") {
		t.Errorf("ExecStart %q", d["ExecStart"])
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
