package device

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/tarm/serial"

	"ticketkiosk/escpos"
)

// serialPoll is the serial port's read timeout (VTIME): how often the reply reader
// looks up from an idle line. tarm/serial rounds it to tenths of a second.
const serialPoll = 100 * time.Millisecond

// SerialPrinter is an ESC/POS printer on a serial line (8N1) through tarm/serial. The
// line has no RTS/CTS flow control, so jobs are written in paced chunks; status is read
// with DLE EOT 1..4 over the same line.
type SerialPrinter struct {
	cfg  PrinterConfig
	port *serial.Port
	pump *pumpLink
	snd  *sender
	mu   sync.Mutex // one job or status query at a time
}

var _ Printer = (*SerialPrinter)(nil)

// OpenSerialPrinter opens cfg.Path at cfg.Baud, 8N1.
func OpenSerialPrinter(cfg PrinterConfig) (*SerialPrinter, error) {
	cfg = cfg.withDefaults()
	if cfg.Path == "" {
		return nil, errors.New("printer: serial: no device path")
	}
	port, err := serial.OpenPort(&serial.Config{Name: cfg.Path, Baud: cfg.Baud, ReadTimeout: serialPoll})
	if err != nil {
		return nil, fmt.Errorf("printer: serial %s at %d baud: %w", cfg.Path, cfg.Baud, err)
	}
	// A read that timed out returns no bytes (and io.EOF): the line is idle, not closed.
	idle := func(n int, err error) bool { return n == 0 && errors.Is(err, io.EOF) }
	p := &SerialPrinter{cfg: cfg, port: port, pump: newPumpLink(port, port, idle)}
	p.snd = &sender{l: p.pump, timeout: cfg.StatusTimeout, chunk: cfg.ChunkSize, baud: cfg.Baud,
		pace: cfg.Pace, cutPause: cfg.CutPause, checkEvery: cfg.CheckEvery, sleep: sleepCtx}
	return p, nil
}

// Status asks the printer for its state; no answer within the timeout is ErrOffline.
func (p *SerialPrinter) Status(ctx context.Context) (escpos.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return queryStatus(ctx, p.pump, p.cfg.StatusTimeout)
}

// Print writes job in paced chunks, checks the status at command boundaries every
// CheckEvery bytes and at the end, and returns once the printer confirmed it is still
// ready. A printer that stops answering is ErrOffline; one that reports a fault is a
// *StatusError.
func (p *SerialPrinter) Print(ctx context.Context, job []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snd.send(ctx, job)
}

// Halt closes the port.
func (p *SerialPrinter) Halt() error {
	p.pump.close()
	if err := p.port.Close(); err != nil {
		return fmt.Errorf("printer: serial close: %w", err)
	}
	return nil
}

// String returns e.g. "serial printer /dev/ttyUSB0 9600 8N1".
func (p *SerialPrinter) String() string {
	return "serial printer " + p.cfg.Path + " " + strconv.Itoa(p.cfg.Baud) + " 8N1"
}
