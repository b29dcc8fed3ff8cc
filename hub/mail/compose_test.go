package mail_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/hub/mail"
	"ticketkiosk/hub/mail/mailtest"
	"ticketkiosk/journal"
	"ticketkiosk/testkit"
)

func sale(t *testing.T, buyer string) *journal.Entry {
	t.Helper()
	// A fixed key: the same code, so the same QR image, every run (gozxing's detector
	// misreads about 1 in 100 clean images).
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	code, err := journal.NewCode(journal.TicketFacts{Device: "k1", Sale: 7, N: 1, Of: 1, Event: "concert", Type: "std"}, priv)
	if err != nil {
		t.Fatal(err)
	}
	return &journal.Entry{Device: "k1", Seq: 7, Kind: journal.KindSale, Sale: &journal.Sale{No: 3, Outlet: "web", Event: "concert",
		Currency: "EUR", Delivery: "email", Buyer: buyer, Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250,
		Tickets: []journal.Ticket{{N: 1, Type: "std", Code: code}}}}
}

// TestCompose: the email names the buyer, carries a Message-ID of the sale and its resend,
// says the facts of the ticket in the outlet's language and time zone, and holds the
// ticket's QR code (with the ticket URL before the code) as an inline image.
func TestCompose(t *testing.T) {
	e := sale(t, "buyer@example.org")
	outlet := catalog.Outlet{ID: "web", Name: "Web shop", Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "Europe/Sofia"}
	event := catalog.Event{ID: "concert", Title: "Concert", Venue: "Hall 1", Start: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC),
		Types: []catalog.TicketType{{ID: "std", Name: "Standard", Price: 1250}}}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	msg, err := mail.Compose(mail.TicketMail{Outlet: outlet, Event: event, Sale: e, TicketURL: "https://t.example/", Resend: 2}, "tickets@organiser.test", at)
	if err != nil {
		t.Fatal(err)
	}
	pm := mailtest.Parse(t, msg)
	if pm.Header.Get("To") != "buyer@example.org" || pm.Header.Get("Message-ID") != "<sale-k1-7-2@organiser.test>" || pm.Subject != "Your ticket: Concert" {
		t.Fatalf("header %v, subject %q", pm.Header, pm.Subject)
	}
	for _, want := range []string{"Web shop", "Hall 1", "1 Dec 2026 20:00", "Standard", "€12.50", "Ticket 1 of 1", "K1-7-1", "Total: €12.50"} {
		if !strings.Contains(pm.Text, want) || !strings.Contains(pm.HTML, want) {
			t.Errorf("text or html lacks %q", want)
		}
	}
	if got := testkit.QRCodePNG(t, pm.Images["ticket-1@ticketkiosk"]); got != "https://t.example/"+e.Sale.Tickets[0].Code {
		t.Errorf("QR %q", got)
	}

	if _, err := mail.Compose(mail.TicketMail{Outlet: outlet, Event: event, Sale: sale(t, "")}, "tickets@organiser.test", at); !errors.Is(err, mail.ErrNotEmail) {
		t.Errorf("a sale without a buyer: %v, want ErrNotEmail", err)
	}
	if _, err := mail.Compose(mail.TicketMail{Outlet: outlet, Event: event, Sale: e}, "not an address", at); err == nil {
		t.Error("a bad sender address was taken")
	}
}

// TestComposeMoneyAsTickets: the email writes amounts as the printed ticket does, in the
// currency's own minor unit and the outlet's locale: ¥1250 is "JPY 1,250" (it said
// "12.50 JPY"), 20 euros in Bulgarian "20,00 €" (it said "20.00 EUR").
func TestComposeMoneyAsTickets(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		locale      catalog.Locale
		currency    string
		price       int64
		price1, tot string
	}{
		{catalog.LocaleEN, "JPY", 1250, "JPY 1,250", "Total: JPY 2,500"},
		{catalog.LocaleBG, "EUR", 2000, "20,00 €", "Общо: 40,00 €"},
		{catalog.LocaleEN, "EUR", 2000, "€20.00", "Total: €40.00"},
		{catalog.LocaleEN, "KWD", 2000, "KWD 2.000", "Total: KWD 4.000"},
	} {
		e := sale(t, "buyer@example.org")
		e.Sale.Currency = c.currency
		e.Sale.Lines = []journal.Line{{Type: "std", Qty: 2, Price: c.price}}
		e.Sale.Total = 2 * c.price
		outlet := catalog.Outlet{ID: "web", Name: "Web shop", Locale: c.locale, Currency: c.currency, TimeZone: "Europe/Sofia"}
		event := catalog.Event{ID: "concert", Title: "Concert", Venue: "Hall 1", Start: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC),
			Types: []catalog.TicketType{{ID: "std", Name: "Standard", Price: c.price}}}
		msg, err := mail.Compose(mail.TicketMail{Outlet: outlet, Event: event, Sale: e}, "tickets@organiser.test", at)
		if err != nil {
			t.Fatal(err)
		}
		pm := mailtest.Parse(t, msg)
		for _, want := range []string{c.price1, c.tot} {
			if !strings.Contains(pm.Text, want) || !strings.Contains(pm.HTML, want) {
				t.Errorf("%s %s: text or html lacks %q:\n%s", c.locale, c.currency, want, pm.Text)
			}
		}
		if want := catalog.FormatMoney(c.price, c.currency, c.locale); want != c.price1 {
			t.Errorf("the ticket writes %q, the email %q", want, c.price1)
		}
	}
}

// TestComposeOneTicketAndPlainText: the words follow the count of tickets (Bulgarian
// "Продадени от", plural, was said of one ticket), and the plain-text part, which has no
// QR image, carries each ticket's code and, with a ticket URL, its link: what the QR holds.
func TestComposeOneTicketAndPlainText(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	outlet := catalog.Outlet{ID: "web", Name: "Уеб", Locale: catalog.LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"}
	event := catalog.Event{ID: "concert", Title: "Концерт", Venue: "Зала 1", Start: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC),
		Types: []catalog.TicketType{{ID: "std", Name: "Стандартен", Price: 1250}}}
	one := sale(t, "buyer@example.org")
	code := one.Sale.Tickets[0].Code
	msg, err := mail.Compose(mail.TicketMail{Outlet: outlet, Event: event, Sale: one, TicketURL: "https://t.example/t/"}, "tickets@organiser.test", at)
	if err != nil {
		t.Fatal(err)
	}
	pm := mailtest.Parse(t, msg)
	if pm.Subject != "Вашият билет: Концерт" {
		t.Errorf("subject of one ticket %q", pm.Subject)
	}
	for _, part := range []string{pm.Text, pm.HTML} {
		for _, want := range []string{"Билетът ви е по-долу", "Продаден от: Уеб", "https://t.example/t/" + code} {
			if !strings.Contains(strings.ReplaceAll(part, "</td><td>", ": "), want) {
				t.Errorf("lacks %q:\n%s", want, part)
			}
		}
		if strings.Contains(part, "Продадени") || strings.Contains(part, "Билетите") {
			t.Errorf("plural words for one ticket:\n%s", part)
		}
	}
	if !strings.Contains(pm.Text, "Код на билета: "+code+"\n") {
		t.Errorf("the text part lacks the ticket code:\n%s", pm.Text)
	}

	// Two tickets: plural, each code in the text part; no link without a ticket URL.
	two := sale(t, "buyer@example.org")
	two.Sale.Tickets = append(two.Sale.Tickets, journal.Ticket{N: 2, Type: "std", Code: code})
	msg, err = mail.Compose(mail.TicketMail{Outlet: outlet, Event: event, Sale: two}, "tickets@organiser.test", at)
	if err != nil {
		t.Fatal(err)
	}
	pm = mailtest.Parse(t, msg)
	if pm.Subject != "Вашите билети: Концерт" || !strings.Contains(pm.Text, "Билетите ви са по-долу") {
		t.Errorf("two tickets: subject %q, text:\n%s", pm.Subject, pm.Text)
	}
	if n := strings.Count(pm.Text, "Код на билета: "+code); n != 2 || strings.Contains(pm.Text, "Връзка") {
		t.Errorf("two tickets: %d codes in the text part, or a link without a URL:\n%s", n, pm.Text)
	}

	// English has the same two forms.
	outlet.Locale = catalog.LocaleEN
	msg, err = mail.Compose(mail.TicketMail{Outlet: outlet, Event: event, Sale: one}, "tickets@organiser.test", at)
	if err != nil {
		t.Fatal(err)
	}
	if pm = mailtest.Parse(t, msg); pm.Subject != "Your ticket: Концерт" || !strings.Contains(pm.Text, "Your ticket is below") ||
		!strings.Contains(pm.Text, "Ticket code: "+code) {
		t.Errorf("English, one ticket: subject %q, text:\n%s", pm.Subject, pm.Text)
	}
}
