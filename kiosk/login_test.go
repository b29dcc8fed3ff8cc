package kiosk

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// workStore counts what the core asks the store about logins.
type workStore struct {
	Store
	calls *[]string
}

func (w workStore) Login(name string) catalog.LoginState {
	*w.calls = append(*w.calls, "Login")
	return w.Store.Login(name)
}

func (w workStore) LoginFailed(at journal.Clock, name string, p catalog.Policy) (catalog.LoginState, *journal.Entry, error) {
	st, e, err := w.Store.LoginFailed(at, name, p)
	call := "LoginFailed"
	if e != nil {
		call += "+" + string(e.Kind)
	}
	*w.calls = append(*w.calls, call)
	return st, e, err
}

func (w workStore) LoginSucceeded(name string) error {
	*w.calls = append(*w.calls, "LoginSucceeded")
	return w.Store.LoginSucceeded(name)
}

// countWork replaces the password check with one that records the bcrypt cost of each
// hash checked, into the same list as the store's calls.
func countWork(t *testing.T, calls *[]string) {
	old := checkPassword
	t.Cleanup(func() { checkPassword = old })
	checkPassword = func(hash, password string) error {
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			t.Errorf("a password checked against %q: %v", hash, err)
		}
		*calls = append(*calls, fmt.Sprintf("bcrypt cost %d", cost))
		return old(hash, password)
	}
}

// attempt is one login's answer and the work it did.
type attempt struct {
	err  string
	work []string
}

// tryLogins logs in n times with id and a wrong password on a fresh kiosk, returning each
// attempt's answer and work.
func tryLogins(t *testing.T, id string, n int) []attempt {
	r := newRig(t, catalog.DeliveryPrint)
	var calls []string
	countWork(t, &calls)
	k, err := New(Options{Store: workStore{r.st, &calls}, Key: deviceKey, Clock: r.clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var out []attempt
	for range n {
		calls = nil
		_, err := k.Login(id, "wrong password")
		out = append(out, attempt{fmt.Sprint(err), slices.Clone(calls)})
	}
	return out
}

// TestUnknownAndKnownIDsLookTheSame: an id no user has and a user's id with a wrong
// password get the same answers and do the same work (one password check at the users'
// bcrypt cost, the same store calls), through the lockout and while locked: nothing at
// the keypad tells whether the id exists.
func TestUnknownAndKnownIDsLookTheSame(t *testing.T) {
	const n = 7 // 4 failures, the 5th locks, 2 while locked
	for _, p := range [][2]string{{"3000", "9999"}, {"ann@example.org", "zed@example.org"}} {
		known, unknown := tryLogins(t, p[0], n), tryLogins(t, p[1], n)
		for i := range n {
			k, u := known[i], unknown[i]
			if k.err != u.err || !slices.Equal(k.work, u.work) {
				t.Errorf("attempt %d: known %s: %s %q; unknown %s: %s %q", i+1, p[0], k.err, k.work, p[1], u.err, u.work)
			}
		}
		cost := fmt.Sprintf("bcrypt cost %d", catalog.PasswordCost)
		if w := known[0].work; !slices.Equal(w, []string{"Login", cost, "LoginFailed"}) {
			t.Errorf("a wrong password did %q", w)
		}
		if !strings.Contains(known[4].err, "locked until") {
			t.Errorf("the 5th failure did not lock: %s", known[4].err)
		}
		if w := known[4].work; !slices.Equal(w, []string{"Login", cost, "LoginFailed+login_locked"}) {
			t.Errorf("the locking failure did %q", w)
		}
		if w := known[5].work; !slices.Equal(w, []string{"Login", cost}) {
			t.Errorf("a login while locked did %q: no password check, and the time tells the id exists", w)
		}
	}
}

// TestLockedAnswersBeforeThePassword: while locked, the right password gets the lock's
// answer too, so the lock cannot be used to test passwords; an unknown id locks the same.
func TestLockedAnswersBeforeThePassword(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	for _, id := range []string{"3000", "9999"} {
		for range 5 {
			r.k.Login(id, "bad")
		}
	}
	_, errKnown := r.k.Login("3000", "ann-pass")
	_, errUnknown := r.k.Login("9999", "ann-pass")
	if !errors.Is(errKnown, ErrLocked) || errKnown.Error() != errUnknown.Error() {
		t.Fatalf("locked known: %v; locked unknown: %v", errKnown, errUnknown)
	}
}

// TestSupervisorUnlocks: a supervisor sees who is locked (users and ids no user has) and
// ends a lock; the unlock is journaled; cashiers may not.
func TestSupervisorUnlocks(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	var appended []*journal.Entry
	r.k.opt.Appended = func(e *journal.Entry) { appended = append(appended, e) }
	for _, id := range []string{"3000", "9999"} {
		for range 5 {
			r.k.Login(id, "bad")
		}
	}
	boss, err := r.k.Login("1000", "boss-pass")
	if err != nil {
		t.Fatal(err)
	}
	carl, err := r.k.Login("5000", "carl-pass")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.k.LockedUsers(carl); !errors.Is(err, ErrNotSupervisor) {
		t.Fatalf("a cashier's LockedUsers: %v", err)
	}
	if err := r.k.Unlock(carl, "ann@example.org"); !errors.Is(err, ErrNotSupervisor) {
		t.Fatalf("a cashier's Unlock: %v", err)
	}
	locked, err := r.k.LockedUsers(boss)
	if err != nil {
		t.Fatal(err)
	}
	until := r.clock.Now().Add(time.Minute)
	want := []Locked{{"ann@example.org", true, until}, {"9999", false, until}}
	if len(locked) != 2 || locked[0].Name != want[0].Name || !locked[0].Known || locked[1].Name != want[1].Name || locked[1].Known ||
		!locked[0].Until.Equal(until) {
		t.Fatalf("locked %+v, want %+v", locked, want)
	}
	appended = nil
	if err := r.k.Unlock(boss, "ann@example.org"); err != nil {
		t.Fatal(err)
	}
	if len(appended) != 1 || appended[0].Kind != journal.KindLoginUnlocked || appended[0].Actor != "boss@example.org" ||
		appended[0].Lock == nil || appended[0].Lock.User != "ann@example.org" || appended[0].Lock.Until != until.UnixMilli() {
		t.Fatalf("journaled %+v", appended)
	}
	if err := appended[0].Validate(); err != nil {
		t.Fatal(err)
	}
	if e, err := r.st.Entry(appended[0].Seq); err != nil || e.Kind != journal.KindLoginUnlocked {
		t.Fatalf("stored %+v, %v", e, err)
	}
	if _, err := r.k.Login("3000", "ann-pass"); err != nil {
		t.Fatalf("after the unlock: %v", err)
	}
	if err := r.k.Unlock(boss, "ann@example.org"); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("a second unlock: %v", err)
	}
	if locked, _ := r.k.LockedUsers(boss); len(locked) != 1 || locked[0].Name != "9999" {
		t.Fatalf("still locked: %+v", locked)
	}
	// A lock that ended by itself is not listed and cannot be unlocked.
	r.clock.Add(time.Minute)
	if locked, _ := r.k.LockedUsers(boss); len(locked) != 0 {
		t.Fatalf("after the lock's time: %+v", locked)
	}
	if err := r.k.Unlock(boss, "9999"); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("unlock after the lock's time: %v", err)
	}
}

// TestFlowSupervisorUnlocks: the menu offers the locked users to a supervisor only while
// someone is locked; OK on one ends its lock.
func TestFlowSupervisorUnlocks(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	setLocale(t, r, catalog.LocaleEN)
	d := newDriver(t, r, FlowOptions{Rows: 8, Cols: 40})
	d.run("1000⏎boss-pass⏎")
	d.shows("Menu")
	d.lacks("Locked users")
	d.run("8⏎") // log out
	d.shows("OK to log in")
	for _, id := range []string{"3000", "9999"} {
		for range 5 {
			r.k.Login(id, "bad")
		}
	}
	d.run("⏎5000⏎carl-pass⏎")
	d.shows("Menu")
	d.lacks("Locked users")
	d.run("4⏎")
	d.shows("OK to log in")
	d.run("⏎")
	d.run("1000⏎boss-pass⏎")
	d.run("↓↓↓↓↓↓↓↓")
	d.shows("8 Locked users", "9 Log out")
	d.run("8⏎")
	d.shows("Locked users", "ann@example.org", "9999", "no such user")
	d.run("⏎")
	d.shows("ann@example.org unlocked")
	if e := lastEntry(t, r); e.Kind != journal.KindLoginUnlocked || e.Actor != "boss@example.org" || e.Lock.User != "ann@example.org" {
		t.Fatalf("entry = %+v", e)
	}
	if _, err := r.k.Login("3000", "ann-pass"); err != nil {
		t.Fatalf("ann after the unlock: %v", err)
	}
}
