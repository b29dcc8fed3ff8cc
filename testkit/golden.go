package testkit

import (
	"os"
	"path/filepath"
	"testing"
)

// Golden returns the golden file at path for the test to compare got with. With update it
// writes got there instead (creating the folder) and returns false: nothing to compare. A
// missing golden file fails the test with a hint to run -update.
func Golden(t testing.TB, path string, got []byte, update bool) (want []byte, compare bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return nil, false
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	return want, true
}
