package device

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "event0")
	s := steps(press(codeKP4), press(codeKP2), press(codeKPEnter))
	if err := os.WriteFile(path, stream(NativeEventLayout(), s...), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := OpenInput(path, false)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewInputKeypad(f, &InputOptions{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Halt()
	keys, err := readAll(t, k)
	if !errors.Is(err, io.EOF) || keyString(keys) != "4 2 OK" {
		t.Errorf("keys %q, end %v", keyString(keys), err)
	}
	// A regular file cannot be grabbed: the ioctl fails and OpenInput says so.
	if f, err := OpenInput(path, true); err == nil {
		f.Close()
		t.Error("grabbing a regular file succeeded")
	}
	if _, err := OpenInput(filepath.Join(t.TempDir(), "missing"), false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: %v", err)
	}
}
