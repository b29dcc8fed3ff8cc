//go:build linux

package term

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/device/internal/keystream"
	"ticketkiosk/device/internal/keytest"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// pipeKeypad returns a keypad reading an io.Pipe (which a synctest bubble sees block) and
// the pipe's writer; the keypad halts at the end of the test.
func pipeKeypad(t *testing.T) (*Keypad, *io.PipeWriter) {
	r, w := io.Pipe()
	k, err := NewKeypad(r, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Halt() })
	return k, w
}

func TestTerminalKeypadPipe(t *testing.T) {
	// In a bubble, so that no time passes between the writes: a pause is what makes a
	// pending ESC Cancel (TestTerminalKeypadPipeLoneEsc).
	synctest.Test(t, func(t *testing.T) {
		k, w := pipeKeypad(t)
		go func() {
			// Written in pieces, as a script would, with an escape sequence split over writes.
			for _, s := range []string{"1001\n", "\x1b", "[B", "42\r\n", "\x1bq", "x\x1b"} {
				w.Write([]byte(s))
			}
			w.Close()
		}()
		keys, err := keytest.ReadAll(t, k)
		if !errors.Is(err, io.EOF) {
			t.Fatalf("end of input: %v, want io.EOF", err)
		}
		if got, want := keytest.String(keys), "1 0 0 1 OK Down 4 2 OK Cancel q x Cancel"; got != want {
			t.Errorf("keys %q, want %q", got, want)
		}
		// Still io.EOF afterwards.
		if _, err := k.ReadKey(context.Background()); !errors.Is(err, io.EOF) {
			t.Errorf("after EOF: %v", err)
		}
	})
}

// TestTerminalKeypadPipeLoneEsc: a lone ESC from a pipe is Cancel once the pipe has been
// idle for EscTimeout, not when the next byte comes (which it must not swallow); a script's
// escape sequence split by a full read still decodes.
func TestTerminalKeypadPipeLoneEsc(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, w := pipeKeypad(t)
		start := time.Now()
		go func() {
			w.Write([]byte("\x1b"))
			time.Sleep(time.Second)
			w.Write([]byte("4\r"))
			// A long script whose read ends in the middle of an escape sequence.
			long := strings.Repeat("7", keystream.ReadSize-1) + "\x1b"
			w.Write([]byte(long))
			time.Sleep(time.Second)
			w.Write([]byte("[A"))
			w.Close()
		}()
		ctx := context.Background()
		key, err := k.ReadKey(ctx)
		if err != nil || key.Kind != device.KeyCancel {
			t.Fatalf("lone ESC: %v %v, want Cancel", key, err)
		}
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Errorf("Cancel came after %v, want the ESC timeout, 50ms", d)
		}
		keys, err := keytest.ReadAll(t, k)
		if !errors.Is(err, io.EOF) {
			t.Fatalf("end of input: %v", err)
		}
		if got, want := keytest.String(keys), "4 OK "+strings.Repeat("7 ", keystream.ReadSize-1)+"Up"; got != want {
			t.Errorf("keys after Cancel %q, want %q", got, want)
		}
	})
}

// failingReader returns some bytes and then an error.
type failingReader struct{ done bool }

var errBroken = errors.New("broken")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.done {
		return 0, errBroken
	}
	f.done = true
	return copy(p, "7"), nil
}

func TestTerminalKeypadReadError(t *testing.T) {
	k, err := NewKeypad(&failingReader{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keytest.ReadAll(t, k)
	if !errors.Is(err, errBroken) || errors.Is(err, io.EOF) {
		t.Fatalf("error %v, want one wrapping %v", err, errBroken)
	}
	if keytest.String(keys) != "7" {
		t.Errorf("keys %q, want 7", keytest.String(keys))
	}
}

func TestTerminalKeypadContextAndHalt(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	k, err := NewKeypad(r, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.ReadKey(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := k.ReadKey(context.Background())
		done <- err
	}()
	if err := k.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, device.ErrHalted) {
		t.Fatalf("ReadKey during Halt: %v, want ErrHalted", err)
	}
	if err := k.Halt(); err != nil {
		t.Fatalf("second Halt: %v", err)
	}
}

func TestTerminalKeypadTTYNeedsFd(t *testing.T) {
	if _, err := NewKeypad(strings.NewReader("1"), true, nil); err == nil {
		t.Fatal("a TTY keypad over a plain reader was accepted")
	}
}

func TestTerminalDisplayPlain(t *testing.T) {
	var out bytes.Buffer
	d, err := NewDisplay(&out, false, 4, 8)
	if err != nil {
		t.Fatal(err)
	}
	frames := [][]string{
		{"Welcome  ", "Code:", "", ""},
		{"Welcome  ", "Code:", "", ""}, // the same: nothing written
		{"Welcome", "Code: 1234567890", "", "x" + string(device.GlyphSynced)},
		{"", "", "", ""},
		{"a\x1b[2Jb", string(device.GlyphOffline) + string(device.GlyphPending)},
	}
	for _, f := range frames {
		if err := d.Show(f); err != nil {
			t.Fatal(err)
		}
	}
	want := "Welcome | Code:\n" +
		"Welcome | Code: 12 |  | x[ok]\n" +
		"\n" +
		"a [2Jb | [off][..]\n"
	if out.String() != want {
		t.Errorf("plain output\n%q\nwant\n%q", out.String(), want)
	}
	if d.Rows() != 4 || d.Cols() != 8 {
		t.Errorf("size %d×%d", d.Rows(), d.Cols())
	}
}

func TestTerminalDisplayTTY(t *testing.T) {
	var out bytes.Buffer
	d, err := NewDisplay(&out, true, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Show([]string{"ab", "Жxyz!" + string(device.GlyphSynced)}); err != nil {
		t.Fatal(err)
	}
	want := "┌────┐\r\n│ab  │\r\n│Жxyz│\r\n└────┘\r\n"
	if out.String() != want {
		t.Fatalf("first frame\n%q\nwant\n%q", out.String(), want)
	}
	out.Reset()
	if err := d.Show([]string{"ab", "Жxyz"}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("unchanged frame wrote %q", out.String())
	}
	// Row 1 changes: up 2 lines from below the box, past the border, rewrite, back down.
	if err := d.Show([]string{"ab", string(device.GlyphOffline) + "1"}); err != nil {
		t.Fatal(err)
	}
	if want := "\r\x1b[2A\x1b[1C×1  \r\x1b[2B"; out.String() != want {
		t.Fatalf("one-row change %q, want %q", out.String(), want)
	}
	out.Reset()
	if err := d.Show([]string{string(device.GlyphPending)}); err != nil {
		t.Fatal(err)
	}
	if want := "\r\x1b[3A\x1b[1C…   \r\x1b[3B\r\x1b[2A\x1b[1C    \r\x1b[2B"; out.String() != want {
		t.Fatalf("two-row change %q, want %q", out.String(), want)
	}
}

func TestTerminalDisplayBadSize(t *testing.T) {
	if _, err := NewDisplay(io.Discard, false, 0, 20); err == nil {
		t.Fatal("0 rows accepted")
	}
}

// ptyOutput collects what a pseudo-terminal's master side reads.
type ptyOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan struct{}
}

func collect(f *os.File) *ptyOutput {
	o := &ptyOutput{ch: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 256)
		for {
			n, err := f.Read(b)
			o.mu.Lock()
			o.buf.Write(b[:n])
			o.mu.Unlock()
			select {
			case o.ch <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return o
}

// waitFor waits until the output contains s, and returns the output so far.
func (o *ptyOutput) waitFor(t *testing.T, s string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		o.mu.Lock()
		got := o.buf.String()
		o.mu.Unlock()
		if strings.Contains(got, s) {
			return got
		}
		select {
		case <-o.ch:
		case <-deadline:
			t.Fatalf("output %q never contained %q", got, s)
		}
	}
}

func TestTerminalPTY(t *testing.T) {
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer master.Close()
	defer tty.Close()
	fd := int(tty.Fd())
	before, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if before.Lflag&(unix.ICANON|unix.ECHO) == 0 {
		t.Fatal("a new pty is expected in cooked mode")
	}
	k, err := NewKeypad(tty, true, &KeypadOptions{EscTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Lflag&(unix.ICANON|unix.ECHO) != 0 {
		t.Errorf("raw mode keeps ICANON or ECHO: lflag %#x", raw.Lflag)
	}
	if raw.Lflag&unix.ISIG == 0 || raw.Oflag&unix.OPOST == 0 {
		t.Errorf("raw mode dropped ISIG or OPOST: lflag %#x oflag %#x", raw.Lflag, raw.Oflag)
	}

	out := collect(master)
	// Without line editing, keys arrive before any newline; arrows as sequences.
	if _, err := master.WriteString("12\x1b[A"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var keys []device.Key
	for len(keys) < 3 {
		key, err := k.ReadKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	if keytest.String(keys) != "1 2 Up" {
		t.Errorf("keys %q, want \"1 2 Up\"", keytest.String(keys))
	}
	// A lone ESC with nothing after it is Cancel once the ESC timeout passes.
	if _, err := master.WriteString("\x1b"); err != nil {
		t.Fatal(err)
	}
	if key, err := k.ReadKey(ctx); err != nil || key.Kind != device.KeyCancel {
		t.Errorf("lone ESC: %v %v, want Cancel", key, err)
	}
	// Enter on a raw terminal is '\r', and is OK.
	if _, err := master.WriteString("\r"); err != nil {
		t.Fatal(err)
	}
	if key, err := k.ReadKey(ctx); err != nil || key.Kind != device.KeyOK {
		t.Errorf("Enter: %v %v, want OK", key, err)
	}
	d, err := NewDisplay(tty, true, 2, 6)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Show([]string{"Hello", "Code" + string(device.GlyphOffline)}); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "└──────┘")
	got := out.waitFor(t, "│Code× │")
	if !strings.Contains(got, "│Hello │") {
		t.Errorf("box %q lacks the first row", got)
	}
	// The terminal's output is in order: an echo of the keys would come before the box.
	if i := strings.Index(got, "┌"); i != 0 {
		t.Errorf("raw mode echoed %q", got[:i])
	}
	if err := d.Show([]string{"Hello", "Code" + string(device.GlyphSynced)}); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "\x1b[2A\x1b[1CCode✓ \r\x1b[2B")

	if err := k.Halt(); err != nil {
		t.Fatal(err)
	}
	after, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if after.Lflag != before.Lflag || after.Iflag != before.Iflag || after.Oflag != before.Oflag {
		t.Errorf("Halt did not restore the mode: lflag %#x→%#x iflag %#x→%#x", before.Lflag, after.Lflag, before.Iflag, after.Iflag)
	}
}

// TestTerminalKeypadScript reads a session scripted with printf through a real pipe from
// a child process, as `printf '1001\n...' | kioskd` does.
func TestTerminalKeypadScript(t *testing.T) {
	cmd := exec.Command("sh", "-c", `printf '1001\n\033[B\0332\r\nab\177\033'`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("no shell: %v", err)
	}
	k, err := NewKeypad(out, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keytest.ReadAll(t, k)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if got, want := keytest.String(keys), "1 0 0 1 OK Down Cancel 2 OK a b Backspace Cancel"; got != want {
		t.Errorf("keys %q, want %q", got, want)
	}
}
