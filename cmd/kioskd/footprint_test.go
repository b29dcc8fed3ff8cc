package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/appliance"
	"ticketkiosk/kiosk"
	"ticketkiosk/store"
)

// BenchmarkFootprint runs the real kioskd binary as systemd would (NOTIFY_SOCKET) with a
// piped keypad, and reports the time from start to READY=1, the resident memory idle, and
// the resident memory after 10,000 sales typed through the keypad (an email outlet, so no
// printer time is involved). One iteration is one whole run.
func BenchmarkFootprint(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "kioskd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	sales := 10000
	if s := os.Getenv("FOOTPRINT_SALES"); s != "" {
		sales, _ = strconv.Atoi(s)
	}
	for b.Loop() {
		ready, idle, after := footprintRun(b, bin, sales)
		b.ReportMetric(float64(ready.Milliseconds()), "ready-ms")
		b.ReportMetric(float64(idle)/1024, "idle-RSS-MiB")
		b.ReportMetric(float64(after)/1024, "RSS-after-sales-MiB")
	}
}

func footprintRun(b *testing.B, bin string, sales int) (ready time.Duration, idleKB, afterKB int) {
	dir := b.TempDir()
	state := filepath.Join(dir, "state")
	if _, _, err := appliance.InitKey(state); err != nil {
		b.Fatal(err)
	}
	hash, _ := catalog.HashPassword("222222")
	st, err := store.Open(filepath.Join(state, appliance.StoreFile), store.Options{Device: "k1"})
	if err != nil {
		b.Fatal(err)
	}
	cfg := &catalog.DeviceConfig{Version: 1, DeviceID: "k1", IssuedAt: time.Now().UTC().Truncate(time.Second),
		Outlet: catalog.Outlet{ID: "o1", Name: "Outlet", Delivery: catalog.DeliveryEmail, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"},
		Events: []catalog.Event{{ID: "e1", Title: "Show", Venue: "Hall", Start: time.Now().AddDate(0, 1, 0),
			Types: []catalog.TicketType{{ID: "std", Name: "Standard", Price: 1000}}}},
		Users: []catalog.User{{Email: "c@example.org", Code: "2002", Role: catalog.RoleCashier, Outlet: "o1", PasswordHash: hash}},
	}
	if _, err := st.ApplyConfig(cfg, nil, kiosk.SystemClock{}); err != nil {
		b.Fatal(err)
	}
	st.Close()
	conf := filepath.Join(dir, "kioskd.toml")
	os.WriteFile(conf, []byte(fmt.Sprintf("device_id = \"k1\"\nstate_dir = %q\nlog_level = \"warn\"\n[printer]\nkind = \"none\"\n", state)), 0o600)

	sock := filepath.Join(dir, "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(bin, "run", "--config", conf)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	keys, _ := cmd.StdinPipe()
	screens, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 256)
	ln.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		n, err := ln.Read(buf)
		if err != nil {
			b.Fatalf("no READY=1: %v", err)
		}
		if strings.Contains(string(buf[:n]), "READY=1") {
			ready = time.Since(t0)
			break
		}
	}
	time.Sleep(2 * time.Second)
	idleKB = rssKB(cmd.Process.Pid)

	// Count finished sales on the display's plain lines ("Tickets: 1" on the done screen).
	done := make(chan int, 1)
	go func() {
		n := 0
		sc := bufio.NewScanner(screens)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Tickets: 1") {
				n++
				if n == sales {
					done <- n
				}
			}
		}
		io.Copy(io.Discard, screens)
	}()
	w := bufio.NewWriter(keys)
	w.WriteString("2002\n222222\n1\n")
	for i := 0; i < sales; i++ {
		if i > 0 {
			w.WriteString("\n") // another order for the same event
		} else {
			w.WriteString("\n") // the event
		}
		w.WriteString("\n\nb@example.org\n\n") // type, quantity 1, buyer, confirm
	}
	w.Flush()
	select {
	case <-done:
	case <-time.After(20 * time.Minute):
		b.Fatal("the sales did not finish")
	}
	afterKB = rssKB(cmd.Process.Pid)
	keys.Close()
	cmd.Wait()
	return ready, idleKB, afterKB
}

func rssKB(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return -1
}
