package testkit

import (
	"testing"
	"time"
)

// pollEvery is how often Poll and Eventually look at their condition.
const pollEvery = 10 * time.Millisecond

// Poll looks at cond every few milliseconds until it holds or limit has passed, and
// reports whether it held. It is for what a real socket or another process makes true
// (a broker, an SMTP relay, a child kioskd), which testing/synctest cannot see; time
// inside the process is the bubble's, and waits there need no poll. The limit only bounds
// a hang: it is not a timing assertion.
func Poll(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollEvery)
	}
}

// Eventually is Poll that fails the test, naming what it waited for, when cond did not
// hold within limit.
func Eventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(limit, cond) {
		t.Fatalf("gave up after %v waiting for %s", limit, what)
	}
}
