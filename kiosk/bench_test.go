package kiosk

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/store"
)

// kernelWriteBytes reads this process's bytes written to storage (/proc/self/io).
func kernelWriteBytes(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], d[len(d)*99/100]
}

// BenchmarkSaleCommit: one printed 2-ticket sale through Kiosk.Sell on a durable store
// (fsync on), printer time excluded; with median, p99, the store file's growth and the
// kernel's bytes written per sale.
func BenchmarkSaleCommit(b *testing.B) {
	path := filepath.Join(b.TempDir(), "kiosk.db")
	st, err := store.Open(path, store.Options{Device: "k1"})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clock := &testClock{t: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), synced: true}
	cfg := testConfig(b, catalog.DeliveryPrint)
	st.ApplyConfig(cfg, nil, clock)
	k, _ := New(Options{Store: st, Key: deviceKey, Clock: clock, Printer: &scriptPrinter{status: okStatus}, Layout: textLayout{}, Logger: quiet})
	u, _ := st.User("ann@example.org")
	s := &Session{User: u}
	o := Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 2}}}
	fi0, _ := os.Stat(path)
	w0 := kernelWriteBytes(b)
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if _, err := k.Sell(context.Background(), s, o); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	fi1, _ := os.Stat(path)
	w1 := kernelWriteBytes(b)
	p50, p99 := percentiles(lat)
	n := float64(len(lat))
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	b.ReportMetric(float64(fi1.Size()-fi0.Size())/n, "file-B/sale")
	if w0 >= 0 {
		b.ReportMetric(float64(w1-w0)/n, "written-B/sale")
	}
}

// BenchmarkFsync is the baseline: one 4 KiB write and fsync of a file on the same disk.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := f.WriteAt(buf, 0); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	p50, p99 := percentiles(lat)
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
}
