package appliance

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodConfig = `
device_id = "sofia-1-k1"
state_dir = "/var/lib/kioskd"

[mqtt]
url = "ssl://hub.example.org:8883"
username = "sofia-1-k1"
password_file = "/etc/kioskd/mqtt.pass"
ca_file = "/etc/kioskd/ca.pem"

[hub]
public_key = "LXxEA3c1Pg2KM0U2V8t0VoW8pTgIuA8G9m4F7cBqzsY="

[printer]
kind = "serial"
path = "/dev/ttyUSB0"
baud = 19200
paper_mm = 58
profile = "epson"
code_page = "WPC1251"

[keypad]
kind = "matrix"
rows = ["GPIO5", "GPIO6", "GPIO13", "GPIO19"]
cols = ["GPIO12", "GPIO16", "GPIO20", "GPIO21"]

[display]
kind = "hd44780"
i2c_bus = "1"
address = 0x27
rows = 4
cols = 20
rom = "a00"
`

func TestParseGood(t *testing.T) {
	cfg, err := Parse("kioskd.toml", []byte(goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Printer.Dots != 384 || cfg.Display.Address != 0x27 || cfg.MQTT.Prefix != "tickets/v1" {
		t.Fatalf("parsed %+v", cfg)
	}
	prof, err := cfg.PrinterProfile()
	if err != nil || prof.Dots != 384 {
		t.Fatalf("profile %+v %v", prof, err)
	}
	if _, err := cfg.HubKey(); err != nil {
		t.Fatal(err)
	}
}

// TestPrinterModel: model picks the database entry (its width wins over paper_mm);
// dots, code_page_number and cutter override it; the QR level defaults to M.
func TestPrinterModel(t *testing.T) {
	cfg, err := Parse("k.toml", []byte("device_id = \"k1\"\n[printer]\nmodel = \"TM-T88V\"\nprofile = \"clone\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	prof, err := cfg.PrinterProfile()
	if err != nil || prof.Name != "tm-t88v" || prof.Dots != 512 || prof.Columns != 42 || !prof.QR {
		t.Fatalf("model tm-t88v: %+v %v", prof, err)
	}
	if l, err := cfg.QRLevel(); err != nil || l.String() != "M" {
		t.Errorf("default QR level %v %v", l, err)
	}
	cfg, err = Parse("k.toml", []byte("device_id = \"k1\"\n[printer]\nmodel = \"pos-5890\"\ndots = 576\ncutter = true\n"+
		"code_page = \"WPC1251\"\ncode_page_number = 23\nqr_level = \"q\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	prof, _ = cfg.PrinterProfile()
	if prof.Dots != 576 || prof.Columns != 48 || !prof.Cutter || prof.CodePages["WPC1251"] != 23 || prof.QR {
		t.Errorf("overrides: %+v", prof)
	}
	lay, err := cfg.Layout()
	if err != nil || lay.QRMode() != "image (GS v 0)" || lay.CodePage() != "WPC1251" {
		t.Errorf("layout %v: QR %s, page %s", err, lay.QRMode(), lay.CodePage())
	}
	if l, _ := cfg.QRLevel(); l.String() != "Q" {
		t.Errorf("QR level %v", l)
	}
}

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse("k.toml", []byte(`device_id = "k1"`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StateDir != "/var/lib/kioskd" || cfg.Printer.Kind != "serial" || cfg.Printer.Baud != 19200 || cfg.Keypad.Kind != "terminal" {
		t.Fatalf("defaults %+v", cfg)
	}
}

func TestParseErrorsNameKeyAndFile(t *testing.T) {
	edit := func(old, new string) string { return strings.Replace(goodConfig, old, new, 1) }
	cases := []struct {
		name, data, key, msg string
	}{
		{"unknown key", edit(`baud = 19200`, "baud = 19200\nspeed = 3"), "printer.speed", "unknown key"},
		{"wrong type", edit(`baud = 19200`, `baud = "fast"`), "printer.baud", ""},
		{"bad baud", edit(`baud = 19200`, `baud = 12345`), "printer.baud", "12345"},
		{"no device id", edit(`device_id = "sofia-1-k1"`, ``), "device_id", "required"},
		{"bad device id", edit(`device_id = "sofia-1-k1"`, `device_id = "a/b"`), "device_id", "may hold only"},
		{"insecure url", edit(`ssl://hub`, `tcp://hub`), "mqtt.url", "not encrypted"},
		{"bad scheme", edit(`ssl://hub`, `http://hub`), "mqtt.url", "use ssl://"},
		{"bad hub key", edit(`LXxEA3c1Pg2KM0U2V8t0VoW8pTgIuA8G9m4F7cBqzsY=`, `abc`), "hub.public_key", "Ed25519"},
		{"relative file", edit(`/etc/kioskd/ca.pem`, `ca.pem`), "mqtt.ca_file", "absolute"},
		{"printer kind", edit(`kind = "serial"`, `kind = "laser"`), "printer.kind", "laser"},
		{"paper", edit(`paper_mm = 58`, `paper_mm = 60`), "printer.paper_mm", "58 nor 80"},
		{"profile", edit(`profile = "epson"`, `profile = "acme"`), "printer.profile", "acme"},
		{"code page", edit(`code_page = "WPC1251"`, `code_page = "KOI8"`), "printer.code_page", "KOI8"},
		{"model", edit(`profile = "epson"`, `model = "tm-t1000"`), "printer.model", "tm-t88v"},
		{"qr level", edit(`profile = "epson"`, `qr_level = "X"`), "printer.qr_level", "L, M, Q or H"},
		{"matrix pins", edit(`rows = ["GPIO5", "GPIO6", "GPIO13", "GPIO19"]`, `rows = ["GPIO5"]`), "keypad.rows", "4 row pins"},
		{"keypad kind", edit(`kind = "matrix"`, `kind = "mouse"`), "keypad.kind", "mouse"},
		{"lcd address", edit(`address = 0x27`, `address = 0x50`), "display.address", "0x50"},
		{"rom", edit(`rom = "a00"`, `rom = "klingon"`), "display.rom", "klingon"},
		{"display size", edit(`cols = 20`, `cols = 2`), "display.rows", "display size"},
		{"syntax", "device_id = ", "", "line 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("/etc/kioskd/kioskd.toml", []byte(c.data))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, want a ConfigError", err)
			}
			if ce.File != "/etc/kioskd/kioskd.toml" || (c.key != "" && ce.Key != c.key) || !strings.Contains(ce.Msg, c.msg) {
				t.Fatalf("error %q (key %q), want key %q and %q", err, ce.Key, c.key, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "/etc/kioskd/kioskd.toml: ") {
				t.Fatalf("error %q does not start with the file", err)
			}
		})
	}
}

func TestInitKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if _, err := LoadKey(dir); !errors.Is(err, ErrNoKey) {
		t.Fatalf("LoadKey before init: %v", err)
	}
	k1, created, err := InitKey(dir)
	if err != nil || !created {
		t.Fatalf("InitKey: %v %v", created, err)
	}
	fi, _ := os.Stat(filepath.Join(dir, KeyFile))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", fi.Mode().Perm())
	}
	k2, created, err := InitKey(dir)
	if err != nil || created || !k1.Equal(k2) {
		t.Fatal("a second init replaced the key")
	}
	os.Chmod(filepath.Join(dir, KeyFile), 0o644)
	if _, err := LoadKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
}
