//go:build !linux

package term

import "golang.org/x/term"

// makeRaw puts the terminal fd in raw mode; the returned function restores the old mode.
func makeRaw(fd int) (func() error, error) {
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	return func() error { return term.Restore(fd, old) }, nil
}
