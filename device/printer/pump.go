package printer

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"
)

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
