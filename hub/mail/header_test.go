package mail_test

import (
	"errors"
	"mime"
	"strings"
	"testing"
	"unicode/utf8"

	"ticketkiosk/hub/mail"
)

// printableLine reports whether s is one line of printable ASCII (tab allowed): what a
// header value may be.
func printableLine(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' || c > '~') && c != '\t' {
			return false
		}
	}
	return true
}

// TestAddress: an address is one net/mail address with no control character; a display
// name that is not ASCII is RFC 2047 encoded; anything else is ErrBadAddress.
func TestAddress(t *testing.T) {
	for in, want := range map[string]string{
		"buyer@example.org":                 "buyer@example.org",
		" buyer@example.org ":               "buyer@example.org",
		"Anna <anna@example.org>":           `"Anna" <anna@example.org>`,
		"Анна Петрова <anna@example.org>":   "=?utf-8?q?=D0=90=D0=BD=D0=BD=D0=B0_=D0=9F=D0=B5=D1=82=D1=80=D0=BE=D0=B2?= =?utf-8?q?=D0=B0?= <anna@example.org>",
		"b@example.org\r\nBcc: attacker@x":  "",
		"b@example.org\nReply-To: a@x":      "",
		"b@example.org, attacker@x":         "",
		"<b@example.org>\r\n":               "",
		"\"x\r\nBcc: a@x\" <b@example.org>": "",
		"b\x00@example.org":                 "",
		"not an address":                    "",
		"":                                  "",
	} {
		got, err := mail.Address(in)
		if want == "" {
			if !errors.Is(err, mail.ErrBadAddress) {
				t.Errorf("Address(%q) = %q, %v; want ErrBadAddress", in, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("Address(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// FuzzHeader: whatever the input, HeaderText is one printable ASCII line that decodes back
// to the input with control characters as spaces; SafeName holds only its charset; an
// Address that is accepted is one printable line that parses again to the same address.
// The seeds (testdata/fuzz/FuzzHeader) are the injections tried against the hub.
func FuzzHeader(f *testing.F) {
	f.Add("Концерт")
	f.Add("Concert\r\nBcc: attacker@x")
	f.Fuzz(func(t *testing.T, s string) {
		h := mail.HeaderText(s)
		if !printableLine(h) {
			t.Fatalf("HeaderText(%q) = %q", s, h)
		}
		dec, err := new(mime.WordDecoder).DecodeHeader(h)
		if err != nil {
			t.Fatalf("HeaderText(%q) = %q does not decode: %v", s, h, err)
		}
		if strings.ContainsAny(dec, "\r\n\x00") {
			t.Fatalf("HeaderText(%q) decodes to %q", s, dec)
		}
		if utf8.ValidString(s) && utf8.RuneCountInString(dec) != utf8.RuneCountInString(s) {
			t.Fatalf("HeaderText(%q) decodes to %q: not the text", s, dec)
		}
		n := mail.SafeName(s)
		if n == "" || strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
			t.Fatalf("SafeName(%q) = %q", s, n)
		}
		if a, err := mail.Address(s); err == nil {
			if !printableLine(a) {
				t.Fatalf("Address(%q) = %q", s, a)
			}
			if b, err := mail.Address(a); err != nil || b != a {
				t.Fatalf("Address(%q) = %q, again %q, %v", s, a, b, err)
			}
		}
	})
}
