package mqtt

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// procStatus reads a field of /proc/self/status in kB (0 where there is none).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// deviceProcess is the device of BenchmarkDrainMosquitto in a process of its own, so that
// its memory is measured alone: it opens the store (durable), drains it to the hub, and
// prints its peak RSS figures. The environment says where.
func deviceProcess() int {
	path, url := os.Getenv("MQTT_DEVICE_PROCESS"), os.Getenv("MQTT_DEVICE_BROKER")
	n, _ := strconv.ParseUint(os.Getenv("MQTT_DEVICE_ENTRIES"), 10, 64)
	st, err := store.Open(path, store.Options{Device: "k1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	d, err := NewDevice(DeviceOptions{Conn: Options{URL: url, AllowInsecure: true}, Store: st, Key: deviceKey(st.Device()), HubKey: testHubPub, Logger: testLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	d.Start()
	var peakRSS, peakAnon int64
	for st.Acked() < n {
		peakRSS = max(peakRSS, procStatus("VmRSS"))
		peakAnon = max(peakAnon, procStatus("RssAnon"))
		time.Sleep(10 * time.Millisecond)
	}
	d.Halt()
	fmt.Printf("rss_kb=%d anon_kb=%d hwm_kb=%d\n", peakRSS, peakAnon, procStatus("VmHWM"))
	return 0
}

// BenchmarkDrainMosquitto drains 100,000 queued sales from a device process to the hub
// (in this process) through a local Mosquitto, durable on both ends (the device's store and
// the hub's ledger fsync every commit), and in the same run publishes the same batch bytes
// with bare paho QoS 1 (a window of 64 PUBACKs outstanding) for comparison. It reports
// entries/s of both and the device process's memory while draining: peak RSS, of which
// anonymous (heap, stacks; the rest is the store's memory-mapped file), and VmHWM.
//
//	go test -run '^$' -bench DrainMosquitto -benchtime 1x ./mqtt/
func BenchmarkDrainMosquitto(b *testing.B) {
	const n = 100_000
	br := startMosquitto(b, "tcp", "allow_anonymous true")
	conn := Options{URL: br.URL(), AllowInsecure: true}
	var drained, rawTime time.Duration
	var peakRSS, peakAnon, peakHWM int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		st := backlogStore(b, dir, n, false)
		rig := startHub(b, conn, filepath.Join(dir, "ledger.db"), false)
		testkit.Eventually(b, time.Minute, "the hub online", func() bool { return rig.hub.client.IsConnectionOpen() })

		st.Close() // the device process opens it
		b.StartTimer()
		start := time.Now()
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "MQTT_DEVICE_PROCESS="+filepath.Join(dir, "k1.db"),
			"MQTT_DEVICE_BROKER="+br.URL(), "MQTT_DEVICE_ENTRIES="+strconv.Itoa(n))
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		testkit.Eventually(b, 10*time.Minute, "the ledger to hold everything", func() bool {
			devs, _ := rig.l.Devices()
			return len(devs) == 1 && devs[0].LastSeq == n
		})
		drained += time.Since(start)
		b.StopTimer()
		if err := cmd.Wait(); err != nil {
			b.Fatalf("device process: %v\n%s", err, stderr.String())
		}
		out := stdout.String()
		var rss, anon, hwm int64
		if _, err := fmt.Sscanf(out, "rss_kb=%d anon_kb=%d hwm_kb=%d", &rss, &anon, &hwm); err != nil {
			b.Fatalf("device process said %q: %v", out, err)
		}
		peakRSS, peakAnon, peakHWM = max(peakRSS, rss), max(peakAnon, anon), max(peakHWM, hwm)
		rig.stop()
		st = openStore(b, filepath.Join(dir, "k1.db"), "k1", true)

		// The same bytes the device sent, in batches of 200.
		var payloads [][]byte
		for after := uint64(0); after < n; {
			raws, err := st.Pending(after, 200, 256<<10)
			if err != nil {
				b.Fatal(err)
			}
			data := make([][]byte, len(raws))
			for j, r := range raws {
				data[j] = r.Data
			}
			payloads = append(payloads, testBatch("k1", data))
			after = raws[len(raws)-1].Seq
		}
		st.Close()

		// Bare paho, same bytes, to a topic nobody reads.
		raw := rawClient(b, conn, "raw")
		start = time.Now()
		var window []paho.Token
		for _, p := range payloads {
			if len(window) == 64 {
				wait(b, window[0])
				window = window[1:]
			}
			window = append(window, raw.Publish("bench/raw", 1, false, p))
		}
		for _, t := range window {
			wait(b, t)
		}
		rawTime += time.Since(start)
		raw.Disconnect(100)
	}
	b.ReportMetric(float64(n*b.N)/drained.Seconds(), "entries/s")
	b.ReportMetric(float64(n*b.N)/rawTime.Seconds(), "raw-paho-entries/s")
	b.ReportMetric(float64(peakRSS)/1024, "device-RSS-MiB")
	b.ReportMetric(float64(peakAnon)/1024, "device-RssAnon-MiB")
	b.ReportMetric(float64(peakHWM)/1024, "device-VmHWM-MiB")
}

// BenchmarkHubManyDevices: 100 simulated devices (bare paho clients) each send 1,000 entries
// in batches of 200 at once through a local Mosquitto to the hub with a durable ledger, and
// wait for their acks; entries/s with all devices' batches of a round in one commit
// (MultiSink) and with one commit per device.
//
//	go test -run '^$' -bench HubManyDevices -benchtime 1x ./mqtt/
func BenchmarkHubManyDevices(b *testing.B) {
	const devices, per, batch = 100, 1000, 200
	br := startMosquitto(b, "tcp", "allow_anonymous true", "max_inflight_messages 0")
	conn := Options{URL: br.URL(), AllowInsecure: true}
	tp, _ := NewTopics("")
	payloads := make([][][]byte, devices)
	for d := range devices {
		raw := entries(b, fmt.Sprintf("s%03d", d), per)
		for i := 0; i < per; i += batch {
			payloads[d] = append(payloads[d], testBatch(fmt.Sprintf("s%03d", d), raw[i:i+batch]))
		}
	}
	for _, single := range []bool{false, true} {
		name := "one-commit-per-round"
		if single {
			name = "one-commit-per-device"
		}
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				rig := startHub(b, conn, filepath.Join(b.TempDir(), "ledger.db"), false, single)
				testkit.Eventually(b, time.Minute, "the hub online", func() bool { return rig.hub.client.IsConnectionOpen() })
				done := make(chan struct{}, devices)
				clients := make([]paho.Client, devices)
				for d := range devices {
					id := fmt.Sprintf("s%03d", d)
					var once sync.Once
					clients[d] = rawClient(b, conn, id, map[string]paho.MessageHandler{tp.Ack(id): func(_ paho.Client, m paho.Message) {
						if a, err := DecodeAck(m.Payload()); err == nil && a.UptoSeq == per {
							once.Do(func() { done <- struct{}{} })
						}
					}})
				}
				start := time.Now()
				for d, c := range clients {
					for _, p := range payloads[d] {
						c.Publish(tp.Journal(fmt.Sprintf("s%03d", d)), 1, false, p)
					}
				}
				for range devices {
					select {
					case <-done:
					case <-time.After(5 * time.Minute):
						b.Fatal("not every device was acknowledged")
					}
				}
				total += time.Since(start)
				for _, c := range clients {
					c.Disconnect(0)
				}
				rig.stop()
			}
			b.ReportMetric(float64(devices*per*b.N)/total.Seconds(), "entries/s")
		})
	}
}

// BenchmarkBatchSeal measures the cost of the journal's signatures on one batch of 200
// entries: the device sealing it (SealBatch: hash the last entry, sign, encode), the hub
// decoding it (DecodeBatch: every entry decoded and hashed, the run checked) and verifying
// the seal (Batch.Verify, one Ed25519 verification).
//
//	go test -run '^$' -bench BatchSeal ./mqtt/
func BenchmarkBatchSeal(b *testing.B) {
	raw := entries(b, "k1", 200)
	key := deviceKey("k1")
	pub, _ := testKeys("k1")
	data := SealBatch(key, "k1", 1, raw)
	b.Run("sign", func(b *testing.B) {
		for b.Loop() {
			SealBatch(key, "k1", 1, raw)
		}
		b.ReportMetric(float64(len(data)), "batch-B")
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeBatch(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	batch, err := DecodeBatch(data)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if err := batch.Verify(pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}
