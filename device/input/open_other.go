//go:build !linux

package input

import (
	"errors"
	"os"
)

// Open is only available on Linux.
func Open(path string, grab bool) (*os.File, error) {
	return nil, errors.New("input: event devices need Linux")
}
