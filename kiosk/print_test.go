package kiosk

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/device/printer"
	"ticketkiosk/escpos"
	"ticketkiosk/escpos/escpostest"
	"ticketkiosk/escpos/virtual"
	"ticketkiosk/journal"
	"ticketkiosk/layout"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// The real layout satisfies the kiosk's Layout without importing the kiosk.
var _ Layout = layout.New(layout.Options{})

const printTimeout = time.Second

// printRig is a kiosk selling through a real printer connection to a VirtualPrinter.
type printRig struct {
	k  *Kiosk
	st *store.Store
	vp *virtual.Printer
}

// serialVirtualPrinter serves a VirtualPrinter on the master side of a raw pseudo-terminal
// and opens the terminal side with the serial printer driver.
func serialVirtualPrinter(t *testing.T) (device.Printer, *virtual.Printer) {
	vp, tty := escpostest.PTY(t)
	p, err := printer.OpenSerial(printer.Config{Path: tty, Baud: 115200,
		StatusTimeout: printTimeout, CutPause: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Halt() })
	return p, vp
}

// tcpVirtualPrinter serves a VirtualPrinter on a loopback port and dials it.
func tcpVirtualPrinter(t *testing.T) (device.Printer, *virtual.Printer) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vp := virtual.NewPrinter()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				vp.Serve(c) //nolint:errcheck
			}()
		}
	}()
	p, err := printer.NewTCP(printer.Config{Address: ln.Addr().String(), StatusTimeout: printTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Halt()
		ln.Close()
	})
	return p, vp
}

func newPrintRig(t *testing.T, open func(*testing.T) (device.Printer, *virtual.Printer)) *printRig {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "kiosk.db"), store.Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &testClock{t: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), synced: true}
	if _, err := st.ApplyConfig(testConfig(t, catalog.DeliveryPrint), []byte("{}"), clock); err != nil {
		t.Fatal(err)
	}
	p, vp := open(t)
	k, err := New(Options{Store: st, Key: deviceKey, Clock: clock, Printer: p, Logger: quiet,
		Layout: layout.New(layout.Options{Profile: escpos.Epson}), StatusTimeout: printTimeout})
	if err != nil {
		t.Fatal(err)
	}
	return &printRig{k: k, st: st, vp: vp}
}

var qrMarker = regexp.MustCompile(`\[QR: ([^\]]*)\]`)

// printedTicket is one ticket as it came out of the printer (up to a cut).
type printedTicket struct {
	code string // the QR payload; "" when the ticket stopped before its QR code
	copy bool   // marked КОПИЕ
	text string
}

// printedTickets cuts the printer's whole output into tickets.
func printedTickets(t *testing.T, job []byte) []printedTicket {
	t.Helper()
	paper, err := virtual.Render(job, virtual.RenderOptions{Profile: escpos.Epson})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var out []printedTicket
	for _, seg := range strings.Split(paper.Text, "--- cut ---") {
		if strings.TrimSpace(seg) == "" {
			continue
		}
		pt := printedTicket{copy: strings.Contains(seg, "КОПИЕ"), text: seg}
		if m := qrMarker.FindStringSubmatch(seg); m != nil {
			pt.code = m[1]
		}
		out = append(out, pt)
	}
	return out
}

func decodeAll(t *testing.T, job []byte) []string {
	t.Helper()
	paper, err := virtual.Render(job, virtual.RenderOptions{Profile: escpos.Epson})
	if err != nil {
		t.Fatal(err)
	}
	return testkit.QRCodes(t, paper.Image)
}

func ticketCodes(e *journal.Entry) []string {
	var out []string
	for _, tk := range e.Sale.Tickets {
		out = append(out, tk.Code)
	}
	return out
}

// TestPrintThroughRealPrinter sells through a serial line and a TCP socket to a virtual
// printer: a ready printer prints tickets whose QR codes verify; a printer out of paper
// or switched off refuses the sale before anything is journaled; a printer that fails
// mid-job keeps the sale, journals print_failed, and a supervisor's reprint prints
// "КОПИЕ 1"; no ticket ever prints twice without the copy mark.
func TestPrintThroughRealPrinter(t *testing.T) {
	for _, conn := range []struct {
		name string
		open func(*testing.T) (device.Printer, *virtual.Printer)
	}{{"serial", serialVirtualPrinter}, {"tcp", tcpVirtualPrinter}} {
		t.Run(conn.name, func(t *testing.T) {
			r := newPrintRig(t, conn.open)
			ctx := context.Background()
			ann, err := r.k.Login("3000", "ann-pass")
			if err != nil {
				t.Fatal(err)
			}
			order := Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 2}, {Type: "kid", Qty: 1}}}

			// Ready: the tickets print and their QR codes verify.
			sale, err := r.k.Sell(ctx, ann, order)
			if err != nil || sale.PrintErr != nil {
				t.Fatalf("sell on a ready printer: %v, %v", err, sale)
			}
			first := r.vp.Job()
			decoded := decodeAll(t, first)
			want := ticketCodes(sale.Entry)
			slices.Sort(decoded)
			slices.Sort(want)
			if !slices.Equal(decoded, want) {
				t.Fatalf("decoded QR codes %q, want the sale's %q", decoded, want)
			}
			for _, d := range decoded {
				f, err := journal.VerifyCode(d, deviceKeys)
				if err != nil || f.Sale != sale.Entry.Seq {
					t.Fatalf("printed code %q: %+v, %v", d, f, err)
				}
			}
			tickets := printedTickets(t, first)
			if len(tickets) != 3 {
				t.Fatalf("%d tickets printed, want 3", len(tickets))
			}
			for _, w := range []string{"Книжарница", "Концерт", "НДК", "Билет 3 от 3", "6,00 €"} {
				if !strings.Contains(tickets[2].text, w) {
					t.Errorf("the third ticket lacks %q:\n%s", w, tickets[2].text)
				}
			}
			if !strings.Contains(tickets[0].text, "12,50 €") || tickets[0].copy {
				t.Errorf("first ticket:\n%s", tickets[0].text)
			}

			// Paper near end still sells.
			r.vp.SetState(virtual.StatePaperNearEnd)
			if s, err := r.k.Sell(ctx, ann, Order{Event: "e1", Lines: []OrderLine{{Type: "std", Qty: 1}}}); err != nil || s.PrintErr != nil {
				t.Fatalf("sell with paper near end: %v", err)
			}

			// Paper out, cover open, switched off: refused, nothing journaled or printed.
			for _, s := range []virtual.State{virtual.StatePaperOut, virtual.StateCoverOpen, virtual.StateOffline} {
				r.vp.SetState(s)
				before, printed := r.st.LastSeq(), len(r.vp.Job())
				_, err := r.k.Sell(ctx, ann, order)
				if !errors.Is(err, ErrPrinterNotReady) {
					t.Fatalf("%s: sell = %v, want ErrPrinterNotReady", s, err)
				}
				if s == virtual.StateOffline && !errors.Is(err, device.ErrOffline) {
					t.Errorf("offline: %v, want the driver's ErrOffline inside", err)
				}
				if r.st.LastSeq() != before || len(r.vp.Job()) != printed {
					t.Fatalf("%s: the refused sale journaled (seq %d → %d) or printed", s, before, r.st.LastSeq())
				}
			}

			// Fails mid-job: the paper runs out after the first ticket and a half.
			r.vp.SetState(virtual.StateReady)
			beforeFail := len(r.vp.Job())
			r.vp.FailAfter(12+len(first)/2, virtual.StatePaperOut) // 12: the status queries before the sale
			failed, err := r.k.Sell(ctx, ann, order)
			if err != nil {
				t.Fatalf("sell failing mid-job: %v (the sale must be kept)", err)
			}
			if !errors.Is(failed.PrintErr, ErrPrintFailed) || !errors.Is(failed.PrintErr, device.ErrNotReady) {
				t.Fatalf("PrintErr = %v, want ErrPrintFailed from the printer's paper out", failed.PrintErr)
			}
			seq := failed.Entry.Seq
			// What came out: the first ticket whole, not all three.
			partial := printedTickets(t, r.vp.Job()[beforeFail:])
			withQR := 0
			for _, pt := range partial {
				if pt.code != "" {
					withQR++
				}
			}
			if len(partial) == 0 || partial[0].code != failed.Entry.Sale.Tickets[0].Code || withQR >= 3 {
				t.Fatalf("the failing job printed %d tickets, %d with a QR code; want the first one only", len(partial), withQR)
			}
			if _, state, err := r.st.Sale(seq); err != nil || !state.Unprinted {
				t.Fatalf("failed sale state %+v, %v: want unprinted", state, err)
			}
			var printFailed *journal.Entry
			r.st.Each(seq, func(e *journal.Entry) bool {
				if e.Kind == journal.KindPrintFailed && e.Print != nil && e.Print.Sale == seq {
					printFailed = e
				}
				return true
			})
			if printFailed == nil {
				t.Fatal("no print_failed entry for the sale")
			}

			// Paper in again: a supervisor approves a reprint, which prints КОПИЕ 1.
			r.vp.SetState(virtual.StateReady)
			boss, err := r.k.Approve("1000", "boss-pass")
			if err != nil {
				t.Fatal(err)
			}
			beforeCopy := len(r.vp.Job())
			rep, err := r.k.Reprint(ctx, ann, failed.Entry.Sale.No, boss)
			if err != nil || rep.Reprint.Copy != 1 {
				t.Fatalf("reprint: %+v, %v", rep, err)
			}
			copies := printedTickets(t, r.vp.Job()[beforeCopy:])
			if len(copies) != 3 {
				t.Fatalf("reprint printed %d tickets, want 3", len(copies))
			}
			var copyCodes []string
			for _, c := range copies {
				if !c.copy || strings.Count(c.text, "КОПИЕ 1") != 2 {
					t.Errorf("reprinted ticket without a clear КОПИЕ 1:\n%s", c.text)
				}
				copyCodes = append(copyCodes, c.code)
			}
			if !slices.Equal(copyCodes, ticketCodes(failed.Entry)) {
				t.Errorf("the copy carries codes %q, want the sale's %q", copyCodes, ticketCodes(failed.Entry))
			}
			if _, state, _ := r.st.Sale(seq); state.Unprinted || state.Copies != 1 {
				t.Errorf("after the reprint the sale is %+v", state)
			}

			// Nothing printed twice without the copy mark, over everything that printed.
			originals := map[string]int{}
			for _, pt := range printedTickets(t, r.vp.Job()) {
				if pt.code != "" && !pt.copy {
					originals[pt.code]++
				}
			}
			for code, n := range originals {
				if n > 1 {
					t.Errorf("ticket %s printed %d times without КОПИЕ", code, n)
				}
			}
			if len(originals) < 4 { // 3 + 1 sold on ready printers, and what printed of the failed sale
				t.Errorf("only %d distinct original tickets printed", len(originals))
			}
		})
	}
}
