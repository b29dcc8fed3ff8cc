// Package printer drives ESC/POS printers over serial lines (tarm/serial, paced), Linux USB
// printer devices, TCP port 9100 and a folder of files (the demo): status by DLE EOT with
// the line let settle, jobs sent in blocks at command boundaries and checked during and
// after. Open returns a device.Printer.
package printer

import (
	"fmt"
	"log/slog"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/escpos"
)

// StatusError is device.ErrNotReady with the status the printer reported; Print returns
// it when the printer stops during a job.
type StatusError struct{ Status device.PrinterStatus }

// Error says what the printer reported.
func (e *StatusError) Error() string { return "printer not ready: " + e.Status.String() }

// Unwrap returns device.ErrNotReady.
func (e *StatusError) Unwrap() error { return device.ErrNotReady }

// Kind names a printer connection.
type Kind string

// Printer connections.
const (
	KindSerial Kind = "serial" // RS-232 or USB-serial adapter, tarm/serial
	KindUSB    Kind = "usb"    // Linux USB printer class device, /dev/usb/lp0
	KindTCP    Kind = "tcp"    // raw socket, port 9100
	KindFile   Kind = "file"   // a folder of numbered jobs with renderings (demo)
)

// Defaults of Config.
const (
	DefaultBaud          = 9600
	DefaultStatusTimeout = 2 * time.Second
	DefaultDialTimeout   = 3 * time.Second
	DefaultChunkSize     = 256
	DefaultPace          = 1.25
	DefaultCutPause      = 400 * time.Millisecond
	DefaultCheckEvery    = 4096
	DefaultTCPPort       = "9100"
)

// Config says how to reach a printer; zero fields take the defaults above.
type Config struct {
	Kind    Kind
	Path    string // serial device, USB printer device, or the file printer's folder
	Address string // tcp: host or host:port (port 9100 when missing)
	Baud    int    // serial: line speed, 8N1
	// Profile is the printer model; the file printer renders with it.
	Profile escpos.Profile
	// StatusTimeout bounds a status query when the context has no earlier deadline; a
	// printer that has not answered by then is offline.
	StatusTimeout time.Duration
	DialTimeout   time.Duration // tcp
	// ChunkSize (serial) is the most bytes written at once. After each chunk the writer
	// pauses for the chunk's time on the wire times Pace (>= 1), and for CutPause after a
	// cut, so that without RTS/CTS a long job cannot overrun the printer's buffer.
	ChunkSize int
	Pace      float64
	CutPause  time.Duration
	// CheckEvery is how many job bytes may be sent between status checks during a job
	// (always at a command boundary, and always once at the end); negative: only at the end.
	CheckEvery int
	// NamedJobs (file printer) names a job's files after the name its context carries
	// (device.WithJobName: the kiosk names a sale's tickets sale-0001, a reprint
	// sale-0001-copy1); a job without one, or with a name that is not a plain file name, is
	// numbered as always.
	NamedJobs bool
	Logger    *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Baud == 0 {
		c.Baud = DefaultBaud
	}
	if c.StatusTimeout <= 0 {
		c.StatusTimeout = DefaultStatusTimeout
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.ChunkSize <= 0 {
		c.ChunkSize = DefaultChunkSize
	}
	if c.Pace < 1 {
		c.Pace = DefaultPace
	}
	if c.CutPause == 0 {
		c.CutPause = DefaultCutPause
	}
	if c.CheckEvery == 0 {
		c.CheckEvery = DefaultCheckEvery
	}
	if c.Profile.CodePages == nil {
		c.Profile = escpos.Epson
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Open opens the printer the config describes.
func Open(cfg Config) (device.Printer, error) {
	switch cfg.Kind {
	case KindSerial:
		return OpenSerial(cfg)
	case KindUSB:
		return OpenUSB(cfg)
	case KindTCP:
		return NewTCP(cfg)
	case KindFile:
		return NewFile(cfg)
	}
	return nil, fmt.Errorf("printer: unknown kind %q (serial, usb, tcp or file)", cfg.Kind)
}
