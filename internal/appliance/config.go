// Package appliance runs a kiosk: it loads kioskd's TOML configuration, keeps the device's
// identity key, and wires the store, the kiosk core and its screen flow, the layout, the
// printer, keypad and display, and the MQTT device engine into one main loop. cmd/kioskd
// opens the hardware and calls it; `kioskctl demo` runs it with the terminal and a file
// printer.
package appliance

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"ticketkiosk/catalog"
	"ticketkiosk/device/hd44780"
	"ticketkiosk/escpos"
	"ticketkiosk/layout"
	"ticketkiosk/mqtt"
)

// DefaultConfigPath is where kioskd looks for its configuration.
const DefaultConfigPath = "/etc/kioskd/kioskd.toml"

// Config is kioskd.toml (DESIGN.md, "Device configuration", a contract).
type Config struct {
	DeviceID string `toml:"device_id"`
	StateDir string `toml:"state_dir"`
	LogLevel string `toml:"log_level"`

	MQTT    MQTTConfig    `toml:"mqtt"`
	Hub     HubConfig     `toml:"hub"`
	Printer PrinterConfig `toml:"printer"`
	Keypad  KeypadConfig  `toml:"keypad"`
	Display DisplayConfig `toml:"display"`

	path string
}

// MQTTConfig is the [mqtt] table.
type MQTTConfig struct {
	URL           string `toml:"url"`
	Username      string `toml:"username"`
	PasswordFile  string `toml:"password_file"`
	CAFile        string `toml:"ca_file"`
	CertFile      string `toml:"cert_file"`
	KeyFile       string `toml:"key_file"`
	Prefix        string `toml:"prefix"`
	AllowInsecure bool   `toml:"allow_insecure"`
}

// HubConfig is the [hub] table.
type HubConfig struct {
	PublicKey string `toml:"public_key"` // Ed25519, base64 or hex
}

// PrinterConfig is the [printer] table.
type PrinterConfig struct {
	Kind           string `toml:"kind"`    // serial | usb | tcp | file | none
	Path           string `toml:"path"`    // serial or USB device, or the file printer's folder
	Address        string `toml:"address"` // tcp host:port
	Baud           int    `toml:"baud"`
	PaperMM        int    `toml:"paper_mm"` // 58 or 80
	Dots           int    `toml:"dots"`     // overrides paper_mm
	Model          string `toml:"model"`    // a model of the capability database (escpos.Models); wins over profile
	Profile        string `toml:"profile"`  // epson | clone | rongta, when model is not set
	CodePage       string `toml:"code_page"`
	CodePageNumber *int   `toml:"code_page_number"` // the vendor's ESC t number for code_page
	Cutter         *bool  `toml:"cutter"`
	RasterQR       bool   `toml:"raster_qr"`
	QRLevel        string `toml:"qr_level"` // L, M (default), Q or H
}

// KeypadConfig is the [keypad] table.
type KeypadConfig struct {
	Kind   string   `toml:"kind"` // matrix | input | terminal
	Rows   []string `toml:"rows"` // matrix: row pin names, driven
	Cols   []string `toml:"cols"` // matrix: column pin names, pulled up
	Device string   `toml:"device"`
	Grab   *bool    `toml:"grab"`
}

// DisplayConfig is the [display] table.
type DisplayConfig struct {
	Kind    string `toml:"kind"` // hd44780 | terminal
	I2CBus  string `toml:"i2c_bus"`
	Address int    `toml:"address"`
	Rows    int    `toml:"rows"`
	Cols    int    `toml:"cols"`
	ROM     string `toml:"rom"`
}

// Defaults returns a configuration with every default set.
func Defaults() Config {
	return Config{
		StateDir: "/var/lib/kioskd",
		LogLevel: "info",
		MQTT:     MQTTConfig{Prefix: "tickets/v1"},
		Printer:  PrinterConfig{Kind: "serial", Path: "/dev/ttyUSB0", Baud: 19200, PaperMM: 80, Profile: "epson"},
		Keypad:   KeypadConfig{Kind: "terminal"},
		Display:  DisplayConfig{Kind: "terminal", I2CBus: "1", Address: 0x27, Rows: 4, Cols: 20, ROM: "a00"},
	}
}

// Path returns the file the configuration was read from.
func (c *Config) Path() string { return c.path }

// ConfigError is a problem with one key of a configuration file.
type ConfigError struct {
	File string
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Key == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Key + ": " + e.Msg
}

// Load reads the configuration file at path over the defaults and checks it. Every error
// names the file and the key.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a configuration from data (path names it in errors).
func Parse(path string, data []byte) (*Config, error) {
	cfg := Defaults()
	dec := toml.NewDecoder(strings.NewReader(string(data))).DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) && len(strict.Errors) > 0 {
			e := strict.Errors[0]
			return nil, &ConfigError{File: path, Key: strings.Join(e.Key(), "."), Msg: "unknown key"}
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, &ConfigError{File: path, Key: strings.Join(de.Key(), "."), Msg: fmt.Sprintf("line %d column %d: %s", row, col, de.Error())}
		}
		return nil, &ConfigError{File: path, Msg: err.Error()}
	}
	cfg.path = path
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// Check validates the configuration.
func (c *Config) Check() error {
	bad := func(key, format string, args ...any) error {
		return &ConfigError{File: c.path, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	if c.DeviceID == "" {
		return bad("device_id", "is required (kioskd init prints the device's public key; the organiser registers the device under this id)")
	}
	for _, r := range c.DeviceID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return bad("device_id", "%q may hold only letters, digits, '-', '_' and '.'", c.DeviceID)
		}
	}
	if c.StateDir == "" {
		return bad("state_dir", "is empty")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("log_level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	if c.MQTT.URL != "" {
		u := strings.ToLower(c.MQTT.URL)
		secure := strings.HasPrefix(u, "ssl://") || strings.HasPrefix(u, "tls://") || strings.HasPrefix(u, "mqtts://") || strings.HasPrefix(u, "wss://")
		plain := strings.HasPrefix(u, "tcp://") || strings.HasPrefix(u, "mqtt://") || strings.HasPrefix(u, "ws://")
		switch {
		case !secure && !plain:
			return bad("mqtt.url", "%q: use ssl://host:8883 (or tcp:// with allow_insecure)", c.MQTT.URL)
		case plain && !c.MQTT.AllowInsecure:
			return bad("mqtt.url", "%q is not encrypted; use ssl:// or set mqtt.allow_insecure = true", c.MQTT.URL)
		}
		if _, err := c.HubKey(); err != nil {
			return bad("hub.public_key", "%v", err)
		}
	}
	for key, f := range map[string]string{"mqtt.password_file": c.MQTT.PasswordFile, "mqtt.ca_file": c.MQTT.CAFile, "mqtt.cert_file": c.MQTT.CertFile, "mqtt.key_file": c.MQTT.KeyFile} {
		if f != "" && !filepath.IsAbs(f) {
			return bad(key, "%q must be an absolute path", f)
		}
	}
	if (c.MQTT.CertFile == "") != (c.MQTT.KeyFile == "") {
		return bad("mqtt.cert_file", "cert_file and key_file go together")
	}
	p := &c.Printer
	switch p.Kind {
	case "serial", "usb":
		if p.Path == "" {
			return bad("printer.path", "is required for a %s printer", p.Kind)
		}
	case "tcp":
		if p.Address == "" {
			return bad("printer.address", "is required for a tcp printer (host or host:9100)")
		}
	case "file":
		if p.Path == "" {
			return bad("printer.path", "is required for a file printer (a folder)")
		}
	case "none":
	default:
		return bad("printer.kind", "%q is not serial, usb, tcp, file or none", p.Kind)
	}
	if p.Kind == "serial" {
		switch p.Baud {
		case 9600, 19200, 38400, 57600, 115200:
		default:
			return bad("printer.baud", "%d is not 9600, 19200, 38400, 57600 or 115200", p.Baud)
		}
	}
	if p.Dots == 0 && p.Model == "" { // a model knows its width
		switch p.PaperMM {
		case 58:
			p.Dots = 384
		case 80:
			p.Dots = 576
		default:
			return bad("printer.paper_mm", "%d is neither 58 nor 80 (or set printer.dots)", p.PaperMM)
		}
	} else if p.Dots != 0 && (p.Dots < 192 || p.Dots > 832 || p.Dots%8 != 0) {
		return bad("printer.dots", "%d is not a multiple of 8 between 192 and 832", p.Dots)
	}
	if _, err := c.PrinterProfile(); err != nil {
		if p.Model != "" {
			return bad("printer.model", "%v (one of %s)", err, strings.Join(escpos.ProfileNames(), ", "))
		}
		return bad("printer.profile", "%v", err)
	}
	if _, err := c.QRLevel(); err != nil {
		return bad("printer.qr_level", "%v", err)
	}
	if p.CodePage != "" && !contains(escpos.CodePageNames(), p.CodePage) {
		return bad("printer.code_page", "%q is not one of %s", p.CodePage, strings.Join(escpos.CodePageNames(), ", "))
	}
	if p.CodePageNumber != nil && (p.CodePage == "" || *p.CodePageNumber < 0 || *p.CodePageNumber > 255) {
		return bad("printer.code_page_number", "needs printer.code_page and a number 0-255")
	}
	switch c.Keypad.Kind {
	case "matrix":
		if len(c.Keypad.Rows) != 4 || (len(c.Keypad.Cols) != 4 && len(c.Keypad.Cols) != 3) {
			return bad("keypad.rows", "a matrix keypad needs 4 row pins and 3 or 4 column pins")
		}
	case "input":
		if c.Keypad.Device == "" {
			return bad("keypad.device", "is required for an input keypad (e.g. /dev/input/by-id/...-event-kbd)")
		}
	case "terminal":
	default:
		return bad("keypad.kind", "%q is not matrix, input or terminal", c.Keypad.Kind)
	}
	d := &c.Display
	switch d.Kind {
	case "hd44780":
		if d.Address != 0x27 && d.Address != 0x3F && (d.Address < 0x20 || d.Address > 0x3F) {
			return bad("display.address", "0x%02x is not a PCF8574 address (0x20-0x27, 0x38-0x3F)", d.Address)
		}
		if _, err := hd44780.ParseROM(d.ROM); err != nil {
			return bad("display.rom", "%v", err)
		}
	case "terminal":
	default:
		return bad("display.kind", "%q is not hd44780 or terminal", d.Kind)
	}
	if d.Rows < 1 || d.Rows > 8 || d.Cols < 8 || d.Cols > 80 {
		return bad("display.rows", "%d×%d is not a display size (2×16, 4×20, ...)", d.Rows, d.Cols)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Layout returns the ticket and report layout for the [printer] table.
func (c *Config) Layout() (*layout.Layout, error) {
	prof, err := c.PrinterProfile()
	if err != nil {
		return nil, err
	}
	level, err := c.QRLevel()
	if err != nil {
		return nil, err
	}
	return layout.New(layout.Options{Profile: prof, CodePage: c.Printer.CodePage,
		RasterQR: c.Printer.RasterQR, QRLevel: &level}), nil
}

// QRLevel returns the tickets' QR error correction level from [printer] qr_level
// (M when not set).
func (c *Config) QRLevel() (escpos.QRLevel, error) {
	if c.Printer.QRLevel == "" {
		return escpos.QRLevelM, nil
	}
	return escpos.ParseQRLevel(c.Printer.QRLevel)
}

// PrinterProfile returns the escpos profile the [printer] table describes: the model's
// entry (or the generic profile), with dots, code_page_number and cutter as overrides.
func (c *Config) PrinterProfile() (escpos.Profile, error) {
	p := &c.Printer
	name := p.Profile
	if p.Model != "" {
		name = p.Model
	}
	prof, err := escpos.LookupProfile(name, p.Dots)
	if err != nil {
		return prof, err
	}
	if p.CodePage != "" && p.CodePageNumber != nil {
		if prof, err = prof.WithCodePage(p.CodePage, byte(*p.CodePageNumber)); err != nil {
			return prof, err
		}
	}
	if p.Cutter != nil {
		prof.Cutter = *p.Cutter
	}
	return prof, nil
}

// MQTTOptions are the [mqtt] section as the mqtt package takes it.
func (c *Config) MQTTOptions() mqtt.Options {
	m := c.MQTT
	return mqtt.Options{URL: m.URL, Username: m.Username, PasswordFile: m.PasswordFile,
		CAFile: m.CAFile, CertFile: m.CertFile, KeyFile: m.KeyFile,
		AllowInsecure: m.AllowInsecure, Prefix: m.Prefix}
}

// HubKey decodes hub.public_key.
func (c *Config) HubKey() (ed25519.PublicKey, error) {
	return catalog.ParsePublicKey(c.Hub.PublicKey)
}
