package virtual

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"ticketkiosk/escpos"
	"ticketkiosk/testkit"
)

// openPTY opens a pseudo-terminal pair with the standard library only and puts the
// terminal side in raw mode, as a serial printer driver does with its port.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if err := ioctl(m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	var n uint32
	if err := ioctl(m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var tio syscall.Termios
	if err := ioctl(s.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); err != nil {
		t.Fatalf("tcgetattr: %v", err)
	}
	tio.Iflag &^= syscall.IGNBRK | syscall.BRKINT | syscall.PARMRK | syscall.ISTRIP | syscall.INLCR | syscall.IGNCR | syscall.ICRNL | syscall.IXON
	tio.Oflag &^= syscall.OPOST
	tio.Lflag &^= syscall.ECHO | syscall.ECHONL | syscall.ICANON | syscall.ISIG | syscall.IEXTEN
	tio.Cflag &^= syscall.CSIZE | syscall.PARENB
	tio.Cflag |= syscall.CS8
	tio.Cc[syscall.VMIN], tio.Cc[syscall.VTIME] = 1, 0
	if err := ioctl(s.Fd(), syscall.TCSETS, uintptr(unsafe.Pointer(&tio))); err != nil {
		t.Fatalf("tcsetattr: %v", err)
	}
	return m, s
}

func ioctl(fd, req, arg uintptr) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, arg); e != 0 {
		return e
	}
	return nil
}

func TestVirtualPrinterServePTY(t *testing.T) {
	master, tty := openPTY(t)
	v := NewPrinter()
	done := make(chan error, 1)
	go func() { done <- v.Serve(master) }()

	job := encodeTicket(t, escpos.Clone, "bg", false)
	if s := host(t, tty, job); s != (escpos.Status{Online: true}) {
		t.Errorf("status %v", s)
	}
	v.SetState(StateCoverOpen)
	if s := host(t, tty, nil); s.String() != "cover open" || s.Ready() {
		t.Errorf("status %v", s)
	}
	tty.Close()
	// The terminal side is gone: reading the master fails (EIO on Linux) and Serve ends.
	if err := <-done; err == nil || !strings.Contains(err.Error(), "virtual printer") {
		t.Errorf("Serve after hang-up: %v", err)
	}
	master.Close()
	p, err := v.Render(RenderOptions{Profile: escpos.Clone})
	if err != nil {
		t.Fatal(err)
	}
	// Every byte crossed the line unchanged (raw mode): 0x0a stayed LF, 0x11 and 0x13
	// were not taken for flow control.
	if got := v.Job(); string(got) != string(job) {
		t.Errorf("job of %d bytes arrived as %d bytes", len(job), len(got))
	}
	if got := testkit.QRCode(t, p.Image); got != ticketCode {
		t.Errorf("QR from the serial job: %q", got)
	}
}
