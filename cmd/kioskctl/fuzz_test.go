package main

import (
	"strings"
	"testing"
)

// FuzzParseType: a --type ID:NAME:PRICE flag, in a currency of each exponent (EUR 2, JPY
// 0, KWD 3). What is accepted has an id without ':', a price that is not negative, and the
// price prints back (formatPrice) to the same amount.
func FuzzParseType(f *testing.F) {
	for _, s := range []string{"std:Стандартен:12.50", "vip:VIP: front row:40", "a:A:0,5", "b::1", "c:C:-1", "d:D:1.234", "x", "::", "e:E:99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cur := range []string{"EUR", "JPY", "KWD"} {
			tt, err := parseType(s, cur)
			if err != nil {
				continue
			}
			if strings.Contains(tt.ID, ":") || tt.Price < 0 {
				t.Fatalf("parseType(%q, %s) = %+v", s, cur, tt)
			}
			p, err := parsePrice(formatPrice(tt.Price, cur), cur)
			if err != nil || p != tt.Price {
				t.Fatalf("%s price %d prints as %q and reads back as %d, %v", cur, tt.Price, formatPrice(tt.Price, cur), p, err)
			}
		}
	})
}

// FuzzParseAllot: a --allot TYPE=N,... flag. Each accepted type is named once, non-empty.
func FuzzParseAllot(f *testing.F) {
	for _, s := range []string{"std=100,vip=10", "std=1", "", "a=1,a=2", "=5", "x=-3", "y=1,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseAllot(s)
		if err != nil {
			return
		}
		n := 0
		if s != "" {
			n = strings.Count(s, ",") + 1
		}
		if len(m) != n {
			t.Fatalf("parseAllot(%q) = %v: %d types from %d parts", s, m, len(m), n)
		}
		for typ := range m {
			if typ == "" || strings.ContainsAny(typ, "=,") {
				t.Fatalf("parseAllot(%q): type %q", s, typ)
			}
		}
	})
}
