// Package escpostest serves virtual ESC/POS printers to tests on real pseudo-terminals,
// where the serial and USB printer drivers open them as they open a real port.
package escpostest

import (
	"testing"

	"github.com/creack/pty"
	"golang.org/x/term"

	"ticketkiosk/escpos/virtual"
)

// PTY opens a pseudo-terminal in raw mode with a virtual printer serving its master side,
// and returns the printer and the name of the terminal side. Both sides close when the
// test ends.
func PTY(t testing.TB) (*virtual.Printer, string) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() {
		master.Close()
		tty.Close()
	})
	// Raw mode: no echo, no CR/LF translation, no signals, so that job bytes such as
	// 0x03, 0x0d, 0x11, 0x13 and 0x7f pass unchanged. tarm/serial sets raw termios
	// itself when it opens the port; the USB printer opens the device as it is.
	if _, err := term.MakeRaw(int(tty.Fd())); err != nil {
		t.Fatalf("raw mode: %v", err)
	}
	vp := virtual.NewPrinter()
	go vp.Serve(master) //nolint:errcheck // ends with an error when the pty closes
	return vp, tty.Name()
}
