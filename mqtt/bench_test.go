package mqtt

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
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

// BenchmarkDrainMosquitto drains 100,000 queued sales from a device to the hub through a
// local Mosquitto, durable on both ends (the device's store and the hub's ledger fsync
// every commit), and in the same run publishes the same batch bytes with bare paho QoS 1
// (a window of 64 PUBACKs outstanding) for comparison. It reports entries/s of both and
// the process's peak RSS while draining (device and hub share this process here).
//
//	go test -run '^$' -bench DrainMosquitto -benchtime 1x ./mqtt/
func BenchmarkDrainMosquitto(b *testing.B) {
	const n = 100_000
	br := startMosquitto(b, "tcp", "allow_anonymous true")
	conn := Options{URL: br.URL(), AllowInsecure: true}
	var drained, rawTime time.Duration
	var peakRSS int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		st := backlogStore(b, dir, n, false)
		rig := startHub(b, conn, filepath.Join(dir, "ledger.db"), false)
		eventually(b, time.Minute, "the hub online", func() bool { return rig.hub.client.IsConnectionOpen() })

		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					peakRSS = max(peakRSS, procStatus("VmRSS"))
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		d := startDevice(b, conn, st)
		eventually(b, 10*time.Minute, "the drain", func() bool { return st.Acked() == n })
		drained += time.Since(start)
		b.StopTimer()
		close(stop)
		wg.Wait()
		d.Halt()
		rig.stop()

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
			payloads = append(payloads, EncodeBatch("k1", data))
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
	b.ReportMetric(float64(peakRSS)/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(procStatus("VmHWM"))/1024, "VmHWM-MiB")
}
