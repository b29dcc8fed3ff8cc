package printer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/escpos"
)

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
