package e2e

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"ticketkiosk/escpos/virtual"
	"ticketkiosk/hub"
	"ticketkiosk/internal/appliance"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// The suite's catalogue: two outlets selling in English, two events.
const (
	outletBooks = "books"
	outletFuel  = "fuel"
	titleJazz   = "Winter Jazz"
	titleTale   = "Snow Tale"
)

var (
	// titles are the event titles in the order each outlet's sell list shows them.
	titles = map[string][]string{outletBooks: {titleJazz, titleTale}, outletFuel: {titleJazz}}
	// eventIDs and typeIDs follow the same order.
	eventIDs = map[string][]string{outletBooks: {"jazz", "tale"}, outletFuel: {"jazz"}}
	typeIDs  = map[string][]string{"jazz": {"std", "vip"}, "tale": {"adult", "child"}}
	prices   = map[string]int64{"jazz/std": 1250, "jazz/vip": 4000, "tale/adult": 1800, "tale/child": 900}

	boss = user{"boss@books.example", "9001", "boss-secret"}
	anna = user{"anna@books.example", "1001", "anna-secret"}
	bob  = user{"bob@books.example", "1002", "bob-secret"}
	carl = user{"carl@fuel.example", "2001", "carl-secret"}
	dora = user{"dora@fuel.example", "2002", "dora-secret"}
	// sellers are the users of each outlet.
	sellers = map[string][]user{outletBooks: {anna, bob, boss}, outletFuel: {dora, carl}}
)

// catalogue fills the hub through kioskctl: outlets, events, links, users.
func (e *env) catalogue() {
	e.t.Helper()
	start := time.Now().AddDate(1, 0, 0).Format("2006-01-02T15:04")
	e.mustCtl("", "outlet", "add", outletBooks, "--name", "Books Central", "--delivery", "print", "--locale", "en")
	e.mustCtl("", "outlet", "add", outletFuel, "--name", "Fuel North", "--delivery", "print", "--locale", "en")
	e.mustCtl("", "event", "add", "jazz", "--title", titleJazz, "--venue", "Hall 1", "--start", start, "--sale-from", "2020-01-01T00:00",
		"--type", "std:Standard:12.50", "--type", "vip:VIP:40")
	e.mustCtl("", "event", "add", "tale", "--title", titleTale, "--venue", "Theatre", "--start", start, "--sale-from", "2020-01-01T00:00",
		"--type", "adult:Adult:18", "--type", "child:Child:9")
	e.mustCtl("", "link", outletBooks, "jazz", "--allot", "std=100000,vip=100000")
	e.mustCtl("", "link", outletBooks, "tale")
	e.mustCtl("", "link", outletFuel, "jazz")
	add := func(u user, outlet, role string) {
		e.mustCtl(u.pass+"\n", "user", "add", u.email, "--outlet", outlet, "--role", role, "--code", u.code)
	}
	add(boss, outletBooks, "supervisor")
	add(anna, outletBooks, "cashier")
	add(bob, outletBooks, "cashier")
	add(carl, outletFuel, "supervisor")
	add(dora, outletFuel, "cashier")
}

// push pushes every changed config and checks that all n devices applied it.
func (e *env) push(n int) {
	e.t.Helper()
	out := e.mustCtl("", append([]string{"push", "--timeout", "60s"}, e.conn...)...)
	if want := fmt.Sprintf("%d of %d devices applied their config", n, n); !strings.Contains(out, want) {
		e.t.Fatalf("push: want %q:\n%s", want, out)
	}
}

// openStore opens a stopped kiosk's store.
func (k *kiosk) openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(k.stateDir, appliance.StoreFile), store.Options{Device: k.id, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("%s: store: %v", k.id, err)
	}
	return s
}

// lastSeq returns a stopped kiosk's last journal seq.
func (k *kiosk) lastSeq(t testing.TB) uint64 {
	t.Helper()
	s := k.openStore(t)
	defer s.Close()
	return s.LastSeq()
}

// syncAll stops every kiosk and makes sure the hub (serve running) holds each one's whole
// journal: a kiosk the hub lacks entries of runs again, idle, until the hub has them.
func syncAll(t testing.TB, e *env, ks []*kiosk, max time.Duration) {
	t.Helper()
	for _, k := range ks {
		k.Stop()
	}
	for _, k := range ks {
		last := k.lastSeq(t)
		hubSeq := func() uint64 {
			d, err := e.deviceStatus(k.id)
			if err != nil {
				return 0
			}
			return d.HubSeq
		}
		if hubSeq() >= last {
			continue
		}
		k.mustStart()
		if !testkit.Poll(max, func() bool { return hubSeq() >= last }) {
			t.Fatalf("%s: the hub has seq %d of %d after %v", k.id, hubSeq(), last, max)
		}
		k.Stop()
	}
}

// deviceReport sums the device reports (whole period) of ks, optionally for some users.
func deviceReport(t testing.TB, ks []*kiosk, users ...string) (map[[2]string]journal.Tally, journal.Tally) {
	t.Helper()
	rows := map[[2]string]journal.Tally{}
	var total journal.Tally
	for _, k := range ks {
		s := k.openStore(t)
		r, err := s.Report(store.Filter{Period: journal.Whole(), Users: users})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range r.Rows {
			key := [2]string{row.Event, row.Type}
			tl := rows[key]
			tl.Add(row.Tally)
			rows[key] = tl
		}
		total.Add(r.Total)
	}
	return rows, total
}

// compareReports checks `kioskctl report` against the devices' own reports: by type for
// each outlet, and by user for each seller.
func compareReports(t testing.TB, e *env, byOutlet map[string][]*kiosk) {
	t.Helper()
	for outlet, ks := range byOutlet {
		devRows, devTotal := deviceReport(t, ks)
		r := e.report("--outlet", outlet, "--by", "type")
		if r.Total != devTotal {
			t.Errorf("outlet %s: hub total %+v, devices %+v", outlet, r.Total, devTotal)
		}
		if len(r.Rows) != len(devRows) {
			t.Errorf("outlet %s: hub rows %+v, device rows %+v", outlet, r.Rows, devRows)
		}
		for _, row := range r.Rows {
			if len(row.Group) != 2 || devRows[[2]string{row.Group[0], row.Group[1]}] != row.Tally {
				t.Errorf("outlet %s: hub row %+v, devices %+v", outlet, row, devRows)
			}
		}
		for _, u := range sellers[outlet] {
			_, devUser := deviceReport(t, ks, u.email)
			if hr := e.report("--user", u.email); hr.Total != devUser {
				t.Errorf("user %s: hub %+v, devices %+v", u.email, hr.Total, devUser)
			}
		}
	}
}

// checkLedger opens the hub's ledger (serve stopped) and checks, for every kiosk, that it
// holds the kiosk's journal exactly: the same entries byte for byte, each seq once, no
// gap, an intact hash chain, and no alarm. It returns the entries compared.
func checkLedger(t testing.TB, e *env, ks []*kiosk) (entries int) {
	t.Helper()
	l, err := ledger.Open(filepath.Join(e.hubDir, hub.LedgerFile), ledger.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	devs, err := l.Devices()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ledger.Device{}
	for _, d := range devs {
		byID[d.ID] = d
	}
	if alarms, err := l.Alarms(); err != nil || len(alarms) != 0 {
		t.Errorf("ledger alarms %v (%v)", alarms, err)
	}
	for _, k := range ks {
		s := k.openStore(t)
		var dev []journal.Entry
		if err := s.Each(1, func(en *journal.Entry) bool { dev = append(dev, *en); return true }); err != nil {
			t.Fatal(err)
		}
		s.Close()
		var hubs []journal.Entry
		if err := l.Each(k.id, 1, func(en *journal.Entry) bool { hubs = append(hubs, *en); return true }); err != nil {
			t.Fatal(err)
		}
		d := byID[k.id]
		if d.LastSeq != uint64(len(dev)) || d.Entries != uint64(len(dev)) || d.Alarms != 0 || !d.GapSince.IsZero() {
			t.Errorf("%s: ledger %+v, device journal %d entries", k.id, d, len(dev))
		}
		if err := journal.VerifyChain(nil, hubs); err != nil {
			t.Errorf("%s: hub chain: %v", k.id, err)
		}
		if len(hubs) != len(dev) {
			t.Errorf("%s: hub has %d entries, device %d", k.id, len(hubs), len(dev))
			continue
		}
		for i := range dev {
			a, _ := dev[i].Encode()
			b, _ := hubs[i].Encode()
			if dev[i].Seq != uint64(i+1) || !bytes.Equal(a, b) {
				t.Errorf("%s: entry %d differs:\ndevice %s\nhub    %s", k.id, i+1, a, b)
			}
		}
		entries += len(dev)
	}
	return entries
}

// printout is one job the file printer wrote.
type printout struct {
	file  string
	codes []string // QR payloads, in order
	copy  bool     // marked as a copy
}

// printouts renders every job in a file printer's folder with the virtual printer.
func printouts(t testing.TB, dir string) []printout {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.escpos"))
	sort.Strings(files)
	var out []printout
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		paper, _ := virtual.Render(b, virtual.RenderOptions{})
		if paper == nil {
			continue
		}
		out = append(out, printout{file: f, codes: paper.QRCodes, copy: strings.Contains(paper.Text, "COPY")})
	}
	return out
}

// decodePNG reads the QR codes of a printed job's PNG rendering with a real decoder.
func decodePNG(t testing.TB, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return testkit.QRCodes(t, img)
}

// saleCodes returns every ticket code of every sale in a stopped kiosk's journal.
func saleCodes(t testing.TB, k *kiosk) (sales int, codes map[string]uint64) {
	t.Helper()
	s := k.openStore(t)
	defer s.Close()
	codes = map[string]uint64{}
	err := s.Each(1, func(en *journal.Entry) bool {
		if en.Kind == journal.KindSale && en.Sale != nil {
			sales++
			for _, tk := range en.Sale.Tickets {
				codes[tk.Code] = en.Seq
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return sales, codes
}
