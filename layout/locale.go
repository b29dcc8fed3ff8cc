package layout

import (
	"strconv"
	"strings"
	"time"

	"ticketkiosk/catalog"
)

// words are the fixed texts of tickets and reports in one language.
type words struct {
	ticketOf  string // "Ticket %d of %d"
	copy      string // "COPY"
	sale      string // "Sale no."
	code      string // "Code"
	period    string
	whole     string
	printedAt string
	outlet    string
	total     string
	pieces    string // unit after a ticket count
	voided    string
	none      string
	weekdays  [7]string
	months    [12]string
}

var en = words{
	ticketOf:  "Ticket %d of %d",
	copy:      "COPY",
	sale:      "Sale no.",
	code:      "Code",
	period:    "Period",
	whole:     "whole period",
	printedAt: "Printed",
	outlet:    "Outlet",
	total:     "TOTAL",
	pieces:    "pcs",
	voided:    "voided",
	none:      "No sales in this period.",
	weekdays:  [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	months: [12]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"},
}

var bg = words{
	ticketOf:  "Билет %d от %d",
	copy:      "КОПИЕ",
	sale:      "Продажба №",
	code:      "Код",
	period:    "Период",
	whole:     "целия период",
	printedAt: "Отпечатан",
	outlet:    "Обект",
	total:     "ОБЩО",
	pieces:    "бр.",
	voided:    "анулирани",
	none:      "Няма продажби за периода.",
	weekdays:  [7]string{"неделя", "понеделник", "вторник", "сряда", "четвъртък", "петък", "събота"},
	months: [12]string{"януари", "февруари", "март", "април", "май", "юни", "юли",
		"август", "септември", "октомври", "ноември", "декември"},
}

func wordsFor(l catalog.Locale) *words {
	if l == catalog.LocaleBG {
		return &bg
	}
	return &en
}

// isBG reports whether the outlet's locale is Bulgarian.
func isBG(l catalog.Locale) bool { return l == catalog.LocaleBG }

// FormatDateTime writes t in the locale's long form: "събота, 14 март 2027, 19:00" or
// "Saturday 14 March 2027, 19:00". t should already be in the outlet's time zone.
func FormatDateTime(t time.Time, l catalog.Locale) string {
	w := wordsFor(l)
	day := w.weekdays[t.Weekday()]
	if isBG(l) {
		day += ","
	}
	return day + " " + strconv.Itoa(t.Day()) + " " + w.months[t.Month()-1] + " " +
		strconv.Itoa(t.Year()) + ", " + t.Format("15:04")
}

// FormatDate writes a civil date short: "14.03.2027" (bg) or "14 Mar 2027" (en).
func FormatDate(t time.Time, l catalog.Locale) string {
	if isBG(l) {
		return t.Format("02.01.2006")
	}
	return t.Format("2 Jan 2006")
}

// symbols are the currency signs tickets use; other currencies print their ISO code.
var symbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "BGN": "лв."}

// exponents are the minor-unit digits of currencies that do not use two (ISO 4217).
var exponents = map[string]int{"JPY": 0, "KRW": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}

// FormatMoney writes an amount in minor units of an ISO currency in the locale's way:
// bg "12,50 €" and "1 250,00 €", en "€12.50" and "€1,250.00". A currency without a known
// sign prints its code ("12,50 CHF", "CHF 12.50").
func FormatMoney(minor int64, currency string, l catalog.Locale) string {
	currency = strings.ToUpper(currency)
	exp, ok := exponents[currency]
	if !ok {
		exp = 2
	}
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = uint64(-minor)
	}
	div := uint64(1)
	for range exp {
		div *= 10
	}
	units, frac := u/div, u%div
	group, point := ",", "."
	if isBG(l) {
		group, point = " ", ","
	}
	num := groupDigits(strconv.FormatUint(units, 10), group)
	if exp > 0 {
		f := strconv.FormatUint(frac, 10)
		num += point + strings.Repeat("0", exp-len(f)) + f
	}
	sign := ""
	if neg {
		sign = "-"
	}
	sym, known := symbols[currency]
	switch {
	case isBG(l) && known:
		return sign + num + " " + sym
	case isBG(l):
		return sign + num + " " + currency
	case known && currency != "BGN":
		return sign + sym + num
	default:
		return sign + currency + " " + num
	}
}

// groupDigits puts sep between groups of three digits from the right.
func groupDigits(d, sep string) string {
	if len(d) <= 3 {
		return d
	}
	var b strings.Builder
	head := len(d) % 3
	if head > 0 {
		b.WriteString(d[:head])
	}
	for i := head; i < len(d); i += 3 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(d[i : i+3])
	}
	return b.String()
}
