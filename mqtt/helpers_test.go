package mqtt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/store"
)

// testLogger logs to stderr with MQTT_TEST_LOG=1 and nowhere otherwise (paho's goroutines
// may log after a test ended, so not through t.Log).
func testLogger() *slog.Logger {
	if os.Getenv("MQTT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

const bcryptShape = "$2a$10$abcdefghijklmnopqrstuuJ3a1Kk0tGxzxqL0JXzJ8L9JvYz2o1e"

func sampleConfig(device string, version uint64) *catalog.DeviceConfig {
	return &catalog.DeviceConfig{
		Version:  version,
		DeviceID: device,
		IssuedAt: time.Date(2026, 11, 1, 10, 0, int(version), 0, time.UTC),
		Outlet:   catalog.Outlet{ID: "sofia-1", Name: "Книжарница", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"},
		Events: []catalog.Event{{
			ID: "e1", Title: "Лятно кино", Venue: "НДК", Start: time.Date(2027, 3, 14, 19, 0, 0, 0, time.UTC),
			Types: []catalog.TicketType{{ID: "std", Name: "Стандартен", Price: 1250}},
		}},
		Users: []catalog.User{{Email: "ana@example.org", Code: "1001", Role: catalog.RoleSupervisor, Outlet: "sofia-1", PasswordHash: bcryptShape}},
	}
}

func sign(t testing.TB, cfg *catalog.DeviceConfig, key ed25519.PrivateKey) []byte {
	t.Helper()
	env, err := catalog.Sign(cfg, key)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func newKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func openStore(t testing.TB, path, device string, noSync bool) *store.Store {
	t.Helper()
	s, err := store.Open(path, store.Options{Device: device, NoSync: noSync})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// appendSales appends n one-ticket sales by alternating sellers.
func appendSales(t testing.TB, s *store.Store, n int) {
	t.Helper()
	if err := addSales(s, n); err != nil {
		t.Fatal(err)
	}
}

func addSales(s *store.Store, n int) error {
	for i := range n {
		actor := "ana@example.org"
		if i%3 == 0 {
			actor = "bob@example.org"
		}
		_, err := s.Append(clock.Wall{}, actor, func(tx journal.Tx, e *journal.Entry) error {
			e.Kind = journal.KindSale
			e.Sale = &journal.Sale{Outlet: "sofia-1", Event: "e1", Currency: "EUR", Delivery: "print",
				Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250,
				Tickets: []journal.Ticket{{N: 1, Type: "std", Code: fmt.Sprintf("C%d", e.Seq)}}}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// backlog is a store of device "k1" with n unacknowledged sales, built once per test
// binary and copied for each test that drains one.
type backlog struct {
	path  string
	ready chan struct{} // closed when built
	err   error
}

var (
	backlogMu sync.Mutex
	backlogs  = map[int]*backlog{}
)

// buildBacklog starts building the backlog of n sales in the background (once).
func buildBacklog(n int) *backlog {
	backlogMu.Lock()
	defer backlogMu.Unlock()
	if b, ok := backlogs[n]; ok {
		return b
	}
	b := &backlog{path: filepath.Join(os.TempDir(), fmt.Sprintf("mqtt-test-backlog-%d-%d.db", os.Getpid(), n)), ready: make(chan struct{})}
	backlogs[n] = b
	go func() {
		defer close(b.ready)
		s, err := store.Open(b.path, store.Options{Device: "k1", NoSync: true})
		if err != nil {
			b.err = err
			return
		}
		b.err = errors.Join(addSales(s, n), s.Close())
	}()
	return b
}

// TestMain builds the 100,000-sale backlog in the background while the other tests run
// (when the drain test is among those to run), and removes the backlogs at the end.
// Started with MQTT_DEVICE_PROCESS set, the test binary is instead the device process of
// BenchmarkDrainMosquitto (see deviceProcess); with MQTT_HUB_PROCESS, the hub process of
// TestHubKilledMidDrain (see hubProcess).
func TestMain(m *testing.M) {
	if os.Getenv("MQTT_DEVICE_PROCESS") != "" {
		os.Exit(deviceProcess())
	}
	if os.Getenv("MQTT_HUB_PROCESS") != "" {
		os.Exit(hubProcess())
	}
	flag.Parse()
	if run := flag.Lookup("test.run").Value.String(); run == "" || matches(run, "TestDrain100kEmbedded") {
		buildBacklog(100_000)
	}
	code := m.Run()
	for _, b := range backlogs {
		<-b.ready
		os.Remove(b.path)
	}
	os.Exit(code)
}

// matches reports whether a -run pattern selects the top-level test name.
func matches(pattern, name string) bool {
	top, _, _ := strings.Cut(pattern, "/")
	ok, err := regexp.MatchString(top, name)
	return err == nil && ok
}

// backlogStore returns a copy of the backlog of n sales in dir, opened.
func backlogStore(t testing.TB, dir string, n int, noSync bool) *store.Store {
	t.Helper()
	b := buildBacklog(n)
	<-b.ready
	if b.err != nil {
		t.Fatal(b.err)
	}
	dst := filepath.Join(dir, "k1.db")
	if err := copyFile(b.path, dst); err != nil {
		t.Fatal(err)
	}
	return openStore(t, dst, "k1", noSync)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func freeAddr(t testing.TB) string { return mqtttest.FreeAddr(t) }

// broker is a broker started by a test.
type broker interface {
	URL() string
	Restart() // stop, then start again on the same address
	Stop()
}

// mochiBroker is the embedded broker on a loopback port.
type mochiBroker struct {
	t    testing.TB
	addr string
	srv  *mochi.Server
}

func startMochi(t testing.TB) *mochiBroker {
	t.Helper()
	b := &mochiBroker{t: t, addr: freeAddr(t)}
	b.start()
	t.Cleanup(b.Stop)
	return b
}

func (b *mochiBroker) start() {
	t := b.t
	t.Helper()
	srv := mochi.New(&mochi.Options{Logger: testLogger(), InlineClient: false})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "tcp", Address: b.addr})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	b.srv = srv
}

func (b *mochiBroker) URL() string { return "tcp://" + b.addr }

func (b *mochiBroker) Restart() {
	b.Stop()
	b.start()
}

func (b *mochiBroker) Stop() {
	if b.srv != nil {
		b.srv.Close()
		b.srv = nil
	}
}

// startMosquitto starts Mosquitto on a free loopback port with the extra config lines (see
// mqtttest.StartMosquitto).
func startMosquitto(t testing.TB, scheme string, extra ...string) *mqtttest.Broker {
	t.Helper()
	return mqtttest.StartMosquitto(t, scheme, extra...)
}

// killable records the connections a client opens so that a test can cut them as a crash
// would (no DISCONNECT: the broker publishes the will).
type killable struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (k *killable) dial(uri *url.URL, _ paho.ClientOptions) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", uri.Host, 5*time.Second)
	if err == nil {
		k.mu.Lock()
		k.conns = append(k.conns, c)
		k.mu.Unlock()
	}
	return c, err
}

func (k *killable) cut() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range k.conns {
		c.Close()
	}
	k.conns = nil
}

// kill stops the hub as a crash would: the collector stops where it is, the connection is
// cut without a DISCONNECT, and the client stops reconnecting.
func (h *Collector) kill(k *killable) {
	h.halt.Do(func() {
		close(h.quit)
		<-h.done
		k.cut()
		close(h.stop)
		h.client.Disconnect(0)
	})
}

// rawClient is a plain paho client for tests that play another party or spy. subs, when
// given, are subscribed in OnConnect (so again after a broker restart) at QoS 1; Connect
// returns once they are.
func rawClient(t testing.TB, o Options, id string, subs ...map[string]paho.MessageHandler) paho.Client {
	t.Helper()
	subscribed := make(chan error, 1)
	onConnect := func(c paho.Client) {
		var toks []paho.Token
		for _, m := range subs {
			for topic, h := range m {
				toks = append(toks, c.Subscribe(topic, 1, h))
			}
		}
		go func() {
			var err error
			for _, tok := range toks {
				<-tok.Done()
				err = errors.Join(err, tok.Error())
			}
			select {
			case subscribed <- err:
			default:
			}
		}()
	}
	c, err := newClient(o, session{clientID: id, log: testLogger(), onConnect: onConnect})
	if err != nil {
		t.Fatal(err)
	}
	tok := c.Connect()
	if !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	select {
	case err := <-subscribed:
		if err != nil {
			t.Fatalf("subscribe %s: %v", id, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("subscribe %s: no answer", id)
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func wait(t testing.TB, tok paho.Token) {
	t.Helper()
	if !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("mqtt: %v", tok.Error())
	}
}

// testHubPub and testHubKey are the hub key of the tests: every device trusts it, every
// collector signs with it.
var testHubPub, testHubKey = func() (ed25519.PublicKey, ed25519.PrivateKey) {
	k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	return k.Public().(ed25519.PublicKey), k
}()

// testHub returns the tests' hub key pair.
func testHub(testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) { return testHubPub, testHubKey }

// deviceKey is the device key of a test device, derived from its id.
func deviceKey(id string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("test device " + id))
	return ed25519.NewKeyFromSeed(seed[:])
}

// testKeys registers every device id with its deviceKey.
func testKeys(id string) (ed25519.PublicKey, bool) {
	return deviceKey(id).Public().(ed25519.PublicKey), true
}

// testBatch is the batch device sends of entries (canonical bytes, in seq order), sealed
// with its deviceKey; the seq of the first is read from it.
func testBatch(device string, entries [][]byte) []byte {
	var first uint64 = 1
	if len(entries) > 0 {
		var head struct {
			Seq uint64 `json:"seq"`
		}
		_ = json.Unmarshal(entries[0], &head)
		first = max(head.Seq, 1)
	}
	return SealBatch(deviceKey(device), device, first, entries)
}
