package term

import (
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// makeRaw puts the terminal fd in raw mode but keeps signals (Ctrl-C interrupts the
// daemon as usual) and output processing ("\n" still starts a new line, so log lines on
// the same terminal do not staircase). The returned function restores the old mode.
func makeRaw(fd int) (func() error, error) {
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	restore := func() error { return term.Restore(fd, old) }
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		_ = restore()
		return nil, err
	}
	t.Lflag |= unix.ISIG
	t.Oflag |= unix.OPOST | unix.ONLCR
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		_ = restore()
		return nil, err
	}
	return restore, nil
}
