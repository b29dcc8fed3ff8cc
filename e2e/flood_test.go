package e2e

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/mqtt"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// vmHWM reads a process's peak resident set (VmHWM), in KiB.
func vmHWM(t testing.TB, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb)
			return kb
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// TestFloodServeMemory floods the real `kioskctl serve` through Mosquitto with 1,500
// well-formed journal batches of about 716 KiB (1,480 sales each, about 1 GiB in all, as
// fast as one client can publish) and measures serve's peak RSS: the bounded ingest queue
// keeps it under 256 MiB, drops what has no room, and the batch is stored all the same.
func TestFloodServeMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("the flood moves 1 GiB")
	}
	e := newEnv(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e.mustCtl("", "outlet", "add", "books", "--name", "Books", "--delivery", "print", "--locale", "en")
	e.mustCtl("", "device", "add", "k1", "--outlet", "books", "--key", base64.StdEncoding.EncodeToString(pub))

	// One batch of 1,480 real sales of k1, about 716 KiB.
	st, err := store.Open(filepath.Join(e.dir, "k1.db"), store.Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const perBatch, batches = 1480, 1500
	for i := 0; i < perBatch; i++ {
		_, err := st.Append(clock.Wall{}, "anna@example.org", func(tx journal.Tx, en *journal.Entry) error {
			code, err := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: en.Seq, N: 1, Of: 1, Event: "jazz", Type: "std"}, priv)
			en.Kind, en.Sale = journal.KindSale, &journal.Sale{Outlet: "books", Event: "jazz", Currency: "EUR", Delivery: "print",
				Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250, Tickets: []journal.Ticket{{N: 1, Type: "std", Code: code}}}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pending, err := st.Pending(0, perBatch, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	raws := make([][]byte, len(pending))
	for i, p := range pending {
		raws[i] = p.Data
	}
	batch := mqtt.SealBatch(priv, "k1", 1, raws)
	t.Logf("batch: %d entries, %d KiB", len(raws), len(batch)>>10)

	serve := e.serve()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(e.broker.URL()).SetClientID("flood").SetWriteTimeout(time.Minute))
	if tk := c.Connect(); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
		t.Fatalf("connect: %v", tk.Error())
	}
	defer c.Disconnect(50)
	topic := mqtt.DefaultPrefix + "/devices/k1/journal"
	start := time.Now()
	toks := make([]paho.Token, 0, batches)
	for range batches {
		toks = append(toks, c.Publish(topic, 1, false, batch))
	}
	for _, tk := range toks {
		if !tk.WaitTimeout(2*time.Minute) || tk.Error() != nil {
			t.Fatalf("publish: %v", tk.Error())
		}
	}
	elapsed := time.Since(start)
	testkit.Eventually(t, 2*time.Minute, "k1's batch stored", func() bool {
		d, err := e.deviceStatus("k1")
		return err == nil && d.HubSeq == perBatch
	})
	hwm := vmHWM(t, serve.cmd.Process.Pid)
	t.Logf("flood: %d batches of %d KiB in %v; kioskctl serve VmHWM %d MiB", batches, len(batch)>>10, elapsed.Round(time.Millisecond), hwm>>10)
	fmt.Printf("flood_batches=%d batch_kib=%d seconds=%.1f serve_vmhwm_mib=%d\n", batches, len(batch)>>10, elapsed.Seconds(), hwm>>10)
	if hwm > 256<<10 {
		t.Fatalf("kioskctl serve peaked at %d MiB under the flood, want below 256", hwm>>10)
	}
}

// kioskdUnderBigConfig runs the real kioskd k1 on the broker at url (logged in with the
// mqtt lines), waits until it is online, then publishes a 200 MiB retained message on its
// config topic as login/pass and returns kioskd's VmHWM once the message has been dealt
// with (delivered or refused by the broker) and kioskd is still running.
func kioskdUnderBigConfig(t *testing.T, e *env, url, login, pass string, mqttLines []string) int64 {
	t.Helper()
	k := e.newKiosk("k1", kioskConf{MQTT: mqttLines})
	k.mustStart()
	online := make(chan struct{}, 1)
	watcher := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("hub-watch").
		SetUsername(login).SetPassword(pass))
	if tk := watcher.Connect(); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
		t.Fatalf("watcher: %v", tk.Error())
	}
	defer watcher.Disconnect(50)
	state := mqtt.DefaultPrefix + "/devices/k1/state"
	watcher.Subscribe(state, 1, func(_ paho.Client, m paho.Message) {
		if s, err := mqtt.DecodeDeviceState(m.Payload()); err == nil && s.Status == mqtt.Online {
			select {
			case online <- struct{}{}:
			default:
			}
		}
	}).WaitTimeout(20 * time.Second)
	select {
	case <-online:
	case <-time.After(60 * time.Second):
		t.Fatal("kioskd k1 did not come online")
	}
	before := vmHWM(t, k.pid())
	pub := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("hub-big").
		SetUsername(login).SetPassword(pass).SetWriteTimeout(time.Minute).SetAutoReconnect(false))
	if tk := pub.Connect(); !tk.WaitTimeout(20*time.Second) || tk.Error() != nil {
		t.Fatalf("publisher: %v", tk.Error())
	}
	big := make([]byte, 200<<20)
	for i := range big {
		big[i] = 'x'
	}
	tk := pub.Publish(mqtt.DefaultPrefix+"/devices/k1/config", 1, true, big)
	tk.WaitTimeout(2 * time.Minute)
	pub.Disconnect(50)
	big = nil
	// kioskd has taken the message in (or never got it) when it publishes a state after it
	// (it does at once when it refuses a config; else its next periodic state), bounded.
	deadline := time.Now().Add(45 * time.Second)
	seen := 0
	for time.Now().Before(deadline) && seen < 1 {
		select {
		case <-online:
			seen++
		case <-time.After(time.Second):
		}
	}
	if !k.Running() {
		t.Fatalf("kioskd exited after the big config:\n%s", readFile(k.log))
	}
	hwm := vmHWM(t, k.pid())
	t.Logf("kioskd VmHWM %d MiB before, %d MiB after the 200 MiB config (publish: %v)", before>>10, hwm>>10, tk.Error())
	return hwm
}

func readFile(p string) string { b, _ := os.ReadFile(p); return string(b) }

// TestBigConfigKioskdMemory: a 200 MiB message on kioskd's config topic. Through the
// embedded broker (`kioskctl broker`, packets capped at 8 MiB) it never reaches kioskd.
// Through a Mosquitto with no packet limit kioskd's connection cuts itself when the packet's
// header announces more than 8 MiB (paho would read it whole before any handler could
// refuse it). Either way kioskd stays below 64 MiB.
func TestBigConfigKioskdMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 200 MiB")
	}
	t.Run("embedded broker", func(t *testing.T) {
		e := newEnv(t)
		users := filepath.Join(e.dir, "users")
		if err := os.WriteFile(users, []byte("hub:hub-pw\nk1:k1-pw\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		k1pw := filepath.Join(e.dir, "k1-pw")
		if err := os.WriteFile(k1pw, []byte("k1-pw\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		addr := mqtttest.FreeAddr(t)
		bk := exec.Command(e.kioskctl, "broker", "--listen", addr, "--users", users)
		bk.Stdout, bk.Stderr = io.Discard, io.Discard
		if err := bk.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { bk.Process.Signal(os.Interrupt); bk.Wait() }()
		testkit.Eventually(t, 20*time.Second, "kioskctl broker listening", func() bool {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		url := "tcp://" + addr
		hwm := kioskdUnderBigConfig(t, e, url, "hub", "hub-pw", []string{fmt.Sprintf("url = %q", url), "allow_insecure = true",
			`username = "k1"`, fmt.Sprintf("password_file = %q", k1pw)})
		fmt.Printf("kioskd_vmhwm_mib_embedded_broker=%d\n", hwm>>10)
		if hwm > 64<<10 {
			t.Fatalf("kioskd peaked at %d MiB, want below 64", hwm>>10)
		}
	})
	t.Run("mosquitto without a limit", func(t *testing.T) {
		e := newEnv(t)
		hwm := kioskdUnderBigConfig(t, e, e.broker.URL(), "", "", nil)
		fmt.Printf("kioskd_vmhwm_mib_mosquitto_no_limit=%d\n", hwm>>10)
		if hwm > 64<<10 {
			t.Fatalf("kioskd peaked at %d MiB, want below 64", hwm>>10)
		}
	})
}
