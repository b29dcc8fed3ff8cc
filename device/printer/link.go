package printer

import (
	"context"
	"errors"
	"io"
	"time"
)

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
