package printer

import (
	"context"
	"fmt"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/escpos"
)

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
