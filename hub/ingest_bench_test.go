package hub

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/mqtt"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/store"
)

// TestMain lets the test binary run as the hub process of BenchmarkIngest, so that the
// hub's memory is measured apart from the simulated devices.
func TestMain(m *testing.M) {
	if dir := os.Getenv("HUB_BENCH_SERVE_DIR"); dir != "" {
		os.Exit(benchServe(dir, os.Getenv("HUB_BENCH_BROKER")))
	}
	os.Exit(m.Run())
}

func benchServe(dir, broker string) int {
	h, err := Open(dir, Options{Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = NewServer(h, ServeOptions{Conn: mqtt.Options{URL: broker, AllowInsecure: true},
		Ready: func(string) { fmt.Println("ready") }}).Run(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// procStatus reads a field (VmHWM, VmRSS) of a process, in kB.
func procStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb)
			return kb
		}
	}
	return 0
}

// BenchmarkIngest drains 200 simulated devices at once through a local Mosquitto into a
// `serve` hub running as its own process: each device's store holds 250 sales (50,000
// entries in all), the devices' mqtt engines start together, and the time runs until every
// device's journal is acknowledged. It reports entries/s and the hub process's peak RSS.
func BenchmarkIngest(b *testing.B) {
	const devices, perDevice = 200, 250
	broker := mqtttest.StartMosquitto(b, "tcp").URL()
	var total time.Duration
	var peak, last int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		opt := Options{Logger: quiet, NoSync: true}
		_, err := Init(filepath.Join(dir, "hub"), opt)
		must(b, err)
		h, err := Open(filepath.Join(dir, "hub"), opt)
		must(b, err)
		must(b, h.SaveOutlet(catalog.Outlet{ID: "o1", Name: "Outlet", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"}, true))
		must(b, h.SaveEvent(concert, true))
		must(b, h.SaveLink(catalog.Link{Outlet: "o1", Event: "concert"}))
		var stores []*store.Store
		var keys []ed25519.PrivateKey
		for d := 0; d < devices; d++ {
			dev := newDevice(b, fmt.Sprintf("k%03d", d))
			must(b, h.AddDevice(catalog.Device{ID: dev.id, Outlet: "o1", PublicKey: dev.pub}))
			st, err := store.Open(filepath.Join(dir, dev.id+".db"), store.Options{Device: dev.id, NoSync: true})
			must(b, err)
			b.Cleanup(func() { st.Close() })
			for s := 0; s < perDevice; s++ {
				_, err := st.Append(clock.Wall{}, "anna@example.org", func(tx journal.Tx, e *journal.Entry) error {
					code, err := journal.NewCode(journal.TicketFacts{Device: dev.id, Sale: e.Seq, N: 1, Of: 1, Event: "concert", Type: "std"}, dev.priv)
					e.Kind, e.Sale = journal.KindSale, &journal.Sale{Outlet: "o1", Event: "concert", Currency: "EUR", Delivery: "print",
						Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250, Tickets: []journal.Ticket{{N: 1, Type: "std", Code: code}}}
					return err
				})
				must(b, err)
			}
			stores = append(stores, st)
			keys = append(keys, dev.priv)
		}
		_, err = h.SignConfigs("", false) // the sales pass the ingest's validation
		must(b, err)

		exe, err := os.Executable()
		must(b, err)
		hubCmd := exec.Command(exe)
		hubCmd.Env = append(os.Environ(), "HUB_BENCH_SERVE_DIR="+h.Dir(), "HUB_BENCH_BROKER="+broker)
		out, err := hubCmd.StdoutPipe()
		must(b, err)
		hubCmd.Stderr = os.Stderr
		must(b, hubCmd.Start())
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			b.Fatalf("hub: %q %v", line, err)
		}

		var engines []*mqtt.Device
		for i, st := range stores {
			d, err := mqtt.NewDevice(mqtt.DeviceOptions{Conn: mqtt.Options{URL: broker, AllowInsecure: true}, Store: st, Key: keys[i],
				HubKey: h.PublicKey(), Logger: quiet})
			must(b, err)
			engines = append(engines, d)
		}
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for _, d := range engines {
			wg.Add(1)
			go func() { defer wg.Done(); d.Start() }()
		}
		wg.Wait()
		for _, st := range stores {
			for {
				bl, err := st.Unsynced()
				must(b, err)
				if bl.Entries == 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		hwm, rss := procStatus(hubCmd.Process.Pid, "VmHWM"), procStatus(hubCmd.Process.Pid, "VmRSS")
		for _, d := range engines {
			d.Halt()
		}
		hubCmd.Process.Signal(os.Interrupt)
		must(b, hubCmd.Wait())
		l, err := h.OpenLedger(ledger.Options{})
		must(b, err)
		rej, err := l.Rejected()
		l.Close()
		must(b, err)
		if len(rej) > 0 {
			b.Fatalf("%d entries rejected, the first: %+v", len(rej), rej[0])
		}
		total += elapsed
		peak, last = max(peak, hwm), rss
	}
	b.ReportMetric(float64(b.N*devices*perDevice)/total.Seconds(), "entries/s")
	b.ReportMetric(float64(peak)/1024, "hub-peak-RSS-MiB")
	b.ReportMetric(float64(last)/1024, "hub-RSS-MiB")
}
