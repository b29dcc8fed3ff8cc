package mqtt

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/testkit"
)

// passwordHook lets in only the users of its table, and remembers who tried.
type passwordHook struct {
	mochi.HookBase
	users map[string]string

	mu    sync.Mutex
	tried []string // user:password
}

func (h *passwordHook) ID() string { return "passwords" }

func (h *passwordHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mochi.OnConnectAuthenticate, mochi.OnACLCheck}, []byte{b})
}

func (h *passwordHook) OnConnectAuthenticate(cl *mochi.Client, pk packets.Packet) bool {
	u, p := string(pk.Connect.Username), string(pk.Connect.Password)
	h.mu.Lock()
	h.tried = append(h.tried, u+":"+p)
	h.mu.Unlock()
	want, ok := h.users[u]
	return ok && want == p
}

func (h *passwordHook) OnACLCheck(*mochi.Client, string, bool) bool { return true }

func (h *passwordHook) attempts(entry string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, t := range h.tried {
		if t == entry {
			n++
		}
	}
	return n
}

// TestWebSocketWithPasswordFile runs the hub and a device over ws:// through the embedded
// broker with user names and passwords read from files: the right password drains the
// journal, a wrong one is refused by the broker, and the hub's retained state follows it.
func TestWebSocketWithPasswordFile(t *testing.T) {
	addr := freeAddr(t)
	hook := &passwordHook{users: map[string]string{"hub": "hub-pw", "k1": "s3cret"}}
	srv := mochi.New(&mochi.Options{Logger: testLogger()})
	if err := srv.AddHook(hook, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddListener(listeners.NewWebsocket(listeners.Config{ID: "ws", Address: addr})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	pwFile := func(name, pw string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	url := "ws://" + addr + "/"
	hubConn := Options{URL: url, AllowInsecure: true, Username: "hub", PasswordFile: pwFile("hub.pw", "hub-pw\n")}
	devConn := Options{URL: url, AllowInsecure: true, Username: "k1", PasswordFile: pwFile("k1.pw", "s3cret\r\nignored\n")}

	tp, _ := NewTopics("")
	var (
		mu     sync.Mutex
		hubSts []string
	)
	rawClient(t, hubConn, "hub-watch", map[string]paho.MessageHandler{tp.HubState(): func(_ paho.Client, m paho.Message) {
		if s, err := DecodeHubState(m.Payload()); err == nil {
			mu.Lock()
			hubSts = append(hubSts, s.Status)
			mu.Unlock()
		}
	}})
	lastHub := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(hubSts) == 0 {
			return ""
		}
		return hubSts[len(hubSts)-1]
	}

	rig := startHub(t, hubConn, filepath.Join(dir, "ledger.db"), true)
	testkit.Eventually(t, 20*time.Second, "the hub online", func() bool { return lastHub() == Online })

	st := openStore(t, filepath.Join(dir, "k1.db"), "k1", true)
	defer st.Close()
	appendSales(t, st, 10)
	startDevice(t, devConn, st)
	testkit.Eventually(t, 20*time.Second, "the journal over ws", func() bool { return st.Acked() == 10 })
	if hook.attempts("k1:s3cret") == 0 {
		t.Fatal("the broker never saw the password from the file")
	}

	// A wrong password: the broker refuses every attempt and nothing is sent.
	bad := openStore(t, filepath.Join(dir, "k2.db"), "k2", true)
	defer bad.Close()
	appendSales(t, bad, 1)
	badConn := Options{URL: url, AllowInsecure: true, Username: "k2", PasswordFile: pwFile("k2.pw", "guess")}
	startDevice(t, badConn, bad)
	testkit.Eventually(t, 20*time.Second, "a refused attempt", func() bool { return hook.attempts("k2:guess") > 0 })
	if devs, _ := rig.l.Devices(); len(devs) != 1 || bad.Acked() != 0 {
		t.Fatalf("a device with a wrong password got through: %+v", devs)
	}

	// The hub stopping says offline on its retained state.
	rig.hub.Halt()
	testkit.Eventually(t, 20*time.Second, "the hub offline", func() bool { return lastHub() == Offline })
}
