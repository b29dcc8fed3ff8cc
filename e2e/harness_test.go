package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ticketkiosk/hub"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/testkit"
)

var (
	buildMu   sync.Mutex
	binDir    string               // where the builds go; removed when the tests end
	buildDone = map[string]error{} // by target, once built
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds kioskd and kioskctl once per test binary and returns their paths.
func binaries(t testing.TB) (kioskd, kioskctl string) {
	t.Helper()
	dir := build(t, "native", nil, "./cmd/kioskd", "./cmd/kioskctl")
	return filepath.Join(dir, "kioskd"), filepath.Join(dir, "kioskctl")
}

// build builds pkgs with the extra environment (GOARCH=...) once per test binary, into a
// folder of its own named target, and returns the folder.
func build(t testing.TB, target string, env []string, pkgs ...string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if binDir == "" {
		dir, err := os.MkdirTemp("", "e2e-bin-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = dir
	}
	dir := filepath.Join(binDir, target)
	err, done := buildDone[target]
	if !done {
		cmd := exec.Command("go", append([]string{"build", "-o", dir + string(os.PathSeparator)}, pkgs...)...)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), env...)
		if out, cerr := cmd.CombinedOutput(); cerr != nil {
			err = fmt.Errorf("go build %s: %v\n%s", target, cerr, out)
		}
		buildDone[target] = err
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBroker starts Mosquitto on a free loopback port with the extra config lines (see
// mqtttest.StartMosquitto).
func startBroker(t testing.TB, scheme string, extra ...string) *mqtttest.Broker {
	t.Helper()
	return mqtttest.StartMosquitto(t, scheme, extra...)
}

// env is one organiser with a hub directory, a broker, and the built programs.
type env struct {
	t        testing.TB
	dir      string
	kioskd   string
	emulator string // runs kioskd when set (qemu-user for another architecture)
	kioskctl string
	hubDir   string
	hubKey   string // base64
	broker   *mqtttest.Broker
	conn     []string // kioskctl's broker flags
}

// newEnv builds the programs, starts a plain loopback Mosquitto and creates the hub.
func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	e.kioskd, e.kioskctl = binaries(t)
	e.hubDir = filepath.Join(e.dir, "hub")
	e.broker = startBroker(t, "tcp")
	e.conn = []string{"--broker", e.broker.URL()}
	out := e.mustCtl("", "init")
	_, key, ok := strings.Cut(out, "public key: ")
	if !ok {
		t.Fatalf("kioskctl init:\n%s", out)
	}
	e.hubKey = strings.TrimSpace(key)
	return e
}

// kioskdCmd is the command that runs the env's kioskd with args, under its emulator if
// it has one.
func (e *env) kioskdCmd(args ...string) *exec.Cmd {
	if e.emulator != "" {
		return exec.Command(e.emulator, append([]string{e.kioskd}, args...)...)
	}
	return exec.Command(e.kioskd, args...)
}

// ctl runs kioskctl with the hub directory and returns its exit status and output.
func (e *env) ctl(stdin string, args ...string) (code int, stdout, stderr string) {
	cmd := exec.Command(e.kioskctl, args...)
	cmd.Env = append(os.Environ(), "KIOSKCTL_DIR="+e.hubDir)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		code = -1
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

func (e *env) mustCtl(stdin string, args ...string) string {
	e.t.Helper()
	code, out, errs := e.ctl(stdin, args...)
	if code != 0 {
		e.t.Fatalf("kioskctl %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// status is `kioskctl status --format json`.
func (e *env) status() (*hub.Status, error) {
	code, out, errs := e.ctl("", "status", "--format", "json")
	if code != 0 {
		return nil, fmt.Errorf("kioskctl status: exit %d: %s", code, errs)
	}
	var st hub.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return nil, fmt.Errorf("kioskctl status: %w", err)
	}
	return &st, nil
}

func (e *env) deviceStatus(id string) (hub.DeviceStatus, error) {
	st, err := e.status()
	if err != nil {
		return hub.DeviceStatus{}, err
	}
	for _, d := range st.Devices {
		if d.Device == id {
			return d, nil
		}
	}
	return hub.DeviceStatus{}, fmt.Errorf("status: no device %s", id)
}

// report is `kioskctl report ... --format json`.
func (e *env) report(args ...string) *hub.Report {
	e.t.Helper()
	out := e.mustCtl("", append(append([]string{"report"}, args...), "--format", "json")...)
	var r hub.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		e.t.Fatalf("report %v: %v\n%s", args, err, out)
	}
	return &r
}

// hubProc is a running `kioskctl serve`.
type hubProc struct {
	e    *env
	args []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// serve starts kioskctl serve with the env's broker flags (and extra flags).
func (e *env) serve(extra ...string) *hubProc {
	e.t.Helper()
	h := &hubProc{e: e, args: append(append([]string{"serve"}, e.conn...), extra...), log: filepath.Join(e.dir, "serve.log")}
	h.Start()
	e.t.Cleanup(h.Stop)
	return h
}

// Start starts serve and waits until its query API answers.
func (h *hubProc) Start() {
	t := h.e.t
	t.Helper()
	addrFile := filepath.Join(h.e.hubDir, hub.AddrFile)
	os.Remove(addrFile) // left behind by a kill -9
	logf, err := os.OpenFile(h.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	h.cmd = exec.Command(h.e.kioskctl, h.args...)
	h.cmd.Env = append(os.Environ(), "KIOSKCTL_DIR="+h.e.hubDir)
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	if err := h.cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	h.done = done
	cmd := h.cmd
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	ok := testkit.Poll(30*time.Second, func() bool {
		select {
		case <-done:
			return true
		default:
		}
		b, err := os.ReadFile(addrFile)
		if err != nil {
			return false
		}
		c, err := net.DialTimeout("tcp", strings.TrimSpace(string(b)), time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	select {
	case <-done:
		ok = false
	default:
	}
	if !ok {
		h.Stop()
		log, _ := os.ReadFile(h.log)
		t.Fatalf("kioskctl serve did not start:\n%s", log)
	}
}

// Stop stops serve gracefully.
func (h *hubProc) Stop() { h.signal(syscall.SIGTERM) }

// Kill stops serve as a crash would.
func (h *hubProc) Kill() { h.signal(syscall.SIGKILL) }

func (h *hubProc) signal(sig syscall.Signal) {
	if h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(sig)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
	h.cmd = nil
}

// kioskConf is what a kiosk's kioskd.toml says beyond the defaults of the suite.
type kioskConf struct {
	Printer  []string // lines of the [printer] table; default a file printer
	MQTT     []string // lines of the [mqtt] table; default the env's broker, plain
	StateDir string   // default dir/state
}

// kiosk is one kioskd with its config, state and printer folders, driven through a pipe
// on its standard input and read through the plain lines of its display.
type kiosk struct {
	e          *env
	id         string
	dir        string
	stateDir   string
	printerDir string
	cfgPath    string
	pubKey     string
	log        string

	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
	runs  int

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line
	seen    int           // lines the driver has looked at
}

// newKiosk writes a kiosk's config and runs kioskd init; it prints the public key.
func (e *env) newKiosk(id string, c kioskConf) *kiosk {
	e.t.Helper()
	k := &kiosk{e: e, id: id, dir: filepath.Join(e.dir, id)}
	k.stateDir = c.StateDir
	if k.stateDir == "" {
		k.stateDir = filepath.Join(k.dir, "state")
	}
	k.printerDir = filepath.Join(k.dir, "printer")
	k.cfgPath = filepath.Join(k.dir, "kioskd.toml")
	k.log = filepath.Join(k.dir, "kioskd.log")
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	if c.Printer == nil {
		c.Printer = []string{`kind = "file"`, fmt.Sprintf("path = %q", k.printerDir), "paper_mm = 80"}
	}
	if c.MQTT == nil {
		c.MQTT = []string{fmt.Sprintf("url = %q", e.broker.URL()), "allow_insecure = true"}
	}
	conf := fmt.Sprintf("device_id = %q\nstate_dir = %q\nlog_level = \"info\"\n\n[mqtt]\n%s\n\n[hub]\npublic_key = %q\n\n[printer]\n%s\n\n[keypad]\nkind = \"terminal\"\n\n[display]\nkind = \"terminal\"\nrows = 8\ncols = 40\n",
		id, k.stateDir, strings.Join(c.MQTT, "\n"), e.hubKey, strings.Join(c.Printer, "\n"))
	if err := os.WriteFile(k.cfgPath, []byte(conf), 0o600); err != nil {
		e.t.Fatal(err)
	}
	out, err := e.kioskdCmd("init", "--config", k.cfgPath).CombinedOutput()
	if err != nil {
		e.t.Fatalf("kioskd init %s: %v\n%s", id, err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "public_key "); ok {
			k.pubKey = strings.TrimSpace(v)
		}
	}
	if k.pubKey == "" {
		e.t.Fatalf("kioskd init %s printed no public key:\n%s", id, out)
	}
	e.t.Cleanup(k.Kill)
	return k
}

// register adds the kiosk to an outlet at the hub with the key kioskd init printed.
func (k *kiosk) register(outlet string) {
	k.e.mustCtl("", "device", "add", k.id, "--outlet", outlet, "--key", k.pubKey)
}

// Start runs kioskd with a fresh pipe as its keypad.
func (k *kiosk) Start() error {
	cmd := k.e.kioskdCmd("run", "--config", k.cfgPath)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(k.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("kioskd %s: %w", k.id, err)
	}
	done := make(chan struct{})
	k.mu.Lock()
	k.cmd, k.stdin, k.done, k.runs = cmd, stdin, done, k.runs+1
	k.lines, k.seen = nil, 0
	k.changed = make(chan struct{})
	k.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			k.mu.Lock()
			k.lines = append(k.lines, sc.Text())
			if len(k.lines) > 4000 { // a long run: keep the recent screens
				k.lines = append(k.lines[:0], k.lines[2000:]...)
				k.seen = max(0, k.seen-2000)
			}
			close(k.changed)
			k.changed = make(chan struct{})
			k.mu.Unlock()
		}
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	return nil
}

func (k *kiosk) mustStart() {
	k.e.t.Helper()
	if err := k.Start(); err != nil {
		k.e.t.Fatal(err)
	}
}

// exited returns a channel closed when the current kioskd process has exited (nil before
// the first Start).
func (k *kiosk) exited() chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.done
}

// Running reports whether the kioskd process is running.
func (k *kiosk) Running() bool {
	done := k.exited()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// kill9 sends SIGKILL to the running kioskd without waiting (the chaos monkey's kill).
func (k *kiosk) kill9() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd == nil || k.cmd.Process == nil {
		return false
	}
	select {
	case <-k.done:
		return false
	default:
	}
	return k.cmd.Process.Kill() == nil
}

// pid returns the running kioskd's process id, or 0.
func (k *kiosk) pid() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd == nil || k.cmd.Process == nil {
		return 0
	}
	return k.cmd.Process.Pid
}

// Send types keys on the kiosk's keypad.
func (k *kiosk) Send(keys string) error {
	k.mu.Lock()
	w := k.stdin
	k.mu.Unlock()
	if w == nil {
		return errors.New("kiosk not running")
	}
	_, err := io.WriteString(w, keys)
	return err
}

// Settle waits until the display has shown nothing new for quiet (at most max) and
// returns the last screen; ok is false when the kiosk exited.
func (k *kiosk) Settle(quiet, max time.Duration) (string, bool) {
	deadline := time.Now().Add(max)
	done := k.exited()
	for {
		k.mu.Lock()
		ch := k.changed
		k.mu.Unlock()
		select {
		case <-ch:
			if time.Now().Before(deadline) {
				continue
			}
		case <-done:
		case <-time.After(quiet):
		}
		k.mu.Lock()
		last := ""
		if len(k.lines) > 0 {
			last = k.lines[len(k.lines)-1]
		}
		k.seen = len(k.lines)
		k.mu.Unlock()
		select {
		case <-done:
			return last, false
		default:
			return last, true
		}
	}
}

// WaitScreen waits for a screen line, shown after the last one the driver looked at,
// that contains want.
func (k *kiosk) WaitScreen(want string, max time.Duration) (string, error) {
	return k.waitLine(fmt.Sprintf("%q", want), max, func(l string) bool { return strings.Contains(l, want) })
}

// WaitChange waits for a screen line, shown after the last one the driver looked at,
// other than from: the kiosk's answer to a key pressed on the screen from.
func (k *kiosk) WaitChange(from string, max time.Duration) (string, error) {
	return k.waitLine(fmt.Sprintf("a screen after %q", from), max, func(l string) bool { return l != from })
}

// waitLine waits for a screen line, shown after the last one the driver looked at, for
// which match holds; what names it in errors.
func (k *kiosk) waitLine(what string, max time.Duration, match func(string) bool) (string, error) {
	deadline := time.Now().Add(max)
	done := k.exited()
	for {
		k.mu.Lock()
		ch := k.changed
		for ; k.seen < len(k.lines); k.seen++ {
			if l := k.lines[k.seen]; match(l) {
				k.seen++
				k.mu.Unlock()
				return l, nil
			}
		}
		k.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			return "", fmt.Errorf("%s exited waiting for %s; screens:\n%s", k.id, what, k.Screens())
		case <-time.After(time.Until(deadline)):
			return "", fmt.Errorf("%s: no screen with %s within %v; screens:\n%s", k.id, what, max, k.Screens())
		}
	}
}

// Screens returns the last screens shown (for failure messages).
func (k *kiosk) Screens() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	from := max(0, len(k.lines)-15)
	return strings.Join(k.lines[from:], "\n")
}

// Stop ends the keypad's input: kioskd finishes, flushes for up to its drain time and
// exits.
func (k *kiosk) Stop() {
	if !k.Running() {
		return
	}
	k.mu.Lock()
	k.stdin.Close()
	k.mu.Unlock()
	select {
	case <-k.exited():
	case <-time.After(30 * time.Second):
		k.Kill()
	}
}

// Kill stops kioskd as a power cut would (SIGKILL).
func (k *kiosk) Kill() {
	if !k.Running() {
		return
	}
	k.kill9()
	<-k.exited()
}

// Screen kinds the driver tells apart.
type screen int

const (
	scrOther    screen = iota // a message (a refusal or a note)
	scrNoConfig               // idle, not configured yet
	scrIdle                   // idle, OK to log in
	scrLoginID                // the code field
	scrPassword               // the password field
	scrBusy                   // checking, printing, saving
	scrMenu                   // the main menu
	scrEvents                 // the event list
	scrTypes                  // an event's ticket types
	scrQty                    // the quantity
	scrConfirm                // the order to confirm
	scrDone                   // the sale is made
)

// classify tells what a plain display line shows (English screens, 8×40).
func classify(line string, eventTitles []string) screen {
	switch {
	case strings.Contains(line, "Not configured yet"):
		return scrNoConfig
	case strings.Contains(line, "OK to log in"):
		return scrIdle
	case strings.HasPrefix(line, "Code or email"):
		return scrLoginID
	case strings.HasPrefix(line, "Password"):
		return scrPassword
	case strings.Contains(line, "Checking...") || strings.Contains(line, "Printing...") || strings.Contains(line, "Saving..."):
		return scrBusy
	case strings.HasPrefix(line, "Menu:"):
		return scrMenu
	case strings.HasPrefix(line, "Events |"):
		return scrEvents
	case strings.HasPrefix(line, "Sale ") && strings.Contains(line, "Tickets:"):
		return scrDone
	case strings.Contains(line, "OK=print C=back"):
		return scrConfirm
	case strings.Contains(line, "Up/Down, OK"):
		return scrQty
	}
	for _, t := range eventTitles {
		if strings.HasPrefix(line, t+" |") {
			return scrTypes
		}
	}
	return scrOther
}

// user is who logs in at a kiosk.
type user struct {
	email, code, pass string
}

// order is one sale to make: the event's place in the list, the type's place in the
// event's list (both from 1), and the quantity (1-9).
type order struct {
	event, typ, qty int
}

// sold is a sale the kiosk's screen confirmed.
type sold struct {
	no      uint64 // the sale number the done screen shows (journal.Sale.No), not the entry's seq
	printed bool
}

// errRefused is a sale the kiosk refused (the screen says why).
var errRefused = errors.New("refused")

var backspaces = strings.Repeat("\b", 48)

// cancelKey is Cancel as a pipe carries it: ESC, completed by the next byte, which starts
// an Up (ESC [ A), harmless on the lists Cancel leads to.
const cancelKey = "\x1b\x1b[A"

// sell makes one sale through the keypad from whatever screen the kiosk shows, logging in
// as u when needed. It reacts to the screens as a cashier would: it dismisses messages,
// and a refusal of the order itself ends the attempt with errRefused. It gives up after
// 40 screens.
func (k *kiosk) sell(u user, evTitles []string, o order, quiet time.Duration) (sold, error) {
	confirmed := false
	var refusals []string
	for step := 0; step < 40; step++ {
		line, ok := k.Settle(quiet, 30*time.Second)
		if !ok {
			return sold{}, fmt.Errorf("%s exited; screens:\n%s", k.id, k.Screens())
		}
		var err error
		switch classify(line, evTitles) {
		case scrNoConfig, scrBusy:
			time.Sleep(100 * time.Millisecond)
		case scrIdle:
			err = k.Send(u.code + "\n" + u.pass + "\n")
		case scrLoginID:
			err = k.Send(backspaces + u.code + "\n")
		case scrPassword:
			err = k.Send(backspaces + u.pass + "\n")
		case scrMenu:
			err = k.Send("1\n")
		case scrEvents:
			err = k.Send(fmt.Sprintf("%d\n", o.event))
		case scrTypes:
			if strings.HasPrefix(line, evTitles[o.event-1]+" |") {
				err = k.Send(fmt.Sprintf("%d\n%d\n", o.typ, o.qty))
			} else {
				err = k.Send(cancelKey) // back to the events
			}
		case scrQty:
			err = k.Send(fmt.Sprintf("%d\n", o.qty))
		case scrConfirm:
			confirmed = true
			err = k.Send("\n")
		case scrDone:
			if confirmed {
				var no uint64
				if _, serr := fmt.Sscanf(line, "Sale %d", &no); serr != nil {
					return sold{}, fmt.Errorf("%s: done screen %q: %v", k.id, line, serr)
				}
				return sold{no: no, printed: !strings.Contains(line, "NOT PRINTED")}, nil
			}
			err = k.Send("\n") // another order of the same event
		default:
			if confirmed && len(refusals) < 8 {
				refusals = append(refusals, line)
			}
			err = k.Send("\n") // dismiss the message
			if confirmed {
				return sold{}, fmt.Errorf("%w: %s", errRefused, line)
			}
		}
		if err != nil {
			return sold{}, fmt.Errorf("%s: keypad: %w", k.id, err)
		}
	}
	return sold{}, fmt.Errorf("%s: no sale after 40 screens; refusals %q; screens:\n%s", k.id, refusals, k.Screens())
}
