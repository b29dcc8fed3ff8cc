package store

import (
	"os/signal"
	"syscall"
)

// signalIgnoreXFSZ makes a write past RLIMIT_FSIZE fail with EFBIG instead of killing the
// process, as a full disk fails with ENOSPC.
func signalIgnoreXFSZ() { signal.Ignore(syscall.SIGXFSZ) }
