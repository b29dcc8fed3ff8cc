package input

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// evioGrab is EVIOCGRAB, _IOW('E', 0x90, int): with a non-zero argument the caller gets
// the device's events exclusively (the console and other readers see none).
const evioGrab = 0x40044590

// Open opens an input event device (/dev/input/eventN, or a stable
// /dev/input/by-id/... link) for reading and, when grab is set, takes it exclusively so
// that key presses do not also reach the console. Closing the file releases the grab.
func Open(path string, grab bool) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	if grab {
		rc, err := f.SyscallConn()
		if err == nil {
			cerr := rc.Control(func(fd uintptr) {
				err = unix.IoctlSetInt(int(fd), evioGrab, 1)
			})
			if cerr != nil {
				err = cerr
			}
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("input: grab %s: %w", path, err)
		}
	}
	return f, nil
}
