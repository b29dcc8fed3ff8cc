package mqtttest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Broker is a Mosquitto process on a loopback port with a generated config. Persistence is
// on, so retained messages survive a restart as they do in production; its log goes to
// mosquitto.log in the broker's private directory.
type Broker struct {
	t      testing.TB
	bin    string
	conf   string
	addr   string
	scheme string
	log    string
	cmd    *exec.Cmd
	done   chan struct{}
}

// StartMosquitto starts Mosquitto with a listener on a free loopback port for scheme ("tcp",
// or "ssl" when the extra lines configure TLS) and the extra config lines, {{dir}} replaced
// by the broker's private directory. Without extra lines it allows anonymous clients. It
// returns once the broker accepts connections; the test's cleanup stops it.
func StartMosquitto(t testing.TB, scheme string, extra ...string) *Broker {
	t.Helper()
	dir := t.TempDir()
	b := &Broker{t: t, bin: Mosquitto(t), addr: FreeAddr(t), scheme: scheme, log: filepath.Join(dir, "mosquitto.log")}
	_, port, _ := net.SplitHostPort(b.addr)
	lines := []string{
		"per_listener_settings false",
		"listener " + port + " 127.0.0.1",
		"persistence true",
		"persistence_location " + dir + "/",
		"log_dest stderr",
		"max_queued_messages 100000",
	}
	if os.Geteuid() == 0 {
		lines = append(lines, "user root")
	}
	if len(extra) == 0 {
		lines = append(lines, "allow_anonymous true")
	}
	for _, l := range extra {
		lines = append(lines, strings.ReplaceAll(l, "{{dir}}", dir))
	}
	b.conf = filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(b.conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Start()
	t.Cleanup(b.Stop)
	return b
}

// URL is the broker's URL, scheme://127.0.0.1:port.
func (b *Broker) URL() string { return b.scheme + "://" + b.addr }

// Addr is the broker's host:port.
func (b *Broker) Addr() string { return b.addr }

// Start starts the broker (again, after Stop, on the same address) and waits until it
// accepts connections.
func (b *Broker) Start() {
	b.t.Helper()
	logf, err := os.OpenFile(b.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.t.Fatal(err)
	}
	b.cmd = exec.Command(b.bin, "-c", b.conf)
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		logf.Close()
		b.t.Fatal(err)
	}
	done := make(chan struct{})
	b.done = done
	cmd := b.cmd
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	// Readiness, not a timing assertion: poll until it listens, up to a deadline.
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", b.addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			b.Stop()
			log, _ := os.ReadFile(b.log)
			b.t.Fatalf("mosquitto did not start on %s: %v\n%s", b.addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the broker gracefully (it saves its retained messages), killing it when it has
// not exited 15 s later. Stopping a stopped broker does nothing.
func (b *Broker) Stop() {
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(15 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	b.cmd = nil
}

// Restart stops the broker and starts it again on the same address.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	b.Start()
}
