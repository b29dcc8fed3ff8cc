package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ticketkiosk/internal/appliance"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// TestCheckLogsIn: kioskd check logs in to the broker (CONNECT and CONNACK with the
// configured credentials) and says the broker's answer: against Mosquitto with a password
// file, a wrong password is a fault with the broker's reason, the right one is ok; a broker
// that is not there is unreachable; a TLS broker whose certificate the CA does not sign is
// a TLS error.
func TestCheckLogsIn(t *testing.T) {
	pw := mqtttest.PasswordFile(t, "k1", "s3cret")
	b := mqtttest.StartMosquitto(t, "tcp", "allow_anonymous false", "password_file "+pw)
	hubKey := strings.Repeat("ab", 32)
	conf := func(url, password string, extra string) string {
		f := filepath.Join(t.TempDir(), "k1.pw")
		if err := os.WriteFile(f, []byte(password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if extra == "" {
			extra = "allow_insecure = true\n"
		}
		path, _ := writeConfig(t, fmt.Sprintf("[printer]\nkind = \"none\"\n[mqtt]\nurl = %q\nusername = \"k1\"\npassword_file = %q\n%s[hub]\npublic_key = %q\n", url, f, extra, hubKey))
		kioskd(t, "init", "--config", path)
		return path
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"right password", conf(b.URL(), "s3cret", ""), "ok    broker    " + b.URL() + ": logged in as k1"},
		{"wrong password", conf(b.URL(), "guess", ""), "FAULT broker    " + b.URL() + ": not authorised"},
		{"no broker", conf("tcp://"+mqtttest.FreeAddr(t), "s3cret", ""), ": unreachable"},
	} {
		code, out, _ := kioskd(t, "check", "--config", c.path)
		if !strings.Contains(out, c.want) {
			t.Errorf("%s: check output lacks %q:\n%s", c.name, c.want, out)
		}
		if ok := !strings.Contains(out, "FAULT"); ok != (code == 0) || ok != strings.HasPrefix(c.want, "ok") {
			t.Errorf("%s: exit %d:\n%s", c.name, code, out)
		}
	}

	// While kioskd runs (its store is open), check does not log in as the device, which
	// would take over the running kioskd's session.
	path := conf(b.URL(), "s3cret", "")
	st, err := store.Open(filepath.Join(filepath.Dir(path), "state", appliance.StoreFile), store.Options{Device: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, out, _ := kioskd(t, "check", "--config", path); !strings.Contains(out, "note  broker    "+b.URL()+": not logged in while kioskd runs") || strings.Contains(out, "logged in as") {
		t.Errorf("check while kioskd runs:\n%s", out)
	}
	st.Close()

	// TLS: the broker's certificate is from another CA than the configured one.
	ca, other := testkit.NewCA(t), testkit.NewCA(t)
	srvCert, srvKey := ca.Issue(t, "broker", true)
	tb := mqtttest.StartMosquitto(t, "ssl", "allow_anonymous true", "cafile "+ca.File(), "certfile "+srvCert, "keyfile "+srvKey)
	for _, c := range []struct{ name, caFile, want string }{
		{"CA that signs it", ca.File(), "ok    broker    " + tb.URL() + ": logged in as k1"},
		{"another CA", other.File(), "FAULT broker    " + tb.URL() + ": TLS error"},
	} {
		path := conf(tb.URL(), "s3cret", fmt.Sprintf("ca_file = %q\nallow_insecure = false\n", c.caFile))
		if _, out, _ := kioskd(t, "check", "--config", path); !strings.Contains(out, c.want) {
			t.Errorf("%s: check output lacks %q:\n%s", c.name, c.want, out)
		}
	}
}
