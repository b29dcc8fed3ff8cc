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
	ByWeek   By = "week"  // ISO 8601 week, 2026-W49
	ByMonth  By = "month" // 2026-12
	// ByCross is outlet × event: one row per outlet and event (kioskctl report --cross
	// tables it with the events as columns).
	ByCross By = "outlet-event"
)

// ParseBy reads a grouping name. Hours are refused with the reason: the hub's counters
// are per day (journal.Key), so no report can tell the hours apart.
func ParseBy(s string) (By, error) {
	switch b := By(s); b {
	case ByOutlet, ByUser, ByEvent, ByType, ByDay, ByWeek, ByMonth, ByCross:
		return b, nil
	case "hour":
		return "", fmt.Errorf("%w: --by hour: the hub counts sales per day, not per hour (group by day, week or month)", ErrInvalid)
	}
	return "", fmt.Errorf("%w: --by %q is none of outlet, user, event, type, day, week, month", ErrInvalid, s)
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
	// Titles names the ids of the rows (Hub.Titles); nil: rows are titled by their ids.
	Titles *Titles
}

// Titles are the catalogue's names for the ids a report groups by.
type Titles struct {
	Outlets map[string]string `json:"outlets"` // outlet id → name
	Events  map[string]string `json:"events"`  // event id → title
	Types   map[string]string `json:"types"`   // event id + "/" + type id → name
	Users   map[string]string `json:"users"`   // lower-case email → name
}

// of is the name of id in m, or id where m has none.
func (t *Titles) of(m map[string]string, id string) string {
	if v := m[id]; v != "" {
		return v
	}
	return id
}

// Titles returns the names of the catalogue's outlets, events, ticket types and users.
func (h *Hub) Titles() (*Titles, error) {
	t := &Titles{Outlets: map[string]string{}, Events: map[string]string{}, Types: map[string]string{}, Users: map[string]string{}}
	os, err := h.Outlets()
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		t.Outlets[o.ID] = o.Name
	}
	evs, err := h.Events()
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		t.Events[e.ID] = e.Title
		for _, ty := range e.Types {
			t.Types[e.ID+"/"+ty.ID] = ty.Name
		}
	}
	us, err := h.Users("")
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		t.Users[strings.ToLower(u.Email)] = u.Name
	}
	return t, nil
}

// CheckFilter refuses a filter that names an outlet, event or user the catalogue does not
// have (ErrNotFound naming it): such a report would be empty and look like no sales.
func (h *Hub) CheckFilter(f Filter) error {
	if f.Outlet != "" {
		if _, err := h.Outlet(f.Outlet); err != nil {
			return err
		}
	}
	if f.Event != "" {
		if _, err := h.Event(f.Event); err != nil {
			return err
		}
	}
	if f.User != "" {
		if _, err := h.User(f.User); err != nil {
			return err
		}
	}
	return nil
}

// CounterSource calls fn for every hub counter: ledger.Ledger.Counters.
type CounterSource func(fn func(outlet string, k journal.Key, t journal.Tally)) error

// ReportRow is one group of a report.
type ReportRow struct {
	Group  []string `json:"group"`  // the grouping's ids: one, or two for ByType and ByCross
	Titles []string `json:"titles"` // their names in the catalogue (the id where it has none)
	// Currency of the row's amounts, when its outlets share one.
	Currency string `json:"currency,omitempty"`
	journal.Tally
}

// Report is a hub report: counters summed by one grouping, in group order, and the total.
type Report struct {
	By     By             `json:"by"`
	Period journal.Period `json:"-"`
	// From and To are the period's first and last days (2026-12-01); empty when open.
	From  string        `json:"from,omitempty"`
	To    string        `json:"to,omitempty"`
	Rows  []ReportRow   `json:"rows"`
	Total journal.Tally `json:"total"`
	// Currency is the ISO 4217 code of every amount counted, when their outlets share one;
	// empty when they do not (or none is known). Amounts are in its minor units.
	Currency string `json:"currency,omitempty"`
}

// currencies follows the currency of a set of amounts: one, or mixed.
type currencies struct {
	code        string
	seen, mixed bool
}

func (c *currencies) add(code string) {
	switch {
	case c.mixed:
	case !c.seen:
		c.code, c.seen = code, true
	case code != c.code:
		c.code, c.mixed = "", true
	}
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
	if f.Period.From != journal.MinDay {
		r.From = f.Period.From.String()
	}
	if f.Period.To != journal.MaxDay {
		r.To = f.Period.To.String()
	}
	// Groups are keyed by a comparable struct while counting, and turned into strings once
	// per row at the end: the report is one pass over every counter.
	type gkey struct {
		a, b string
		day  journal.Day
	}
	type group struct {
		sum journal.Tally
		cur currencies
	}
	sums := map[gkey]*group{}
	var order []gkey
	var total currencies
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
			g.a = strings.ToLower(k.User)
		case ByEvent:
			g.a = k.Event
		case ByDay:
			g.day = k.Day
		case ByWeek:
			y, w := k.Day.Date().ISOWeek()
			g.a = fmt.Sprintf("%04d-W%02d", y, w)
		case ByMonth:
			g.a = k.Day.Date().Format("2006-01")
		case ByCross:
			g.a, g.b = outlet, k.Event
		default:
			g.a, g.b = k.Event, k.Type
		}
		sum, ok := sums[g]
		if !ok {
			sum = new(group)
			sums[g] = sum
			order = append(order, g)
		}
		sum.sum.Add(t)
		r.Total.Add(t)
		if f.Currency != nil {
			c := f.Currency(outlet)
			sum.cur.add(c)
			total.add(c)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("hub: report: %w", err)
	}
	r.Currency = total.code
	tt := f.Titles
	if tt == nil {
		tt = &Titles{}
	}
	r.Rows = make([]ReportRow, 0, len(order))
	for _, g := range order {
		row := ReportRow{Tally: sums[g].sum, Currency: sums[g].cur.code}
		switch f.By {
		case ByDay:
			row.Group = []string{g.day.String()}
			row.Titles = row.Group
		case ByWeek, ByMonth:
			row.Group = []string{g.a}
			row.Titles = row.Group
		case ByType:
			row.Group = []string{g.a, g.b}
			row.Titles = []string{tt.of(tt.Events, g.a), tt.of(tt.Types, g.a+"/"+g.b)}
		case ByCross:
			row.Group = []string{g.a, g.b}
			row.Titles = []string{tt.of(tt.Outlets, g.a), tt.of(tt.Events, g.b)}
		case ByOutlet:
			row.Group = []string{g.a}
			row.Titles = []string{tt.of(tt.Outlets, g.a)}
		case ByUser:
			row.Group = []string{g.a}
			row.Titles = []string{tt.of(tt.Users, g.a)}
		default:
			row.Group = []string{g.a}
			row.Titles = []string{tt.of(tt.Events, g.a)}
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

// header is the group columns' names: for ByType EVENT and TYPE, for ByCross OUTLET
// and EVENT, else the grouping's name.
func (r *Report) header() []string {
	switch r.By {
	case ByType:
		return []string{"EVENT", "TYPE"}
	case ByCross:
		return []string{"OUTLET", "EVENT"}
	}
	return []string{strings.ToUpper(string(r.By))}
}

// money writes an amount of the report as the tickets write it in English
// (catalog.FormatAmount); with mixed currencies each amount names its own.
func (r *Report) money(n int64, currency string) string {
	if r.Currency == "" && currency != "" {
		return catalog.FormatAmount(n, currency, catalog.LocaleEN) + " " + currency
	}
	return catalog.FormatAmount(n, r.Currency, catalog.LocaleEN)
}

// amountHeader names the amount column with the report's currency ("AMOUNT EUR").
func (r *Report) amountHeader() string {
	if r.Currency != "" {
		return "AMOUNT " + r.Currency
	}
	return "AMOUNT"
}

// totalAmount is the total's amount, or "mixed" when the rows' currencies differ (a sum
// of amounts of two currencies means nothing).
func (r *Report) totalAmount() string {
	if r.Currency == "" && r.mixed() {
		return "mixed currencies"
	}
	return r.money(r.Total.Amount, "")
}

func (r *Report) mixed() bool {
	for _, row := range r.Rows {
		if row.Currency != "" {
			return true
		}
	}
	return false
}

// WriteTable writes the report as an aligned table with a total line: the groups by their
// titles, left aligned, the numbers right aligned, amounts as the tickets write them in
// English (catalog.FormatAmount of the report's currency, named in the header: "AMOUNT
// EUR"). A ByCross report is a matrix: an outlet a row, an event a column, each cell
// "tickets / amount", with totals.
func (r *Report) WriteTable(w io.Writer) error {
	if r.By == ByCross {
		return r.writeCross(w)
	}
	h := r.header()
	rows := [][]string{append(h, "TICKETS", r.amountHeader(), "VOIDED")}
	for _, row := range r.Rows {
		rows = append(rows, append(append([]string{}, row.Titles...), strconv.FormatInt(row.Tickets, 10), r.money(row.Amount, row.Currency), strconv.FormatInt(row.Voided, 10)))
	}
	total := make([]string, len(h))
	total[0] = "TOTAL"
	rows = append(rows, append(total, strconv.FormatInt(r.Total.Tickets, 10), r.totalAmount(), strconv.FormatInt(r.Total.Voided, 10)))
	_, err := io.WriteString(w, aligned(rows, len(h)))
	return err
}

// writeCross writes a ByCross report as an outlet × event matrix.
func (r *Report) writeCross(w io.Writer) error {
	var outlets, events []string
	title := map[string]string{}
	cells := map[[2]string]*journal.Tally{}
	byOutlet, byEvent := map[string]*journal.Tally{}, map[string]*journal.Tally{}
	cur := map[string]string{}
	add := func(m map[string]*journal.Tally, k string, list *[]string, t journal.Tally) {
		if m[k] == nil {
			m[k] = new(journal.Tally)
			*list = append(*list, k)
		}
		m[k].Add(t)
	}
	for _, row := range r.Rows {
		o, e := row.Group[0], row.Group[1]
		title["o"+o], title["e"+e] = row.Titles[0], row.Titles[1]
		t := row.Tally
		cells[[2]string{o, e}] = &t
		add(byOutlet, o, &outlets, row.Tally)
		add(byEvent, e, &events, row.Tally)
		cur[o] = row.Currency
	}
	sort.Strings(outlets)
	sort.Strings(events)
	cell := func(t *journal.Tally, currency string) string {
		if t == nil {
			return "-"
		}
		return strconv.FormatInt(t.Tickets, 10) + " / " + r.money(t.Amount, currency)
	}
	head := []string{"OUTLET"}
	for _, e := range events {
		head = append(head, title["e"+e])
	}
	rows := [][]string{append(head, "TOTAL")}
	for _, o := range outlets {
		row := []string{title["o"+o]}
		for _, e := range events {
			row = append(row, cell(cells[[2]string{o, e}], cur[o]))
		}
		rows = append(rows, append(row, cell(byOutlet[o], cur[o])))
	}
	total := []string{"TOTAL"}
	for _, e := range events {
		if r.Currency == "" && r.mixed() {
			total = append(total, strconv.FormatInt(byEvent[e].Tickets, 10)+" / mixed currencies")
			continue
		}
		total = append(total, cell(byEvent[e], ""))
	}
	rows = append(rows, append(total, strconv.FormatInt(r.Total.Tickets, 10)+" / "+r.totalAmount()))
	_, err := io.WriteString(w, aligned(rows, 1))
	return err
}

// aligned lays rows out in columns two spaces apart: the first left columns left aligned
// (the last column not padded), the others right aligned.
func aligned(rows [][]string, left int) string {
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
			if i < left {
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
	return b.String()
}

// WriteCSV writes the report as CSV with a header and a total row: the group ids, their
// titles, the numbers with amounts in minor units, and each row's currency.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	h := r.header()
	head := make([]string, 0, 2*len(h)+4)
	for _, c := range h {
		head = append(head, strings.ToLower(c))
	}
	for _, c := range h {
		head = append(head, strings.ToLower(c)+"_title")
	}
	_ = cw.Write(append(head, "tickets", "amount_minor", "currency", "voided"))
	for _, row := range r.Rows {
		c := row.Currency
		if c == "" {
			c = r.Currency
		}
		_ = cw.Write(append(append(append([]string{}, row.Group...), row.Titles...), strconv.FormatInt(row.Tickets, 10), strconv.FormatInt(row.Amount, 10), c, strconv.FormatInt(row.Voided, 10)))
	}
	total := make([]string, 2*len(h))
	total[0] = "total"
	c := r.Currency
	if c == "" && r.mixed() {
		c = "mixed"
	}
	_ = cw.Write(append(total, strconv.FormatInt(r.Total.Tickets, 10), strconv.FormatInt(r.Total.Amount, 10), c, strconv.FormatInt(r.Total.Voided, 10)))
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
