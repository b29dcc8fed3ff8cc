package layout

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/escpos"
	"ticketkiosk/journal"
	"ticketkiosk/testkit"
)

// pngModels get PNG goldens: a 512-dot and a 384-dot model.
var pngModels = map[string]bool{"tm-t88v": true, "pos-5890": true}

// TestModels lays out a ticket and a report for every model of the capability database
// in both languages: golden streams (testdata/models/MODEL_LANG_ticket.escpos and
// _report.escpos, with their transcripts), only commands the model's entry says it obeys,
// no line wider than the model's columns and none the printer wraps, and a QR code that
// decodes and verifies, native where the model has the command and an image elsewhere.
func TestModels(t *testing.T) {
	sale := oneTicketSale(t)
	printedAt := time.Date(2027, 3, 14, 21, 5, 0, 0, time.UTC)
	for _, p := range escpos.Models() {
		for _, loc := range []catalog.Locale{catalog.LocaleBG, catalog.LocaleEN} {
			name := fmt.Sprintf("%s_%s", p.Name, loc)
			t.Run(name, func(t *testing.T) {
				cfg := testConfig(loc)
				l := New(Options{Profile: p})
				ticket, err := l.Tickets(cfg, sale, 0)
				if err != nil {
					t.Fatal(err)
				}
				report, err := l.Report(cfg, "Отчет / Report", testReport(), printedAt)
				if err != nil {
					t.Fatal(err)
				}
				for kind, job := range map[string][]byte{"ticket": ticket, "report": report} {
					golden := filepath.Join("models", name+"_"+kind)
					checkGolden(t, golden+".escpos", job)
					if err := p.Check(job); err != nil {
						t.Errorf("%s: %v", kind, err)
					}
					checkNoWastedCodePage(t, job)
					paper := render(t, job, p)
					checkWidth(t, paper.Text, p.Columns)
					if paper.Wrapped != 0 {
						t.Errorf("%s: the printer wrapped %d lines:\n%s", kind, paper.Wrapped, paper.Text)
					}
					if *update {
						writeTestdata(t, golden+".txt", []byte(paper.Text))
						if pngModels[p.Name] {
							var png bytes.Buffer
							if err := paper.WritePNG(&png); err != nil {
								t.Fatal(err)
							}
							writeTestdata(t, golden+".png", png.Bytes())
						}
					}
					if kind == "report" {
						continue
					}
					if got := testkit.QRCode(t, paper.Image); got != sale.Sale.Tickets[0].Code {
						t.Errorf("decoded %q", got)
					}
					if native := len(paper.QRCodes) == 1; native != p.QR {
						t.Errorf("native QR %v on a model with QR %v", native, p.QR)
					}
					if bg := loc == catalog.LocaleBG; bg && !strings.Contains(paper.Text, "Книжарница „Хеликон“") {
						t.Errorf("the outlet's name does not print whole:\n%s", paper.Text)
					}
				}
			})
		}
	}
}

// checkNoWastedCodePage fails on an ESC t that another ESC t or ESC @ replaces before a
// character outside ASCII used it.
func checkNoWastedCodePage(t *testing.T, job []byte) {
	t.Helper()
	cmds, err := escpos.Parse(job)
	if err != nil {
		t.Fatal(err)
	}
	pending := -1 // offset of an ESC t not used yet
	for _, c := range cmds {
		switch c.Op {
		case escpos.OpCodePage, escpos.OpInit:
			if pending >= 0 {
				t.Errorf("ESC t at byte %d replaced at byte %d before use", pending, c.Offset)
			}
			pending = -1
			if c.Op == escpos.OpCodePage {
				pending = c.Offset
			}
		case escpos.OpText:
			for _, b := range c.Data {
				if b >= 0x80 {
					pending = -1
				}
			}
		}
	}
	if pending >= 0 {
		t.Errorf("ESC t at byte %d never used", pending)
	}
}

func writeTestdata(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLongestCodeFits58: the longest ticket code the journal signs (every field at its
// limit), after a ticket URL, prints as a QR code that fits 58 mm paper and decodes, at
// every error level, on a 58 mm model with a QR command and on one without.
func TestLongestCodeFits58(t *testing.T) {
	long := strings.Repeat("x", 64)
	code, err := journal.NewCode(journal.TicketFacts{Device: long, Sale: 1<<64 - 1, N: 1 << 16, Of: 1 << 16,
		Event: long, Type: long}, testKey)
	if err != nil {
		t.Fatal(err)
	}
	sale := oneTicketSale(t)
	sale.Sale.Tickets[0].Code = code
	cfg := testConfig(catalog.LocaleBG)
	cfg.Hub.TicketURL = "https://tickets.example-organiser.bg/t/"
	want := QRPayload(cfg.Hub.TicketURL, code)
	for _, name := range []string{"xp-58", "pos-5890"} {
		p, err := escpos.LookupProfile(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		for level := escpos.QRLevelL; level <= escpos.QRLevelH; level++ {
			job, err := New(Options{Profile: p, QRLevel: &level}).Tickets(cfg, sale, 0)
			if err != nil {
				t.Fatalf("%s level %v: %v", name, level, err)
			}
			paper := render(t, job, p)
			if strings.Contains(paper.Text, "not printed") {
				t.Fatalf("%s level %v: %s", name, level, paper.Text)
			}
			if got := testkit.QRCode(t, paper.Image); got != want {
				t.Errorf("%s level %v: decoded %q", name, level, got)
			}
			bm, _ := escpos.QRModules([]byte(want), level)
			t.Logf("%s level %v: %d characters, %d modules, %d dots a module", name, level, len(want), len(bm), p.Dots/len(bm))
		}
	}
}

// TestTicketBytesPerModel prints the bytes of a one-ticket Bulgarian job per model (80 mm
// but for the 58 mm classes), with the printer's own QR command where it has one and with
// the QR as an image in each image command the model obeys, and what the model uses
// (go test -run TestTicketBytesPerModel -v ./layout).
func TestTicketBytesPerModel(t *testing.T) {
	sale := oneTicketSale(t)
	cfg := testConfig(catalog.LocaleBG)
	size := func(p escpos.Profile, raster bool) string {
		job, err := New(Options{Profile: p, RasterQR: raster}).Tickets(cfg, sale, 0)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(len(job))
	}
	t.Logf("%-12s %4s %6s %7s %7s %8s %7s  %s", "model", "dots", "native", "GS v 0", "GS ( L", "ESC * 33", "ESC * 1", "QR used")
	for _, p := range escpos.Models() {
		cells := map[escpos.ImageMode]string{}
		for _, m := range p.Images {
			q := p
			q.Images = []escpos.ImageMode{m}
			cells[m] = size(q, true)
		}
		native := "-"
		if p.QR {
			native = size(p, false)
		}
		cell := func(m escpos.ImageMode) string { return cmp.Or(cells[m], "-") }
		t.Logf("%-12s %4d %6s %7s %7s %8s %7s  %s", p.Name, p.Dots, native, cell(escpos.ImageRaster),
			cell(escpos.ImageGraphics), cell(escpos.ImageColumn24), cell(escpos.ImageColumn8), New(Options{Profile: p}).QRMode())
	}
}

// TestPrintable: the layout says what prints and what degrades: on the TM-T88IV (no
// Windows Cyrillic page) „“, € and № come from its other pages, ѝ has none.
func TestPrintable(t *testing.T) {
	p, err := escpos.LookupProfile("tm-t88iv", 0)
	if err != nil {
		t.Fatal(err)
	}
	l := New(Options{Profile: p})
	got, degraded := l.Printable("„Щурците“ № 1 — 20,00 €, ѝ")
	if l.CodePage() != "PC866" || got != "„Щурците“ № 1 — 20,00 €, и" {
		t.Errorf("%s prints %q", l.CodePage(), got)
	}
	if len(degraded) != 1 || degraded[0].String() != `"ѝ" printed as "и": no code page of Epson TM-T88IV has it` {
		t.Errorf("degraded %v", degraded)
	}
}
