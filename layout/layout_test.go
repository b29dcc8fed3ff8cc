package layout

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ticketkiosk/catalog"
	"ticketkiosk/escpos"
	"ticketkiosk/escpos/virtual"
	"ticketkiosk/journal"
	"ticketkiosk/testkit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var testKey = ed25519.NewKeyFromSeed([]byte("layout test device key seed....."))

func keys(dev string) (ed25519.PublicKey, bool) {
	return testKey.Public().(ed25519.PublicKey), dev == "k1"
}

// eventStart is Saturday 13 March 2027, 19:00 in Sofia (EET, UTC+2).
var eventStart = time.Date(2027, 3, 13, 17, 0, 0, 0, time.UTC)

func testConfig(locale catalog.Locale) *catalog.DeviceConfig {
	return &catalog.DeviceConfig{
		Version:  1,
		DeviceID: "k1",
		Outlet: catalog.Outlet{ID: "sofia", Name: "Книжарница „Хеликон“", Delivery: catalog.DeliveryPrint,
			Locale: locale, Currency: "EUR", TimeZone: "Europe/Sofia"},
		Events: []catalog.Event{
			{ID: "e1", Title: "Концерт на Щурците", Venue: "НДК, зала 1, София", Start: eventStart,
				Types: []catalog.TicketType{{ID: "std", Name: "Стандартен", Price: 1250}, {ID: "kid", Name: "Детски", Price: 600}}},
			{ID: "e2", Title: "Jazz Night", Venue: "Sofia Live Club", Start: eventStart.Add(24 * time.Hour),
				Types: []catalog.TicketType{{ID: "std", Name: "Standard", Price: 2000}}},
		},
	}
}

// testSale is sale number 5 of device k1, its entry seq 42: two standard tickets and one
// child's ticket.
func testSale(t testing.TB) *journal.Entry {
	t.Helper()
	lines := []journal.Line{{Type: "std", Qty: 2, Price: 1250}, {Type: "kid", Qty: 1, Price: 600}}
	s := &journal.Sale{No: 5, Outlet: "sofia", Event: "e1", Currency: "EUR", Delivery: "print", Lines: lines, Total: 3100}
	n := 0
	for _, l := range lines {
		for range l.Qty {
			n++
			code, err := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: 42, N: n, Of: 3, Event: "e1", Type: l.Type}, testKey)
			if err != nil {
				t.Fatal(err)
			}
			s.Tickets = append(s.Tickets, journal.Ticket{N: n, Type: l.Type, Code: code})
		}
	}
	return &journal.Entry{V: journal.Version, Device: "k1", Seq: 42, Time: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC).UnixMilli(),
		Actor: "ann@example.org", Kind: journal.KindSale, Sale: s}
}

func oneTicketSale(t testing.TB) *journal.Entry {
	e := testSale(t)
	s := *e.Sale
	code, err := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: 42, N: 1, Of: 1, Event: "e1", Type: "std"}, testKey)
	if err != nil {
		t.Fatal(err)
	}
	s.Lines = []journal.Line{{Type: "std", Qty: 1, Price: 1250}}
	s.Total = 1250
	s.Tickets = []journal.Ticket{{N: 1, Type: "std", Code: code}}
	e.Sale = &s
	return e
}

var (
	epson80 = escpos.Epson
	clone58 = escpos.Clone
)

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	want, compare := testkit.Golden(t, filepath.Join("testdata", name), got, *update)
	if !compare {
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes differ from the golden file's %d (go test -update rewrites it)", name, len(got), len(want))
	}
}

func render(t *testing.T, job []byte, p escpos.Profile) *virtual.Paper {
	t.Helper()
	paper, err := virtual.Render(job, virtual.RenderOptions{Profile: p})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if paper.Skipped != 0 {
		t.Errorf("render skipped %d unknown commands", paper.Skipped)
	}
	return paper
}

// checkWidth fails when a printed line is wider than the paper.
func checkWidth(t *testing.T, text string, cols int) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "[") || strings.HasPrefix(line, "---") && strings.HasSuffix(line, "---") && len(line) < 16 {
			continue
		}
		if n := utf8.RuneCountInString(line); n > cols {
			t.Errorf("line of %d characters on %d columns: %q", n, cols, line)
		}
	}
}

// checkCuts checks that the job cuts n times, or feeds to the tear bar n times on a
// printer without cutter.
func checkCuts(t *testing.T, job []byte, paper *virtual.Paper, p escpos.Profile, n int) {
	t.Helper()
	if p.Cutter {
		if paper.Cuts != n {
			t.Errorf("%d cuts, want %d", paper.Cuts, n)
		}
		return
	}
	if paper.Cuts != 0 || bytes.Count(job, []byte{0x1b, 'd', 4}) != n {
		t.Errorf("%d cuts and %d feeds to the tear bar on a printer without cutter, want 0 and %d",
			paper.Cuts, bytes.Count(job, []byte{0x1b, 'd', 4}), n)
	}
}

func TestQRPayload(t *testing.T) {
	code := "ABCDEF234567"
	for _, c := range []struct{ url, want string }{
		{"", code},
		{"https://t.example.org/T/", "HTTPS://T.EXAMPLE.ORG/T/" + code},
		{"HTTPS://T.EXAMPLE.ORG/T/", "HTTPS://T.EXAMPLE.ORG/T/" + code},
		{"https://t.example.org/t?c=", "HTTPS://T.EXAMPLE.ORG/t?c=" + code}, // the path keeps its case
		{"not a url/", "not a url/" + code},
	} {
		if got := QRPayload(c.url, code); got != c.want {
			t.Errorf("QRPayload(%q) = %q, want %q", c.url, got, c.want)
		}
	}
}

// ticketCases are the sample tickets with golden files.
var ticketCases = []struct {
	name string
	loc  catalog.Locale
	prof escpos.Profile
	copy int
}{
	{"ticket_bg_80", catalog.LocaleBG, epson80, 0},
	{"ticket_en_80", catalog.LocaleEN, epson80, 0},
	{"ticket_bg_58", catalog.LocaleBG, clone58, 0},
	{"ticket_en_58", catalog.LocaleEN, clone58, 0},
	{"ticket_bg_80_copy2", catalog.LocaleBG, epson80, 2},
	{"ticket_en_58_copy1", catalog.LocaleEN, clone58, 1},
}

func TestTicketsGolden(t *testing.T) {
	sale := testSale(t)
	for _, c := range ticketCases {
		t.Run(c.name, func(t *testing.T) {
			job, err := New(Options{Profile: c.prof}).Tickets(testConfig(c.loc), sale, c.copy)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.name+".escpos", job)
			if *update { // the renderings help a reviewer see the golden bytes
				paper := render(t, job, c.prof)
				if err := os.WriteFile(filepath.Join("testdata", c.name+".txt"), []byte(paper.Text), 0o644); err != nil {
					t.Fatal(err)
				}
				var png bytes.Buffer
				if err := paper.WritePNG(&png); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("testdata", c.name+".png"), png.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestTicketsRender(t *testing.T) {
	sale := testSale(t)
	for _, c := range ticketCases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(c.loc)
			l := New(Options{Profile: c.prof})
			job, err := l.Tickets(cfg, sale, c.copy)
			if err != nil {
				t.Fatal(err)
			}
			paper := render(t, job, c.prof)
			text := paper.Text
			checkWidth(t, text, c.prof.Columns)
			checkCuts(t, job, paper, c.prof, 3)
			bgText := c.loc == catalog.LocaleBG
			want := []string{"Книжарница „Хеликон“", "Концерт на Щурците", "НДК, зала 1, София",
				"Стандартен", "Детски", "K1-42-1", "K1-42-2", "K1-42-3"}
			if bgText {
				want = append(want, "събота, 13 март 2027, 19:00", "12,50 €", "6,00 €",
					"Билет 1 от 3", "Билет 2 от 3", "Билет 3 от 3", "Продажба № 5")
			} else {
				want = append(want, "Saturday 13 March 2027, 19:00", "€12.50", "€6.00",
					"Ticket 1 of 3", "Ticket 3 of 3", "Sale no. 5")
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("transcript lacks %q:\n%s", w, text)
				}
			}
			// The sale number is printed, not the entry's seq (which the short code keeps).
			if strings.Contains(text, "№ 42") || strings.Contains(text, "no. 42") {
				t.Errorf("the ticket prints the entry's seq as the sale number:\n%s", text)
			}
			copyWord := map[bool]string{true: "КОПИЕ", false: "COPY"}[bgText]
			if c.copy > 0 {
				mark := fmt.Sprintf("%s %d", copyWord, c.copy)
				if n := strings.Count(text, mark); n != 2*3 {
					t.Errorf("%q printed %d times, want twice on each of 3 tickets", mark, n)
				}
			} else if strings.Contains(text, copyWord) {
				t.Errorf("an original ticket says %s", copyWord)
			}
			// The stored QR payloads are the tickets' codes, in order (printers with a QR
			// command; the others get images).
			if !c.prof.QR {
				if paper.Images != 3 || len(paper.QRCodes) != 0 {
					t.Errorf("%d images, %d native QR codes on a printer without QR", paper.Images, len(paper.QRCodes))
				}
			} else if len(paper.QRCodes) != 3 {
				t.Fatalf("%d QR codes, want 3", len(paper.QRCodes))
			}
			for i, q := range paper.QRCodes {
				if q != sale.Sale.Tickets[i].Code {
					t.Errorf("QR %d carries %q, want ticket %d's code", i, q, i+1)
				}
			}
			// And the printed symbols decode and verify.
			decoded := testkit.QRCodes(t, paper.Image)
			slices.Sort(decoded)
			var wantCodes []string
			for _, tk := range sale.Sale.Tickets {
				wantCodes = append(wantCodes, tk.Code)
			}
			slices.Sort(wantCodes)
			if !slices.Equal(decoded, wantCodes) {
				t.Fatalf("decoded %d QR codes %q, want the 3 ticket codes", len(decoded), decoded)
			}
			seen := map[int]bool{}
			for _, d := range decoded {
				f, err := journal.VerifyCode(d, keys)
				if err != nil {
					t.Fatalf("decoded QR %q: %v", d, err)
				}
				if f.Device != "k1" || f.Sale != 42 || f.Of != 3 || f.Event != "e1" || seen[f.N] {
					t.Errorf("decoded ticket facts %+v", f)
				}
				seen[f.N] = true
			}
		})
	}
}

func TestTicketURLInQR(t *testing.T) {
	cfg := testConfig(catalog.LocaleEN)
	cfg.Hub.TicketURL = "https://tickets.example.org/T/"
	sale := oneTicketSale(t)
	for _, prof := range []escpos.Profile{epson80, clone58} {
		job, err := New(Options{Profile: prof}).Tickets(cfg, sale, 0)
		if err != nil {
			t.Fatal(err)
		}
		paper := render(t, job, prof)
		decoded := testkit.QRCodes(t, paper.Image)
		want := "HTTPS://TICKETS.EXAMPLE.ORG/T/" + sale.Sale.Tickets[0].Code
		if len(decoded) != 1 || decoded[0] != want {
			t.Fatalf("%s: decoded %q, want %q", prof, decoded, want)
		}
		if _, err := journal.VerifyCode(journal.ScannedCode(decoded[0]), keys); err != nil {
			t.Fatalf("%s: the URL's code does not verify: %v", prof, err)
		}
	}
}

func TestCodePages(t *testing.T) {
	sale := oneTicketSale(t)
	latinOnly := escpos.Profile{Name: "latin", Dots: 576, Columns: 48, Cutter: true,
		CodePages: map[string]byte{"PC437": 0, "WPC1252": 16}, DefaultCodePage: "PC437"}
	for _, c := range []struct {
		name, page string
		prof       escpos.Profile
		wantPage   string
		want       []string
		wantNot    []string
	}{
		{"default WPC1251", "", epson80, "WPC1251", []string{"Концерт на Щурците", "12,50 €"}, nil},
		{"PC866 takes the euro from WPC1252", "PC866", epson80, "PC866", []string{"Концерт на Щурците", "12,50 €", "„Хеликон“"}, []string{"EUR"}},
		{"Rongta numbers", "", escpos.Rongta, "WPC1251", []string{"Концерт на Щурците", "Билет 1 от 1"}, nil},
		{"no Cyrillic page transliterates", "", latinOnly, "PC437",
			[]string{"Kontsert na Shturtsite", "Bilet 1 ot 1", "12,50 €", "NDK, zala 1, Sofia", "„Helikon“"}, []string{"?", "Концерт"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := New(Options{Profile: c.prof, CodePage: c.page})
			if l.CodePage() != c.wantPage {
				t.Errorf("code page %s, want %s", l.CodePage(), c.wantPage)
			}
			job, err := l.Tickets(testConfig(catalog.LocaleBG), sale, 0)
			if err != nil {
				t.Fatal(err)
			}
			if n, ok := c.prof.CodePages[c.wantPage]; ok && c.wantPage != c.prof.DefaultCodePage &&
				!bytes.Contains(job, []byte{0x1b, 't', n}) {
				t.Errorf("job does not select %s (ESC t %d)", c.wantPage, n)
			}
			text := render(t, job, c.prof).Text
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("transcript lacks %q:\n%s", w, text)
				}
			}
			for _, w := range c.wantNot {
				if strings.Contains(strings.ReplaceAll(text, "[QR: ", ""), w) {
					t.Errorf("transcript has %q:\n%s", w, text)
				}
			}
		})
	}
	// A page the profile does not number is an error, not garbage.
	if _, err := New(Options{Profile: latinOnly, CodePage: "PC866"}).Tickets(testConfig(catalog.LocaleBG), sale, 0); !errors.Is(err, escpos.ErrUnknownCodePage) {
		t.Errorf("unknown page: %v, want ErrUnknownCodePage", err)
	}
}

func TestRasterQRAndLogo(t *testing.T) {
	sale := oneTicketSale(t)
	logo := image.NewGray(image.Rect(0, 0, 800, 100)) // wider than the paper: scaled down
	for y := 20; y < 80; y++ {
		for x := 0; x < 800; x++ {
			logo.SetGray(x, y, color.Gray{Y: uint8(x * 255 / 800)})
		}
	}
	cfg := testConfig(catalog.LocaleBG)
	xp58, err := escpos.LookupProfile("xp-58", 0) // 58 mm with a QR command
	if err != nil {
		t.Fatal(err)
	}
	native, err := New(Options{Profile: xp58}).Tickets(cfg, sale, 0)
	if err != nil {
		t.Fatal(err)
	}
	l := New(Options{Profile: clone58, RasterQR: true, Logo: logo})
	job, err := l.Tickets(cfg, sale, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(job) < 3*len(native) {
		t.Errorf("raster QR and logo job %d bytes, native %d: expected several times larger", len(job), len(native))
	}
	paper := render(t, job, clone58)
	if paper.Images != 2 || len(paper.QRCodes) != 0 {
		t.Errorf("%d images and %d native QR codes, want the logo and the QR as 2 images", paper.Images, len(paper.QRCodes))
	}
	if !strings.Contains(paper.Text, "[IMAGE 384x48]") {
		t.Errorf("logo not scaled to the paper width:\n%s", paper.Text)
	}
	decoded := testkit.QRCodes(t, paper.Image)
	if len(decoded) != 1 || decoded[0] != sale.Sale.Tickets[0].Code {
		t.Fatalf("raster QR decoded as %q", decoded)
	}
}

func TestTicketsErrors(t *testing.T) {
	l := New(Options{})
	cfg := testConfig(catalog.LocaleBG)
	if _, err := l.Tickets(cfg, &journal.Entry{Kind: journal.KindVoid}, 0); !errors.Is(err, ErrNotSale) {
		t.Errorf("void entry: %v, want ErrNotSale", err)
	}
	bad := testSale(t)
	bad.Sale.Tickets[1].Code = "NOT-A-CODE"
	if _, err := l.Tickets(cfg, bad, 0); !errors.Is(err, journal.ErrCodeMalformed) {
		t.Errorf("bad code: %v, want ErrCodeMalformed", err)
	}
	// An event gone from the config still prints, under its id.
	sale := oneTicketSale(t)
	cfg.Events = cfg.Events[1:]
	job, err := l.Tickets(cfg, sale, 0)
	if err != nil {
		t.Fatal(err)
	}
	text := render(t, job, epson80).Text
	if !strings.Contains(text, "e1") || !strings.Contains(text, "12,50 €") {
		t.Errorf("ticket of an event not in the config:\n%s", text)
	}
}

func testReport() *journal.Report {
	from, _ := journal.ParseDay("2027-03-01")
	to, _ := journal.ParseDay("2027-03-14")
	r := journal.NewReport(journal.Period{From: from, To: to})
	r.Add(journal.Key{Day: from, Event: "e1", Type: "std"}, journal.Tally{Tickets: 10, Amount: 12500})
	r.Add(journal.Key{Day: from, Event: "e2", Type: "std"}, journal.Tally{Tickets: 1, Amount: 2000, Voided: 1})
	r.Add(journal.Key{Day: to, Event: "e1", Type: "kid"}, journal.Tally{Tickets: 4, Amount: 2400})
	r.Add(journal.Key{Day: to, Event: "gone", Type: "vip"}, journal.Tally{Tickets: 2, Amount: 10000})
	return r
}

func TestReport(t *testing.T) {
	printedAt := time.Date(2027, 3, 14, 21, 5, 0, 0, time.UTC) // 23:05 in Sofia
	for _, c := range []struct {
		name string
		loc  catalog.Locale
		prof escpos.Profile
		want []string
	}{
		{"report_bg_80", catalog.LocaleBG, epson80, []string{
			"Отчет за обекта", "Книжарница „Хеликон“", "Период: 01.03.2027 – 14.03.2027",
			"Отпечатан: 14.03.2027 23:05", "Концерт на Щурците", "Стандартен", "10 бр.  125,00 €",
			"Детски", "4 бр.  24,00 €", "14 бр.  149,00 €", "Jazz Night", "анулирани: 1", "gone", "vip",
			"ОБЩО", "17 бр.  269,00 €"}},
		{"report_en_58", catalog.LocaleEN, clone58, []string{
			"Period: 1 Mar 2027 – 14 Mar 2027", "Printed: 14 Mar 2027 23:05",
			"10 pcs  €125.00", "4 pcs  €24.00", "TOTAL", "17 pcs  €269.00", "voided: 1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			title := map[catalog.Locale]string{catalog.LocaleBG: "Отчет за обекта", catalog.LocaleEN: "Outlet report"}[c.loc]
			job, err := New(Options{Profile: c.prof}).Report(testConfig(c.loc), title, testReport(), printedAt)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.name+".escpos", job)
			paper := render(t, job, c.prof)
			checkWidth(t, paper.Text, c.prof.Columns)
			for _, w := range c.want {
				if !strings.Contains(paper.Text, w) {
					t.Errorf("transcript lacks %q:\n%s", w, paper.Text)
				}
			}
			// Rows of one event stay together: the child tickets of e1 come before Jazz Night.
			kid, jazz := strings.Index(paper.Text, "Детски"), strings.Index(paper.Text, "Jazz Night")
			if kid < 0 || jazz < 0 || kid > jazz {
				t.Errorf("rows of an event are not grouped:\n%s", paper.Text)
			}
			checkCuts(t, job, paper, c.prof, 1)
		})
	}
	empty, err := New(Options{}).Report(testConfig(catalog.LocaleEN), "Today", journal.NewReport(journal.Whole()), printedAt)
	if err != nil {
		t.Fatal(err)
	}
	text := render(t, empty, epson80).Text
	for _, w := range []string{"Period: whole period", "No sales in this period.", "0 pcs  €0.00"} {
		if !strings.Contains(text, w) {
			t.Errorf("empty report lacks %q:\n%s", w, text)
		}
	}
	if _, err := New(Options{}).Report(testConfig(catalog.LocaleEN), "x", nil, printedAt); !errors.Is(err, ErrNoReport) {
		t.Errorf("nil report: %v", err)
	}
}

// BenchmarkTicket80BG encodes one 80 mm Bulgarian ticket and reports its size with the
// printer's own QR and with the QR sent as a raster image, and the seconds each takes on
// a serial line at 9600, 19200 and 115200 baud (8N1: 10 bits a byte).
func BenchmarkTicket80BG(b *testing.B) {
	cfg := testConfig(catalog.LocaleBG)
	sale := oneTicketSale(b)
	l := New(Options{Profile: epson80})
	raster, err := New(Options{Profile: epson80, RasterQR: true}).Tickets(cfg, sale, 0)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	b.ReportAllocs()
	for b.Loop() {
		job, err := l.Tickets(cfg, sale, 0)
		if err != nil {
			b.Fatal(err)
		}
		n = len(job)
	}
	b.ReportMetric(float64(n), "bytes/ticket")
	b.ReportMetric(float64(len(raster)), "raster-QR-bytes/ticket")
	b.ReportMetric(float64(len(raster))/float64(n), "raster/native")
	for _, baud := range []int{9600, 19200, 115200} {
		b.ReportMetric(float64(n*10)/float64(baud), fmt.Sprintf("s@%dbaud", baud))
		b.ReportMetric(float64(len(raster)*10)/float64(baud), fmt.Sprintf("raster-s@%dbaud", baud))
	}
}

func ExampleLayout_Tickets() {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	code, _ := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: 7, N: 1, Of: 1, Event: "e1", Type: "std"}, key)
	cfg := &catalog.DeviceConfig{
		Outlet: catalog.Outlet{Name: "Bookshop", Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"},
		Events: []catalog.Event{{ID: "e1", Title: "Jazz Night", Venue: "Sofia Live Club",
			Start: time.Date(2027, 3, 13, 18, 30, 0, 0, time.UTC),
			Types: []catalog.TicketType{{ID: "std", Name: "Standard", Price: 2000}}}},
	}
	sale := &journal.Entry{Seq: 7, Kind: journal.KindSale, Sale: &journal.Sale{No: 3, Event: "e1", Currency: "EUR",
		Lines:   []journal.Line{{Type: "std", Qty: 1, Price: 2000}},
		Tickets: []journal.Ticket{{N: 1, Type: "std", Code: code}}}}
	l := New(Options{Profile: escpos.Clone}) // 58 mm, 32 columns, no cutter, no QR command
	job, err := l.Tickets(cfg, sale, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	paper, _ := virtual.Render(job, virtual.RenderOptions{Profile: escpos.Clone})
	for _, line := range strings.Split(strings.TrimRight(paper.Text, "\n"), "\n") {
		if strings.HasPrefix(line, "[QR: ") {
			line = "[QR: the signed code]"
		}
		fmt.Println(line)
	}
	// Output:
	// COPY 1
	// Bookshop
	// Jazz Night
	// Sofia Live Club
	// Saturday 13 March 2027, 20:30
	// --------------------------------
	// Standard                  €20.00
	// Ticket 1 of 1
	// --------------------------------
	// [IMAGE 248x246]
	//
	// K1-7-1
	// Sale no. 3
	// COPY 1
}

// TestQRLevelDefaultM: the zero Options send QR error level M (GS ( k fn 69 '1'), the
// documented default and kioskd's qr_level default; L goes out only when asked for.
func TestQRLevelDefaultM(t *testing.T) {
	sale := oneTicketSale(t)
	low := escpos.QRLevelL
	for _, c := range []struct {
		level *escpos.QRLevel
		want  byte
	}{{nil, '1'}, {&low, '0'}} {
		job, err := New(Options{QRLevel: c.level}).Tickets(testConfig(catalog.LocaleEN), sale, 0)
		if err != nil {
			t.Fatal(err)
		}
		if set := []byte{0x1d, '(', 'k', 3, 0, '1', 'E', c.want}; !bytes.Contains(job, set) {
			t.Errorf("level %v: the job lacks % x", c.level, set)
		}
	}
}

// TestQRTest: the QR test ticket sends the QR code with the QR command even for a profile
// without one (the point of the test), then as an image; the paper holds it twice.
func TestQRTest(t *testing.T) {
	const payload = "QR-TEST-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for _, p := range []escpos.Profile{escpos.Epson, escpos.Clone} {
		job, err := New(Options{Profile: p}).QRTest(payload)
		if err != nil {
			t.Fatal(err)
		}
		paper := render(t, job, p)
		if len(paper.QRCodes) != 1 || paper.QRCodes[0] != payload || paper.Images != 1 {
			t.Errorf("%s: native QR codes %q, %d images; want one of each", p.Name, paper.QRCodes, paper.Images)
		}
		if codes := testkit.QRCodes(t, paper.Image); len(codes) != 2 || codes[0] != payload || codes[1] != payload {
			t.Errorf("%s: the paper's QR codes decode as %q", p.Name, codes)
		}
	}
}
