package device

import (
	"go/build"
	"strings"
	"testing"
)

// TestStandardLibraryOnly keeps package device what the core speaks: it imports the
// standard library only (a path whose first element has no dot and is not this module),
// so the core never builds a driver's dependencies.
func TestStandardLibraryOnly(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") || first == "ticketkiosk" {
			t.Errorf("package device imports %s", imp)
		}
	}
}
