//go:build linux && !386 && !arm && !mips && !mipsle

package powercut

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// DirEnv names the environment variable through which Cycle tells the process it starts
// where the filesystem is mounted.
const DirEnv = "POWERCUT_DIR"

// Cycle is one boot and power cut: it mounts over backing, starts cmd with DirEnv naming the
// mount point, hands each line cmd prints on its standard output to confirmed (a process
// prints a line only once what it reports is confirmed: a sale done, an entry acknowledged),
// cuts the power at opt.CutAt (or when cmd exits), kills cmd as the cut would, and unmounts.
// The backing directory then holds what survived. Every line printed before the cut has
// been handed over when Cycle returns; a line printed after it (the process had finished the
// work before the cut and was writing its report) is handed over too. A process that dies
// after the cut (its mmap faults with SIGBUS, a library panics on EIO) died with the power;
// one that fails before it is an error, with its standard error.
func Cycle(backing string, opt Options, cmd *exec.Cmd, confirmed func(line string)) (Stats, error) {
	mnt, err := os.MkdirTemp("", "powercut-mnt-")
	if err != nil {
		return Stats{}, err
	}
	defer os.Remove(mnt)
	p, err := Mount(backing, mnt, opt)
	if err != nil {
		return Stats{}, err
	}
	defer p.Unmount()
	cmd.Env = append(cmd.Environ(), DirEnv+"="+mnt)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return Stats{}, err
	}
	if err := cmd.Start(); err != nil {
		return Stats{}, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			confirmed(sc.Text())
		}
	}()
	var hung error
	select {
	case <-p.Cutted():
	case <-done: // the process ended before the cut
	case <-time.After(2 * time.Minute):
		hung = fmt.Errorf("powercut: %s neither exited nor reached the cut (op %d) in 2 minutes", cmd.Path, opt.CutAt)
	}
	p.mu.Lock()
	diedOfTheCut := p.cut // a process may die of a dead disk (SIGBUS on its mmap, EIO)
	p.mu.Unlock()
	p.Cut()
	cmd.Process.Kill()
	<-done
	werr := cmd.Wait()
	st := p.Stats()
	if err := p.Unmount(); err != nil {
		return st, err
	}
	if hung != nil {
		return st, fmt.Errorf("%w\n%s", hung, stderr.Bytes())
	}
	if werr != nil && !diedOfTheCut {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			return st, fmt.Errorf("powercut: %s failed before the cut: %v\n%s", cmd.Path, werr, stderr.Bytes())
		}
	}
	return st, nil
}

// Check runs cmd, a process that reopens what survived a cut and prints one line per
// problem it finds, and returns those lines. A process that fails (a library that panics on
// a damaged file, in a goroutine no recover reaches) is a problem too: its error and the
// start of its standard error. The error is a process that could not be run at all.
func Check(cmd *exec.Cmd) ([]string, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		return nil, err
	}
	var problems []string
	if s := strings.TrimSpace(stdout.String()); s != "" {
		problems = strings.Split(s, "\n")
	}
	if err != nil {
		msg := stderr.String()
		if i := strings.Index(msg, "\n\ngoroutine"); i > 0 {
			msg = msg[:i]
		}
		problems = append(problems, fmt.Sprintf("reopening failed: %v: %s", err, strings.TrimSpace(msg)))
	}
	return problems, nil
}

// Target is what a power-cut test puts under cuts: a process that works on the mount and
// prints a line for each thing it confirms, and a check of what survived.
type Target struct {
	Cuts   int // cuts of the short run; POWERCUT_CUTS sets another number
	MaxOps int // each cut comes at an operation drawn uniformly from 1 to MaxOps

	// Setup makes, in the backing directory, the state before the first boot: a device
	// installed and configured, its files and their names on the disk.
	Setup func(t *testing.T, backing string)
	// Child is the process of a boot; nosync: it runs with fsync switched off.
	Child func(cycle int, nosync bool) *exec.Cmd
	// Unit names what is confirmed, for the log: "sales", "acknowledged entries".
	Unit string
	// Confirmed takes a line the process printed and says how many new confirmations it
	// made; Confirmations says how many are held, to check.
	Confirmed     func(t *testing.T, line string) int
	Confirmations func() int
	// Check is the process that lists the problems of what survived in the backing
	// directory, one a line (see Check): a confirmation lost, damage.
	Check func(t *testing.T, backing string) *exec.Cmd
	// Forget drops the confirmations: before a run, and after the fsync-off run caught a
	// loss and Setup starts a new device.
	Forget func()
}

// Run runs tg in two subtests. "fsync": boots and cuts with the target's fsyncs on, and
// fails at the first problem. "nosync": a fifth as many cuts (at least 3) with fsync
// switched off, which must be caught: the test fails unless some cut loses a confirmation
// or damages the files, so a harness that cannot see a loss does not pass. Half the
// nosync cuts drop every unsynced page (a clean loss), the others keep half of them (torn).
// The seed comes from the clock unless POWERCUT_SEED names one, and is logged.
func Run(t *testing.T, tg Target) {
	SkipWithoutFUSE(t)
	cuts, seed := tg.Cuts, uint64(time.Now().UnixNano())
	if v := os.Getenv("POWERCUT_CUTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("POWERCUT_CUTS=%q: want a positive number", v)
		}
		cuts = n
	}
	if v := os.Getenv("POWERCUT_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("POWERCUT_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Run("fsync", func(t *testing.T) { run(t, tg, cuts, seed, false) })
	t.Run("nosync", func(t *testing.T) { run(t, tg, max(3, cuts/5), seed, true) })
}

func run(t *testing.T, tg Target, cuts int, seed uint64, nosync bool) {
	t.Logf("seed %d (POWERCUT_SEED=%d replays it), %d cuts", seed, seed, cuts)
	backing := t.TempDir()
	tg.Forget()
	tg.Setup(t, backing)
	rng := rand.New(rand.NewPCG(seed, 1))
	confirmed, checked, caught := 0, 0, 0
	for cycle := 1; cycle <= cuts; cycle++ {
		opt := Options{Seed: rng.Uint64(), Keep: 0.5, CutAt: 1 + rng.IntN(tg.MaxOps)}
		if nosync && cycle%2 == 1 {
			opt.Keep = 0
		}
		n, t0 := 0, time.Now()
		st, err := Cycle(backing, opt, tg.Child(cycle, nosync), func(line string) { n += tg.Confirmed(t, line) })
		if err != nil {
			t.Fatalf("cut %d at op %d: %v", cycle, opt.CutAt, err)
		}
		confirmed += n
		checked += tg.Confirmations()
		t1 := time.Now()
		problems, err := Check(tg.Check(t, backing))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("cut %d at op %d (%d ops, %d fsyncs, %v; check %v): %d %s confirmed in this boot, %d held; unsynced pages kept %d, dropped %d; %d problems",
			cycle, opt.CutAt, st.Ops, st.FileSyncs, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond),
			n, tg.Unit, tg.Confirmations(), st.Kept, st.Dropped, len(problems))
		if len(problems) == 0 {
			continue
		}
		if !nosync {
			t.Fatalf("cut %d at op %d (POWERCUT_SEED=%d): what was confirmed did not survive the cut:\n%s",
				cycle, opt.CutAt, seed, strings.Join(problems, "\n"))
		}
		caught++
		t.Logf("caught (%d problems): %s", len(problems), problems[0])
		os.RemoveAll(backing)
		os.Mkdir(backing, 0o700)
		tg.Setup(t, backing)
		tg.Forget()
	}
	t.Logf("%d cuts, %d %s confirmed, %d checks after the cuts (every confirmation is checked again after each later cut), %d cuts caught losing data",
		cuts, confirmed, tg.Unit, checked, caught)
	if nosync && caught == 0 {
		t.Fatalf("with fsync off, %d power cuts lost nothing confirmed: the harness cannot see a loss", cuts)
	}
}

// Self is a command that runs this test binary again, with no test selected and env added
// to its environment: the process of a boot or of a check, which the package's TestMain
// runs instead of the tests when it finds its variable in env.
func Self(env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}
