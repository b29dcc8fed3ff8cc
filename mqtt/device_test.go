package mqtt

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/testkit"
)

// stateWatcher follows a device's retained state topic.
type stateWatcher struct {
	mu     sync.Mutex
	states []DeviceState
}

func watchStates(t *testing.T, o Options, device string) *stateWatcher {
	t.Helper()
	w := &stateWatcher{}
	c := rawClient(t, o, "watch-"+device)
	tp, _ := NewTopics(o.Prefix)
	wait(t, c.Subscribe(tp.State(device), 1, func(_ paho.Client, m paho.Message) {
		if st, err := DecodeDeviceState(m.Payload()); err == nil {
			w.mu.Lock()
			w.states = append(w.states, st)
			w.mu.Unlock()
		}
	}))
	return w
}

// await waits for a state that satisfies ok, and says which states came when none did.
func (w *stateWatcher) await(t *testing.T, what string, ok func(DeviceState) bool) DeviceState {
	t.Helper()
	var got DeviceState
	var seen []DeviceState
	if !testkit.Poll(20*time.Second, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for i := len(w.states) - 1; i >= 0; i-- {
			if ok(w.states[i]) {
				got = w.states[i]
				return true
			}
		}
		seen = append(seen[:0], w.states...)
		return false
	}) {
		t.Fatalf("gave up waiting for %s; states seen: %+v", what, seen)
	}
	return got
}

func brokers(t *testing.T, fn func(t *testing.T, b broker)) {
	t.Run("embedded", func(t *testing.T) { fn(t, startMochi(t)) })
	t.Run("mosquitto", func(t *testing.T) { fn(t, startMosquitto(t, "tcp", "allow_anonymous true")) })
}

// TestConfigRefusals pushes a good config, then each kind of bad one, then a good one
// again, through both brokers: every refusal keeps the applied config and says why on the
// state topic and in the store.
func TestConfigRefusals(t *testing.T) {
	brokers(t, func(t *testing.T, b broker) {
		conn := Options{URL: b.URL(), AllowInsecure: true, ReconnectMax: time.Second}
		hubPub, hubKey := testHub(t)
		_, otherKey := newKey(t)
		st := openStore(t, filepath.Join(t.TempDir(), "k1.db"), "k1", true)
		defer st.Close()

		var (
			mu      sync.Mutex
			applied []uint64
		)
		dev, err := NewDevice(DeviceOptions{Conn: conn, Store: st, Key: deviceKey(st.Device()), HubKey: hubPub, Logger: testLogger(),
			Health: func() Health { return Health{Software: "test", Printer: "ok"} },
			OnConfig: func(cfg *catalog.DeviceConfig) {
				mu.Lock()
				applied = append(applied, cfg.Version)
				mu.Unlock()
			}})
		if err != nil {
			t.Fatal(err)
		}
		dev.Start()
		defer dev.Halt()
		states := watchStates(t, conn, "k1")

		// A good config through Push, which reports the version applied.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := Push(ctx, PushOptions{Conn: conn, Logger: testLogger()}, [][]byte{sign(t, sampleConfig("k1", 1), hubKey)})
		if err != nil || len(res) != 1 || res[0].Applied != 1 || !res[0].Published || res[0].Refused() {
			t.Fatalf("push v1: %+v, %v", res, err)
		}
		v2 := sign(t, sampleConfig("k1", 2), hubKey)
		if res, err := Push(ctx, PushOptions{Conn: conn, Logger: testLogger()}, [][]byte{v2}); err != nil || res[0].Applied != 2 {
			t.Fatalf("push v2: %+v, %v", res, err)
		}
		states.await(t, "state with config 2", func(s DeviceState) bool { return s.ConfigVersion == 2 && s.Status == Online })

		replay := sampleConfig("k1", 2)
		replay.IssuedAt = replay.IssuedAt.Add(time.Hour) // same version, other bytes
		cases := []struct {
			name, code, detail string
			payload            []byte
		}{
			{"bad signature", RefusedBadSignature, "", sign(t, sampleConfig("k1", 3), otherKey)},
			{"another device's config", RefusedWrongDevice, `signed for "k2"`, sign(t, sampleConfig("k2", 3), hubKey)},
			{"rollback", RefusedStale, "offered 1, applied 2", sign(t, sampleConfig("k1", 1), hubKey)},
			{"replay", RefusedStale, "offered 2, applied 2", sign(t, replay, hubKey)},
			{"unknown version", RefusedUnknownVersion, "", bytes.Replace(sign(t, sampleConfig("k1", 3), hubKey), []byte(`"v":1`), []byte(`"v":2`), 1)},
			{"malformed", RefusedMalformed, "", []byte(`{"v":1,"device_id":`)},
			{"oversized", RefusedTooLarge, "", bytes.Repeat([]byte(" "), catalog.MaxEnvelopeSize+1)},
		}
		pub := rawClient(t, conn, "hub-test")
		tp, _ := NewTopics("")
		for _, c := range cases {
			wait(t, pub.Publish(tp.Config("k1"), 1, true, c.payload))
			s := states.await(t, c.name+" refusal on the state topic", func(s DeviceState) bool {
				return strings.HasPrefix(s.ConfigError, c.code+": ") && strings.Contains(s.ConfigError, c.detail)
			})
			if s.ConfigVersion != 2 {
				t.Errorf("%s: state says config %d", c.name, s.ConfigVersion)
			}
			if st.ConfigVersion() != 2 || !strings.HasPrefix(st.ConfigError(), c.code+": ") {
				t.Errorf("%s: store has config %d, error %q", c.name, st.ConfigVersion(), st.ConfigError())
			}
			if env, err := st.Envelope(); err != nil || !bytes.Equal(env, v2) {
				t.Errorf("%s: applied envelope changed (%v)", c.name, err)
			}
			// The next case must not be satisfied by this one's state.
			states.mu.Lock()
			states.states = nil
			states.mu.Unlock()
		}
		// A refused push reports the refusal for its version.
		res, err = Push(ctx, PushOptions{Conn: conn, Logger: testLogger()}, [][]byte{sign(t, sampleConfig("k1", 1), hubKey)})
		if err != nil || !res[0].Refused() || !strings.HasPrefix(res[0].ConfigError, RefusedStale) {
			t.Fatalf("refused push: %+v, %v", res, err)
		}
		// A good config clears the error.
		if res, err := Push(ctx, PushOptions{Conn: conn, Logger: testLogger()}, [][]byte{sign(t, sampleConfig("k1", 3), hubKey)}); err != nil || res[0].Applied != 3 {
			t.Fatalf("push v3: %+v, %v", res, err)
		}
		states.await(t, "state with config 3 and no error", func(s DeviceState) bool { return s.ConfigVersion == 3 && s.ConfigError == "" })
		// Two configs back to back are both applied, in order.
		t4, t5 := pub.Publish(tp.Config("k1"), 1, true, sign(t, sampleConfig("k1", 4), hubKey)), pub.Publish(tp.Config("k1"), 1, true, sign(t, sampleConfig("k1", 5), hubKey))
		wait(t, t4)
		wait(t, t5)
		states.await(t, "state with config 5", func(s DeviceState) bool { return s.ConfigVersion == 5 && s.ConfigError == "" })
		mu.Lock()
		defer mu.Unlock()
		if want := []uint64{1, 2, 3, 4, 5}; !slices.Equal(applied, want) {
			t.Fatalf("kiosk notified of %v, want %v", applied, want)
		}
		// Each applied config is a journal entry.
		var versions []uint64
		_ = st.Each(1, func(e *journal.Entry) bool {
			if e.Config != nil {
				versions = append(versions, e.Config.Version)
			}
			return true
		})
		if !slices.Equal(versions, []uint64{1, 2, 3, 4, 5}) {
			t.Fatalf("config_applied entries %v", versions)
		}
	})
}

// TestPushTimesOutForAnOfflineDevice: the config stays retained and the push says who
// did not answer.
func TestPushTimesOutForAnOfflineDevice(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true}
	_, hubKey := newKey(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var seen []Pushed
	res, err := Push(ctx, PushOptions{Conn: conn, Logger: testLogger(), Progress: func(p Pushed) { seen = append(seen, p) }},
		[][]byte{sign(t, sampleConfig("k9", 4), hubKey)})
	if !errors.Is(err, ErrPushIncomplete) || len(res) != 1 || res[0].Done() || res[0].Device != "k9" || res[0].Version != 4 || !res[0].Published {
		t.Fatalf("push to nobody: %+v, %v", res, err)
	}
	if len(seen) == 0 || !seen[len(seen)-1].Published {
		t.Fatalf("progress %+v", seen)
	}
	// Retained: a spy subscribing now gets it.
	got := make(chan []byte, 1)
	spy := rawClient(t, conn, "spy")
	tp, _ := NewTopics("")
	wait(t, spy.Subscribe(tp.Config("k9"), 1, func(_ paho.Client, m paho.Message) { got <- m.Payload() }))
	select {
	case p := <-got:
		if env, err := catalog.Peek(p); err != nil || env.Version != 4 {
			t.Fatalf("retained config %+v, %v", env, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no retained config")
	}
	if _, err := Push(ctx, PushOptions{Conn: conn}, [][]byte{[]byte("nope")}); err == nil {
		t.Fatal("push of a non-envelope accepted")
	}
}

func TestClientOptions(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "k1.db"), "k1", true)
	defer st.Close()
	pub, _ := testHub(t)
	mk := func(o Options) error {
		_, err := NewDevice(DeviceOptions{Conn: o, Store: st, Key: deviceKey(st.Device()), HubKey: pub, Logger: testLogger()})
		return err
	}
	if err := mk(Options{URL: "tcp://127.0.0.1:1883"}); !errors.Is(err, ErrInsecure) {
		t.Errorf("plain tcp without AllowInsecure: %v", err)
	}
	if err := mk(Options{URL: "ws://127.0.0.1:80/mqtt"}); !errors.Is(err, ErrInsecure) {
		t.Errorf("plain ws without AllowInsecure: %v", err)
	}
	if err := mk(Options{URL: "tcp://127.0.0.1:1883", AllowInsecure: true}); err != nil {
		t.Errorf("plain tcp allowed: %v", err)
	}
	if err := mk(Options{URL: "ssl://127.0.0.1:8883"}); err != nil {
		t.Errorf("tls with system roots: %v", err)
	}
	if err := mk(Options{URL: "gopher://x:1"}); err == nil {
		t.Error("unknown scheme accepted")
	}
	if err := mk(Options{URL: "ssl://127.0.0.1:8883", CAFile: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Error("missing CA file accepted")
	}
	if err := mk(Options{URL: "ssl://127.0.0.1:8883", PasswordFile: filepath.Join(t.TempDir(), "none")}); err == nil {
		t.Error("missing password file accepted")
	}
	if err := mk(Options{URL: "ssl://127.0.0.1:8883", Prefix: "a/#"}); !errors.Is(err, ErrTopic) {
		t.Errorf("bad prefix: %v", err)
	}
	if _, err := NewDevice(DeviceOptions{Conn: Options{URL: "ssl://h:1"}, Store: st, Key: deviceKey(st.Device()), HubKey: pub[:5]}); err == nil {
		t.Error("short hub key accepted")
	}
}

// TestHaltWithoutStart: Halt of an engine never started returns, and Start after it does
// nothing.
func TestHaltWithoutStart(t *testing.T) {
	b := startMochi(t)
	conn := Options{URL: b.URL(), AllowInsecure: true}
	st := openStore(t, filepath.Join(t.TempDir(), "k1.db"), "k1", true)
	defer st.Close()
	pub, _ := testHub(t)
	d, err := NewDevice(DeviceOptions{Conn: conn, Store: st, Key: deviceKey(st.Device()), HubKey: pub, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	d.Start()
	if broker, _ := d.Online(); broker || d.client.IsConnectionOpen() {
		t.Fatal("a halted device connected")
	}
	h, err := NewCollector(CollectorOptions{Key: testHubKey, Keys: testKeys, Conn: conn, Sink: nopSink{}, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Halt(); err != nil {
		t.Fatal(err)
	}
	h.Start()
	if h.client.IsConnectionOpen() {
		t.Fatal("a halted hub connected")
	}
	if _, err := NewCollector(CollectorOptions{Key: testHubKey, Keys: testKeys, Conn: conn}); err == nil {
		t.Fatal("a hub without a sink")
	}
}

type nopSink struct{}

func (nopSink) Ingest(string, []*journal.Entry) (uint64, error) { return 0, nil }

// TestPushRefusedByMosquitto: against Mosquitto with a password file, a push without
// credentials or with a wrong password publishes nothing and says the broker's reason; with
// the password it publishes.
func TestPushRefusedByMosquitto(t *testing.T) {
	dir := t.TempDir()
	pw := mqtttest.PasswordFile(t, "hub", "s3cret")
	b := startMosquitto(t, "tcp", "allow_anonymous false", "password_file "+pw)
	_, hubKey := newKey(t)
	env := [][]byte{sign(t, sampleConfig("k9", 1), hubKey)}
	wrong, right := filepath.Join(dir, "wrong"), filepath.Join(dir, "right")
	for f, pw := range map[string]string{wrong: "guess\n", right: "s3cret\n"} {
		if err := os.WriteFile(f, []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		conn  Options
		ok    bool
		match string
	}{
		{"anonymous", Options{URL: b.URL(), AllowInsecure: true}, false, "the broker refused the connection: not authorized (CONNACK code 5)"},
		{"wrong password", Options{URL: b.URL(), AllowInsecure: true, Username: "hub", PasswordFile: wrong}, false, "the broker refused the connection: not authorized (CONNACK code 5)"},
		{"password", Options{URL: b.URL(), AllowInsecure: true, Username: "hub", PasswordFile: right}, true, ""},
	} {
		limit := 10 * time.Second // a refusal answers at once
		if c.ok {
			limit = time.Second // published; nobody applies it
		}
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		res, err := Push(ctx, PushOptions{Conn: c.conn, Logger: testLogger()}, env)
		cancel()
		if c.ok {
			if len(res) != 1 || !res[0].Published || !errors.Is(err, ErrPushIncomplete) {
				t.Errorf("%s: %+v, %v", c.name, res, err)
			}
			continue
		}
		if res != nil || !errors.Is(err, ErrNotConnected) || !strings.Contains(err.Error(), c.match) {
			t.Errorf("%s: %+v, %v; want nothing published and %q", c.name, res, err, c.match)
		}
	}
}
