package hub_test

import (
	"fmt"
	"os"

	"ticketkiosk/hub"
	"ticketkiosk/journal"
)

// An outlet allots 10 tickets and has three devices: the first by id gets the remainder.
// Later, with k1 granted 4 and a fourth device added, nobody's cap goes down.
func ExampleSplit() {
	ids := []string{"k1", "k2", "k3"}
	first := hub.Split(10, ids, nil)
	fmt.Println(first["k1"], first["k2"], first["k3"])
	second := hub.Split(10, append(ids, "k4"), first)
	fmt.Println(second["k1"], second["k2"], second["k3"], second["k4"])
	// Output:
	// 4 3 3
	// 4 3 3 0
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
