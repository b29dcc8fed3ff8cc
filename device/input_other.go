//go:build !linux

package device

import (
	"errors"
	"os"
)

// OpenInput is only available on Linux.
func OpenInput(path string, grab bool) (*os.File, error) {
	return nil, errors.New("input: event devices need Linux")
}
