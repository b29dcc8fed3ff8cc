package testkit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestGoldenUpdateThenRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.txt")
	if want, compare := Golden(t, path, []byte("one"), true); compare || want != nil {
		t.Fatalf("update: %q, %v; want nothing to compare", want, compare)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "one" {
		t.Fatalf("written %q, %v", b, err)
	}
	want, compare := Golden(t, path, []byte("two"), false)
	if !compare || !bytes.Equal(want, []byte("one")) {
		t.Fatalf("read %q, %v; want the golden file", want, compare)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Fatalf("a read without update rewrote the file: %q", b)
	}
}
