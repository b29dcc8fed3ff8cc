package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestManPages: kioskctl man DIR writes a page for kioskctl and one for every command of
// the tree (as make man and the .deb ship them); each names its command and every flag it
// takes, and kioskctl.1 lists every top-level command.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := ctl(t, "", "man", dir); code != 0 {
		t.Fatalf("kioskctl man: %d %s%s", code, out, errs)
	}
	root := newRoot(strings.NewReader(""), io.Discard, io.Discard)
	page := func(c *cobra.Command) string {
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("no page for %q: %v", c.CommandPath(), err)
		}
		return strings.ReplaceAll(string(b), `\-`, "-")
	}
	top := page(root)
	n := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() {
				continue
			}
			n++
			p := page(sub)
			if !strings.Contains(p, sub.CommandPath()) {
				t.Errorf("page of %q does not name it", sub.CommandPath())
			}
			sub.Flags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden && !strings.Contains(p, "--"+f.Name) {
					t.Errorf("page of %q lacks --%s", sub.CommandPath(), f.Name)
				}
			})
			if c == root && !strings.Contains(top, strings.ReplaceAll(sub.CommandPath(), " ", "-")) {
				t.Errorf("kioskctl.1 does not list %q", sub.Name())
			}
			walk(sub)
		}
	}
	walk(root)
	if n < 20 {
		t.Errorf("only %d commands in the tree", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "kioskctl-man.1")); err == nil {
		t.Error("the man command itself got a page; it is for packaging only")
	}
}
