package mqtttest

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"ticketkiosk/testkit"
)

// ShippedMosquitto starts Mosquitto with the shipped configuration, scripts/mosquitto.conf
// and scripts/mosquitto.acl of the scripts directory: its listener, persistence and file
// paths replaced by the test's (a broker certificate from ca), every other line as
// shipped. Clients connect over TLS with certificates ca issues (their common name is
// their identity).
func ShippedMosquitto(t testing.TB, ca *testkit.CA, scripts string) *Broker {
	t.Helper()
	srvCert, srvKey := ca.Issue(t, "broker", true)
	acl, err := filepath.Abs(filepath.Join(scripts, "mosquitto.acl"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(scripts, "mosquitto.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	paths := map[string]string{"cafile": ca.File(), "certfile": srvCert, "keyfile": srvKey, "acl_file": acl}
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, _, _ := strings.Cut(line, " ")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case key == "listener" || key == "per_listener_settings" || strings.HasPrefix(key, "persistence"):
			continue // the test's own (StartMosquitto)
		case paths[key] != "":
			line = key + " " + paths[key]
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return StartMosquitto(t, "ssl", lines...)
}

// LostCounter returns a logger that drops every record and counts, in n, the "mqtt
// connection lost" records: how often a client that logs to it was disconnected.
func LostCounter() (log *slog.Logger, n *atomic.Int32) {
	n = new(atomic.Int32)
	return slog.New(lostCounter{n}), n
}

// lostCounter is a slog handler counting the "mqtt connection lost" records.
type lostCounter struct{ n *atomic.Int32 }

func (c lostCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c lostCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "mqtt connection lost" {
		c.n.Add(1)
	}
	return nil
}
func (c lostCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c lostCounter) WithGroup(string) slog.Handler      { return c }
