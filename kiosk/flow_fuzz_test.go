package kiosk

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
)

// fuzzKeys turns fuzz bytes into steps: 0x00-0x0f the keypad keys (digits, Up, Down, OK,
// Cancel, Backspace, Symbol), 0x10-0x1f a pause of (b-0x10)×500 ms, printable ASCII a
// keyboard character, anything else OK.
func fuzzKey(b byte) (device.Key, time.Duration) {
	switch {
	case b <= 9:
		return device.Char(rune('0' + b)), 0
	case b < 0x10:
		return device.Key{Kind: []device.KeyKind{device.KeyUp, device.KeyDown, device.KeyOK,
			device.KeyCancel, device.KeyBackspace, device.KeySymbol}[b-10]}, 0
	case b < 0x20:
		return device.Key{}, time.Duration(b-0x10) * 500 * time.Millisecond
	case b < 0x7f:
		return device.Char(rune(b)), 0
	}
	return device.Key{Kind: device.KeyOK}, 0
}

// cheapPasswords applies the rig's config again with the users' passwords hashed at
// bcrypt's lowest cost, so that a fuzzer can try many logins a second. Each user's password
// stays "<name>-pass".
func cheapPasswords(tb testing.TB, r *rig) {
	tb.Helper()
	cfg, err := r.k.Config()
	if err != nil {
		tb.Fatal(err)
	}
	c := *cfg
	c.Version++
	c.Users = append([]catalog.User(nil), cfg.Users...)
	for i, u := range c.Users {
		name, _, _ := strings.Cut(u.Email, "@")
		h, err := bcrypt.GenerateFromPassword([]byte(name+"-pass"), bcrypt.MinCost)
		if err != nil {
			tb.Fatal(err)
		}
		c.Users[i].PasswordHash = string(h)
	}
	if _, err := r.st.ApplyConfig(&c, []byte("{}"), r.clock); err != nil {
		tb.Fatal(err)
	}
}

// slowLogin reports whether OK now would check a password for an id no user has, which
// costs a full bcrypt in the core (on purpose) and far more under the fuzzer's coverage
// instrumentation: the fuzzer skips that key.
func slowLogin(r *rig, fl *Flow) bool {
	var id string
	switch fl.st {
	case stLoginPass:
		id = fl.cred.id
	case stApprovePass:
		id = fl.cred.id
	default:
		return false
	}
	_, known := r.k.findUser(id)
	return !known
}

// needsSession are the states only a logged-in user may see.
func needsSession(st state) bool {
	switch st {
	case stIdle, stLoginID, stLoginPass, stMessage:
		return false
	}
	return true
}

// FuzzFlow drives the flow with any keys and pauses, on every display size and both input
// kinds, and checks that every screen has exactly the display's size, that nothing
// panics, and that no screen past the login shows without a session. Inputs may start
// logged in (opts picks the user).
func FuzzFlow(f *testing.F) {
	f.Add(byte(0), []byte("3000\x0cann-pass\x0c1\x0c\x0c\x0c2\x0c\x0c\x0c\x0d\x0d\x0d2\x0c\x0c2\x0c\x0b\x0b\x0c"))
	f.Add(byte(1), []byte("2000\x0csup-pass\x0c\x0b\x0b\x0b\x0b\x0b\x0c\x0c\x0c\x0b\x0b\x0c"))
	f.Add(byte(2), []byte("\x0c3000\x0c2\x12\x06\x06\x12\x06\x06\x01\x01\x01\x07\x02\x07\x07\x07\x07\x12\x07\x07\x07\x07\x0c"))
	f.Add(byte(3), []byte("1000\x0cboss-pass\x0c2\x0c3\x0c\x0c6\x0c20261101\x0c20261130\x0c\x0b\x0b\x0b\x0c"))
	f.Add(byte(4), []byte("1000\x0cboss-pass\x0c6\x0cx@y.eu\x0c7777\x0c2\x0cpass12\x0cpass12\x0c\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f"))
	f.Add(byte(5), []byte("3000\x0cann-pass\x0c\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f"))
	sizes := [][2]int{{2, 16}, {4, 20}, {8, 40}, {3, 16}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rigs := map[catalog.Delivery]*rig{}
	for _, d := range []catalog.Delivery{catalog.DeliveryPrint, catalog.DeliveryEmail} {
		r := newRig(f, d)
		r.k.log = log
		cheapPasswords(f, r)
		rigs[d] = r
	}
	f.Fuzz(func(t *testing.T, opts byte, input []byte) {
		if len(input) > 400 {
			return
		}
		delivery := catalog.DeliveryPrint
		if opts&8 != 0 {
			delivery = catalog.DeliveryEmail
		}
		r := rigs[delivery]
		sz := sizes[int(opts)%len(sizes)]
		fl := NewFlow(r.k, FlowOptions{Rows: sz[0], Cols: sz[1], MultiTap: opts&4 != 0, Logger: log})
		check := func(s Screen) {
			if len(s) != sz[0] {
				t.Fatalf("%d rows, want %d:\n%s", len(s), sz[0], s)
			}
			for i, row := range s {
				if utf8.RuneCountInString(row) != sz[1] {
					t.Fatalf("row %d %q: not %d runes", i, row, sz[1])
				}
			}
			if fl.sess == nil && needsSession(fl.st) {
				t.Fatalf("state %d without a session", fl.st)
			}
		}
		check(fl.Screen())
		if login := []string{"", "3000\x0cann-pass\x0c", "2000\x0csup-pass\x0c", "1000\x0cboss-pass\x0c"}[opts>>4&3]; login != "" {
			input = append([]byte(login), input...)
		}
		for _, b := range input {
			k, pause := fuzzKey(b)
			if pause > 0 {
				r.clock.Add(pause)
				s, _ := fl.Tick(r.clock.Now())
				check(s)
				continue
			}
			if k.Kind == device.KeyOK && slowLogin(r, fl) {
				continue
			}
			check(fl.Key(context.Background(), k))
		}
	})
}
