//go:build linux

package matrix

import (
	"errors"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// noEdgePin is a gpiotest pin without edge detection, to measure the polling fallback.
type noEdgePin struct{ *gpiotest.Pin }

func (p noEdgePin) In(pull gpio.Pull, edge gpio.Edge) error {
	if edge != gpio.NoEdge {
		return errors.New("no edge detection")
	}
	return p.Pin.In(pull, edge)
}

// BenchmarkMatrixIdle measures what an idle 4×4 keypad costs: each op is 100 ms of wall
// time with no key down, on gpiotest pins whose WaitForEdge blocks for its timeout;
// cpu-ms/s is the process's CPU time per second of idling (baseline: the same process
// with no keypad).
func BenchmarkMatrixIdle(b *testing.B) {
	for _, c := range []struct {
		name    string
		timeout time.Duration
		poll    bool
		none    bool
	}{
		{"baseline/no-keypad", 0, false, true},
		{"edge/timeout=100ms", 100 * time.Millisecond, false, false},
		{"edge/timeout=10ms", 10 * time.Millisecond, false, false},
		{"poll/every=20ms", 0, true, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			var rows, cols []gpio.PinIO
			for i := 0; i < 4; i++ {
				rows = append(rows, &gpiotest.Pin{N: "R", Num: i})
				col := &gpiotest.Pin{N: "C", Num: 10 + i, EdgesChan: make(chan gpio.Level)}
				if c.poll {
					cols = append(cols, noEdgePin{col})
				} else {
					cols = append(cols, col)
				}
			}
			if !c.none {
				m, err := New(rows, cols, &Options{
					IdleTimeout: c.timeout,
					Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
				})
				if err != nil {
					b.Fatal(err)
				}
				defer m.Halt()
			}
			time.Sleep(20 * time.Millisecond) // let it settle into idle
			b.ResetTimer()
			wall0, cpu0 := time.Now(), cpuTime(b)
			for i := 0; i < b.N; i++ {
				time.Sleep(100 * time.Millisecond)
			}
			wall, cpu := time.Since(wall0), cpuTime(b)-cpu0
			b.ReportMetric(float64(cpu.Microseconds())/1000/wall.Seconds(), "cpu-ms/s")
		})
	}
}
