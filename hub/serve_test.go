package hub

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/hub/mail/mailtest"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/mqtt"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// TestServeEmailsSales: a sale of an email outlet travels from the device's store over the
// embedded broker into serve, which stores it, acknowledges it and emails the tickets
// through the SMTP relay; status (through serve's API) shows it sent, and a relay that
// refuses shows in status as a delivery problem.
func TestServeEmailsSales(t *testing.T) {
	srv := mailtest.Start(t)
	bk, h, dir := brokerAndHub(t)
	must(t, h.SaveOutlet(catalog.Outlet{ID: "web", Name: "Web shop", Delivery: catalog.DeliveryEmail, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"}, true))
	must(t, h.SaveEvent(concert, true))
	must(t, h.SaveLink(catalog.Link{Outlet: "web", Event: "concert"}))
	k := newDevice(t, "k1")
	must(t, h.AddDevice(catalog.Device{ID: k.id, Outlet: "web", PublicKey: k.pub}))
	_, err := h.SignConfigs("", false) // the prices the ingest checks sales against
	must(t, err)

	st, err := store.Open(filepath.Join(dir, "k1.db"), store.Options{Device: "k1", NoSync: true})
	must(t, err)
	defer st.Close()
	sale := func(buyer string) *journal.Entry {
		e, err := st.Append(clock.Wall{}, "anna@example.org", func(tx journal.Tx, e *journal.Entry) error {
			code, err := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: e.Seq, N: 1, Of: 1, Event: "concert", Type: "vip"}, k.priv)
			e.Kind, e.Sale = journal.KindSale, &journal.Sale{Outlet: "web", Event: "concert", Currency: "EUR", Delivery: "email", Buyer: buyer,
				Lines: []journal.Line{{Type: "vip", Qty: 1, Price: 4000}}, Total: 4000, Tickets: []journal.Ticket{{N: 1, Type: "vip", Code: code}}}
			return err
		})
		must(t, err)
		return e
	}
	s1 := sale("first@example.org")

	dev, err := mqtt.NewDevice(mqtt.DeviceOptions{Conn: mqtt.Options{URL: bk.URL(), AllowInsecure: true}, Store: st, Key: k.priv, HubKey: h.PublicKey(),
		Logger: quiet, StateEvery: 200 * time.Millisecond})
	must(t, err)
	dev.Start()
	defer dev.Halt()

	relay := srv.Client(mailtest.User, mailtest.Password)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- NewServer(h, ServeOptions{Conn: mqtt.Options{URL: bk.URL(), AllowInsecure: true}, Mail: relay, MailFrom: relay.From, Collect: 50 * time.Millisecond}).Run(ctx)
	}()
	testkit.Eventually(t, 20*time.Second, "the email of the first sale", func() bool { return len(srv.Messages()) == 1 })
	pm := mailtest.Parse(t, srv.Messages()[0].Data)
	if srv.Messages()[0].To != "first@example.org" || testkit.QRCodePNG(t, pm.Images["ticket-1@ticketkiosk"]) != s1.Sale.Tickets[0].Code {
		t.Fatalf("email to %s", srv.Messages()[0].To)
	}
	testkit.Eventually(t, 20*time.Second, "the sale acknowledged", func() bool { bl, _ := st.Unsynced(); return bl.Entries == 0 })

	q, err := h.Query()
	must(t, err)
	if _, remote := q.(remoteQuery); !remote {
		t.Fatal("with serve running, queries do not go to its API")
	}
	s, err := q.Status()
	must(t, err)
	if s.Mail.Sent != 1 || len(s.Devices) != 1 || s.Devices[0].HubSeq != s1.Seq {
		t.Fatalf("status %+v", s)
	}

	// The relay refuses the next one: status shows the problem.
	srv.Refuse(mailtest.ErrBusy)
	sale("second@example.org")
	dev.Wake()
	testkit.Eventually(t, 20*time.Second, "the delivery problem in status", func() bool {
		s, err := q.Status()
		must(t, err)
		return len(s.Mail.Problems) == 1 && strings.Contains(s.Mail.Problems[0].LastError, "mailbox busy") && s.Mail.Problems[0].To == "second@example.org"
	})
	cancel()
	must(t, <-done)
}

// TestQueryAPIRefuses: the loopback API answers bad parameters with 400, not a report.
func TestQueryAPIRefuses(t *testing.T) {
	h, _ := newHub(t)
	l := openLedger(t, h)
	api := httptest.NewServer(h.apiHandler(localQuery{h: h, l: l}, "tok"))
	defer api.Close()
	q := remoteQuery{base: api.URL, token: "tok", c: api.Client()}
	for _, bad := range []string{"/report?from=x", "/report?to=1e99", "/report?by=year", "/report?by=hour"} {
		req, _ := http.NewRequest(http.MethodGet, api.URL+bad, nil)
		resp, err := q.do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s", bad, resp.Status)
		}
	}
	r, err := q.Report(Filter{By: ByOutlet})
	must(t, err)
	if r.By != ByOutlet || len(r.Rows) != 0 || !r.Period.IsWhole() {
		t.Fatalf("report %+v", r)
	}
	v, err := q.Verify("garbage")
	must(t, err)
	if v.Verdict != BadTicket {
		t.Fatalf("verify %+v", v)
	}
}

// TestPusherOneAtATime: users changing on devices in many collect rounds during a push
// cause one push after it, never pushes side by side or one per round.
func TestPusherOneAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, _ := newHub(t)
		s := NewServer(h, ServeOptions{})
		var pushes, running, most int
		release := make(chan struct{})
		s.push = func(context.Context) {
			pushes++
			running++
			most = max(most, running)
			<-release
			running--
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.pusher(ctx); close(done) }()

		poke(s.wakePush)
		synctest.Wait() // the first push runs
		for range 10 {
			poke(s.wakePush) // rounds that saw users change during it
		}
		release <- struct{}{}
		synctest.Wait() // the one push after it runs
		release <- struct{}{}
		synctest.Wait()
		if pushes != 2 || most != 1 {
			t.Fatalf("%d pushes, %d at once; want 2, one at a time", pushes, most)
		}
		cancel()
		<-done
	})
}
