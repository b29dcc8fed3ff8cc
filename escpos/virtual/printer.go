package virtual

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"ticketkiosk/escpos"
)

// State is a scripted printer condition for Printer.
type State int

// Scripted states.
const (
	StateReady        State = iota // online, paper present
	StatePaperNearEnd              // prints, reports paper near end
	StatePaperOut                  // offline: paper end
	StateCoverOpen                 // offline: cover open
	StateOffline                   // switched off or unplugged: no reply at all
)

var stateNames = [...]string{"ready", "paper near end", "paper out", "cover open", "offline"}

// String returns the state in words, e.g. "paper out".
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// Status returns the status a printer in state s reports.
func (s State) Status() escpos.Status {
	switch s {
	case StatePaperNearEnd:
		return escpos.Status{Online: true, PaperNearEnd: true}
	case StatePaperOut:
		return escpos.Status{PaperEnd: true, PaperNearEnd: true}
	case StateCoverOpen:
		return escpos.Status{CoverOpen: true}
	case StateOffline:
		return escpos.Status{}
	}
	return escpos.Status{Online: true}
}

// Printer is a scripted ESC/POS printer for tests of printer drivers. Feed it what
// a host writes (Write, or Serve at the far end of a pseudo-terminal or a connection): it
// answers real-time DLE EOT n queries with the status of its scripted state, collects the
// job bytes for Render, and can be told to fail part-way through a job. A printer that
// is offline, or not printing (paper out, cover open), keeps no job bytes. It follows the
// command stream, so it answers only queries that start a command, never 10 04 n bytes
// inside image or QR data. It is safe for concurrent use.
type Printer struct {
	mu        sync.Mutex
	state     State
	status    *escpos.Status // overrides state when set
	failAfter int            // received bytes before failing; < 0: never
	failTo    State
	received  int
	pending   []byte // bytes not yet parsed into a whole command
	job       []byte
	replies   []byte
	queries   int
	asb       byte          // GS a items; 0: automatic status back off
	notify    chan struct{} // replies are waiting (for Serve)
}

// NewPrinter returns a ready printer.
func NewPrinter() *Printer {
	return &Printer{failAfter: -1, notify: make(chan struct{}, 1)}
}

// String describes the printer, e.g. "virtual printer (ready)".
func (v *Printer) String() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.silent() {
		return "virtual printer (offline, silent)"
	}
	return "virtual printer (" + v.current().String() + ")"
}

// SetState scripts the printer's condition from now on.
// With automatic status back enabled (GS a) the printer sends an ASB block when its status
// changes.
func (v *Printer) SetState(s State) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.change(func() { v.state, v.status = s, nil })
}

// SetStatus scripts an exact status (for combinations the States do not name); the
// printer answers queries with it until SetState.
func (v *Printer) SetStatus(s escpos.Status) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.change(func() { v.status = &s })
}

// change applies f and sends an ASB block if that changed what the printer reports.
func (v *Printer) change(f func()) {
	before, silent := v.current(), v.silent()
	f()
	if v.asb != 0 && !v.silent() && (v.current() != before || silent) {
		v.sendASB()
	}
}

func (v *Printer) silent() bool { return v.status == nil && v.state == StateOffline }

func (v *Printer) sendASB() {
	block := escpos.ASB(v.current())
	v.reply(block[:]...)
}

func (v *Printer) reply(p ...byte) {
	v.replies = append(v.replies, p...)
	select {
	case v.notify <- struct{}{}:
	default:
	}
}

// FailAfter makes the printer switch to state s once it has received n more bytes:
// StateOffline stops all answers (a pulled cable), StatePaperOut or StateCoverOpen answer
// with that fault. Bytes after the failure point are not printed.
func (v *Printer) FailAfter(n int, s State) {
	v.mu.Lock()
	v.failAfter, v.failTo = v.received+n, s
	v.mu.Unlock()
}

// Write feeds bytes sent by the host. Replies to status queries are queued for
// ReadReplies (and sent by Serve). It never fails.
func (v *Printer) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	total := len(p)
	for len(p) > 0 {
		chunk := p
		if v.failAfter >= 0 {
			if v.received >= v.failAfter {
				v.fail()
			} else if v.received+len(chunk) > v.failAfter {
				chunk = chunk[:v.failAfter-v.received]
			}
		}
		v.received += len(chunk)
		v.consume(chunk)
		p = p[len(chunk):]
		if v.failAfter >= 0 && v.received >= v.failAfter {
			v.fail()
		}
	}
	return total, nil
}

func (v *Printer) fail() {
	v.failAfter = -1
	v.change(func() { v.state, v.status = v.failTo, nil })
}

// consume parses whole commands, answering queries and keeping job bytes.
func (v *Printer) consume(p []byte) {
	v.pending = append(v.pending, p...)
	off := 0
	for off < len(v.pending) {
		c, err := escpos.ParseOne(v.pending[off:])
		if err != nil { // the command is not complete yet
			if len(v.pending)-off > 1<<24 {
				off = len(v.pending) // an absurd command: drop it rather than hoard it
			}
			break
		}
		n := len(c.Raw)
		if c.Op == escpos.OpStatusQuery {
			v.answer(c.N)
			off += n
			continue
		}
		if c.Op == escpos.OpASB && !v.silent() {
			v.asb = byte(c.N)
			if v.asb != 0 {
				v.sendASB() // enabling ASB sends the status at once
			}
		}
		if v.printing() {
			v.job = append(v.job, c.Raw...)
		}
		off += n
	}
	v.pending = append(v.pending[:0], v.pending[off:]...)
}

func (v *Printer) current() escpos.Status {
	if v.status != nil {
		return *v.status
	}
	return v.state.Status()
}

func (v *Printer) printing() bool {
	if v.state == StateOffline && v.status == nil {
		return false
	}
	return v.current().Ready()
}

func (v *Printer) answer(n int) {
	v.queries++
	if n < 1 || n > 4 || v.silent() {
		return
	}
	v.reply(escpos.StatusByte(v.current(), n))
}

// ReadReplies returns and forgets the reply bytes queued so far.
func (v *Printer) ReadReplies() []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.replies
	v.replies = nil
	return r
}

// Job returns a copy of the job bytes printed so far (status queries left out).
func (v *Printer) Job() []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]byte(nil), v.job...)
}

// Queries returns how many DLE EOT queries the printer has seen.
func (v *Printer) Queries() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.queries
}

// Reset forgets the job, pending bytes and queued replies; the state stays.
func (v *Printer) Reset() {
	v.mu.Lock()
	v.job, v.pending, v.replies = nil, nil, nil
	v.mu.Unlock()
}

// Render prints the job so far on the virtual paper.
func (v *Printer) Render(o RenderOptions) (*Paper, error) {
	return Render(v.Job(), o)
}

// Serve plays the printer over rw (the far end of a pseudo-terminal in raw mode, a TCP
// connection, a pipe): it reads what the host sends and writes the replies back, also
// the ASB blocks that a state change sends on its own, until reading fails. It returns
// nil at io.EOF and the error otherwise (reading a pseudo-terminal's master fails with
// EIO once the terminal side is closed). Serve one connection at a time.
func (v *Printer) Serve(rw io.ReadWriter) error {
	stop := make(chan struct{})
	werr := make(chan error, 1)
	go func() {
		for done := false; !done; {
			select {
			case <-stop:
				done = true // send what is left, then end
			case <-v.notify:
			}
			if r := v.ReadReplies(); len(r) > 0 {
				if _, err := rw.Write(r); err != nil {
					werr <- err
					return
				}
			}
		}
		werr <- nil
	}()
	buf := make([]byte, 4096)
	var err error
	for {
		var n int
		n, err = rw.Read(buf)
		if n > 0 {
			_, _ = v.Write(buf[:n])
		}
		if err != nil {
			break
		}
	}
	close(stop)
	if e := <-werr; e != nil {
		return fmt.Errorf("escpos: virtual printer: %w", e)
	}
	if err == io.EOF {
		return nil
	}
	return fmt.Errorf("escpos: virtual printer: %w", err)
}

// ServeListener plays a network printer (raw TCP, port 9100 style) on ln: it serves one
// connection at a time, as such printers do, until ln is closed (then it returns nil).
// The job accumulates across connections.
func (v *Printer) ServeListener(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("escpos: virtual printer: %w", err)
		}
		_ = v.Serve(c) // a connection's end is not the printer's
		c.Close()
	}
}
