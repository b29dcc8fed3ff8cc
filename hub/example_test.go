package hub_test

import (
	"fmt"
	"os"

	"ticketkiosk/hub"
	"ticketkiosk/journal"
)

// An outlet allots 100 tickets of a type: with one device, the device's first grant is a
// lease of half of it; with four, of an eighth each; the rest stays unassigned for devices
// added later and for top-ups.
func ExampleLease() {
	fmt.Println(hub.Lease(100, 1), hub.Lease(100, 4), hub.Lease(1, 3))
	// Output:
	// 50 13 1
}

func ExampleParseSale() {
	refs, _ := hub.ParseSale("KIOSK-2-15-1")
	for _, r := range refs {
		fmt.Println(r.Device, r.Seq)
	}
	// Output:
	// KIOSK-2 15
	// kiosk-2 15
	// KIOSK-2-15 1
	// kiosk-2-15 1
}

func ExampleMakeReport() {
	day, _ := journal.ParseDay("2026-12-01")
	counters := func(fn func(outlet string, k journal.Key, t journal.Tally)) error {
		fn("books", journal.Key{Day: day, User: "anna@example.org", Event: "concert", Type: "std"}, journal.Tally{Tickets: 3, Amount: 3750})
		fn("books", journal.Key{Day: day + 1, User: "anna@example.org", Event: "concert", Type: "vip"}, journal.Tally{Tickets: 1, Amount: 4000, Voided: 1})
		fn("fuel", journal.Key{Day: day, User: "ivo@example.org", Event: "concert", Type: "std"}, journal.Tally{Tickets: 2, Amount: 2500})
		return nil
	}
	r, _ := hub.MakeReport(counters, hub.Filter{By: hub.ByDay})
	r.WriteTable(os.Stdout)
	// Output:
	// DAY         TICKETS  AMOUNT  VOIDED
	// 2026-12-01        5   62.50       0
	// 2026-12-02        1   40.00       1
	// TOTAL             6  102.50       1
}
