package kiosk

import (
	"reflect"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/escpos"
)

func TestFit(t *testing.T) {
	cases := []struct {
		s    string
		w    int
		want string
	}{
		{"abc", 5, "abc  "},
		{"abc", 3, "abc"},
		{"abcdef", 4, "abc."},
		{"Книжарница", 6, "Книжа."},
		{"ab", 1, "a"},
		{"ab", 0, ""},
	}
	for _, c := range cases {
		if got := fit(c.s, c.w); got != c.want {
			t.Errorf("fit(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}

func TestPair(t *testing.T) {
	cases := []struct {
		l, r string
		w    int
		want string
	}{
		{"Total", "€25.00", 16, "Total     €25.00"},
		{"Стандартен", "12,50 €", 16, "Стандар. 12,50 €"},
		{"", "x", 4, "   x"},
		{"abc", "", 4, "abc "},
		{"abc", "toolongright", 5, "tool."},
		{"abc", "1234", 5, " 1234"},
	}
	for _, c := range cases {
		got := pair(c.l, c.r, c.w)
		if got != c.want {
			t.Errorf("pair(%q, %q, %d) = %q, want %q", c.l, c.r, c.w, got, c.want)
		}
	}
}

func TestWrap(t *testing.T) {
	cases := []struct {
		s    string
		w    int
		want []string
	}{
		{"Printer not ready: paper out", 16, []string{"Printer not", "ready: paper out"}},
		{"short", 16, []string{"short"}},
		{"", 16, []string{""}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"a\nb c", 16, []string{"a", "b c"}},
	}
	for _, c := range cases {
		if got := wrap(c.s, c.w); !reflect.DeepEqual(got, c.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}

func TestWindow(t *testing.T) {
	cases := []struct{ top, sel, n, rows, want int }{
		{0, 0, 3, 3, 0},
		{0, 3, 7, 3, 1},
		{1, 2, 7, 3, 1},
		{4, 1, 7, 3, 1},
		{0, 6, 7, 3, 4},
		{5, 6, 7, 3, 4},
	}
	for _, c := range cases {
		if got := window(c.top, c.sel, c.n, c.rows); got != c.want {
			t.Errorf("window(%d, %d, %d, %d) = %d, want %d", c.top, c.sel, c.n, c.rows, got, c.want)
		}
	}
}

func TestMoney(t *testing.T) {
	cases := []struct {
		l        catalog.Locale
		minor    int64
		currency string
		want     string
	}{
		{catalog.LocaleBG, 1250, "EUR", "12,50 €"},
		{catalog.LocaleEN, 1250, "EUR", "€12.50"},
		{catalog.LocaleBG, 5, "EUR", "0,05 €"},
		{catalog.LocaleEN, 100000, "EUR", "€1,000.00"},
		{catalog.LocaleEN, -600, "EUR", "-€6.00"},
		{catalog.LocaleBG, 1999, "BGN", "19,99 лв."},
		{catalog.LocaleEN, 1999, "RON", "RON 19.99"},
		{catalog.LocaleEN, 500, "JPY", "JPY 500"},
	}
	for _, c := range cases {
		if got := langOf(c.l).money(c.minor, c.currency); got != c.want {
			t.Errorf("money(%s, %d, %s) = %q, want %q", c.l, c.minor, c.currency, got, c.want)
		}
	}
}

func TestDate(t *testing.T) {
	d := time.Date(2027, 3, 14, 19, 0, 0, 0, time.UTC)
	if got := langOf(catalog.LocaleBG).date(d, true); got != "14.03.2027" {
		t.Errorf("bg date = %q", got)
	}
	if got := langOf(catalog.LocaleEN).date(d, false); got != "14/03" {
		t.Errorf("en date = %q", got)
	}
}

func TestPrinterWords(t *testing.T) {
	cases := []struct {
		s      escpos.Status
		en, bg string
	}{
		{escpos.Status{Online: true}, "ready", "готов"},
		{escpos.Status{Online: true, PaperEnd: true}, "paper out", "няма хартия"},
		{escpos.Status{Online: true, CoverOpen: true, PaperNearEnd: true}, "cover open, paper near end", "отворен капак, хартията свършва"},
		{escpos.Status{}, "offline", "изключен"},
		{escpos.Status{Online: true, PaperNearEnd: true}, "ready, paper near end", "готов, хартията свършва"},
	}
	for _, c := range cases {
		if got := langOf(catalog.LocaleEN).printerWords(c.s); got != c.en {
			t.Errorf("en %+v = %q, want %q", c.s, got, c.en)
		}
		if got := langOf(catalog.LocaleBG).printerWords(c.s); got != c.bg {
			t.Errorf("bg %+v = %q, want %q", c.s, got, c.bg)
		}
	}
}

// TestTextTable checks that every text exists in both languages with the same verbs.
func TestTextTable(t *testing.T) {
	for m := mNone + 1; m < mCount; m++ {
		en, bg := text[m][0], text[m][1]
		if en == "" || bg == "" {
			t.Errorf("text %d: missing %q / %q", m, en, bg)
			continue
		}
		if verbs(en) != verbs(bg) {
			t.Errorf("text %d: verbs differ: %q / %q", m, en, bg)
		}
	}
}

func verbs(s string) string {
	var out []rune
	rs := []rune(s)
	for i := 0; i < len(rs)-1; i++ {
		if rs[i] == '%' {
			out = append(out, rs[i+1])
			i++
		}
	}
	return string(out)
}
