package input

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"ticketkiosk/device/internal/keytest"
)

func TestOpenInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "event0")
	s := steps(press(codeKP4), press(codeKP2), press(codeKPEnter))
	if err := os.WriteFile(path, stream(NativeLayout(), s...), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	k, err := New(f, &Options{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Halt()
	keys, err := keytest.ReadAll(t, k)
	if !errors.Is(err, io.EOF) || keytest.String(keys) != "4 2 OK" {
		t.Errorf("keys %q, end %v", keytest.String(keys), err)
	}
	// A regular file cannot be grabbed: the ioctl fails and Open says so.
	if f, err := Open(path, true); err == nil {
		f.Close()
		t.Error("grabbing a regular file succeeded")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing"), false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: %v", err)
	}
}
