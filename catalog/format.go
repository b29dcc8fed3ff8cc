package catalog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The one place where money and dates become text: tickets, reports, the kiosk's screens,
// the hub's emails and kioskctl all format through these functions, so a price reads the
// same on the screen, on paper and in the buyer's inbox.

// minorDigits are the ISO 4217 minor-unit exponents of the currencies that do not use two
// decimals (a currency missing here uses two). The list is the standard's, not only the
// currencies the outlets use today: an outlet can be set up in any of them.
var minorDigits = map[string]int{
	// no minor unit
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// thousandths
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// ten-thousandths
	"CLF": 4, "UYW": 4,
}

// MinorDigits returns how many digits of currency's amounts stand after the decimal mark
// (its ISO 4217 exponent): 2 for EUR, BGN and USD, 0 for JPY, 3 for KWD and BHD, and 2 for
// a code it does not know. The code may be in any case.
func MinorDigits(currency string) int {
	if d, ok := minorDigits[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

// symbols are the currency signs the outlets' texts use; other currencies show their code.
var symbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "BGN": "лв."}

// FormatMoney writes an amount in minor units of an ISO 4217 currency in the locale's way:
// bg "12,50 €" and "1 250,00 €", en "€12.50" and "€1,250.00". A currency without a known
// sign shows its code ("12,50 CHF", "CHF 12.50"; "JPY 1,250" for ¥1250).
func FormatMoney(minor int64, currency string, l Locale) string {
	currency = strings.ToUpper(currency)
	num := FormatAmount(minor, currency, l)
	sign := ""
	if minor < 0 {
		sign, num = "-", num[1:]
	}
	sym, known := symbols[currency]
	switch {
	case l == LocaleBG && known:
		return sign + num + " " + sym
	case l == LocaleBG:
		return sign + num + " " + currency
	case known && currency != "BGN":
		return sign + sym + num
	default:
		return sign + currency + " " + num
	}
}

// FormatAmount writes an amount in minor units of currency as a number in the locale's
// way, without the currency: bg "1 250,00", en "1,250.00"; "1,250" for JPY.
func FormatAmount(minor int64, currency string, l Locale) string {
	group, point := ",", "."
	if l == LocaleBG {
		group, point = " ", ","
	}
	num := FormatDecimal(minor, currency)
	sign := ""
	if minor < 0 {
		sign, num = "-", num[1:]
	}
	whole, frac, hasFrac := strings.Cut(num, ".")
	num = groupDigits(whole, group)
	if hasFrac {
		num += point + frac
	}
	return sign + num
}

// FormatDecimal writes an amount in minor units of currency in major units as ParseAmount
// reads it back: a point before the currency's minor digits and no digit groups ("1250.00",
// "-6.00"; "1250" for JPY, "1.250" for KWD).
func FormatDecimal(minor int64, currency string) string {
	exp := MinorDigits(currency)
	u := uint64(minor)
	if minor < 0 {
		u = -u // two's complement: right for math.MinInt64 too
	}
	div := uint64(1)
	for range exp {
		div *= 10
	}
	num := strconv.FormatUint(u/div, 10)
	if exp > 0 {
		f := strconv.FormatUint(u%div, 10)
		num += "." + strings.Repeat("0", exp-len(f)) + f
	}
	if minor < 0 {
		return "-" + num
	}
	return num
}

// ParseAmount reads an amount written in major units of currency, with a point or a comma
// before at most the currency's minor digits ("12.50", "12,5", "7"; "1250" but not
// "12.50" for JPY), and returns it in minor units. Negative amounts and digit groups are
// refused.
func ParseAmount(s, currency string) (int64, error) {
	exp := MinorDigits(currency)
	bad := func() (int64, error) {
		ex := "12.50"
		switch exp {
		case 0:
			ex = "1250"
		case 3:
			ex = "12.500"
		}
		return 0, fmt.Errorf("amount %q is not one such as %s", s, ex)
	}
	t := strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	whole, frac, hasFrac := strings.Cut(t, ".")
	if !digits(whole) || (hasFrac && (!digits(frac) || len(frac) > exp)) || len(whole) > 13 {
		return bad()
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return bad()
	}
	frac += strings.Repeat("0", exp-len(frac))
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return bad()
		}
	}
	for range exp {
		w *= 10
	}
	return w + f, nil
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
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

// dateWords are the names of the days and months in one locale.
type dateWords struct {
	weekdays [7]string
	months   [12]string
}

var dates = map[Locale]*dateWords{
	LocaleEN: {
		weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		months: [12]string{"January", "February", "March", "April", "May", "June", "July",
			"August", "September", "October", "November", "December"},
	},
	LocaleBG: {
		weekdays: [7]string{"неделя", "понеделник", "вторник", "сряда", "четвъртък", "петък", "събота"},
		months: [12]string{"януари", "февруари", "март", "април", "май", "юни", "юли",
			"август", "септември", "октомври", "ноември", "декември"},
	},
}

// FormatDateTime writes t in the locale's long form: "събота, 14 март 2027, 19:00" or
// "Saturday 14 March 2027, 19:00". t should already be in the outlet's time zone.
func FormatDateTime(t time.Time, l Locale) string {
	w := dates[LocaleEN]
	day := ""
	if l == LocaleBG {
		w = dates[LocaleBG]
		day = ","
	}
	day = w.weekdays[t.Weekday()] + day
	return day + " " + strconv.Itoa(t.Day()) + " " + w.months[t.Month()-1] + " " +
		strconv.Itoa(t.Year()) + ", " + t.Format("15:04")
}

// FormatDate writes a civil date short: "14.03.2027" (bg) or "14 Mar 2027" (en).
func FormatDate(t time.Time, l Locale) string {
	if l == LocaleBG {
		return t.Format("02.01.2006")
	}
	return t.Format("2 Jan 2006")
}

// FormatStamp writes a moment short, date and time: "14.03.2027 19:00" (bg) or
// "14 Mar 2027 19:00" (en), as a ticket's "printed" line and an email's event time.
func FormatStamp(t time.Time, l Locale) string { return FormatDate(t, l) + " " + t.Format("15:04") }

// FormatDayMonth writes a day in digits as the outlet's people write it, for a narrow
// display: "14.03" (bg) or "14/03" (en); with year "14.03.2027" and "14/03/2027".
func FormatDayMonth(t time.Time, l Locale, year bool) string {
	layout := "02/01"
	if l == LocaleBG {
		layout = "02.01"
	}
	if year {
		layout += layout[2:3] + "2006"
	}
	return t.Format(layout)
}
