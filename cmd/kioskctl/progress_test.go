package main

import (
	"bytes"
	"testing"
)

func TestProgress(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b}
	p.update("pushed 1/2")
	p.update("pushed 1/2")
	p.update("pushed 2/2")
	p.done()
	if got, want := b.String(), "pushed 1/2\npushed 2/2\n"; got != want {
		t.Errorf("off a terminal: %q, want %q", got, want)
	}
	b.Reset()
	p = &progress{w: &b, tty: true}
	p.update("pushed 1/2")
	p.update("pushed 2/2")
	p.done()
	if got, want := b.String(), "\rpushed 1/2\x1b[K\rpushed 2/2\x1b[K\n"; got != want {
		t.Errorf("on a terminal: %q, want %q", got, want)
	}
}
