package appliance

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/mqtt"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/testkit"
)

// shownDisplay records the last screen shown.
type shownDisplay struct {
	mu   sync.Mutex
	last []string
}

func (d *shownDisplay) Rows() int { return 4 }
func (d *shownDisplay) Cols() int { return 20 }
func (d *shownDisplay) Show(s []string) error {
	d.mu.Lock()
	d.last = append([]string(nil), s...)
	d.mu.Unlock()
	return nil
}
func (d *shownDisplay) Halt() error    { return nil }
func (d *shownDisplay) String() string { return "recording display" }

func (d *shownDisplay) screen() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.last, "\n")
}

// logRecords keeps the records logged at every level.
type logRecords struct {
	mu  sync.Mutex
	out []slog.Record
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.out = append(h.out, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *logRecords) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecords) WithGroup(string) slog.Handler      { return h }

// count returns how many records at level have msg and an attribute whose value holds has.
func (h *logRecords) count(level slog.Level, msg, has string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.out {
		if r.Level != level || r.Message != msg {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if strings.Contains(a.Value.String(), has) {
				n++
				return false
			}
			return true
		})
	}
	return n
}

// runDevice runs a Daemon of a new device (no config yet) on the broker at url with the
// MQTT options set, until the test ends.
func runDevice(t *testing.T, url string, set func(*Config)) (*shownDisplay, *logRecords) {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state")
	if _, _, err := InitKey(state); err != nil {
		t.Fatal(err)
	}
	_, hubKey, _ := ed25519.GenerateKey(nil)
	c := Defaults()
	c.DeviceID, c.StateDir = "k1", state
	c.Printer.Kind = "none"
	c.MQTT.URL, c.MQTT.AllowInsecure = url, true
	c.Hub.PublicKey = PublicKeyString(hubKey)
	set(&c)
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	display, logs := &shownDisplay{}, &logRecords{}
	a, err := Open(&c, Parts{Keypad: &scriptKeys{}, Display: display}, Options{StatusEvery: 50 * time.Millisecond, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		<-done
		a.Close()
	})
	return display, logs
}

// TestIdleScreenSaysTheBrokerRefused: with a wrong broker password, the kiosk logs the
// broker's reason at warn once (not at every retry, which log at debug) and the idle screen
// says it.
func TestIdleScreenSaysTheBrokerRefused(t *testing.T) {
	b := mqtttest.StartMosquitto(t, "tcp", "allow_anonymous false", "password_file "+mqtttest.PasswordFile(t, "k1", "s3cret"))
	wrong := filepath.Join(t.TempDir(), "k1.pw")
	if err := os.WriteFile(wrong, []byte("guess\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	display, logs := runDevice(t, b.URL(), func(c *Config) { c.MQTT.Username, c.MQTT.PasswordFile = "k1", wrong })
	testkit.Eventually(t, 20*time.Second, "the idle screen saying the broker refused", func() bool {
		return strings.Contains(display.screen(), "not authorised")
	})
	testkit.Eventually(t, 20*time.Second, "a second refused attempt", func() bool {
		return logs.count(slog.LevelDebug, "mqtt connect failed", "not authorised") >= 2
	})
	if n := logs.count(slog.LevelWarn, "mqtt connect failed", "not authorised"); n != 1 {
		t.Errorf("%d warnings of the broker's refusal after two attempts, want 1", n)
	}
	if s := display.screen(); !strings.Contains(s, "Broker:") || !strings.Contains(s, "Not configured yet") {
		t.Errorf("idle screen:\n%s", s)
	}
}

// TestIdleScreenSaysTheConfigWasRefused: a config signed by another key than [hub]
// public_key is refused; the kiosk logs why and its screen says so.
func TestIdleScreenSaysTheConfigWasRefused(t *testing.T) {
	b := mqtttest.StartMosquitto(t, "tcp")
	display, logs := runDevice(t, b.URL(), func(*Config) {})
	_, otherKey, _ := ed25519.GenerateKey(nil)
	env, err := catalog.Sign(&catalog.DeviceConfig{Version: 1, DeviceID: "k1", IssuedAt: time.Now().UTC().Truncate(time.Second),
		Outlet: catalog.Outlet{ID: "o1", Name: "Outlet", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"}}, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := mqtt.Push(ctx, mqtt.PushOptions{Conn: mqtt.Options{URL: b.URL(), AllowInsecure: true}, Logger: slog.New(slog.DiscardHandler)}, [][]byte{env})
	if err != nil || len(res) != 1 || !res[0].Refused() {
		t.Fatalf("push: %+v %v, want refused", res, err)
	}
	testkit.Eventually(t, 10*time.Second, "the idle screen saying the config was refused", func() bool {
		return strings.Contains(display.screen(), "Config refused")
	})
	if s := display.screen(); !strings.Contains(s, "signature") {
		t.Errorf("idle screen does not say why:\n%s", s)
	}
	if logs.count(slog.LevelWarn, "config refused; keeping the applied one", "bad_signature") != 1 {
		t.Error("the refusal was not logged")
	}
}
