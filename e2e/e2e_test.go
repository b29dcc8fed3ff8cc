package e2e

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"ticketkiosk/journal"
)

// session is one user's run of orders at a kiosk.
type session struct {
	u      user
	orders []order
}

// made is what one kiosk sold, as its screens confirmed.
type made struct {
	sales   []sold
	tickets int
	amount  int64
	byUser  map[string]int64
}

// TestEndToEnd runs the product as an organiser and outlets would: kioskctl builds the
// catalogue, kioskd init makes each kiosk's key, kioskctl registers and pushes, kioskctl
// serve collects, and cashiers sell through each kiosk's keypad (a pipe) reading its
// display. Then the hub's report equals the devices' own reports and the sales made,
// every printed ticket's QR code (decoded from the PNG the file printer rendered) verifies
// with kioskctl verify, status shows no alarm, and the hub's ledger holds each kiosk's
// journal byte for byte with its chain intact. E2E_LONG=1 runs more kiosks and sales.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	nBooks, nFuel, perSession := 2, 1, 2
	if os.Getenv("E2E_LONG") != "" {
		nBooks, nFuel, perSession = 4, 2, 12
	}
	e := newEnv(t)
	e.catalogue()
	byOutlet := map[string][]*kiosk{}
	outletOf := map[*kiosk]string{}
	var all []*kiosk
	for i := range nBooks + nFuel {
		outlet := outletBooks
		if i >= nBooks {
			outlet = outletFuel
		}
		k := e.newKiosk(fmt.Sprintf("k%d", i+1), kioskConf{})
		k.register(outlet)
		byOutlet[outlet] = append(byOutlet[outlet], k)
		outletOf[k] = outlet
		all = append(all, k)
	}
	for _, k := range all {
		k.mustStart()
		if _, err := k.WaitScreen("Not configured yet", 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	hubProc := e.serve()
	e.push(len(all))

	// Every kiosk sells at once: two sessions of different users, each a few orders.
	results := make([]made, len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, k := range all {
		outlet := outletOf[k]
		users := sellers[outlet]
		var plan []session
		for s := range 2 {
			ss := session{u: users[(i+s)%len(users)]}
			for j := range perSession {
				ss.orders = append(ss.orders, order{event: 1 + (i+j+s)%len(titles[outlet]), typ: 1 + (j+s)%2, qty: 1 + (i+2*j+s)%3})
			}
			plan = append(plan, ss)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = runSessions(k, outlet, plan)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", all[i].id, err)
		}
	}

	syncAll(t, e, all, 60*time.Second)
	st, err := e.status()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Alarms) != 0 || len(st.Devices) != len(all) {
		t.Fatalf("status: %d devices, alarms %v", len(st.Devices), st.Alarms)
	}
	for _, d := range st.Devices {
		if d.Applied != d.Version || d.ConfigError != "" || d.Alarms != 0 || d.Printer != "ok" {
			t.Errorf("status of %s: %+v", d.Device, d)
		}
	}
	hubProc.Stop()

	// The devices' journals hold exactly the sales the screens confirmed.
	var wantTickets int
	for i, k := range all {
		sales, codes := saleCodes(t, k)
		if sales != len(results[i].sales) || len(codes) != results[i].tickets {
			t.Fatalf("%s: journal has %d sales with %d tickets; the screens showed %d sales with %d tickets",
				k.id, sales, len(codes), len(results[i].sales), results[i].tickets)
		}
		wantTickets += results[i].tickets
		for _, s := range results[i].sales {
			if !s.printed {
				t.Errorf("%s: sale %d not printed", k.id, s.no)
			}
		}
	}
	// The devices' reports agree with the sales made, and the hub's with the devices'.
	for outlet, ks := range byOutlet {
		var amount int64
		var tickets int
		for _, k := range ks {
			for i := range all {
				if all[i] == k {
					amount += results[i].amount
					tickets += results[i].tickets
				}
			}
		}
		_, devTotal := deviceReport(t, ks)
		if devTotal.Amount != amount || devTotal.Tickets != int64(tickets) || devTotal.Voided != 0 {
			t.Errorf("outlet %s: device reports %+v, sales made %d tickets %d minor units", outlet, devTotal, tickets, amount)
		}
		for _, u := range sellers[outlet] {
			var want int64
			for _, k := range ks {
				for i := range all {
					if all[i] == k {
						want += results[i].byUser[u.email]
					}
				}
			}
			if hr := e.report("--user", u.email); hr.Total.Amount != want {
				t.Errorf("user %s: hub amount %d, sales made %d", u.email, hr.Total.Amount, want)
			}
		}
	}
	compareReports(t, e, byOutlet)
	if total := e.report(); total.Total.Tickets != int64(wantTickets) {
		t.Errorf("hub total %+v, want %d tickets", total.Total, wantTickets)
	}

	// Every printed ticket's QR code, read from the PNG, verifies; each ticket printed once.
	printed := map[string]int{}
	for _, k := range all {
		_, codes := saleCodes(t, k)
		for _, p := range printouts(t, k.printerDir) {
			got := decodePNG(t, strings.TrimSuffix(p.file, ".escpos")+".png")
			if len(got) != len(p.codes) || p.copy {
				t.Errorf("%s: %d QR codes decoded from the PNG, %d printed (copy %v)", p.file, len(got), len(p.codes), p.copy)
			}
			for _, c := range got {
				if _, ok := codes[c]; !ok {
					t.Errorf("%s: printed code %q is not in %s's journal", p.file, c, k.id)
				}
				printed[c]++
			}
		}
	}
	if len(printed) != wantTickets {
		t.Errorf("%d distinct tickets printed, %d sold", len(printed), wantTickets)
	}
	for c, n := range printed {
		if n != 1 {
			t.Errorf("ticket %s printed %d times", c, n)
		}
		code, out, errs := e.ctl("", "verify", c)
		if code != 0 || !strings.HasPrefix(out, "VALID") {
			t.Errorf("verify %s: exit %d\n%s%s", c, code, out, errs)
		}
	}
	// At the gate a ticket is admitted once, whichever accepted spelling shows it (the
	// scanner's line end, the printed short code typed in lower case); another spelling of
	// the code is malformed.
	for c := range printed {
		f, _, _, err := journal.ParseCode(c)
		if err != nil {
			t.Fatal(err)
		}
		if code, out, errs := e.ctl("", "checkin", " "+c+"\r\n", "--gate", "north"); code != 0 || !strings.HasPrefix(out, "ADMITTED "+f.Short()) {
			t.Errorf("checkin %s: exit %d\n%s%s", c, code, out, errs)
		}
		if code, out, errs := e.ctl("", "checkin", strings.ToLower(f.Short()), "--gate", "south"); code != 3 || !strings.Contains(out, "gate north") {
			t.Errorf("second checkin %s: exit %d, want 3 (used) at gate north\n%s%s", f.Short(), code, out, errs)
		}
		if code, _, errs := e.ctl("", "checkin", strings.ToLower(c)); code != 2 || !strings.Contains(errs, "malformed") {
			t.Errorf("checkin of %s in lower case: exit %d, want 2 (malformed)\n%s", c, code, errs)
		}
		break
	}
	entries := checkLedger(t, e, all)
	t.Logf("%d kiosks, %d sales, %d tickets, %d journal entries at the hub", len(all), countSales(results), wantTickets, entries)
}

func countSales(rs []made) int {
	n := 0
	for _, r := range rs {
		n += len(r.sales)
	}
	return n
}

// runSessions makes a kiosk's planned sales, one session per user: a session ends with
// the end of the keypad's input and the kiosk starts again for the next.
func runSessions(k *kiosk, outlet string, plan []session) (made, error) {
	m := made{byUser: map[string]int64{}}
	for si, s := range plan {
		if si > 0 {
			k.Stop()
			if err := k.Start(); err != nil {
				return m, err
			}
		}
		if _, err := k.WaitScreen("OK to log in", 60*time.Second); err != nil {
			return m, err
		}
		for _, o := range s.orders {
			got, err := k.sell(s.u, titles[outlet], o, 150*time.Millisecond)
			if err != nil {
				return m, err
			}
			ev := eventIDs[outlet][o.event-1]
			amount := int64(o.qty) * prices[ev+"/"+typeIDs[ev][o.typ-1]]
			m.sales = append(m.sales, got)
			m.tickets += o.qty
			m.amount += amount
			m.byUser[s.u.email] += amount
		}
	}
	return m, nil
}
