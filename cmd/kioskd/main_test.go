package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketkiosk/escpos"
	"ticketkiosk/escpos/virtual"
	"ticketkiosk/internal/appliance"
	"ticketkiosk/testkit"
)

func kioskd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeConfig(t *testing.T, body string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	path := filepath.Join(dir, "kioskd.toml")
	cfg := fmt.Sprintf("device_id = \"k1\"\nstate_dir = %q\n%s", state, body)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, state
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := kioskd(t, "version"); code != 0 || !strings.HasPrefix(out, "kioskd ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, _, errs := kioskd(t, "fly"); code != 2 || !strings.Contains(errs, `unknown command "fly"`) {
		t.Fatalf("unknown command: %d %q", code, errs)
	}
	if code, _, errs := kioskd(t, "run", "extra"); code != 2 || !strings.Contains(errs, "unexpected argument") {
		t.Fatalf("extra argument: %d %q", code, errs)
	}
}

// TestFlagsBeforeOrAfterCommand: --config may stand before the subcommand or after it.
func TestFlagsBeforeOrAfterCommand(t *testing.T) {
	path, state := writeConfig(t, "")
	for _, args := range [][]string{{"--config", path, "init"}, {"init", "--config", path}, {"-config=" + path, "init"}} {
		code, out, errs := kioskd(t, args...)
		if code != 0 || !strings.Contains(out, "device_id  k1") {
			t.Errorf("kioskd %q: %d %q %q", args, code, out, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "device.key")); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := kioskd(t, "--config", path, "check", "extra"); code != 2 || !strings.Contains(errs, `unexpected argument "extra"`) {
		t.Errorf("extra argument after flags and command: %d %q", code, errs)
	}
	if code, _, errs := kioskd(t, "--config", path, "fly"); code != 2 || !strings.Contains(errs, `unknown command "fly"`) {
		t.Errorf("unknown command after flags: %d %q", code, errs)
	}
	if code, out, _ := kioskd(t, "--config", path, "version"); code != 0 || !strings.HasPrefix(out, "kioskd ") {
		t.Errorf("version after flags: %d %q", code, out)
	}
}

func TestBadConfigNamesFileAndKey(t *testing.T) {
	path, _ := writeConfig(t, "[printer]\nkind = \"laser\"\n")
	code, _, errs := kioskd(t, "check", "--config", path)
	if code != 1 || !strings.Contains(errs, path+": printer.kind:") {
		t.Fatalf("check with a bad config: %d %q", code, errs)
	}
	code, _, errs = kioskd(t, "run", "--config", filepath.Join(t.TempDir(), "missing.toml"))
	if code != 1 || !strings.Contains(errs, "missing.toml") {
		t.Fatalf("run without a config: %d %q", code, errs)
	}
}

func TestInit(t *testing.T) {
	path, state := writeConfig(t, "")
	code, out, _ := kioskd(t, "init", "--config", path)
	if code != 0 || !strings.Contains(out, "device_id  k1") || !strings.Contains(out, "kioskctl device add k1") {
		t.Fatalf("init: %d %q", code, out)
	}
	key1 := out
	fi, err := os.Stat(filepath.Join(state, "device.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("device key: %v %v", fi, err)
	}
	code, out, errs := kioskd(t, "init", "--config", path)
	if code != 0 || out != key1 || !strings.Contains(errs, "exists already") {
		t.Fatalf("second init changed the key or said nothing: %d %q %q", code, out, errs)
	}
}

// TestCheck runs kioskd check against a network printer served by the virtual printer:
// ready, then out of paper, then gone.
func TestCheck(t *testing.T) {
	vp, ln := tcpPrinter(t)
	path, _ := writeConfig(t, fmt.Sprintf("[printer]\nkind = \"tcp\"\naddress = %q\n", ln.Addr().String()))
	code, out, _ := kioskd(t, "check", "--config", path)
	if code != 1 || !strings.Contains(out, "FAULT key") {
		t.Fatalf("check before init: %d\n%s", code, out)
	}
	kioskd(t, "init", "--config", path)
	code, out, _ = kioskd(t, "check", "--config", path)
	for _, want := range []string{"ok    key", "ok    printer", "ready", "ok    broker    none configured", "wait  store     waiting for its first config"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if code != 0 || strings.Contains(out, "FAULT") {
		t.Errorf("check of a new device, waiting for its first config, exited %d, want 0:\n%s", code, out)
	}
	vp.SetState(virtual.StatePaperOut)
	_, out, _ = kioskd(t, "check", "--config", path)
	if !strings.Contains(out, "FAULT printer") || !strings.Contains(out, "paper") {
		t.Errorf("paper out not reported:\n%s", out)
	}
	ln.Close()
	vp.SetState(virtual.StateOffline)
	_, out, _ = kioskd(t, "check", "--config", path)
	if !strings.Contains(out, "FAULT printer") {
		t.Errorf("offline printer not reported:\n%s", out)
	}
}

// TestCheckSaysModel: check prints the model's entry and how tickets get their QR code.
func TestCheckSaysModel(t *testing.T) {
	path, _ := writeConfig(t, "[printer]\nkind = \"file\"\npath = \"/tmp\"\nmodel = \"pos-5890\"\nqr_level = \"Q\"\n")
	_, out, _ := kioskd(t, "check", "--config", path)
	for _, want := range []string{"ok    model     Zjiang POS-5890 class (58 mm): 384 dots, font A 32 / font B 42 columns;",
		"QR as image; images GS v 0; no cutter", "ok    tickets   code page WPC1251, QR image (GS v 0), error level Q",
		"ok    text      „Щурците“ № 1 — 20,00 €, ѝ prints as „Щурците“ № 1 — 20,00 €, и: [\"ѝ\" printed as \"и\""} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
}

// TestWatchdogPinger: under a systemd watchdog (WATCHDOG_USEC) kioskd pings at half the
// interval, and each ping reaches the notify socket as WATCHDOG=1; without one, no ping.
func TestWatchdogPinger(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "")
	if ping, _ := watchdogPinger(); ping != nil {
		t.Fatal("a ping without a watchdog")
	}
	t.Setenv("WATCHDOG_USEC", "60000000")
	ping, every := watchdogPinger()
	if ping == nil || every != 30*time.Second {
		t.Fatalf("watchdog of 60s: ping %v every %v, want every 30s", ping != nil, every)
	}
	ping()
	ln.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	n, err := ln.Read(buf)
	if err != nil || string(buf[:n]) != "WATCHDOG=1" {
		t.Fatalf("the notify socket got %q, %v; want WATCHDOG=1", buf[:n], err)
	}
}

// TestCheckTestTicket: for a printer of no known model, check --test-ticket prints the
// QR test ticket, whose paper holds the QR code twice (the printer's QR command, then the
// same code as an image), and says how to read it with the settings that exist; check
// without the flag points to it. Through the virtual printer on TCP and the file printer.
func TestCheckTestTicket(t *testing.T) {
	vp, ln := tcpPrinter(t)
	tcp, _ := writeConfig(t, fmt.Sprintf("[printer]\nkind = \"tcp\"\naddress = %q\nprofile = \"clone\"\npaper_mm = 58\n", ln.Addr().String()))
	files := t.TempDir()
	file, _ := writeConfig(t, fmt.Sprintf("[printer]\nkind = \"file\"\npath = %q\n", files))

	_, out, _ := kioskd(t, "check", "--config", tcp)
	if !strings.Contains(out, "note  qr        no [printer] model of the database: the QR command is the clone profile's guess; kioskd check --test-ticket") {
		t.Errorf("check of a printer of no model does not point to the test ticket:\n%s", out)
	}
	if len(vp.Job()) != 0 {
		t.Errorf("check without --test-ticket printed %d bytes", len(vp.Job()))
	}
	for _, path := range []string{tcp, file} {
		code, out, errs := kioskd(t, "check", "--test-ticket", "--config", path)
		for _, want := range []string{"ok    qr test   printed", "Only under 2:", "[printer] raster_qr = true", `model = "pos-5890"`,
			"[printer] model = \"...\"", "tm-t88v", "Both codes must scan as " + appliance.QRTestPayload} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: check --test-ticket lacks %q:\n%s%s", path, want, out, errs)
			}
		}
		if strings.Contains(out, "note  qr") || strings.Contains(out, "FAULT printer") || code == 2 {
			t.Errorf("%s: exit %d:\n%s", path, code, out)
		}
	}

	// What the paper shows: both QR codes hold the payload.
	paper, err := vp.Render(virtual.RenderOptions{Profile: escpos.Clone})
	if err != nil {
		t.Fatal(err)
	}
	if len(paper.QRCodes) != 1 || paper.QRCodes[0] != appliance.QRTestPayload || paper.Images != 1 {
		t.Errorf("virtual printer: native QR codes %q, %d images; want one of each", paper.QRCodes, paper.Images)
	}
	pngs, _ := filepath.Glob(filepath.Join(files, "*.png"))
	if len(pngs) != 1 {
		t.Fatalf("file printer: %d printouts", len(pngs))
	}
	data, err := os.ReadFile(pngs[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for name, img := range map[string]image.Image{"virtual printer": paper.Image, "file printer": img} {
		codes := testkit.QRCodes(t, img)
		if len(codes) != 2 || codes[0] != appliance.QRTestPayload || codes[1] != appliance.QRTestPayload {
			t.Errorf("%s: the paper's QR codes decode as %q, want the payload twice", name, codes)
		}
	}

	// A generic profile's name as the model is no model of the database: the note.
	generic, _ := writeConfig(t, fmt.Sprintf("[printer]\nkind = \"file\"\npath = %q\nmodel = \"epson\"\n", t.TempDir()))
	if _, out, _ := kioskd(t, "check", "--config", generic); !strings.Contains(out, "note  qr        no [printer] model of the database: the QR command is the epson profile's guess") {
		t.Errorf("model = \"epson\" gets no note:\n%s", out)
	}
	// A model of the database: no note; the flag belongs to check only.
	model, _ := writeConfig(t, fmt.Sprintf("[printer]\nkind = \"file\"\npath = %q\nmodel = \"tm-t88v\"\n", t.TempDir()))
	if _, out, _ := kioskd(t, "check", "--config", model); strings.Contains(out, "note  qr") {
		t.Errorf("a known model gets the note:\n%s", out)
	}
	if code, _, errs := kioskd(t, "init", "--test-ticket", "--config", model); code != 2 || !strings.Contains(errs, "flag of kioskd check") {
		t.Errorf("init --test-ticket: %d %s", code, errs)
	}
}

// tcpPrinter serves a virtual printer on a loopback port until the test ends.
func tcpPrinter(t *testing.T) (*virtual.Printer, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vp := virtual.NewPrinter()
	go vp.ServeListener(ln)
	t.Cleanup(func() { ln.Close() })
	return vp, ln
}
