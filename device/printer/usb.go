package printer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"ticketkiosk/device"
)

// USB is an ESC/POS printer on the Linux USB printer class device (usblp,
// /dev/usb/lp0). Jobs are written whole (USB has its own flow control); status replies
// come back on the bulk-in endpoint of a bidirectional printer and are read with a read
// deadline where the device can poll (usblp can), else by a reader goroutine with a
// timeout. A unidirectional printer never answers, so it is always offline here.
type USB struct {
	cfg  Config
	f    *os.File
	l    link
	pump *pumpLink // when the device has no read deadlines
	snd  *sender
	mu   sync.Mutex
}

var _ device.Printer = (*USB)(nil)

// OpenUSB opens cfg.Path read-write.
func OpenUSB(cfg Config) (*USB, error) {
	return openUSB(cfg, false)
}

// openUSB opens the device; noDeadline forces the reader goroutine (for tests).
func openUSB(cfg Config, noDeadline bool) (*USB, error) {
	cfg = cfg.withDefaults()
	if cfg.Path == "" {
		return nil, errors.New("printer: usb: no device path")
	}
	f, err := os.OpenFile(cfg.Path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("printer: usb: %w", err)
	}
	p := &USB{cfg: cfg, f: f}
	if err := f.SetReadDeadline(time.Time{}); err != nil || noDeadline {
		p.pump = newPumpLink(f, f, 0)
		p.l = p.pump
	} else {
		p.l = &deadlineLink{c: f}
	}
	p.snd = &sender{l: p.l, timeout: cfg.StatusTimeout, checkEvery: cfg.CheckEvery, sleep: sleepCtx}
	return p, nil
}

// Status asks the printer for its state; no answer within the timeout is ErrOffline.
func (p *USB) Status(ctx context.Context) (device.PrinterStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return queryStatus(ctx, p.l, p.cfg.StatusTimeout)
}

// Print writes job (bounded by the context's deadline where the device supports write
// deadlines: usblp blocks a writer while the printer is out of paper) and confirms the
// printer is still ready after it.
func (p *USB) Print(ctx context.Context, job []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d, ok := ctx.Deadline(); ok {
		if err := p.f.SetWriteDeadline(d); err == nil {
			defer p.f.SetWriteDeadline(time.Time{})
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = p.f.SetWriteDeadline(time.Now()) })
	defer stop()
	return p.snd.send(ctx, job)
}

// Halt closes the device.
func (p *USB) Halt() error {
	if p.pump != nil {
		p.pump.close()
	}
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("printer: usb close: %w", err)
	}
	return nil
}

// String returns e.g. "usb printer /dev/usb/lp0".
func (p *USB) String() string { return "usb printer " + p.cfg.Path }
