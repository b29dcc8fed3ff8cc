//go:build armsystem

package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"ticketkiosk/escpos/escpostest"
	"ticketkiosk/escpos/virtual"
	"ticketkiosk/testkit"
)

// The field binary, whole, on its own architecture: `make test-arm` runs this file (build
// tag armsystem) with the Raspberry Pi builds of kioskd under qemu-user. Raspberry Pi OS
// armhf is 32-bit: a misaligned 64-bit atomic, a uintptr-sized assumption or bbolt's
// 32-bit map limit only show when the real binary runs there.

// fieldArch is one architecture kioskd ships for, with the qemu-user emulator that runs
// it here and the printer it drives.
type fieldArch struct {
	name     string
	env      []string // for go build
	emulator string
	serial   bool // a serial printer on a pseudo-terminal; otherwise the file printer
}

var fieldArches = []fieldArch{
	{"armv6", []string{"GOOS=linux", "GOARCH=arm", "GOARM=6", "CGO_ENABLED=0"}, "qemu-arm-static", true},
	{"arm64", []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}, "qemu-aarch64-static", false},
}

// TestFieldBinary runs each Pi build of kioskd under qemu-user against the host's
// Mosquitto and a native `kioskctl serve`: its keypad a pipe, its printer a virtual one
// on a pseudo-terminal (armv6) or the file printer (arm64). It applies the pushed config,
// sells, syncs; it is killed with SIGKILL just after a sale, starts again, sells and syncs
// again. Then the hub's ledger holds the device's journal byte for byte (nothing lost,
// nothing doubled), the hub's report counts each sale once, and each ticket printed once.
// A missing emulator fails the test: this file runs only where it was asked for.
func TestFieldBinary(t *testing.T) {
	for _, a := range fieldArches {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			emulator, err := exec.LookPath(a.emulator)
			if err != nil {
				t.Fatalf("%s is needed to run the %s build (scripts/install-deps.sh installs qemu-user-static): %v", a.emulator, a.name, err)
			}
			e := newEnv(t)
			e.kioskd = filepath.Join(build(t, "linux-"+a.name, a.env, "./cmd/kioskd"), "kioskd")
			e.emulator = emulator
			e.catalogue()

			var conf kioskConf
			var vp *virtual.Printer
			if a.serial {
				var tty string
				vp, tty = escpostest.PTY(t)
				conf.Printer = []string{`kind = "serial"`, fmt.Sprintf("path = %q", tty), "baud = 115200", "paper_mm = 80"}
			}
			k := e.newKiosk("pi-"+a.name, conf)
			k.register(outletBooks)
			k.mustStart()
			if _, err := k.WaitScreen("Not configured yet", 60*time.Second); err != nil {
				t.Fatal(err)
			}
			hubProc := e.serve()
			e.push(1)

			hubHas := func(seq uint64) {
				t.Helper()
				var got uint64
				if !testkit.Poll(90*time.Second, func() bool {
					d, err := e.deviceStatus(k.id)
					got = d.HubSeq
					return err == nil && got >= seq
				}) {
					t.Fatalf("the hub has seq %d of %s, want %d", got, k.id, seq)
				}
			}
			sell := func(o order) sold {
				t.Helper()
				s, err := k.sell(anna, titles[outletBooks], o, 300*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				if !s.printed {
					t.Fatalf("sale %d not printed; screens:\n%s", s.no, k.Screens())
				}
				return s
			}
			orders := []order{{1, 1, 2}, {2, 1, 1}, {1, 2, 1}}
			// The screen shows sale numbers; on this kiosk entry 1 is config_applied and each
			// sale before the kill is the entry after it: sale n is entry n+1.
			first := sell(orders[0])
			hubHas(first.no + 1)
			second := sell(orders[1])
			k.Kill() // a power cut, right after the sale, before the hub may have it

			k.mustStart()
			if _, err := k.WaitScreen("OK to log in", 60*time.Second); err != nil {
				t.Fatal(err)
			}
			third := sell(orders[2])
			if first.no != 1 || second.no != 2 || third.no != 3 {
				t.Fatalf("sale numbers %d, %d, %d; want 1, 2, 3 across the kill", first.no, second.no, third.no)
			}
			hubHas(third.no + 1) // at least: a job the kill cut short adds its print_failed
			k.Stop()
			hubProc.Stop()

			var tickets int
			for _, o := range orders {
				tickets += o.qty
			}
			sales, codes := saleCodes(t, k)
			if sales != len(orders) || len(codes) != tickets {
				t.Fatalf("journal has %d sales with %d tickets, want %d with %d", sales, len(codes), len(orders), tickets)
			}
			checkLedger(t, e, []*kiosk{k})
			compareReports(t, e, map[string][]*kiosk{outletBooks: {k}})
			if r := e.report(); r.Total.Tickets != int64(tickets) {
				t.Errorf("hub report %+v, want %d tickets", r.Total, tickets)
			}

			printed := map[string]int{}
			if a.serial {
				paper, err := virtual.Render(vp.Job(), virtual.RenderOptions{})
				if err != nil {
					t.Fatalf("the jobs on the serial line do not render: %v", err)
				}
				for _, c := range paper.QRCodes {
					printed[c]++
				}
			} else {
				for _, p := range printouts(t, k.printerDir) {
					for _, c := range p.codes {
						printed[c]++
					}
				}
			}
			for c := range codes {
				if printed[c] != 1 {
					t.Errorf("ticket %s printed %d times", c, printed[c])
				}
			}
			if len(printed) != len(codes) {
				t.Errorf("%d distinct tickets printed, %d sold", len(printed), len(codes))
			}
		})
	}
}
