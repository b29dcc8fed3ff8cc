package mqtt

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// TestReasonCodes: Reason's code for each kind of failure is one of Failures, each of which
// has words of at most 20 characters for a log line or a terminal; an unknown code is its
// own words.
func TestReasonCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{packets.ErrorRefusedNotAuthorised, FailNotAuthorised},
		{fmt.Errorf("connect: %w", packets.ErrorRefusedBadUsernameOrPassword), FailBadCredentials},
		{syscall.ECONNREFUSED, FailUnreachable},
		{errors.New("tls: handshake failure"), FailTLS},
		{errors.New("something else"), FailOther},
	} {
		if code, _ := Reason(c.err); code != c.want {
			t.Errorf("Reason(%v) = %q, want %q", c.err, code, c.want)
		}
	}
	if len(Failures) != len(failureWords) {
		t.Errorf("%d failures, %d with words", len(Failures), len(failureWords))
	}
	for _, code := range Failures {
		w, ok := failureWords[code]
		if !ok || w == "" || utf8.RuneCountInString(w) > 20 {
			t.Errorf("FailureWords(%q) = %q", code, w)
		}
	}
	if w := FailureWords("new_code"); w != "new_code" {
		t.Errorf("an unknown code's words: %q", w)
	}
	if slices.Contains(Failures, "") || slices.Contains(Refusals, "") {
		t.Error("an empty code")
	}
}
