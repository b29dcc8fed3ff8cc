package catalog_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"ticketkiosk/catalog"
)

func TestMinorDigits(t *testing.T) {
	for cur, want := range map[string]int{"EUR": 2, "BGN": 2, "USD": 2, "JPY": 0, "jpy": 0, "KRW": 0,
		"KWD": 3, "BHD": 3, "TND": 3, "CLF": 4, "XYZ": 2, "": 2} {
		if got := catalog.MinorDigits(cur); got != want {
			t.Errorf("MinorDigits(%q) = %d, want %d", cur, got, want)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	bg, en := catalog.LocaleBG, catalog.LocaleEN
	for _, c := range []struct {
		minor int64
		cur   string
		loc   catalog.Locale
		want  string
	}{
		{1250, "EUR", bg, "12,50 €"},
		{1250, "EUR", en, "€12.50"},
		{2000, "EUR", bg, "20,00 €"},
		{2000, "EUR", en, "€20.00"},
		{5, "EUR", en, "€0.05"},
		{0, "EUR", bg, "0,00 €"},
		{125000, "EUR", bg, "1 250,00 €"},
		{123456789, "EUR", en, "€1,234,567.89"},
		{-600, "EUR", bg, "-6,00 €"},
		{-600, "EUR", en, "-€6.00"},
		{-123456789, "EUR", bg, "-1 234 567,89 €"},
		{1000, "BGN", bg, "10,00 лв."},
		{1000, "BGN", en, "BGN 10.00"},
		{1999, "CHF", bg, "19,99 CHF"},
		{1999, "RON", en, "RON 19.99"}, // unknown to the table: two decimals, the code shown
		{1999, "usd", en, "$19.99"},
		{1250, "JPY", en, "JPY 1,250"}, // ¥1250, not 12.50
		{1250, "JPY", bg, "1 250 JPY"},
		{-1250, "JPY", en, "-JPY 1,250"},
		{12500, "KWD", en, "KWD 12.500"},
		{12345, "BHD", bg, "12,345 BHD"},
		{-5, "KWD", bg, "-0,005 KWD"},
		{math.MaxInt64, "EUR", en, "€92,233,720,368,547,758.07"},
		{math.MinInt64, "EUR", bg, "-92 233 720 368 547 758,08 €"},
		{math.MaxInt64, "JPY", en, "JPY 9,223,372,036,854,775,807"},
	} {
		if got := catalog.FormatMoney(c.minor, c.cur, c.loc); got != c.want {
			t.Errorf("FormatMoney(%d, %s, %s) = %q, want %q", c.minor, c.cur, c.loc, got, c.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, c := range []struct {
		minor int64
		cur   string
		loc   catalog.Locale
		want  string
	}{
		{1250, "EUR", catalog.LocaleEN, "12.50"},
		{-1250, "EUR", catalog.LocaleBG, "-12,50"},
		{1250, "JPY", catalog.LocaleEN, "1,250"},
		{1250, "KWD", catalog.LocaleEN, "1.250"},
		{100000000, "EUR", catalog.LocaleBG, "1 000 000,00"},
	} {
		if got := catalog.FormatAmount(c.minor, c.cur, c.loc); got != c.want {
			t.Errorf("FormatAmount(%d, %s, %s) = %q, want %q", c.minor, c.cur, c.loc, got, c.want)
		}
	}
}

func TestFormatDecimal(t *testing.T) {
	for _, c := range []struct {
		minor     int64
		cur, want string
	}{
		{125000, "EUR", "1250.00"}, {-600, "EUR", "-6.00"}, {5, "EUR", "0.05"}, {1250, "JPY", "1250"},
		{1250, "KWD", "1.250"}, {1, "CLF", "0.0001"}, {math.MinInt64, "XYZ", "-92233720368547758.08"},
	} {
		if got := catalog.FormatDecimal(c.minor, c.cur); got != c.want {
			t.Errorf("FormatDecimal(%d, %s) = %q, want %q", c.minor, c.cur, got, c.want)
		}
		if c.minor >= 0 && c.minor < 1e15 {
			if back, err := catalog.ParseAmount(c.want, c.cur); err != nil || back != c.minor {
				t.Errorf("ParseAmount(%q, %s) = %d, %v; want %d back", c.want, c.cur, back, err, c.minor)
			}
		}
	}
}

func TestParseAmount(t *testing.T) {
	for _, c := range []struct {
		s, cur string
		want   int64
	}{
		{"12.50", "EUR", 1250}, {"12,5", "EUR", 1250}, {"7", "EUR", 700}, {" 0.05 ", "EUR", 5},
		{"1250", "JPY", 1250}, {"12.5", "KWD", 12500}, {"0,001", "BHD", 1}, {"3", "XYZ", 300},
	} {
		got, err := catalog.ParseAmount(c.s, c.cur)
		if err != nil || got != c.want {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want %d", c.s, c.cur, got, err, c.want)
		}
	}
	for _, c := range []struct{ s, cur string }{
		{"", "EUR"}, {"-1", "EUR"}, {"+1", "EUR"}, {"1.234", "EUR"}, {"1.", "EUR"}, {".5", "EUR"},
		{"1 000", "EUR"}, {"12.50", "JPY"}, {"1.0001", "KWD"}, {"abc", "EUR"}, {"99999999999999", "EUR"},
	} {
		if got, err := catalog.ParseAmount(c.s, c.cur); err == nil {
			t.Errorf("ParseAmount(%q, %s) = %d, want an error", c.s, c.cur, got)
		}
	}
}

func TestFormatDates(t *testing.T) {
	sofia, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatal("no time zone data:", err)
	}
	start := time.Date(2027, 3, 13, 17, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		loc  catalog.Locale
		want string
	}{
		{start, catalog.LocaleBG, "събота, 13 март 2027, 19:00"},
		{start, catalog.LocaleEN, "Saturday 13 March 2027, 19:00"},
		// Summer time: UTC+3.
		{time.Date(2027, 7, 1, 17, 30, 0, 0, time.UTC), catalog.LocaleBG, "четвъртък, 1 юли 2027, 20:30"},
		// Late in the evening UTC is the next day in Sofia.
		{time.Date(2026, 12, 31, 22, 15, 0, 0, time.UTC), catalog.LocaleEN, "Friday 1 January 2027, 00:15"},
	} {
		if got := catalog.FormatDateTime(c.at.In(sofia), c.loc); got != c.want {
			t.Errorf("FormatDateTime(%v, %s) = %q, want %q", c.at, c.loc, got, c.want)
		}
	}
	at := start.In(sofia)
	for _, c := range []struct{ got, want string }{
		{catalog.FormatDate(at, catalog.LocaleBG), "13.03.2027"},
		{catalog.FormatDate(at, catalog.LocaleEN), "13 Mar 2027"},
		{catalog.FormatStamp(at, catalog.LocaleBG), "13.03.2027 19:00"},
		{catalog.FormatStamp(at, catalog.LocaleEN), "13 Mar 2027 19:00"},
		{catalog.FormatDayMonth(at, catalog.LocaleBG, false), "13.03"},
		{catalog.FormatDayMonth(at, catalog.LocaleEN, false), "13/03"},
		{catalog.FormatDayMonth(at, catalog.LocaleBG, true), "13.03.2027"},
		{catalog.FormatDayMonth(at, catalog.LocaleEN, true), "13/03/2027"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func ExampleFormatMoney() {
	fmt.Println(catalog.FormatMoney(1250, "EUR", catalog.LocaleBG))
	fmt.Println(catalog.FormatMoney(1250, "EUR", catalog.LocaleEN))
	fmt.Println(catalog.FormatMoney(1250, "JPY", catalog.LocaleEN))
	fmt.Println(catalog.FormatMoney(1250, "KWD", catalog.LocaleEN))
	// Output:
	// 12,50 €
	// €12.50
	// JPY 1,250
	// KWD 1.250
}

func ExampleFormatDateTime() {
	at := time.Date(2027, 3, 13, 19, 0, 0, 0, time.UTC)
	fmt.Println(catalog.FormatDateTime(at, catalog.LocaleBG))
	fmt.Println(catalog.FormatDateTime(at, catalog.LocaleEN))
	// Output:
	// събота, 13 март 2027, 19:00
	// Saturday 13 March 2027, 19:00
}
