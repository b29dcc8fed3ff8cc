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
	"unicode/utf8"

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

// mailText holds the email's words per locale. A key with a "/1" form is said so for
// exactly one ticket: Bulgarian and English both have one form for 1 and another for every
// other count. "text" is the greeting of the plain-text part, which has no QR image.
var mailText = map[catalog.Locale]map[string]string{
	catalog.LocaleBG: {
		"subject":   "Вашите билети: %s",
		"subject/1": "Вашият билет: %s",
		"hello":     "Благодарим ви за поръчката. Билетите ви са по-долу; покажете QR кода на входа.",
		"hello/1":   "Благодарим ви за поръчката. Билетът ви е по-долу; покажете QR кода на входа.",
		"text":      "Благодарим ви за поръчката. Билетите ви са по-долу. На входа покажете QR кода им от HTML версията на писмото, връзката към билета или кода на билета.",
		"text/1":    "Благодарим ви за поръчката. Билетът ви е по-долу. На входа покажете QR кода му от HTML версията на писмото, връзката към билета или кода на билета.",
		"outlet":    "Продаден от", // of one ticket: each block is one ticket
		"venue":     "Място",
		"when":      "Дата и час",
		"type":      "Вид билет",
		"price":     "Цена",
		"ticket":    "Билет %d от %d",
		"code":      "Код",
		"full":      "Код на билета",
		"link":      "Връзка към билета",
		"total":     "Общо",
	},
	catalog.LocaleEN: {
		"subject":   "Your tickets: %s",
		"subject/1": "Your ticket: %s",
		"hello":     "Thank you for your order. Your tickets are below; show the QR code at the entrance.",
		"hello/1":   "Thank you for your order. Your ticket is below; show the QR code at the entrance.",
		"text":      "Thank you for your order. Your tickets are below. At the entrance show their QR codes from the HTML version of this email, the ticket link or the ticket code.",
		"text/1":    "Thank you for your order. Your ticket is below. At the entrance show its QR code from the HTML version of this email, the ticket link or the ticket code.",
		"outlet":    "Sold by",
		"venue":     "Venue",
		"when":      "Date and time",
		"type":      "Ticket type",
		"price":     "Price",
		"ticket":    "Ticket %d of %d",
		"code":      "Code",
		"full":      "Ticket code",
		"link":      "Ticket link",
		"total":     "Total",
	},
}

// counted returns L's text for key said of n tickets: its "/1" form when n is 1 and it has
// one.
func counted(L map[string]string, key string, n int) string {
	if s, ok := L[key+"/1"]; ok && n == 1 {
		return s
	}
	return L[key]
}

// qrModule is the size in pixels of one QR module in emailed tickets.
const qrModule = 5

type mailTicket struct {
	Heading, Type, Price, Short, Code, CID string
	Link                                   string // the QR payload when a ticket URL is set
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
{{if .Link}}<tr><td>{{$.L.link}}</td><td><a href="{{.Link}}">{{.Link}}</a></td></tr>
{{end}}<tr><td colspan="2"><img src="cid:{{.CID}}" alt="QR {{.Short}}"></td></tr>
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
	to, err := Address(s.Buyer)
	if err == nil && catalog.ValidEmail(s.Buyer) != nil {
		err = fmt.Errorf("%w: %v", ErrBadAddress, catalog.ValidEmail(s.Buyer))
	}
	if err != nil {
		return nil, fmt.Errorf("hub: mail: buyer: %w", err)
	}
	sender, err := Address(from)
	if err != nil {
		return nil, fmt.Errorf("hub: mail: sender: %w", err)
	}
	L := mailText[m.Outlet.Locale]
	if L == nil {
		L = mailText[catalog.LocaleEN]
	}
	loc := m.Outlet.Location()
	when := catalog.FormatStamp(m.Event.Start.In(loc), m.Outlet.Locale)
	n := len(s.Tickets)
	subject := fmt.Sprintf(counted(L, "subject", n), m.Event.Title)
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
		payload := m.TicketURL + t.Code
		png, err := qrcode.Encode(payload, qrcode.Medium, -qrModule)
		if err != nil {
			return nil, fmt.Errorf("hub: mail: qr: %w", err)
		}
		tickets = append(tickets, mailTicket{
			Heading: fmt.Sprintf(L["ticket"], t.N, len(s.Tickets)),
			Type:    name, Price: money(prices[t.Type]), Short: f.Short(), Code: t.Code,
			CID: fmt.Sprintf("ticket-%d@ticketkiosk", t.N), PNG: png,
		})
		if m.TicketURL != "" {
			tickets[len(tickets)-1].Link = payload
		}
	}

	var text bytes.Buffer
	// The plain-text part has no image: it carries what the QR code holds, the ticket code
	// (which the gate verifies) and, with a ticket URL, the link the QR code opens.
	fmt.Fprintf(&text, "%s\n\n", counted(L, "text", n))
	for _, t := range tickets {
		fmt.Fprintf(&text, "%s\n%s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n%s: %s\n",
			t.Heading, m.Event.Title, L["venue"], m.Event.Venue, L["when"], when, L["type"], t.Type,
			L["price"], t.Price, L["outlet"], m.Outlet.Name, L["code"], t.Short, L["full"], t.Code)
		if t.Link != "" {
			fmt.Fprintf(&text, "%s: %s\n", L["link"], t.Link)
		}
		text.WriteString("\n")
	}
	fmt.Fprintf(&text, "%s: %s\n", L["total"], money(s.Total))

	var html bytes.Buffer
	err = htmlTmpl.Execute(&html, map[string]any{
		"Subject": subject, "Hello": counted(L, "hello", n), "Title": m.Event.Title, "Venue": m.Event.Venue,
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
		pw, err := createPart(aw, textproto.MIMEHeader{"Content-Type": {p.ctype}, "Content-Transfer-Encoding": {"base64"}})
		if err != nil {
			return nil, err
		}
		writeBase64(pw, p.data)
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	pw, err := createPart(rel, textproto.MIMEHeader{"Content-Type": {"multipart/alternative; boundary=" + aw.Boundary()}})
	if err != nil {
		return nil, err
	}
	pw.Write(alt.Bytes())
	for _, t := range tickets {
		pw, err := createPart(rel, textproto.MIMEHeader{
			"Content-Type":              {"image/png"},
			"Content-Transfer-Encoding": {"base64"},
			"Content-ID":                {"<" + t.CID + ">"},
			"Content-Disposition":       {mime.FormatMediaType("inline", map[string]string{"filename": SafeName(t.Short) + ".png"})},
		})
		if err != nil {
			return nil, err
		}
		writeBase64(pw, t.PNG)
	}
	if err := rel.Close(); err != nil {
		return nil, err
	}

	domain := SafeName(sender[strings.LastIndexByte(sender, '@')+1:])
	var msg bytes.Buffer
	for _, h := range [][2]string{
		{"From", sender},
		{"To", to},
		{"Subject", HeaderText(subject)},
		{"Date", at.Format(time.RFC1123Z)},
		{"Message-ID", fmt.Sprintf("<sale-%s-%d-%d@%s>", SafeName(m.Sale.Device), m.Sale.Seq, m.Resend, domain)},
		{"MIME-Version", "1.0"},
		{"Content-Type", `multipart/related; type="multipart/alternative"; boundary=` + rel.Boundary()},
	} {
		if err := writeHeader(&msg, h[0], h[1]); err != nil {
			return nil, err
		}
	}
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// ErrBadAddress means an address does not parse as one plain address: the mail can never
// be sent, so the outbox gives it up at once rather than retrying.
var ErrBadAddress = errors.New("hub: mail: not a valid address")

// Address returns s as it stands in a To or From header: s must parse with net/mail as one
// address of printable ASCII (a display name allowed, which is RFC 2047 encoded when not
// ASCII) and hold no control character; otherwise the error is ErrBadAddress.
func Address(s string) (string, error) {
	if hasControl(s) {
		return "", fmt.Errorf("%w: %q holds a control character", ErrBadAddress, s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadAddress, s, err)
	}
	if hasControl(a.Name) || strings.IndexFunc(a.Address, func(r rune) bool { return r <= ' ' || r > '~' || strings.ContainsRune(`<>"`, r) }) >= 0 {
		return "", fmt.Errorf("%w: %q (an address of printable ASCII only)", ErrBadAddress, s)
	}
	if a.Name == "" {
		return a.Address, nil
	}
	return a.String(), nil
}

// HeaderText returns s as an unstructured header value (a Subject): control characters
// (CR, LF, NUL, DEL, the C1 range) and invalid UTF-8 become spaces, and text that is not
// printable ASCII is RFC 2047 encoded, so the value is one line of printable ASCII.
func HeaderText(s string) string {
	s = strings.Map(func(r rune) rune {
		if isControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	if !strings.Contains(s, "=?") {
		return mime.BEncoding.Encode("utf-8", s)
	}
	// Text that looks like an encoded word would be decoded by the reader: encode it all,
	// so it reads as it was written (and an "=?utf-8?q?=0D=0A?=" stays text).
	var words []string
	for s != "" {
		n := min(len(s), 45)
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// SafeName returns s with every byte outside [A-Za-z0-9._-] replaced by '_' (and "_" for an
// empty s): the one charset of attachment file names and of the parts of a Message-ID that
// come from outside.
func SafeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

func hasControl(s string) bool { return strings.IndexFunc(s, isControl) >= 0 }

// writeHeader writes one header field, refusing a value that is not one line of printable
// ASCII: whatever composed it, nothing reaches the relay as a header of its own.
func writeHeader(w *bytes.Buffer, k, v string) error {
	if err := checkHeader(k, v); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %s\r\n", k, v)
	return nil
}

// checkHeader refuses a header value that is not one line of printable ASCII (tab allowed)
// or that is empty.
func checkHeader(k, v string) error {
	if v == "" {
		return fmt.Errorf("hub: mail: header %s: empty", k)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' || c > '~') && c != '\t' {
			return fmt.Errorf("hub: mail: header %s: byte %#x refused", k, c)
		}
	}
	return nil
}

// createPart starts a MIME part after checking its header as writeHeader does the
// message's.
func createPart(w *multipart.Writer, h textproto.MIMEHeader) (io.Writer, error) {
	for k, vs := range h {
		for _, v := range vs {
			if err := checkHeader(k, v); err != nil {
				return nil, err
			}
		}
	}
	return w.CreatePart(h)
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
