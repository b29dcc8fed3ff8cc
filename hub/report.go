package hub

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// By is what a report groups by.
type By string

// Groupings.
const (
	ByOutlet By = "outlet"
	ByUser   By = "user"
	ByEvent  By = "event"
	ByType   By = "type" // event and ticket type, as the device's own report
	ByDay    By = "day"
)

// ParseBy reads a grouping name.
func ParseBy(s string) (By, error) {
	switch b := By(s); b {
	case ByOutlet, ByUser, ByEvent, ByType, ByDay:
		return b, nil
	}
	return "", fmt.Errorf("%w: --by %q is none of outlet, user, event, type, day", ErrInvalid, s)
}

// Filter selects the counters of a report. Empty strings select everything.
type Filter struct {
	Outlet string
	User   string // seller's email, in any case
	Event  string
	Period journal.Period
	By     By
	// Currency names an outlet's currency, so that the report knows what its amounts are
	// in (Hub.Currencies); nil: amounts in no named currency, written with two decimals.
	Currency func(outlet string) string
}

// CounterSource calls fn for every hub counter: ledger.Ledger.Counters.
type CounterSource func(fn func(outlet string, k journal.Key, t journal.Tally)) error

// ReportRow is one group of a report.
type ReportRow struct {
	Group []string `json:"group"` // the grouping's values: one, or event and type for ByType
	journal.Tally
}

// Report is a hub report: counters summed by one grouping, in group order, and the total.
type Report struct {
	By     By             `json:"by"`
	Period journal.Period `json:"period"`
	Rows   []ReportRow    `json:"rows"`
	Total  journal.Tally  `json:"total"`
	// Currency is the ISO 4217 code of every amount counted, when their outlets share one;
	// empty when they do not (or none is known). Amounts are in its minor units.
	Currency string `json:"currency,omitempty"`
}

// MakeReport sums the counters that match f. Its rows for ByType with an outlet (and user)
// filter are the same numbers as that device's own report (store.Report) when the device is
// the outlet's only one and the hub has its whole journal.
func MakeReport(src CounterSource, f Filter) (*Report, error) {
	if f.Period == (journal.Period{}) {
		f.Period = journal.Whole()
	}
	if f.By == "" {
		f.By = ByType
	}
	r := &Report{By: f.By, Period: f.Period}
	// Groups are keyed by a comparable struct while counting, and turned into strings once
	// per row at the end: the report is one pass over every counter.
	type gkey struct {
		a, b string
		day  journal.Day
	}
	sums := map[gkey]*journal.Tally{}
	var order []gkey
	seen, mixed := false, false
	err := src(func(outlet string, k journal.Key, t journal.Tally) {
		if (f.Outlet != "" && outlet != f.Outlet) || (f.Event != "" && k.Event != f.Event) ||
			(f.User != "" && !strings.EqualFold(k.User, f.User)) || !f.Period.Contains(k.Day) {
			return
		}
		var g gkey
		switch f.By {
		case ByOutlet:
			g.a = outlet
		case ByUser:
			g.a = k.User
		case ByEvent:
			g.a = k.Event
		case ByDay:
			g.day = k.Day
		default:
			g.a, g.b = k.Event, k.Type
		}
		sum, ok := sums[g]
		if !ok {
			sum = new(journal.Tally)
			sums[g] = sum
			order = append(order, g)
		}
		sum.Add(t)
		r.Total.Add(t)
		if f.Currency != nil && !mixed {
			if c := f.Currency(outlet); !seen {
				r.Currency, seen = c, true
			} else if c != r.Currency {
				r.Currency, mixed = "", true
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("hub: report: %w", err)
	}
	r.Rows = make([]ReportRow, 0, len(order))
	for _, g := range order {
		row := ReportRow{Tally: *sums[g]}
		switch f.By {
		case ByDay:
			row.Group = []string{g.day.String()}
		case ByType:
			row.Group = []string{g.a, g.b}
		default:
			row.Group = []string{g.a}
		}
		r.Rows = append(r.Rows, row)
	}
	sort.Slice(r.Rows, func(i, j int) bool {
		a, b := r.Rows[i].Group, r.Rows[j].Group
		for n := range a {
			if a[n] != b[n] {
				return a[n] < b[n]
			}
		}
		return false
	})
	return r, nil
}

func (r *Report) header() []string {
	if r.By == ByType {
		return []string{"EVENT", "TYPE"}
	}
	return []string{strings.ToUpper(string(r.By))}
}

// WriteTable writes the report as an aligned table with a total line: the group columns
// left aligned, the numbers right aligned, amounts as the tickets write them in English
// (catalog.FormatAmount of the report's currency, named in the header: "AMOUNT EUR").
func (r *Report) WriteTable(w io.Writer) error {
	h := r.header()
	amount := "AMOUNT"
	if r.Currency != "" {
		amount += " " + r.Currency
	}
	money := func(n int64) string { return catalog.FormatAmount(n, r.Currency, catalog.LocaleEN) }
	rows := [][]string{append(h, "TICKETS", amount, "VOIDED")}
	for _, row := range r.Rows {
		rows = append(rows, append(append([]string{}, row.Group...), strconv.FormatInt(row.Tickets, 10), money(row.Amount), strconv.FormatInt(row.Voided, 10)))
	}
	total := make([]string, len(h))
	total[0] = "TOTAL"
	rows = append(rows, append(total, strconv.FormatInt(r.Total.Tickets, 10), money(r.Total.Amount), strconv.FormatInt(r.Total.Voided, 10)))
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < len(h) {
				b.WriteString(c)
				if i < len(row)-1 {
					b.WriteString(pad)
				}
			} else {
				b.WriteString(pad + c)
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes the report as CSV with a header and a total row; amounts in minor units.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	h := r.header()
	for i := range h {
		h[i] = strings.ToLower(h[i])
	}
	_ = cw.Write(append(h, "tickets", "amount_minor", "voided"))
	for _, row := range r.Rows {
		_ = cw.Write(append(append([]string{}, row.Group...), strconv.FormatInt(row.Tickets, 10), strconv.FormatInt(row.Amount, 10), strconv.FormatInt(row.Voided, 10)))
	}
	total := make([]string, len(h))
	total[0] = "total"
	_ = cw.Write(append(total, strconv.FormatInt(r.Total.Tickets, 10), strconv.FormatInt(r.Total.Amount, 10), strconv.FormatInt(r.Total.Voided, 10)))
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
