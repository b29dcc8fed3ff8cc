package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/escpos"
)

// StatusError is device.ErrNotReady with the status the printer reported; Print returns
// it when the printer stops during a job.
type StatusError struct{ Status device.PrinterStatus }

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
	Logger     *slog.Logger
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

// errNoAnswer is a read that timed out.
var errNoAnswer = errors.New("no answer")

// link is a two-way byte channel to a printer whose reads are bounded in time.
type link interface {
	io.Writer
	// readByte returns the next byte the printer sent, errNoAnswer when none comes
	// before deadline, ctx.Err() when ctx ends first, or the connection's error.
	readByte(ctx context.Context, deadline time.Time) (byte, error)
	// settle drops what the printer sent and nobody read (late replies, replies to
	// DLE EOT strings inside image data, ASB blocks) until it has been quiet for quiet,
	// waiting at most settleRounds times that.
	settle(quiet time.Duration)
	// late reports whether a byte that looks like a status reply arrives within wait.
	late(wait time.Duration) bool
}

// Every DLE EOT reply has bits 1 and 4 set and bits 0 and 7 clear (ESC/POS reference,
// "identification of send status"); ASB and GS I replies differ in these bits.
const (
	replyMask = 0x93
	replyBits = 0x12
)

func looksLikeReply(b byte) bool { return b&replyMask == replyBits }

// Settling: before a status query the line must be quiet for settleQuiet; after the
// fourth reply, a further reply within settleQuiet means the answers were out of step
// (a reply to an earlier query came late) and the query is asked again.
const (
	settleQuiet  = 10 * time.Millisecond
	settleRounds = 10
)

// maxNoise is how many bytes that are not a status reply a status query skips (an ASB
// block, line noise, a late reply) before it gives up.
const maxNoise = 64

// queryStatus asks DLE EOT 1, 2, 3 and 4 in turn and parses the replies. A reply byte
// must have the fixed bits of a DLE EOT reply; other bytes are skipped. No reply before
// the deadline (the context's or now+timeout, whichever is first) is ErrOffline.
//
// A reply that comes after its query timed out would be taken for the next query's, so
// the line is first let settle, and a status whose replies turn out to have been out of
// step is asked once more after a longer settle.
func queryStatus(ctx context.Context, l link, timeout time.Duration) (device.PrinterStatus, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var st device.PrinterStatus
	for attempt := 1; ; attempt++ {
		l.settle(time.Duration(attempt) * settleQuiet)
		st = device.PrinterStatus{}
		for n := 1; n <= 4; n++ {
			if _, err := l.Write(escpos.StatusQuery(n)); err != nil {
				return device.PrinterStatus{}, fmt.Errorf("printer: status query: %w: %w", device.ErrOffline, err)
			}
			if err := readReply(ctx, l, deadline, n, &st); err != nil {
				return device.PrinterStatus{}, err
			}
		}
		if attempt == 3 || !l.late(settleQuiet) {
			return st, nil
		}
	}
}

// readReply reads the reply to DLE EOT n into st, skipping bytes that cannot be one.
func readReply(ctx context.Context, l link, deadline time.Time, n int, st *device.PrinterStatus) error {
	for skipped := 0; ; skipped++ {
		if skipped > maxNoise {
			return fmt.Errorf("printer: DLE EOT %d: %d bytes that are no status reply: %w", n, skipped, device.ErrOffline)
		}
		b, err := l.readByte(ctx, deadline)
		switch {
		case errors.Is(err, errNoAnswer) || errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("printer: DLE EOT %d: %w", n, device.ErrOffline)
		case ctx.Err() != nil:
			return fmt.Errorf("printer: DLE EOT %d: %w", n, ctx.Err())
		case err != nil:
			return fmt.Errorf("printer: DLE EOT %d: %w: %w", n, device.ErrOffline, err)
		}
		if escpos.ParseStatusByte(st, n, b) == nil {
			return nil
		}
	}
}

// sender writes jobs over a link: in chunks, paced when the link has a baud rate, with
// status checks at command boundaries during the job and once at the end.
type sender struct {
	l          link
	timeout    time.Duration // status
	chunk      int           // 0: write each block whole
	baud       int           // 0: no pacing
	pace       float64
	cutPause   time.Duration
	checkEvery int
	sleep      func(ctx context.Context, d time.Duration) error
}

// wireTime is how long n bytes take on a serial line at baud (8N1: 10 bits a byte).
func wireTime(n, baud int) time.Duration {
	if baud <= 0 {
		return 0
	}
	return time.Duration(int64(n) * 10 * int64(time.Second) / int64(baud))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// block is a run of whole commands; cut says it ends with a cut.
type block struct {
	data []byte
	cut  bool
}

// blocks splits a job at command boundaries into runs of about max bytes (a single
// command may be longer), marking the runs that end with a cut. A job that does not
// parse to the end keeps its unparsed tail as one block.
func blocks(job []byte, max int) []block {
	cmds, _ := escpos.Parse(job)
	var out []block
	start, end := 0, 0
	for _, c := range cmds {
		end = c.Offset + len(c.Raw)
		isCut := c.Op == escpos.OpCut
		if isCut || end-start >= max {
			out = append(out, block{data: job[start:end], cut: isCut})
			start = end
		}
	}
	if start < len(job) {
		out = append(out, block{data: job[start:]})
	}
	return out
}

// send writes job and confirms the printer is still ready after it.
func (s *sender) send(ctx context.Context, job []byte) error {
	every := s.checkEvery
	if every <= 0 {
		every = len(job) + 1
	}
	sinceCheck := 0
	for _, b := range blocks(job, every) {
		if err := s.write(ctx, b.data); err != nil {
			return err
		}
		if b.cut && s.baud > 0 {
			if err := s.sleep(ctx, s.cutPause); err != nil {
				return err
			}
		}
		sinceCheck += len(b.data)
		if sinceCheck >= every {
			sinceCheck = 0
			if err := s.check(ctx); err != nil {
				return err
			}
		}
	}
	return s.check(ctx)
}

// write sends p in chunks, pausing after each for its time on the wire.
func (s *sender) write(ctx context.Context, p []byte) error {
	for len(p) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("printer: job: %w", err)
		}
		n := len(p)
		if s.chunk > 0 {
			n = min(n, s.chunk)
		}
		if _, err := s.l.Write(p[:n]); err != nil {
			return fmt.Errorf("printer: write: %w: %w", device.ErrOffline, err)
		}
		p = p[n:]
		if s.baud > 0 {
			pause := time.Duration(float64(wireTime(n, s.baud)) * s.pace)
			if err := s.sleep(ctx, pause); err != nil {
				return fmt.Errorf("printer: job: %w", err)
			}
		}
	}
	return nil
}

func (s *sender) check(ctx context.Context) error {
	st, err := queryStatus(ctx, s.l, s.timeout)
	if err != nil {
		return err
	}
	if !st.Ready() {
		return &StatusError{Status: st}
	}
	return nil
}

// deadlineConn is a connection whose reads take a deadline: a net.Conn, or an os.File
// on a pollable device.
type deadlineConn interface {
	io.ReadWriter
	SetReadDeadline(t time.Time) error
}

// deadlineLink reads replies with read deadlines.
type deadlineLink struct {
	c   deadlineConn
	buf [64]byte
	r   []byte // read, not yet returned
}

func (d *deadlineLink) Write(p []byte) (int, error) { return d.c.Write(p) }

func (d *deadlineLink) readByte(ctx context.Context, deadline time.Time) (byte, error) {
	if len(d.r) > 0 {
		b := d.r[0]
		d.r = d.r[1:]
		return b, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := d.c.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { _ = d.c.SetReadDeadline(time.Now()) })
	n, err := d.c.Read(d.buf[:])
	stop()
	if n > 0 {
		d.r = d.buf[1:n]
		return d.buf[0], nil
	}
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, errNoAnswer
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return 0, err
}

func (d *deadlineLink) settle(quiet time.Duration) {
	d.r = nil
	for range settleRounds {
		if d.c.SetReadDeadline(time.Now().Add(quiet)) != nil {
			return
		}
		if n, err := d.c.Read(d.buf[:]); n == 0 || err != nil {
			return // quiet (or broken: the query will tell)
		}
	}
}

func (d *deadlineLink) late(wait time.Duration) bool {
	for _, b := range d.r {
		if looksLikeReply(b) {
			return true
		}
	}
	d.r = nil
	if d.c.SetReadDeadline(time.Now().Add(wait)) != nil {
		return false
	}
	for {
		n, err := d.c.Read(d.buf[:])
		for _, b := range d.buf[:n] {
			if looksLikeReply(b) {
				return true
			}
		}
		if n == 0 || err != nil {
			return false
		}
	}
}

// pumpLink reads replies in a goroutine, for connections without read deadlines: the
// serial port (whose reads return after its VTIME timeout) and devices that cannot poll.
type pumpLink struct {
	w    io.Writer
	ch   chan byte
	done chan struct{} // closed when the reader ends
	mu   sync.Mutex
	err  error // why the reader ended
	stop chan struct{}
	once sync.Once
}

// errHungUp ends a serial reply reader whose empty reads come back at once instead of
// after the read timeout: the line has hung up (a USB-serial adapter unplugged).
var errHungUp = errors.New("serial line hung up")

// newPumpLink starts reading r. With poll > 0, r is a serial port whose reads return no
// bytes (and io.EOF) after poll when the line is idle; other errors end the reader.
func newPumpLink(r io.Reader, w io.Writer, poll time.Duration) *pumpLink {
	p := &pumpLink{w: w, ch: make(chan byte, 512), done: make(chan struct{}), stop: make(chan struct{})}
	go p.run(r, poll)
	return p
}

func (p *pumpLink) run(r io.Reader, poll time.Duration) {
	defer close(p.done)
	buf := make([]byte, 256)
	fast := 0 // empty reads in a row that did not wait for the timeout
	for {
		start := time.Now()
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			select {
			case p.ch <- b:
			default: // nobody asked: a stray byte, dropped
			}
		}
		select {
		case <-p.stop:
			p.setErr(os.ErrClosed)
			return
		default:
		}
		if err == nil {
			fast = 0
			continue
		}
		if poll <= 0 || n > 0 || !errors.Is(err, io.EOF) {
			p.setErr(err)
			return
		}
		if time.Since(start) >= poll/2 {
			fast = 0
		} else if fast++; fast >= 3 {
			p.setErr(errHungUp)
			return
		}
	}
}

// ended reports whether the reader has stopped (closed, or the line failed).
func (p *pumpLink) ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *pumpLink) setErr(err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
}

// close tells the reader to stop after its current read.
func (p *pumpLink) close() { p.once.Do(func() { close(p.stop) }) }

func (p *pumpLink) Write(b []byte) (int, error) { return p.w.Write(b) }

func (p *pumpLink) readByte(ctx context.Context, deadline time.Time) (byte, error) {
	select {
	case b := <-p.ch:
		return b, nil
	default:
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case b := <-p.ch:
		return b, nil
	case <-p.done:
		select {
		case b := <-p.ch:
			return b, nil
		default:
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		return 0, p.err
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-t.C:
		return 0, errNoAnswer
	}
}

func (p *pumpLink) settle(quiet time.Duration) {
	end := time.Now().Add(settleRounds * quiet)
	t := time.NewTimer(quiet)
	defer t.Stop()
	for {
		select {
		case <-p.ch:
			if time.Now().After(end) {
				return
			}
			t.Reset(quiet) // not quiet yet
		case <-p.done:
			return
		case <-t.C:
			return
		}
	}
}

func (p *pumpLink) late(wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case b := <-p.ch:
			if looksLikeReply(b) {
				return true
			}
		case <-p.done:
			return false
		case <-t.C:
			return false
		}
	}
}
