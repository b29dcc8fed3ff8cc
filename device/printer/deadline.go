package printer

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

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
