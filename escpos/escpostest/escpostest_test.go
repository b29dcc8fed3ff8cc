package escpostest

import (
	"bytes"
	"os"
	"testing"
	"time"

	"ticketkiosk/testkit"
)

// TestPTY: a job written to the terminal side reaches the virtual printer unchanged, the
// bytes a cooked terminal would translate or swallow included.
func TestPTY(t *testing.T) {
	vp, name := PTY(t)
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	job := []byte("\x1b@one\r\ntwo\x03\x11\x13\x7f\n")
	if _, err := f.Write(job); err != nil {
		t.Fatal(err)
	}
	if !testkit.Poll(10*time.Second, func() bool { return bytes.Equal(vp.Job(), job) }) {
		t.Fatalf("the printer got % x, want % x", vp.Job(), job)
	}
}
