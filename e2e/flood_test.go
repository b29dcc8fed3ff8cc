package e2e

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/mqtt"
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
	batch := mqtt.EncodeBatch("k1", raws)
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
