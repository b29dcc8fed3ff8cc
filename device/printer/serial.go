package printer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tarm/serial"

	"ticketkiosk/device"
)

// serialPoll is the serial port's read timeout (VTIME): how often the reply reader
// looks up from an idle line. tarm/serial rounds it to tenths of a second.
const serialPoll = 100 * time.Millisecond

// Serial is an ESC/POS printer on a serial line (8N1) through tarm/serial. The
// line has no RTS/CTS flow control, so jobs are written in paced chunks; status is read
// with DLE EOT 1..4 over the same line. When the line fails (a USB-serial adapter
// unplugged) the next call opens the port again.
type Serial struct {
	cfg  Config
	mu   sync.Mutex // one job or status query at a time; guards the fields below
	port *serial.Port
	w    *lineWriter
	pump *pumpLink
	snd  *sender
	halt bool
}

var _ device.Printer = (*Serial)(nil)

// errHalted is returned after Halt.
var errHalted = errors.New("printer halted")

// lineWriter remembers that a write failed, so that the port is opened again.
type lineWriter struct {
	port   *serial.Port
	failed atomic.Bool
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n, err := w.port.Write(p)
	if err != nil {
		w.failed.Store(true)
	}
	return n, err
}

// OpenSerial opens cfg.Path at cfg.Baud, 8N1.
func OpenSerial(cfg Config) (*Serial, error) {
	cfg = cfg.withDefaults()
	if cfg.Path == "" {
		return nil, errors.New("printer: serial: no device path")
	}
	p := &Serial{cfg: cfg}
	if err := p.open(); err != nil {
		return nil, err
	}
	return p, nil
}

// open opens the port and starts its reply reader. The caller holds mu (or owns p).
func (p *Serial) open() error {
	port, err := serial.OpenPort(&serial.Config{Name: p.cfg.Path, Baud: p.cfg.Baud, ReadTimeout: serialPoll})
	if err != nil {
		return fmt.Errorf("printer: serial %s at %d baud: %w", p.cfg.Path, p.cfg.Baud, err)
	}
	p.port = port
	p.w = &lineWriter{port: port}
	p.pump = newPumpLink(port, p.w, serialPoll)
	p.snd = &sender{l: p.pump, timeout: p.cfg.StatusTimeout, chunk: p.cfg.ChunkSize, baud: p.cfg.Baud,
		pace: p.cfg.Pace, cutPause: p.cfg.CutPause, checkEvery: p.cfg.CheckEvery, sleep: sleepCtx}
	return nil
}

func (p *Serial) close() error {
	if p.port == nil {
		return nil
	}
	p.pump.close()
	err := p.port.Close()
	p.port = nil
	return err
}

// line returns the sender, opening the port again when the line failed. The caller
// holds mu.
func (p *Serial) line() (*sender, error) {
	if p.halt {
		return nil, fmt.Errorf("printer: serial %s: %w: %w", p.cfg.Path, device.ErrOffline, errHalted)
	}
	if p.port != nil && !p.w.failed.Load() && !p.pump.ended() {
		return p.snd, nil
	}
	_ = p.close()
	if err := p.open(); err != nil {
		return nil, fmt.Errorf("%w: %w", device.ErrOffline, err)
	}
	p.cfg.Logger.Info("serial printer line opened again", "path", p.cfg.Path)
	return p.snd, nil
}

// Status asks the printer for its state; no answer within the timeout is ErrOffline.
func (p *Serial) Status(ctx context.Context) (device.PrinterStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.line()
	if err != nil {
		return device.PrinterStatus{}, err
	}
	return queryStatus(ctx, s.l, p.cfg.StatusTimeout)
}

// Print writes job in paced chunks, checks the status at command boundaries every
// CheckEvery bytes and at the end, and returns once the printer confirmed it is still
// ready. A printer that stops answering is ErrOffline; one that reports a fault is a
// *StatusError.
func (p *Serial) Print(ctx context.Context, job []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.line()
	if err != nil {
		return err
	}
	return s.send(ctx, job)
}

// Halt closes the port.
func (p *Serial) Halt() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.halt = true
	if err := p.close(); err != nil {
		return fmt.Errorf("printer: serial close: %w", err)
	}
	return nil
}

// String returns e.g. "serial printer /dev/ttyUSB0 9600 8N1".
func (p *Serial) String() string {
	return "serial printer " + p.cfg.Path + " " + strconv.Itoa(p.cfg.Baud) + " 8N1"
}
