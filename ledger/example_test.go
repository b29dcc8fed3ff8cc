package ledger_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// Example stores a device's first sale twice (a duplicate delivery) and reads the counters.
func Example() {
	dir, _ := os.MkdirTemp("", "ledger-example")
	defer os.RemoveAll(dir)
	l, err := ledger.Open(filepath.Join(dir, "ledger.db"), ledger.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	sale := &journal.Entry{V: journal.Version, Device: "k1", Seq: 1, Kind: journal.KindSale, Actor: "ana@example.org",
		Time: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC).UnixMilli(),
		Sale: &journal.Sale{No: 1, Outlet: "sofia-1", Event: "e1", Currency: "EUR", Lines: []journal.Line{{Type: "std", Qty: 2, Price: 1250}},
			Total: 2500, Tickets: []journal.Ticket{{N: 1, Type: "std", Code: "A"}, {N: 2, Type: "std", Code: "B"}}}}
	for range 2 {
		upto, err := l.Ingest("k1", []*journal.Entry{sale})
		fmt.Println("acknowledge up to", upto, err)
	}
	_ = l.Counters(func(outlet string, k journal.Key, t journal.Tally) {
		fmt.Println(outlet, k.Day, k.User, k.Event, k.Type, t.Tickets, t.Amount)
	})
	// Output:
	// acknowledge up to 1 <nil>
	// acknowledge up to 1 <nil>
	// sofia-1 2026-05-01 ana@example.org e1 std 2 2500
}
