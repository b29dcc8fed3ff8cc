package escpos

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// State is a scripted printer condition for VirtualPrinter.
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
func (s State) Status() Status {
	switch s {
	case StatePaperNearEnd:
		return Status{Online: true, PaperNearEnd: true}
	case StatePaperOut:
		return Status{PaperEnd: true, PaperNearEnd: true}
	case StateCoverOpen:
		return Status{CoverOpen: true}
	case StateOffline:
		return Status{}
	}
	return Status{Online: true}
}

// VirtualPrinter is a scripted ESC/POS printer for tests of printer drivers. Feed it what
// a host writes (Write, or Serve at the far end of a pseudo-terminal or a connection): it
// answers real-time DLE EOT n queries with the status of its scripted state, collects the
// job bytes for Render, and can be told to fail part-way through a job. A printer that
// is offline, or not printing (paper out, cover open), keeps no job bytes. It is safe for
// concurrent use.
type VirtualPrinter struct {
	mu        sync.Mutex
	state     State
	status    *Status // overrides state when set
	failAfter int     // received bytes before failing; < 0: never
	failTo    State
	received  int
	pending   []byte // bytes not yet parsed into a whole command
	job       []byte
	replies   []byte
	queries   int
}

// NewVirtualPrinter returns a ready printer.
func NewVirtualPrinter() *VirtualPrinter {
	return &VirtualPrinter{failAfter: -1}
}

// String describes the printer, e.g. "virtual printer (ready)".
func (v *VirtualPrinter) String() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return "virtual printer (" + v.state.String() + ")"
}

// SetState scripts the printer's condition from now on.
func (v *VirtualPrinter) SetState(s State) {
	v.mu.Lock()
	v.state, v.status = s, nil
	v.mu.Unlock()
}

// SetStatus scripts an exact status (for combinations the States do not name); the
// printer answers queries with it until SetState.
func (v *VirtualPrinter) SetStatus(s Status) {
	v.mu.Lock()
	v.status = &s
	v.mu.Unlock()
}

// FailAfter makes the printer switch to state s once it has received n more bytes:
// StateOffline stops all answers (a pulled cable), StatePaperOut or StateCoverOpen answer
// with that fault. Bytes after the failure point are not printed.
func (v *VirtualPrinter) FailAfter(n int, s State) {
	v.mu.Lock()
	v.failAfter, v.failTo = v.received+n, s
	v.mu.Unlock()
}

// Write feeds bytes sent by the host. Replies to status queries are queued for
// ReadReplies (and sent by Serve). It never fails.
func (v *VirtualPrinter) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	total := len(p)
	for len(p) > 0 {
		chunk := p
		if v.failAfter >= 0 {
			if v.received >= v.failAfter {
				v.state, v.status, v.failAfter = v.failTo, nil, -1
			} else if v.received+len(chunk) > v.failAfter {
				chunk = chunk[:v.failAfter-v.received]
			}
		}
		v.received += len(chunk)
		v.consume(chunk)
		p = p[len(chunk):]
		if v.failAfter >= 0 && v.received >= v.failAfter {
			v.state, v.status, v.failAfter = v.failTo, nil, -1
		}
	}
	return total, nil
}

// consume parses whole commands, answering queries and keeping job bytes.
func (v *VirtualPrinter) consume(p []byte) {
	v.pending = append(v.pending, p...)
	off := 0
	for off < len(v.pending) {
		c, err := next(v.pending[off:])
		if errors.Is(err, ErrTruncated) {
			if len(v.pending)-off > 1<<24 {
				off = len(v.pending) // an absurd command: drop it rather than hoard it
			}
			break
		}
		n := len(c.Raw)
		if c.Op == OpStatusQuery {
			v.answer(c.N)
		} else if v.printing() {
			v.job = append(v.job, c.Raw...)
		}
		off += n
	}
	v.pending = append(v.pending[:0], v.pending[off:]...)
}

func (v *VirtualPrinter) current() Status {
	if v.status != nil {
		return *v.status
	}
	return v.state.Status()
}

func (v *VirtualPrinter) printing() bool {
	if v.state == StateOffline && v.status == nil {
		return false
	}
	return v.current().Ready()
}

func (v *VirtualPrinter) answer(n int) {
	v.queries++
	if n < 1 || n > 4 || (v.status == nil && v.state == StateOffline) {
		return
	}
	v.replies = append(v.replies, v.current().StatusByte(n))
}

// ReadReplies returns and forgets the reply bytes queued so far.
func (v *VirtualPrinter) ReadReplies() []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.replies
	v.replies = nil
	return r
}

// Job returns a copy of the job bytes printed so far (status queries left out).
func (v *VirtualPrinter) Job() []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]byte(nil), v.job...)
}

// Queries returns how many DLE EOT queries the printer has seen.
func (v *VirtualPrinter) Queries() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.queries
}

// Reset forgets the job, pending bytes and queued replies; the state stays.
func (v *VirtualPrinter) Reset() {
	v.mu.Lock()
	v.job, v.pending, v.replies = nil, nil, nil
	v.mu.Unlock()
}

// Render prints the job so far on the virtual paper.
func (v *VirtualPrinter) Render(o RenderOptions) (*Paper, error) {
	return Render(v.Job(), o)
}

// Serve plays the printer over rw (the far end of a pseudo-terminal in raw mode, a TCP
// connection, a pipe): it reads what the host sends and writes the replies back, until
// reading fails. It returns nil at io.EOF and the error otherwise.
func (v *VirtualPrinter) Serve(rw io.ReadWriter) error {
	buf := make([]byte, 4096)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			_, _ = v.Write(buf[:n])
			if r := v.ReadReplies(); len(r) > 0 {
				if _, werr := rw.Write(r); werr != nil {
					return fmt.Errorf("escpos: virtual printer: %w", werr)
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("escpos: virtual printer: %w", err)
		}
	}
}
