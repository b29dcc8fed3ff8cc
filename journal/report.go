package journal

import (
	"sort"
	"time"
)

// Day is a civil date, counted in days since 1970-01-01, in an outlet's time zone.
type Day int32

// Bounds of Day.
const (
	MinDay Day = -1 << 31
	MaxDay Day = 1<<31 - 1
)

// DayOf returns the civil date of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Date returns the day's midnight in UTC (use Year/Month/Day of it).
func (d Day) Date() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func (d Day) String() string { return d.Date().Format("2006-01-02") }

// ParseDay reads a date written as 2006-01-02.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, err
	}
	return Day(t.Unix() / 86400), nil
}

// Key is one report counter: a day, a seller, an event and a ticket type.
type Key struct {
	Day   Day
	User  string
	Event string
	Type  string
}

// Tally is what a counter holds. Tickets and Amount are net of voids; Voided counts the
// tickets voided.
type Tally struct {
	Tickets int64 `json:"tickets"`
	Amount  int64 `json:"amount"` // minor units
	Voided  int64 `json:"voided"`
}

// Add adds o to t.
func (t *Tally) Add(o Tally) {
	t.Tickets += o.Tickets
	t.Amount += o.Amount
	t.Voided += o.Voided
}

// IsZero reports whether the tally holds nothing.
func (t Tally) IsZero() bool { return t == Tally{} }

// Delta is a change to one counter.
type Delta struct {
	Key
	Tally
}

// Deltas returns the counter changes an entry makes, with days in loc. A sale adds its
// lines on its own day for its seller; a void subtracts the voided sale's lines on that
// sale's day for that sale's seller, so reports stay net. sale is the voided sale's entry
// (nil for other kinds). Other kinds change no counter.
func Deltas(e *Entry, sale *Entry, loc *time.Location) []Delta {
	switch {
	case e.Kind == KindSale && e.Sale != nil:
		return lineDeltas(e, 1, loc)
	case e.Kind == KindVoid && sale != nil && sale.Sale != nil:
		return lineDeltas(sale, -1, loc)
	}
	return nil
}

func lineDeltas(sale *Entry, sign int64, loc *time.Location) []Delta {
	day := DayOf(sale.WallTime(), loc)
	out := make([]Delta, 0, len(sale.Sale.Lines))
	for _, l := range sale.Sale.Lines {
		q := int64(l.Qty)
		d := Delta{Key: Key{Day: day, User: sale.Actor, Event: sale.Sale.Event, Type: l.Type}}
		d.Tickets = sign * q
		d.Amount = sign * q * l.Price
		if sign < 0 {
			d.Voided = q
		}
		out = append(out, d)
	}
	return out
}

// Period is a range of days, both ends included.
type Period struct {
	From Day `json:"from"`
	To   Day `json:"to"`
}

// Whole is the whole distribution period.
func Whole() Period { return Period{From: MinDay, To: MaxDay} }

// IsWhole reports whether p is the whole period.
func (p Period) IsWhole() bool { return p == Whole() }

// Contains reports whether d is in p.
func (p Period) Contains(d Day) bool { return d >= p.From && d <= p.To }

// Today is the day of now in loc.
func Today(now time.Time, loc *time.Location) Period {
	d := DayOf(now, loc)
	return Period{d, d}
}

// Yesterday is the day before today in loc.
func Yesterday(now time.Time, loc *time.Location) Period {
	d := DayOf(now, loc) - 1
	return Period{d, d}
}

// LastDays is today and the n-1 days before it.
func LastDays(now time.Time, loc *time.Location, n int) Period {
	d := DayOf(now, loc)
	return Period{d - Day(n) + 1, d}
}

// ThisMonth is the first of this month to today, in loc.
func ThisMonth(now time.Time, loc *time.Location) Period {
	d := DayOf(now, loc)
	return Period{d - Day(d.Date().Day()) + 1, d}
}

// Row is one line of a report: an event and ticket type.
type Row struct {
	Event string `json:"event"`
	Type  string `json:"type"`
	Tally
}

// Report sums counters by event and ticket type.
type Report struct {
	Period Period `json:"period"`
	Rows   []Row  `json:"rows"`
	Total  Tally  `json:"total"`
	index  map[[2]string]int
}

// NewReport starts an empty report over p.
func NewReport(p Period) *Report { return &Report{Period: p} }

// Add counts one counter.
func (r *Report) Add(k Key, t Tally) {
	if r.index == nil {
		r.index = map[[2]string]int{}
	}
	ik := [2]string{k.Event, k.Type}
	i, ok := r.index[ik]
	if !ok {
		i = len(r.Rows)
		r.index[ik] = i
		r.Rows = append(r.Rows, Row{Event: k.Event, Type: k.Type})
	}
	r.Rows[i].Add(t)
	r.Total.Add(t)
}

// Sort orders the rows by event, then ticket type.
func (r *Report) Sort() {
	sort.Slice(r.Rows, func(i, j int) bool {
		if r.Rows[i].Event != r.Rows[j].Event {
			return r.Rows[i].Event < r.Rows[j].Event
		}
		return r.Rows[i].Type < r.Rows[j].Type
	})
	r.index = nil
}
