package printer

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"

	"ticketkiosk/device"
	"ticketkiosk/escpos"
	"ticketkiosk/escpos/escpostest"
	"ticketkiosk/escpos/virtual"
)

// testTimeout is the status timeout in these tests: an offline printer costs this long,
// and a busy machine must answer well within it.
const testTimeout = time.Second

// states are the scripted printer conditions and whether each may print.
var states = []struct {
	state virtual.State
	ready bool
}{
	{virtual.StateReady, true},
	{virtual.StatePaperNearEnd, true},
	{virtual.StatePaperOut, false},
	{virtual.StateCoverOpen, false},
}

// sampleJob is a two-ticket job with text, a QR code, a raster image holding every byte
// value, and cuts: about size bytes.
func sampleJob(t testing.TB, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	b := escpos.NewBuilder(&buf, escpos.Epson)
	b.Init().CodePage("WPC1251")
	for i := range 2 {
		b.Justify(escpos.Center).Bold(true).Size(1, 2).Line("Концерт").Size(1, 1).Bold(false)
		b.Line("Билет " + string(rune('1'+i)) + " от 2 — 12,50 €")
		b.QR("HTTPS://T.EXAMPLE.ORG/T/ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", escpos.QROptions{})
		b.FeedCut(escpos.PartialCut, 48)
	}
	// GS v 0 with rows of 32 bytes counting 0..255: every byte value on the wire.
	rows := max(8, size/32)
	b.Raw(0x1d, 'v', '0', 0, 32, 0, byte(rows), byte(rows>>8))
	for i := range rows * 32 {
		b.Raw(byte(i))
	}
	b.Feed(2).FeedCut(escpos.FullCut, 0)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openSerial(t *testing.T, path string, baud int) *Serial {
	t.Helper()
	p, err := OpenSerial(Config{Path: path, Baud: baud, StatusTimeout: testTimeout, CutPause: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Halt() })
	return p
}

// printerUnderTest is one connection kind, opened against a fresh VirtualPrinter.
type printerUnderTest struct {
	name string
	open func(t *testing.T) (device.Printer, *virtual.Printer)
}

var connections = []printerUnderTest{
	{"serial", func(t *testing.T) (device.Printer, *virtual.Printer) {
		vp, path := escpostest.PTY(t)
		return openSerial(t, path, 921600), vp
	}},
	{"usb deadline", func(t *testing.T) (device.Printer, *virtual.Printer) {
		vp, path := escpostest.PTY(t)
		p, err := openUSB(Config{Path: path, StatusTimeout: testTimeout}, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.l.(*deadlineLink); !ok {
			t.Fatalf("a terminal device can poll, but the USB printer uses %T", p.l)
		}
		t.Cleanup(func() { p.Halt() })
		return p, vp
	}},
	{"usb goroutine", func(t *testing.T) (device.Printer, *virtual.Printer) {
		vp, path := escpostest.PTY(t)
		p, err := openUSB(Config{Path: path, StatusTimeout: testTimeout}, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Halt() })
		return p, vp
	}},
	{"tcp", func(t *testing.T) (device.Printer, *virtual.Printer) {
		vp, addr := tcpPrinter(t)
		p, err := NewTCP(Config{Address: addr, StatusTimeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Halt() })
		return p, vp
	}},
}

// tcpPrinter serves a VirtualPrinter on a loopback listener, one connection at a time.
func tcpPrinter(t *testing.T) (*virtual.Printer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vp := virtual.NewPrinter()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				vp.Serve(c) //nolint:errcheck
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
	})
	return vp, ln.Addr().String()
}

func TestPrinterStatus(t *testing.T) {
	for _, pc := range connections {
		t.Run(pc.name, func(t *testing.T) {
			p, vp := pc.open(t)
			for _, s := range states {
				vp.SetState(s.state)
				st, err := p.Status(context.Background())
				if err != nil {
					t.Fatalf("%s: Status: %v", s.state, err)
				}
				if st != s.state.Status() || st.Ready() != s.ready {
					t.Errorf("%s: status %+v (%s), want %+v", s.state, st, st, s.state.Status())
				}
			}
			// Switched off: no answer is offline after the timeout, never a hang.
			vp.SetState(virtual.StateOffline)
			if _, err := p.Status(context.Background()); !errors.Is(err, device.ErrOffline) {
				t.Fatalf("offline printer: %v, want ErrOffline", err)
			}
			// A context deadline shorter than the printer's timeout wins.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			_, err := p.Status(ctx)
			cancel()
			if !errors.Is(err, device.ErrOffline) {
				t.Fatalf("offline printer, short deadline: %v, want ErrOffline", err)
			}
			// Switched on again, it answers, and no late byte is taken for a reply.
			vp.SetState(virtual.StatePaperNearEnd)
			st, err := p.Status(context.Background())
			if err != nil || st != virtual.StatePaperNearEnd.Status() {
				t.Fatalf("back online: %+v, %v", st, err)
			}
		})
	}
}

func TestPrinterPrint(t *testing.T) {
	job := sampleJob(t, 12000)
	for _, pc := range connections {
		t.Run(pc.name, func(t *testing.T) {
			p, vp := pc.open(t)
			if err := p.Print(context.Background(), job); err != nil {
				t.Fatalf("Print: %v", err)
			}
			if got := vp.Job(); !bytes.Equal(got, job) {
				t.Fatalf("printer received %d job bytes, want the %d sent (first difference at %d)", len(got), len(job), firstDiff(got, job))
			}
			// Status checked mid-job (after 4096 bytes, at the end of the 12 kB image) and
			// at the end: 4 queries each.
			if q := vp.Queries(); q != 8 {
				t.Errorf("%d status queries for a %d-byte job", q, len(job))
			}
			paper, err := vp.Render(virtual.RenderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(paper.Text, "Билет 2 от 2 — 12,50 €") || paper.Cuts != 3 || len(paper.QRCodes) != 2 {
				t.Errorf("rendered job: %d cuts, %d QR codes:\n%s", paper.Cuts, len(paper.QRCodes), paper.Text)
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestPrinterFailsMidJob(t *testing.T) {
	job := sampleJob(t, 12000)
	for _, pc := range connections {
		for _, fail := range []struct {
			to   virtual.State
			want error
		}{
			{virtual.StateOffline, device.ErrOffline},   // cable pulled, switched off
			{virtual.StatePaperOut, device.ErrNotReady}, // roll ran out
			{virtual.StateCoverOpen, device.ErrNotReady},
		} {
			t.Run(pc.name+"/"+fail.to.String(), func(t *testing.T) {
				p, vp := pc.open(t)
				vp.FailAfter(len(job)/2, fail.to)
				err := p.Print(context.Background(), job)
				if !errors.Is(err, fail.want) {
					t.Fatalf("Print: %v, want %v", err, fail.want)
				}
				var se *StatusError
				if errors.As(err, &se) && se.Status != fail.to.Status() {
					t.Errorf("reported status %+v, want %+v", se.Status, fail.to.Status())
				}
				got := vp.Job()
				if len(got) == 0 || len(got) >= len(job) || !bytes.HasPrefix(job, got) {
					t.Errorf("printed %d of %d bytes; want a proper prefix of the job", len(got), len(job))
				}
				// Fixed and reset, the printer prints the whole job again.
				vp.SetState(virtual.StateReady)
				vp.Reset()
				if err := p.Print(context.Background(), job); err != nil {
					t.Fatalf("after recovery: %v", err)
				}
				if !bytes.Equal(vp.Job(), job) {
					t.Errorf("after recovery printed %d bytes, want %d", len(vp.Job()), len(job))
				}
			})
		}
	}
}

func TestPrintCancelled(t *testing.T) {
	vp, path := escpostest.PTY(t)
	p := openSerial(t, path, 9600) // 12 kB at 9600 baud: about 16 s of pacing
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(vp.Job()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := p.Print(ctx, sampleJob(t, 12000))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled job: %v, want context.Canceled", err)
	}
}

// vpLink is a link straight to a VirtualPrinter in memory, recording writes and pauses.
type vpLink struct {
	vp     *virtual.Printer
	writes []int
	r      []byte
}

func (l *vpLink) Write(p []byte) (int, error) {
	l.writes = append(l.writes, len(p))
	return l.vp.Write(p)
}

func (l *vpLink) readByte(ctx context.Context, deadline time.Time) (byte, error) {
	l.r = append(l.r, l.vp.ReadReplies()...)
	if len(l.r) == 0 {
		return 0, errNoAnswer
	}
	b := l.r[0]
	l.r = l.r[1:]
	return b, nil
}

func (l *vpLink) settle(time.Duration) { l.r = append(l.r[:0], l.vp.ReadReplies()...)[:0] }
func (l *vpLink) late(time.Duration) bool {
	l.r = append(l.r, l.vp.ReadReplies()...)
	return len(l.r) > 0
}

func TestPacing(t *testing.T) {
	job := sampleJob(t, 6000)
	vp := virtual.NewPrinter()
	l := &vpLink{vp: vp}
	var pauses []time.Duration
	s := &sender{l: l, timeout: time.Second, chunk: 64, baud: 9600, pace: 1.25, cutPause: 400 * time.Millisecond,
		checkEvery: -1, sleep: func(_ context.Context, d time.Duration) error {
			pauses = append(pauses, d)
			return nil
		}}
	if err := s.send(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(vp.Job(), job) {
		t.Fatal("job bytes differ")
	}
	jobBytes, cutPauses := 0, 0
	var total time.Duration
	for i, n := range l.writes[:len(l.writes)-4] { // the last 4 writes are the status queries
		if n > 64 {
			t.Errorf("write %d of %d bytes, more than a chunk", i, n)
		}
		jobBytes += n
	}
	if jobBytes != len(job) {
		t.Errorf("%d job bytes written, want %d", jobBytes, len(job))
	}
	for _, d := range pauses {
		if d == 400*time.Millisecond {
			cutPauses++
			continue
		}
		total += d
	}
	if cutPauses != 3 {
		t.Errorf("%d pauses after cuts, want 3", cutPauses)
	}
	// 8N1 is 10 bits a byte: at 9600 baud 960 bytes a second, paced at 1.25 times that.
	want := time.Duration(float64(len(job)) / 960 * 1.25 * float64(time.Second))
	if diff := total - want; diff < -time.Millisecond || diff > time.Millisecond {
		t.Errorf("paced %v for %d bytes at 9600 baud, want %v", total, len(job), want)
	}
}

func TestWireTime(t *testing.T) {
	for _, c := range []struct {
		n, baud int
		want    time.Duration
	}{
		{960, 9600, time.Second},
		{1920, 19200, time.Second},
		{484, 115200, 42013888 * time.Nanosecond},
		{100, 0, 0},
	} {
		if got := wireTime(c.n, c.baud); got != c.want {
			t.Errorf("wireTime(%d, %d) = %v, want %v", c.n, c.baud, got, c.want)
		}
	}
}

func TestBlocksAtCommandBoundaries(t *testing.T) {
	job := sampleJob(t, 3000)
	cmds, err := escpos.Parse(job)
	if err != nil {
		t.Fatal(err)
	}
	starts := map[int]bool{}
	for _, c := range cmds {
		starts[c.Offset] = true
	}
	off, cuts := 0, 0
	for _, b := range blocks(job, 100) {
		if !starts[off] {
			t.Errorf("a block starts at %d, inside a command", off)
		}
		if b.cut {
			cuts++
		}
		off += len(b.data)
	}
	if off != len(job) || cuts != 3 {
		t.Errorf("blocks cover %d of %d bytes with %d cuts", off, len(job), cuts)
	}
	// A job cut short keeps its tail.
	short := job[:len(job)-5]
	n := 0
	for _, b := range blocks(short, 100) {
		n += len(b.data)
	}
	if n != len(short) {
		t.Errorf("truncated job: blocks cover %d of %d bytes", n, len(short))
	}
}

func TestTCPPrinterReconnects(t *testing.T) {
	vp, addr := tcpPrinter(t)
	p, err := NewTCP(Config{Address: addr, StatusTimeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Halt()
	if _, err := p.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The printer drops the connection (power cycle): the next call fails or redials,
	// and the one after works.
	p.mu.Lock()
	p.conn.Close()
	p.mu.Unlock()
	if _, err := p.Status(context.Background()); err != nil && !errors.Is(err, device.ErrOffline) {
		t.Fatalf("after the connection dropped: %v", err)
	}
	if _, err := p.Status(context.Background()); err != nil {
		t.Fatalf("after redial: %v", err)
	}
	if err := p.Print(context.Background(), []byte("hello\n")); err != nil || string(vp.Job()) != "hello\n" {
		t.Fatalf("print after redial: %v, %q", err, vp.Job())
	}
}

func TestTCPPrinterNoListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p, err := NewTCP(Config{Address: addr, DialTimeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Status(context.Background()); !errors.Is(err, device.ErrOffline) {
		t.Errorf("Status with nobody listening: %v, want ErrOffline", err)
	}
	if err := p.Print(context.Background(), []byte("x")); !errors.Is(err, device.ErrOffline) {
		t.Errorf("Print with nobody listening: %v, want ErrOffline", err)
	}
	if p2, _ := NewTCP(Config{Address: "printer.local"}); p2.String() != "tcp printer printer.local:9100" {
		t.Errorf("default port: %s", p2)
	}
}

func TestFilePrinter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "jobs")
	p, err := NewFile(Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Status(context.Background())
	if err != nil || !st.Ready() {
		t.Fatalf("Status: %+v, %v", st, err)
	}
	job1 := sampleJob(t, 256)
	job2 := []byte("\x1b@second job\n\x1dV\x00")
	for _, j := range [][]byte{job1, job2} {
		if err := p.Print(context.Background(), j); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range map[string][]byte{"000001": job1, "000002": job2} {
		got, err := os.ReadFile(filepath.Join(dir, i+".escpos"))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s.escpos: %d bytes, %v; want the job's %d", i, len(got), err, len(want))
		}
	}
	txt, err := os.ReadFile(filepath.Join(dir, "000002.txt"))
	if err != nil || string(txt) != "second job\n--- cut ---\n" {
		t.Errorf("000002.txt = %q, %v", txt, err)
	}
	f, err := os.Open(filepath.Join(dir, "000001.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != escpos.Epson.Dots || !hasBlack(img) {
		t.Errorf("000001.png: %v, %v", img.Bounds(), err)
	}
	// Numbering goes on after a restart.
	p2, err := NewFile(Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Print(context.Background(), job2); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "000003.escpos")); err != nil {
		t.Errorf("third job: %v", err)
	}
	// A folder that is gone (an unmounted stick) is offline.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Status(context.Background()); !errors.Is(err, device.ErrOffline) {
		t.Errorf("Status without folder: %v, want ErrOffline", err)
	}
	if err := p.Print(context.Background(), job2); !errors.Is(err, device.ErrOffline) {
		t.Errorf("Print without folder: %v, want ErrOffline", err)
	}
}

func hasBlack(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 128 {
				return true
			}
		}
	}
	return false
}

func TestOpenPrinter(t *testing.T) {
	_, path := escpostest.PTY(t)
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Kind: KindSerial, Path: path, Baud: 19200}, "serial printer " + path + " 19200 8N1"},
		{Config{Kind: KindUSB, Path: path}, "usb printer " + path},
		{Config{Kind: KindTCP, Address: "192.0.2.7"}, "tcp printer 192.0.2.7:9100"},
		{Config{Kind: KindFile, Path: t.TempDir()}, "file printer "},
	} {
		p, err := Open(c.cfg)
		if err != nil {
			t.Errorf("%s: %v", c.cfg.Kind, err)
			continue
		}
		if !strings.HasPrefix(p.String(), c.want) {
			t.Errorf("%s: %s, want %s", c.cfg.Kind, p, c.want)
		}
		p.Halt()
	}
	for _, cfg := range []Config{
		{Kind: "parallel"},
		{Kind: KindSerial},
		{Kind: KindSerial, Path: path, Baud: 12345},
		{Kind: KindSerial, Path: filepath.Join(t.TempDir(), "nope")},
		{Kind: KindUSB, Path: filepath.Join(t.TempDir(), "nope")},
		{Kind: KindTCP},
		{Kind: KindFile},
	} {
		if p, err := Open(cfg); err == nil {
			p.Halt()
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// scriptLink answers with a fixed byte stream and then nothing.
type scriptLink struct{ r []byte }

func (l *scriptLink) Write(p []byte) (int, error) { return len(p), nil }
func (l *scriptLink) settle(time.Duration)        {}
func (l *scriptLink) late(time.Duration) bool     { return false }
func (l *scriptLink) readByte(context.Context, time.Time) (byte, error) {
	if len(l.r) == 0 {
		return 0, errNoAnswer
	}
	b := l.r[0]
	l.r = l.r[1:]
	return b, nil
}

// FuzzPrinterStatusReplies feeds arbitrary bytes as a printer's answers to DLE EOT 1..4:
// line noise, ASB blocks, half replies. A status comes back only from four bytes with
// the fixed bits of a reply, each found within maxNoise bytes; anything else is offline.
func FuzzPrinterStatusReplies(f *testing.F) {
	ready := escpos.Status{Online: true}
	paper := virtual.StateCoverOpen.Status()
	asb := escpos.ASB(ready)
	f.Add([]byte{escpos.StatusByte(ready, 1), escpos.StatusByte(ready, 2), escpos.StatusByte(ready, 3), escpos.StatusByte(ready, 4)})
	f.Add([]byte{escpos.StatusByte(paper, 1), escpos.StatusByte(paper, 2), escpos.StatusByte(paper, 3), escpos.StatusByte(paper, 4)})
	f.Add(append(asb[:], 0x12, 0x12, 0x12, 0x12))
	f.Add([]byte{0x00, 0xff, 0x12, 0x13, 0x11, 0x12})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, replies []byte) {
		st, err := queryStatus(context.Background(), &scriptLink{r: replies}, time.Second)
		// The oracle: the first byte with the fixed bits after at most maxNoise others,
		// four times over.
		var want escpos.Status
		rest, ok := replies, true
		for n := 1; n <= 4 && ok; n++ {
			ok = false
			for i, b := range rest {
				if i > maxNoise {
					break
				}
				if b&0x93 == 0x12 {
					_ = escpos.ParseStatusByte(&want, n, b)
					rest, ok = rest[i+1:], true
					break
				}
			}
		}
		if ok != (err == nil) {
			t.Fatalf("replies % x: status %+v, %v; oracle says ok=%v", replies, st, err, ok)
		}
		if err != nil && !errors.Is(err, device.ErrOffline) {
			t.Fatalf("replies % x: %v, want ErrOffline", replies, err)
		}
		if err == nil && st != want {
			t.Fatalf("replies % x: status %+v, want %+v", replies, st, want)
		}
	})
}

// TestSerialPrinterReplugged pulls the line (the pseudo-terminal hangs up, as a
// USB-serial adapter does when unplugged) and plugs another one in under the same name:
// the printer is offline meanwhile, never hangs, and then opens the port again.
func TestSerialPrinterReplugged(t *testing.T) {
	link := filepath.Join(t.TempDir(), "ttyPRINTER")
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	vp := virtual.NewPrinter()
	go vp.Serve(master) //nolint:errcheck
	if err := os.Symlink(tty.Name(), link); err != nil {
		t.Fatal(err)
	}
	p := openSerial(t, link, 115200)
	if _, err := p.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	master.Close()
	tty.Close()
	if _, err := p.Status(context.Background()); !errors.Is(err, device.ErrOffline) {
		t.Fatalf("unplugged: %v, want ErrOffline", err)
	}
	if err := p.Print(context.Background(), []byte("lost\n")); !errors.Is(err, device.ErrOffline) {
		t.Fatalf("print unplugged: %v, want ErrOffline", err)
	}
	vp2, path2 := escpostest.PTY(t)
	vp2.SetState(virtual.StatePaperNearEnd)
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(path2, link); err != nil {
		t.Fatal(err)
	}
	st, err := p.Status(context.Background())
	if err != nil || st != virtual.StatePaperNearEnd.Status() {
		t.Fatalf("plugged in again: %+v, %v", st, err)
	}
	if err := p.Print(context.Background(), []byte("found\n")); err != nil || string(vp2.Job()) != "found\n" {
		t.Fatalf("print after replug: %v, %q", err, vp2.Job())
	}
	p.Halt()
	if _, err := p.Status(context.Background()); !errors.Is(err, device.ErrOffline) {
		t.Fatalf("after Halt: %v, want ErrOffline", err)
	}
}

// lateReply plays a printer whose first reply is preceded by a late reply to an earlier
// query (one that had timed out), so that the replies arrive one out of step. It holds its
// third reply back and sends it together with the fourth: the reply that comes after the
// fourth query's (read as the fourth) is then already on the line when the driver looks
// for it, however slowly the machine schedules the virtual printer (sent as the printer's
// own answer, it missed the driver's short window on a loaded machine).
type lateReply struct {
	io.ReadWriter
	extra   byte
	mu      sync.Mutex
	replies int  // reply bytes the printer has sent
	held    byte // its third
}

func (l *lateReply) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []byte
	for _, b := range p {
		l.replies++
		switch l.replies {
		case 1:
			out = append(out, l.extra, b)
		case 3:
			l.held = b
		case 4:
			out = append(out, l.held, b)
		default:
			out = append(out, b)
		}
	}
	if len(out) > 0 {
		if _, err := l.ReadWriter.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func TestStatusRepliesOutOfStep(t *testing.T) {
	stale := escpos.StatusByte(virtual.StateCoverOpen.Status(), 1) // "offline" in reply to DLE EOT 1
	t.Run("serial", func(t *testing.T) {
		master, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer master.Close()
		defer tty.Close()
		vp := virtual.NewPrinter()
		go vp.Serve(&lateReply{ReadWriter: master, extra: stale}) //nolint:errcheck
		p := openSerial(t, tty.Name(), 115200)
		st, err := p.Status(context.Background())
		if err != nil || st != virtual.StateReady.Status() {
			t.Fatalf("status %+v (%s), %v; want ready", st, st, err)
		}
	})
	t.Run("tcp", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		vp := virtual.NewPrinter()
		vp.SetState(virtual.StatePaperNearEnd)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			vp.Serve(&lateReply{ReadWriter: c, extra: stale}) //nolint:errcheck
		}()
		p, err := NewTCP(Config{Address: ln.Addr().String(), StatusTimeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Halt()
		st, err := p.Status(context.Background())
		if err != nil || st != virtual.StatePaperNearEnd.Status() {
			t.Fatalf("status %+v (%s), %v; want paper near end", st, st, err)
		}
	})
}

// TestUSBPrinterStalledWrite plays a printer that takes no more data (usblp blocks a
// writer while the paper is out, and never times out): the job's deadline ends Print.
func TestUSBPrinterStalledWrite(t *testing.T) {
	master, tty, err := pty.Open() // nobody reads the master side
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer tty.Close()
	if _, err := term.MakeRaw(int(tty.Fd())); err != nil {
		t.Fatal(err)
	}
	p, err := OpenUSB(Config{Path: tty.Name(), StatusTimeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Halt()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = p.Print(ctx, bytes.Repeat([]byte("stalled line\n"), 1<<16))
	if !errors.Is(err, device.ErrOffline) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Print to a stalled printer: %v, want an offline or deadline error", err)
	}
}

// TestFilePrinterNamedJobs: with NamedJobs a job named by its context is written under its
// name (again: name-2), one without a name or with a path for a name is numbered.
func TestFilePrinterNamedJobs(t *testing.T) {
	dir := t.TempDir()
	p, err := NewFile(Config{Path: dir, NamedJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	job := []byte("\x1b@ticket\n\x1dV\x00")
	for _, name := range []string{"sale-0001", "sale-0001", "", "../escape", ".hidden", "sale-0002-copy1"} {
		if err := p.Print(device.WithJobName(context.Background(), name), job); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	files, _ := filepath.Glob(filepath.Join(dir, "*.escpos"))
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	want := []string{"000001.escpos", "000002.escpos", "000003.escpos", "sale-0001-2.escpos", "sale-0001.escpos", "sale-0002-copy1.escpos"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", got, want)
	}
	for _, ext := range []string{".png", ".txt"} {
		if _, err := os.Stat(filepath.Join(dir, "sale-0001"+ext)); err != nil {
			t.Errorf("no rendering: %v", err)
		}
	}
	// Without NamedJobs the name is ignored.
	plain, err := NewFile(Config{Path: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Print(device.WithJobName(context.Background(), "sale-0001"), job); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(plain.dir, "000001.escpos")); err != nil {
		t.Errorf("a named job without NamedJobs: %v", err)
	}
}
