package hub

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

func TestVerify(t *testing.T) {
	h, clk := newHub(t)
	k1, k2 := setupOutlet(t, h)
	l := openLedger(t, h)
	s1 := k1.sale(t, "books", "print", "", clk.Now(), "boss@example.org", concert, map[string]int{"std": 2})
	s2 := k1.sale(t, "books", "print", "", clk.Now(), "boss@example.org", concert, map[string]int{"vip": 1})
	v := k1.void(s2.Seq, clk.Now(), "boss@example.org")
	ingest(t, l, k1, s1, s2, v)
	unsynced := k2.sale(t, "books", "print", "", clk.Now(), "boss@example.org", concert, map[string]int{"std": 1})
	stranger := newDevice(t, "k9")
	foreign := stranger.sale(t, "books", "print", "", clk.Now(), "boss@example.org", concert, map[string]int{"std": 1})
	// A code k1 really signed, for a ticket its sale 1 does not have (ticket 3 of 3).
	forged, err := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: s1.Seq, N: 3, Of: 3, Event: "concert", Type: "std"}, k1.priv)
	must(t, err)
	must(t, h.SetSetting(SettingTicketURL, "HTTPS://T.EXAMPLE/TICKET-"))
	tampered := []byte(s1.Sale.Tickets[1].Code)
	tampered[5] ^= 'A' ^ 'C'

	cases := []struct {
		name, code string
		want       Verdict
		reason     string
	}{
		{"valid", s1.Sale.Tickets[1].Code, Valid, ""},
		{"valid as scanned: the ticket URL, a line end", "HTTPS://T.EXAMPLE/T/" + s1.Sale.Tickets[0].Code + "\r\n", Valid, ""},
		{"valid under the configured ticket URL", "https://t.example/ticket-" + s1.Sale.Tickets[0].Code, Valid, ""},
		{"the short code printed under the QR", " K1-1-2 ", Valid, ""},
		{"the short code in lower case", "k1-1-1", Valid, ""},
		{"lower case", strings.ToLower(s1.Sale.Tickets[0].Code), BadTicket, "malformed"},
		{"a URL in lower case", "https://t.example/t/" + strings.ToLower(s1.Sale.Tickets[0].Code), BadTicket, "malformed"},
		{"a flipped trailing bit", flipLast(s1.Sale.Tickets[0].Code), BadTicket, "malformed"},
		{"a short code of a ticket the sale lacks", "K1-1-3", NotAtHub, "has no ticket 3"},
		{"a short code of a sale not synced", "K2-1-1", NotAtHub, "has no sale"},
		{"a short code of an unknown device", "K9-1-1", BadTicket, "unknown device"},
		{"a voided short code", "K1-2-1", Voided, "voided"},
		{"voided", s2.Sale.Tickets[0].Code, Voided, "voided"},
		{"not synced yet", unsynced.Sale.Tickets[0].Code, NotAtHub, "has no sale"},
		{"not the sale's ticket", forged, NotAtHub, "does not hold this ticket"},
		{"unknown device", foreign.Sale.Tickets[0].Code, BadTicket, "unknown device"},
		{"tampered", string(tampered), BadTicket, "ticket code"},
		{"garbage", "hello", BadTicket, "malformed"},
	}
	for _, c := range cases {
		got, err := h.Verify(c.code, l)
		must(t, err)
		if got.Verdict != c.want || !strings.Contains(got.Reason, c.reason) {
			t.Errorf("%s: %s (%s), want %s (%s)", c.name, got.Verdict, got.Reason, c.want, c.reason)
		}
		if c.want == Valid && (got.Sale == nil || got.Sale.Seq != s1.Seq) {
			t.Errorf("%s: sale %+v", c.name, got.Sale)
		}
	}
}

// flipLast flips the lowest bit of a code's last character: in a code whose length leaves
// trailing bits, the same bytes to encoding/base32.
func flipLast(code string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	i := strings.IndexByte(alphabet, code[len(code)-1])
	return code[:len(code)-1] + string(alphabet[i^1])
}

// TestCheckIn: a ticket is admitted once, whichever of its accepted spellings is shown; the
// second check-in says when and at which gate; void, unsynced and bad tickets are refused
// and leave no check-in behind.
func TestCheckIn(t *testing.T) {
	h, clk := newHub(t)
	k1, k2 := setupOutlet(t, h)
	l := openLedger(t, h)
	s1 := k1.sale(t, "books", "print", "", clk.Now(), "boss@example.org", concert, map[string]int{"std": 2})
	s2 := k1.sale(t, "books", "print", "", clk.Now(), "boss@example.org", concert, map[string]int{"vip": 1})
	ingest(t, l, k1, s1, s2, k1.void(s2.Seq, clk.Now(), "boss@example.org"))
	unsynced := k2.sale(t, "books", "print", "", clk.Now(), "boss@example.org", concert, map[string]int{"std": 1})
	code := s1.Sale.Tickets[0].Code

	first := clk.Now()
	v, err := h.CheckIn(code, "north", l)
	must(t, err)
	if v.Verdict != Valid || v.CheckIn == nil || v.CheckIn.Gate != "north" || !v.CheckIn.Time.Equal(first) {
		t.Fatalf("first check-in: %+v", v)
	}
	clk.Add(time.Hour)
	for _, again := range []string{code, " HTTPS://T.EXAMPLE/T/" + code + "\n", "K1-1-1", "k1-1-1"} {
		v, err := h.CheckIn(again, "south", l)
		must(t, err)
		if v.Verdict != Used || v.CheckIn == nil || v.CheckIn.Gate != "north" || !v.CheckIn.Time.Equal(first) ||
			!strings.Contains(v.Reason, "gate north") || !strings.Contains(v.Reason, first.Format(time.RFC3339)) {
			t.Errorf("second check-in as %q: %+v", again, v)
		}
	}
	if v, _ := h.Verify(code, l); v.Verdict != Used || v.CheckIn == nil {
		t.Errorf("verify after check-in: %+v", v)
	}
	if v, _ := h.Verify(s1.Sale.Tickets[1].Code, l); v.Verdict != Valid {
		t.Errorf("the sale's other ticket: %+v", v)
	}
	for _, c := range []struct {
		code string
		want Verdict
	}{
		{s2.Sale.Tickets[0].Code, Voided},
		{unsynced.Sale.Tickets[0].Code, NotAtHub},
		{strings.ToLower(s1.Sale.Tickets[1].Code), BadTicket},
		{flipLast(s1.Sale.Tickets[1].Code), BadTicket},
		{"hello", BadTicket},
	} {
		v, err := h.CheckIn(c.code, "north", l)
		must(t, err)
		if v.Verdict != c.want || v.CheckIn != nil {
			t.Errorf("check-in of %.20q: %+v, want %s", c.code, v, c.want)
		}
	}
	if v, _ := h.Verify(s1.Sale.Tickets[1].Code, l); v.Verdict != Valid {
		t.Errorf("a refused spelling checked the ticket in: %+v", v)
	}
	for _, g := range []string{"gate\r\nBcc: x", strings.Repeat("g", MaxGateLen+1)} {
		if _, err := h.CheckIn(code, g, l); !errors.Is(err, ErrInvalid) {
			t.Errorf("gate %q: %v", g, err)
		}
	}
}

func TestTicketURLSetting(t *testing.T) {
	h, _ := newHub(t)
	setupOutlet(t, h)
	before, err := h.Device("k1")
	must(t, err)
	must(t, h.SetSetting(SettingTicketURL, "https://t.example/t/"))
	after, err := h.Device("k1")
	must(t, err)
	if after.Version != before.Version+1 {
		t.Fatalf("version %d → %d", before.Version, after.Version)
	}
	cfg, err := h.BuildConfig("k1")
	must(t, err)
	if cfg.Hub.TicketURL != "https://t.example/t/" {
		t.Fatalf("config hub settings %+v", cfg.Hub)
	}
	must(t, h.SetSetting("note", "x"))
	if again, _ := h.Device("k1"); again.Version != after.Version {
		t.Fatal("a setting devices do not see raised their version")
	}
}

// TestCollectUsers: users created on a device enter the catalogue; one that clashes with
// the catalogue is a logged problem, not an error that would stop the feed; a user disabled
// on a device is disabled at the hub.
func TestCollectUsers(t *testing.T) {
	h, clk := newHub(t)
	k1, _ := setupOutlet(t, h)
	l := openLedger(t, h)
	hash := bcryptHash(t)
	created := func(email, code string) *journal.Entry {
		return k1.next(&journal.Entry{Kind: journal.KindUserCreated, User: &journal.UserFact{Email: email, Code: code, Role: "cashier", Outlet: "books", PasswordHash: hash}}, clk.Now(), "boss@example.org")
	}
	e1 := created("new@example.org", "3003")
	e2 := created("clash@example.org", "9001") // the supervisor's code
	e3 := k1.next(&journal.Entry{Kind: journal.KindUserDisabled, User: &journal.UserFact{Email: "new@example.org"}}, clk.Now(), "boss@example.org")
	// A device may not create users of another outlet.
	must(t, h.SaveOutlet(catalog.Outlet{ID: "fuel", Name: "Fuel", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "UTC"}, true))
	e4 := k1.next(&journal.Entry{Kind: journal.KindUserCreated, User: &journal.UserFact{Email: "spy@example.org", Code: "4004", Role: "supervisor", Outlet: "fuel", PasswordHash: hash}}, clk.Now(), "boss@example.org")
	ingest(t, l, k1, e1, e2, e3, e4)
	v0, _ := h.Device("k1")
	res, err := h.Collect(l, 0)
	must(t, err)
	if res.Entries != 4 || res.Users != 1 || res.Disabled != 1 || len(res.Problems) != 2 || !strings.Contains(res.Problems[0], "kiosk code 9001") ||
		!strings.Contains(res.Problems[1], "created on a device of another outlet") {
		t.Fatalf("collect %+v", res)
	}
	u, err := h.User("NEW@example.org")
	must(t, err)
	if !u.Disabled || u.CreatedBy != "boss@example.org" || u.Role != catalog.RoleCashier {
		t.Fatalf("user %+v", u)
	}
	for _, e := range []string{"clash@example.org", "spy@example.org"} {
		if _, err := h.User(e); err == nil {
			t.Fatalf("%s entered the catalogue", e)
		}
	}
	if v1, _ := h.Device("k1"); v1.Version <= v0.Version {
		t.Fatal("device users did not raise the config version")
	}
}

// TestCheckInThroughTheAPI: a gate scanner reaches the same state over serve's query API.
func TestCheckInThroughTheAPI(t *testing.T) {
	h, clk := newHub(t)
	k1, _ := setupOutlet(t, h)
	l := openLedger(t, h)
	s1 := k1.sale(t, "books", "print", "", clk.Now(), "boss@example.org", concert, map[string]int{"std": 1})
	ingest(t, l, k1, s1)
	srv := httptest.NewServer(h.apiHandler(localQuery{h: h, l: l}, "tok"))
	defer srv.Close()
	q := remoteQuery{base: srv.URL, token: "tok", c: srv.Client()}
	v, err := q.CheckIn(s1.Sale.Tickets[0].Code+"\r\n", "east")
	must(t, err)
	if v.Verdict != Valid || v.CheckIn == nil || v.CheckIn.Gate != "east" {
		t.Fatalf("first: %+v", v)
	}
	v, err = q.CheckIn("K1-1-1", "west")
	must(t, err)
	if v.Verdict != Used || v.CheckIn == nil || v.CheckIn.Gate != "east" {
		t.Fatalf("second: %+v", v)
	}
	if v, err := q.Verify(s1.Sale.Tickets[0].Code); err != nil || v.Verdict != Used {
		t.Fatalf("verify: %+v %v", v, err)
	}
	if _, err := q.CheckIn("K1-1-1", "a\nb"); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("a bad gate name: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/checkin?code=K1-1-1", nil)
	resp, err := q.do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /checkin: %s, want a scanner to POST", resp.Status)
	}
}
