package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketkiosk/internal/appliance"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/testkit"
)

// TestIngestRejectsWhatTheConfigDoesNotAllow: a registered kiosk k1 of outlet books, its
// own key in hand (a stolen kiosk), writes into its own journal a sale for outlet fuel, 50
// VIP at price 0 mailed to the thief, more std tickets than its grant, and a supervisor
// created by fuel's supervisor; kioskd sends them as it sends any entry, through Mosquitto
// to kioskctl serve. Each is kept as rejected with its reason (kioskctl alarms, status),
// not counted in kioskctl report, not mailed, not in the catalogue; the kiosk's honest
// sales around them are counted and it keeps syncing.
func TestIngestRejectsWhatTheConfigDoesNotAllow(t *testing.T) {
	e := newEnv(t)
	start := time.Now().AddDate(1, 0, 0).Format("2006-01-02T15:04")
	e.mustCtl("", "outlet", "add", outletBooks, "--name", "Books Central", "--delivery", "print", "--locale", "en")
	e.mustCtl("", "outlet", "add", outletFuel, "--name", "Fuel North", "--delivery", "print", "--locale", "en")
	e.mustCtl("", "event", "add", "jazz", "--title", titleJazz, "--venue", "Hall 1", "--start", start, "--sale-from", "2020-01-01T00:00",
		"--type", "std:Standard:12.50", "--type", "vip:VIP:40")
	e.mustCtl("", "link", outletBooks, "jazz", "--allot", "std=10") // k1 alone: a lease of 5
	e.mustCtl("", "link", outletFuel, "jazz")
	e.mustCtl(boss.pass+"\n", "user", "add", boss.email, "--outlet", outletBooks, "--role", "supervisor", "--code", boss.code)
	e.mustCtl(carl.pass+"\n", "user", "add", carl.email, "--outlet", outletFuel, "--role", "supervisor", "--code", carl.code)
	mailDir := filepath.Join(e.dir, "mail")
	e.serve("--mail-dir", mailDir)
	k1 := e.newKiosk("k1", kioskConf{})
	k1.register(outletBooks)
	k1.mustStart()
	e.push(1)
	k1.Stop()

	key, err := appliance.LoadKey(k1.stateDir)
	if err != nil {
		t.Fatal(err)
	}
	st := k1.openStore(t)
	sale := func(outlet, delivery, buyer string, price int64, qty map[string]int) {
		t.Helper()
		_, err := st.Append(clock.Wall{}, boss.email, func(_ journal.Tx, en *journal.Entry) error {
			s := &journal.Sale{Outlet: outlet, Event: "jazz", Currency: "EUR", Delivery: delivery, Buyer: buyer}
			n := 0
			for _, typ := range []string{"std", "vip"} {
				if q := qty[typ]; q > 0 {
					p := price
					if p < 0 {
						p = prices["jazz/"+typ]
					}
					s.Lines = append(s.Lines, journal.Line{Type: typ, Qty: q, Price: p})
					s.Total += int64(q) * p
					n += q
				}
			}
			for _, l := range s.Lines {
				for range l.Qty {
					i := len(s.Tickets) + 1
					code, err := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: en.Seq, N: i, Of: n, Event: "jazz", Type: l.Type}, key)
					if err != nil {
						return err
					}
					s.Tickets = append(s.Tickets, journal.Ticket{N: i, Type: l.Type, Code: code})
				}
			}
			en.Kind, en.Sale = journal.KindSale, s
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	honest := func() { sale(outletBooks, "print", "", -1, map[string]int{"std": 1}) }
	honest()
	sale(outletFuel, "print", "", -1, map[string]int{"vip": 1})
	sale(outletBooks, "email", "thief@evil.example", 0, map[string]int{"vip": 50})
	sale(outletBooks, "print", "", -1, map[string]int{"std": 5}) // 1 + 5 > the lease of 5
	if _, err := st.Append(clock.Wall{}, carl.email, func(_ journal.Tx, en *journal.Entry) error {
		en.Kind, en.User = journal.KindUserCreated, &journal.UserFact{Email: "evil@books.example", Code: "6666", Role: "supervisor",
			Outlet: outletBooks, PasswordHash: "$2a$10$abcdefghijklmnopqrstuuN4Dq3vYk0U1qJ7Nqk6Jc3xI5RzXh7yK", CreatedBy: carl.email}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	honest()
	last := st.LastSeq()
	st.Close()

	k1.mustStart()
	hubSeq := func() uint64 {
		d, err := e.deviceStatus("k1")
		if err != nil {
			return 0
		}
		return d.HubSeq
	}
	if !testkit.Poll(60*time.Second, func() bool { return hubSeq() >= last }) {
		t.Fatalf("the hub has k1's seq %d of %d", hubSeq(), last)
	}
	if !testkit.Poll(30*time.Second, func() bool { d, err := e.deviceStatus("k1"); return err == nil && d.Unsynced == 0 }) {
		t.Fatal("k1 still has unsynced entries: the hub did not acknowledge the rejected ones")
	}

	var alarms []ledger.Alarm
	if err := json.Unmarshal([]byte(e.mustCtl("", "alarms", "--format", "json")), &alarms); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"sale for outlet fuel by a device of outlet books",
		"price 0 of vip is not its price",
		"5 std tickets beyond the device's grant of 5",
		"actor carl@fuel.example is not a user of outlet books",
	}
	if len(alarms) != len(want) {
		t.Fatalf("alarms: %+v", alarms)
	}
	for i, a := range alarms {
		if a.Kind != ledger.AlarmRejected || !strings.Contains(a.Detail, want[i]) {
			t.Errorf("alarm %d: %s, want rejected: %s", i, a, want[i])
		}
	}
	if out := e.mustCtl("", "status"); !strings.Contains(out, "ALARM k1: rejected at seq") {
		t.Errorf("status shows no rejection:\n%s", out)
	}
	if r := e.report(); r.Total.Tickets != 2 || r.Total.Amount != 2*prices["jazz/std"] {
		t.Errorf("report counts %+v, want the 2 honest std tickets", r.Total)
	}
	if r := e.report("--outlet", outletFuel); r.Total.Tickets != 0 {
		t.Errorf("fuel's report counts %+v", r.Total)
	}
	if out := e.mustCtl("", "user", "list"); strings.Contains(out, "evil@") {
		t.Errorf("the forged supervisor is in the catalogue:\n%s", out)
	}
	if ms, _ := os.ReadDir(mailDir); len(ms) > 0 {
		t.Errorf("mail sent for a rejected sale: %d files", len(ms))
	}

	// The operator records why; the alarm leaves the open list and stays with --all.
	id := alarms[1].ID()
	if out := e.mustCtl("", "alarms", "resolve", id, "--reason", "k1 reported stolen"); !strings.Contains(out, "resolved "+id) {
		t.Fatalf("resolve: %s", out)
	}
	if out := e.mustCtl("", "alarms"); strings.Contains(out, id) {
		t.Errorf("resolved alarm still open:\n%s", out)
	}
	if out := e.mustCtl("", "alarms", "--all"); !strings.Contains(out, "k1 reported stolen") {
		t.Errorf("alarms --all lacks the resolution:\n%s", out)
	}

	// The kiosk keeps syncing: a sale made on it now reaches the hub and is counted.
	k1.Stop()
	st = k1.openStore(t)
	honest()
	last = st.LastSeq()
	st.Close()
	k1.mustStart()
	if !testkit.Poll(60*time.Second, func() bool { return e.report().Total.Tickets == 3 }) {
		t.Fatalf("the honest sale after the rejections is not counted (hub seq %d of %d)", hubSeq(), last)
	}
}
