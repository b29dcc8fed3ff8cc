package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// ErrNotEmail means a sale has no buyer to email (hub.ErrNoEmailSales is the same error).
var ErrNotEmail = errors.New("hub: sale is not an email delivery")

// TicketMail is what an email of tickets says: the same facts as the printed ticket.
type TicketMail struct {
	Outlet    catalog.Outlet
	Event     catalog.Event
	Sale      *journal.Entry
	TicketURL string // when set, QR codes carry TicketURL + code, as printed tickets do
	Resend    int    // 0 for the first sending; part of the Message-ID
}

var mailText = map[catalog.Locale]map[string]string{
	catalog.LocaleBG: {
		"subject": "Вашите билети: %s",
		"hello":   "Благодарим ви за поръчката. Билетите ви са по-долу; покажете QR кода на входа.",
		"outlet":  "Продадени от",
		"venue":   "Място",
		"when":    "Дата и час",
		"type":    "Вид билет",
		"price":   "Цена",
		"ticket":  "Билет %d от %d",
		"code":    "Код",
		"total":   "Общо",
	},
	catalog.LocaleEN: {
		"subject": "Your tickets: %s",
		"hello":   "Thank you for your order. Your tickets are below; show the QR code at the entrance.",
		"outlet":  "Sold by",
		"venue":   "Venue",
		"when":    "Date and time",
		"type":    "Ticket type",
		"price":   "Price",
		"ticket":  "Ticket %d of %d",
		"code":    "Code",
		"total":   "Total",
	},
}

// qrModule is the size in pixels of one QR module in emailed tickets.
const qrModule = 5

type mailTicket struct {
	Heading, Type, Price, Short, Code, CID string
	PNG                                    []byte
}

var htmlTmpl = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif">
<p>{{.Hello}}</p>
{{range .Tickets}}<table style="border: 1px solid #888; margin: 1em 0; padding: 0.5em">
<tr><td colspan="2"><h2 style="margin: 0">{{$.Title}}</h2><b>{{.Heading}}</b></td></tr>
<tr><td>{{$.L.venue}}</td><td>{{$.Venue}}</td></tr>
<tr><td>{{$.L.when}}</td><td>{{$.When}}</td></tr>
<tr><td>{{$.L.type}}</td><td>{{.Type}}</td></tr>
<tr><td>{{$.L.price}}</td><td>{{.Price}}</td></tr>
<tr><td>{{$.L.outlet}}</td><td>{{$.Outlet}}</td></tr>
<tr><td>{{$.L.code}}</td><td><tt>{{.Short}}</tt></td></tr>
<tr><td colspan="2"><img src="cid:{{.CID}}" alt="QR {{.Short}}"></td></tr>
</table>
{{end}}<p>{{.L.total}}: {{.Total}}</p>
</body></html>
`))

// Compose writes the email of a sale's tickets to the buyer: multipart/related holding a
// multipart/alternative (plain text and HTML) and one inline QR PNG per ticket, referenced
// by Content-ID from the HTML. from is the sender address; at is the Date header.
func Compose(m TicketMail, from string, at time.Time) ([]byte, error) {
	s := m.Sale.Sale
	if s == nil || s.Buyer == "" {
		return nil, fmt.Errorf("%w: seq %d of %s has no buyer", ErrNotEmail, m.Sale.Seq, m.Sale.Device)
	}
	if err := catalog.ValidEmail(s.Buyer); err != nil {
		return nil, fmt.Errorf("hub: mail: buyer: %w", err)
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("hub: mail: sender %q: %w", from, err)
	}
	L := mailText[m.Outlet.Locale]
	if L == nil {
		L = mailText[catalog.LocaleEN]
	}
	loc := m.Outlet.Location()
	when := catalog.FormatStamp(m.Event.Start.In(loc), m.Outlet.Locale)
	subject := fmt.Sprintf(L["subject"], m.Event.Title)
	prices := map[string]int64{}
	for _, l := range s.Lines {
		prices[l.Type] = l.Price
	}
	money := func(n int64) string { return catalog.FormatMoney(n, s.Currency, m.Outlet.Locale) }
	var tickets []mailTicket
	for _, t := range s.Tickets {
		f, _, _, err := journal.ParseCode(t.Code)
		if err != nil {
			return nil, fmt.Errorf("hub: mail: ticket %d: %w", t.N, err)
		}
		name := t.Type
		if tt, ok := m.Event.Type(t.Type); ok {
			name = tt.Name
		}
		// A whole number of pixels per module (a negative size to go-qrcode): a fixed
		// image size scales modules unevenly, which some scanners misread.
		png, err := qrcode.Encode(m.TicketURL+t.Code, qrcode.Medium, -qrModule)
		if err != nil {
			return nil, fmt.Errorf("hub: mail: qr: %w", err)
		}
		tickets = append(tickets, mailTicket{
			Heading: fmt.Sprintf(L["ticket"], t.N, len(s.Tickets)),
			Type:    name, Price: money(prices[t.Type]), Short: f.Short(), Code: t.Code,
			CID: fmt.Sprintf("ticket-%d@ticketkiosk", t.N), PNG: png,
		})
	}

	var text bytes.Buffer
	fmt.Fprintf(&text, "%s\n\n", L["hello"])
	for _, t := range tickets {
		fmt.Fprintf(&text, "%s\n%s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n\n",
			t.Heading, m.Event.Title, L["venue"], m.Event.Venue, L["when"], when, L["type"], t.Type,
			L["price"], t.Price, L["outlet"], m.Outlet.Name, L["code"], t.Short)
	}
	fmt.Fprintf(&text, "%s: %s\n", L["total"], money(s.Total))

	var html bytes.Buffer
	err := htmlTmpl.Execute(&html, map[string]any{
		"Subject": subject, "Hello": L["hello"], "Title": m.Event.Title, "Venue": m.Event.Venue,
		"When": when, "Outlet": m.Outlet.Name, "Tickets": tickets, "L": L, "Total": money(s.Total),
	})
	if err != nil {
		return nil, fmt.Errorf("hub: mail: html: %w", err)
	}

	var body bytes.Buffer
	rel := multipart.NewWriter(&body)
	var alt bytes.Buffer
	aw := multipart.NewWriter(&alt)
	for _, p := range []struct {
		ctype string
		data  []byte
	}{{"text/plain; charset=utf-8", text.Bytes()}, {"text/html; charset=utf-8", html.Bytes()}} {
		pw, err := aw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.ctype}, "Content-Transfer-Encoding": {"base64"}})
		if err != nil {
			return nil, err
		}
		writeBase64(pw, p.data)
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	pw, err := rel.CreatePart(textproto.MIMEHeader{"Content-Type": {"multipart/alternative; boundary=" + aw.Boundary()}})
	if err != nil {
		return nil, err
	}
	pw.Write(alt.Bytes())
	for _, t := range tickets {
		pw, err := rel.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {"image/png"},
			"Content-Transfer-Encoding": {"base64"},
			"Content-ID":                {"<" + t.CID + ">"},
			"Content-Disposition":       {`inline; filename="` + t.Short + `.png"`},
		})
		if err != nil {
			return nil, err
		}
		writeBase64(pw, t.PNG)
	}
	if err := rel.Close(); err != nil {
		return nil, err
	}

	domain := from[strings.LastIndexByte(from, '@')+1:]
	var msg bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&msg, "%s: %s\r\n", k, v) }
	hdr("From", from)
	hdr("To", s.Buyer)
	hdr("Subject", mime.BEncoding.Encode("utf-8", subject))
	hdr("Date", at.Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<sale-%s-%d-%d@%s>", m.Sale.Device, m.Sale.Seq, m.Resend, domain))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `multipart/related; type="multipart/alternative"; boundary=`+rel.Boundary())
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// writeBase64 writes data base64-encoded in lines of 76 characters.
func writeBase64(w io.Writer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		io.WriteString(w, enc[:76]+"\r\n")
		enc = enc[76:]
	}
	io.WriteString(w, enc+"\r\n")
}
