package hub

import (
	"strings"
	"testing"

	"ticketkiosk/journal"
)

// TestReportCurrency: a report's amounts are written in their outlets' currency, as the
// tickets write them (¥1250 is 1,250, not 12.50); outlets of different currencies give a
// report without one, each amount naming its own and no total amount.
func TestReportCurrency(t *testing.T) {
	day, _ := journal.ParseDay("2026-12-01")
	cur := map[string]string{"tokyo": "JPY", "kuwait": "KWD", "sofia": "EUR"}
	counters := func(outlets ...string) CounterSource {
		return func(fn func(outlet string, k journal.Key, t journal.Tally)) error {
			for _, o := range outlets {
				fn(o, journal.Key{Day: day, User: "anna@example.org", Event: "concert", Type: "std"}, journal.Tally{Tickets: 1, Amount: 1250})
			}
			return nil
		}
	}
	for _, c := range []struct {
		outlets  []string
		currency string
		lines    []string
	}{
		{[]string{"tokyo"}, "JPY", []string{"OUTLET  TICKETS  AMOUNT JPY  VOIDED", "tokyo         1       1,250       0"}},
		{[]string{"kuwait"}, "KWD", []string{"kuwait        1       1.250       0"}},
		{[]string{"sofia", "sofia"}, "EUR", []string{"TOTAL         2       25.00       0"}},
		{[]string{"sofia", "tokyo"}, "", []string{"OUTLET  TICKETS            AMOUNT  VOIDED", "sofia         1         12.50 EUR       0", "tokyo         1         1,250 JPY       0", "TOTAL         2  mixed currencies       0"}},
	} {
		r, err := MakeReport(counters(c.outlets...), Filter{By: ByOutlet, Currency: func(o string) string { return cur[o] }})
		must(t, err)
		if r.Currency != c.currency {
			t.Errorf("%v: currency %q, want %q", c.outlets, r.Currency, c.currency)
		}
		var b strings.Builder
		must(t, r.WriteTable(&b))
		for _, want := range c.lines {
			if !strings.Contains(b.String(), want+"\n") {
				t.Errorf("%v: table lacks %q:\n%s", c.outlets, want, b.String())
			}
		}
	}
}
