package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTicketURL(t *testing.T) {
	dir := t.TempDir()
	ctl := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := execute(append([]string{"--dir", dir}, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, errs := ctl("init"); code != 0 {
		t.Fatalf("init: %s", errs)
	}
	if _, out, _ := ctl("ticket-url"); !strings.Contains(out, "none") {
		t.Fatalf("unset: %q", out)
	}
	for _, bad := range []string{"ftp://x.org/t/", "HTTPS://", "not a url", "HTTPS://T.ORG/T/?A=1"} {
		if code, _, errs := ctl("ticket-url", bad); code == 0 || !strings.Contains(errs, "is not an http(s) URL") {
			t.Errorf("%q accepted (%d %q)", bad, code, errs)
		}
	}
	if code, _, errs := ctl("ticket-url", "https://t.example.org/t/"); code != 0 || !strings.Contains(errs, "capitals") {
		t.Fatalf("lower case: %d %q", code, errs)
	}
	if code, _, _ := ctl("ticket-url", "HTTPS://T.EXAMPLE.ORG/T/"); code != 0 {
		t.Fatal("set failed")
	}
	if _, out, _ := ctl("ticket-url"); strings.TrimSpace(out) != "HTTPS://T.EXAMPLE.ORG/T/" {
		t.Fatalf("read back %q", out)
	}
	if code, _, errs := ctl("ticket-url", "HTTPS://X.ORG/", "--clear"); code == 0 || !strings.Contains(errs, "not both") {
		t.Fatalf("url and clear: %d %q", code, errs)
	}
	ctl("ticket-url", "--clear")
	if _, out, _ := ctl("ticket-url"); !strings.Contains(out, "none") {
		t.Fatalf("after clear: %q", out)
	}
}
