package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestManPage: the hand-written manual page packaging/man/kioskd.8 (installed by the .deb)
// names every command and every flag that kioskd's usage lists, so that a command or flag
// added to kioskd without its page fails here.
func TestManPage(t *testing.T) {
	b, err := os.ReadFile("../../packaging/man/kioskd.8")
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ReplaceAll(string(b), `\-`, "-")
	_, _, help := kioskd(t, "-h")
	commands := regexp.MustCompile(`(?m)^  ([a-z]+)  `).FindAllStringSubmatch(help, -1)
	flags := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(help, -1)
	if len(commands) < 4 || len(flags) < 1 {
		t.Fatalf("usage lists %d commands and %d flags:\n%s", len(commands), len(flags), help)
	}
	for _, c := range commands {
		if !regexp.MustCompile(`(?m)^\.B ` + c[1] + `$`).MatchString(page) {
			t.Errorf("kioskd.8 has no entry (.B %s) for the command %s", c[1], c[1])
		}
	}
	for _, f := range flags {
		if !strings.Contains(page, "--"+f[1]) {
			t.Errorf("kioskd.8 does not document --%s", f[1])
		}
	}
	for _, want := range []string{".TH KIOSKD 8", "/etc/kioskd/kioskd.toml", `\fBkioskctl\fR(1)`} {
		if !strings.Contains(page, want) {
			t.Errorf("kioskd.8 lacks %q", want)
		}
	}
}
