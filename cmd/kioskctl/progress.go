package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// progress writes a command's progress to w: on a terminal one live line, rewritten in
// place at each update; elsewhere (a log, a pipe) one line per update that changed the
// text, so lines never run together.
type progress struct {
	w    io.Writer
	tty  bool
	last string
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

// update shows the progress line s.
func (p *progress) update(s string) {
	if s == p.last {
		return
	}
	p.last = s
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", s)
		return
	}
	fmt.Fprintln(p.w, s)
}

// done ends the live line on a terminal.
func (p *progress) done() {
	if p.tty && p.last != "" {
		fmt.Fprintln(p.w)
	}
}
