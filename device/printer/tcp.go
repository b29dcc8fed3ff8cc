package printer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"ticketkiosk/device"
)

// TCP is an ESC/POS printer on a raw TCP port (9100, "JetDirect"). It dials on
// first use, keeps the connection, reads status replies over it with read deadlines,
// and dials again after a connection error.
type TCP struct {
	cfg  Config
	addr string
	mu   sync.Mutex
	conn net.Conn
	snd  *sender
}

var _ device.Printer = (*TCP)(nil)

// NewTCP returns a printer at cfg.Address (port 9100 when none is given). It
// does not dial yet.
func NewTCP(cfg Config) (*TCP, error) {
	cfg = cfg.withDefaults()
	if cfg.Address == "" {
		return nil, errors.New("printer: tcp: no address")
	}
	addr := cfg.Address
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, DefaultTCPPort)
	}
	return &TCP{cfg: cfg, addr: addr}, nil
}

// connect dials when there is no connection. The caller holds mu.
func (p *TCP) connect(ctx context.Context) (*sender, error) {
	if p.conn != nil {
		return p.snd, nil
	}
	d := net.Dialer{Timeout: p.cfg.DialTimeout}
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("printer: tcp %s: %w: %w", p.addr, device.ErrOffline, err)
	}
	p.conn = c
	p.snd = &sender{l: &deadlineLink{c: c}, timeout: p.cfg.StatusTimeout, checkEvery: p.cfg.CheckEvery, sleep: sleepCtx}
	return p.snd, nil
}

// drop closes the connection after an error, so that the next call dials again.
func (p *TCP) drop() {
	if p.conn != nil {
		_ = p.conn.Close()
		p.conn, p.snd = nil, nil
	}
}

// Status asks the printer for its state; no answer (or no connection) within the
// timeout is ErrOffline.
func (p *TCP) Status(ctx context.Context) (device.PrinterStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.connect(ctx)
	if err != nil {
		return device.PrinterStatus{}, err
	}
	st, err := queryStatus(ctx, s.l, p.cfg.StatusTimeout)
	if err != nil {
		p.drop() // a late reply must not be taken for the next query's
	}
	return st, err
}

// Print writes job (bounded by the context) and confirms the printer is still ready
// after it.
func (p *TCP) Print(ctx context.Context, job []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.connect(ctx)
	if err != nil {
		return err
	}
	c := p.conn
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetWriteDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetWriteDeadline(time.Now()) })
	err = s.send(ctx, job)
	stop()
	_ = c.SetWriteDeadline(time.Time{})
	if err != nil && !errors.Is(err, device.ErrNotReady) {
		p.drop()
	}
	return err
}

// Halt closes the connection.
func (p *TCP) Halt() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop()
	return nil
}

// String returns e.g. "tcp printer 192.0.2.7:9100".
func (p *TCP) String() string { return "tcp printer " + p.addr }
