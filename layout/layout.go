// Package layout turns sales and reports into ESC/POS jobs: one ticket per page with the
// event, venue, date in the outlet's time zone and locale, type, price, "ticket n of m",
// a QR code with the signed ticket code and its short human form, and "COPY n" on
// reprints; and the supervisor's report with a row per event and ticket type and totals.
// Text is Bulgarian or English by the outlet's locale; Cyrillic goes through the
// printer's Cyrillic code page, or is transliterated where the printer has none.
//
// A *Layout satisfies the kiosk's Layout interface without importing the kiosk.
package layout

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"net/url"
	"strconv"
	"strings"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/escpos"
	"ticketkiosk/journal"
)

// Errors of Tickets and Report.
var (
	ErrNotSale  = errors.New("layout: entry is not a sale")
	ErrNoReport = errors.New("layout: no report")
)

// Options configure a Layout. The zero value lays out for an Epson-class 80 mm printer.
type Options struct {
	// Profile is the printer model (escpos.LookupProfile, escpos.Models): its width
	// and columns, code page numbers, whether it draws QR codes itself, its image
	// command and whether it cuts. Zero: escpos.Epson.
	Profile escpos.Profile
	// CodePage is the character table for text by name ("WPC1251", "PC866", ...). Empty
	// picks the first of WPC1251 and PC866 the profile numbers, else the profile's
	// default page, on which Cyrillic is transliterated.
	CodePage string
	// Logo, when set, prints at the top of every ticket, scaled to the paper width and
	// dithered once by New.
	Logo image.Image
	// QRModule is the QR code's module size in dots (1..16); zero picks 6. A symbol
	// that would not fit the paper gets the largest module that fits.
	QRModule int
	// QRLevel is the QR error correction; nil is M (15 %), the kiosk's default, which
	// suits tickets that get folded. Point it at escpos.QRLevelL for the smallest
	// symbol, or at Q or H.
	QRLevel *escpos.QRLevel
	// RasterQR sends the QR code as an image even where the printer has its own QR
	// command. A printer without one (Profile.QR false) always gets an image, which
	// costs several times the bytes; one with neither prints no QR code (the short
	// code below it still identifies the ticket).
	RasterQR bool
	// FeedDots is the paper fed before each cut, in dots; zero picks 48.
	FeedDots int
}

// Layout lays out tickets and reports for one printer. It is safe for concurrent use.
type Layout struct {
	opt   Options
	level escpos.QRLevel // *opt.QRLevel, or M
	page  string
	logo  image.Image // pre-dithered black and white
}

// New returns a Layout for the options.
func New(o Options) *Layout {
	if o.Profile.CodePages == nil {
		o.Profile = escpos.Epson
	}
	if o.QRModule == 0 {
		o.QRModule = 6
	}
	if o.FeedDots == 0 {
		o.FeedDots = 48
	}
	l := &Layout{opt: o, level: escpos.QRLevelM, page: o.CodePage}
	if o.QRLevel != nil {
		l.level = *o.QRLevel
	}
	if l.page == "" {
		l.page = o.Profile.DefaultCodePage
		for _, p := range []string{"WPC1251", "PC866"} {
			if _, ok := o.Profile.CodePages[p]; ok {
				l.page = p
				break
			}
		}
	}
	if o.Logo != nil {
		if r, err := escpos.Rasterize(o.Logo, escpos.ImageOptions{MaxWidth: o.Profile.Dots}); err == nil {
			l.logo = rasterImage(r)
		}
	}
	return l
}

// rasterImage turns black-and-white dots back into an image that prints unchanged with
// threshold dithering.
func rasterImage(r *escpos.Raster) image.Image {
	g := image.NewGray(image.Rect(0, 0, r.Width, r.Height))
	for y := 0; y < r.Height; y++ {
		for x := 0; x < r.Width; x++ {
			if !r.Black(x, y) {
				g.Pix[y*g.Stride+x] = 0xff
			}
		}
	}
	return g
}

// Profile returns the printer profile the layout is for.
func (l *Layout) Profile() escpos.Profile { return l.opt.Profile }

// CodePage returns the name of the code page text is sent in.
func (l *Layout) CodePage() string { return l.page }

// String describes the layout, e.g. "layout for epson 576 dots, WPC1251".
func (l *Layout) String() string {
	return "layout for " + l.opt.Profile.String() + ", " + l.page
}

// begin starts a job: reset, leave Chinese mode on clones, select the code page.
func (l *Layout) begin(buf *bytes.Buffer) *escpos.Builder {
	b := escpos.NewBuilder(buf, l.opt.Profile)
	b.Init()
	if l.page != "" && l.page != b.CodePageName() {
		b.CodePage(l.page)
	}
	return b
}

// QRPayload returns what a ticket's QR code carries: the code, after the hub's ticket
// URL when one is configured. The URL's scheme and host are written in capitals (they
// are case-insensitive), so that a URL with an upper-case path keeps the whole payload
// in the QR code's compact alphanumeric mode.
func QRPayload(ticketURL, code string) string {
	if ticketURL == "" {
		return code
	}
	if u, err := url.Parse(ticketURL); err == nil && u.Scheme != "" && u.Host != "" {
		head := u.Scheme + "://" + u.Host
		if len(ticketURL) >= len(head) && strings.EqualFold(ticketURL[:len(head)], head) {
			ticketURL = strings.ToUpper(head) + ticketURL[len(head):]
		}
	}
	return ticketURL + code
}

// Tickets returns the job that prints every ticket of a sale, each followed by a partial
// cut; copy > 0 marks a reprint ("COPY n" / "КОПИЕ n"). Event, venue and type names
// come from cfg; prices and currency from the sale as it was made.
func (l *Layout) Tickets(cfg *catalog.DeviceConfig, sale *journal.Entry, copy int) ([]byte, error) {
	if sale == nil || sale.Sale == nil || len(sale.Sale.Tickets) == 0 {
		return nil, ErrNotSale
	}
	if cfg == nil {
		return nil, errors.New("layout: no config")
	}
	s := sale.Sale
	loc := cfg.Outlet.Location()
	lang := cfg.Outlet.Locale
	w := wordsFor(lang)
	ev, ok := cfg.Event(s.Event)
	if !ok {
		ev = &catalog.Event{ID: s.Event, Title: s.Event}
	}
	prices := make(map[string]int64, len(s.Lines))
	for _, ln := range s.Lines {
		prices[ln.Type] = ln.Price
	}
	var buf bytes.Buffer
	buf.Grow(900 * len(s.Tickets))
	b := l.begin(&buf)
	for _, t := range s.Tickets {
		facts, _, _, err := journal.ParseCode(t.Code)
		if err != nil {
			return nil, fmt.Errorf("layout: ticket %d of sale %d: %w", t.N, sale.Seq, err)
		}
		typeName := t.Type
		if tt, ok := ev.Type(t.Type); ok && tt.Name != "" {
			typeName = tt.Name
		}
		l.ticket(b, ticket{
			w:        w,
			outlet:   cfg.Outlet.Name,
			event:    ev,
			when:     catalog.FormatDateTime(ev.Start.In(loc), lang),
			typeName: typeName,
			price:    catalog.FormatMoney(prices[t.Type], s.Currency, lang),
			n:        t.N,
			of:       len(s.Tickets),
			qr:       QRPayload(cfg.Hub.TicketURL, t.Code),
			short:    facts.Short(),
			saleNo:   s.No,
			copy:     copy,
		})
	}
	if err := b.Flush(); err != nil {
		return nil, fmt.Errorf("layout: tickets of sale %d: %w", sale.Seq, err)
	}
	return buf.Bytes(), nil
}

// ticket is what one ticket shows.
type ticket struct {
	w               *words
	outlet          string
	event           *catalog.Event
	when            string
	typeName, price string
	n, of           int
	qr, short       string
	saleNo          uint64 // the sale number (journal.Sale.No), not the entry's seq
	copy            int
}

func (l *Layout) ticket(b *escpos.Builder, t ticket) {
	cols := l.opt.Profile.Columns
	rule := strings.Repeat("-", cols)
	b.Justify(escpos.Center)
	if l.logo != nil {
		b.Image(l.logo, escpos.ImageOptions{Dither: escpos.Threshold})
	}
	copyMark := ""
	if t.copy > 0 {
		copyMark = t.w.copy + " " + strconv.Itoa(t.copy)
		b.Bold(true).Size(2, 2).Wrapped(copyMark).Size(1, 1).Bold(false)
	}
	b.Wrapped(t.outlet)
	b.Bold(true).Size(1, 2).Wrapped(t.event.Title).Size(1, 1).Bold(false)
	if t.event.Venue != "" {
		b.Wrapped(t.event.Venue)
	}
	if !t.event.Start.IsZero() {
		b.Wrapped(t.when)
	}
	b.Justify(escpos.Left).Line(rule)
	b.Bold(true).Columns(t.typeName, t.price).Bold(false)
	b.Line(fmt.Sprintf(t.w.ticketOf, t.n, t.of))
	b.Line(rule)
	b.Justify(escpos.Center)
	l.qr(b, t.qr)
	b.LF()
	b.Bold(true).Line(t.short).Bold(false)
	b.Line(t.w.sale + " " + strconv.FormatUint(t.saleNo, 10))
	if copyMark != "" {
		b.Bold(true).Line(copyMark).Bold(false)
	}
	b.Justify(escpos.Left)
	b.FeedCut(escpos.PartialCut, l.opt.FeedDots)
}

// qr prints the ticket's QR code as the printer can: with its own QR command, else as
// an image, else not at all; with the largest module up to QRModule that fits the paper.
func (l *Layout) qr(b *escpos.Builder, payload string) {
	p := l.opt.Profile
	qo := l.qrOptions(payload)
	switch {
	case p.QR && !l.opt.RasterQR:
		b.QR(payload, qo)
	case p.ImageMode() != 0:
		b.QRImage(payload, qo)
	}
}

// qrOptions returns the QR options for payload: the layout's level, and the largest
// module up to QRModule with which the symbol fits the paper.
func (l *Layout) qrOptions(payload string) escpos.QROptions {
	qo := escpos.QROptions{Module: l.opt.QRModule, Level: l.level}
	if bm, err := escpos.QRModules([]byte(payload), qo.Level); err == nil && len(bm) > 0 {
		qo.Module = max(1, min(qo.Module, l.opt.Profile.Dots/len(bm)))
	}
	return qo
}

// QRTest returns a job that shows whether the printer draws QR codes itself, for a
// printer whose model is not known: payload's QR code with the QR command (GS ( k),
// whatever the profile says of it, under "1", then the same code as an image with the
// profile's image command under "2". A printer without the QR command prints only the
// second; one that has it prints both. A profile without an image command prints the
// first alone, and says so.
func (l *Layout) QRTest(payload string) ([]byte, error) {
	var buf bytes.Buffer
	b := l.begin(&buf)
	qo := l.qrOptions(payload)
	b.Justify(escpos.Center)
	b.Bold(true).Line("QR TEST").Bold(false)
	b.Line(l.opt.Profile.Name + ", QR " + qo.Level.String())
	b.LF()
	b.Line("1: the printer's QR command")
	b.QR(payload, qo)
	b.LF()
	if l.opt.Profile.ImageMode() != 0 {
		b.Line("2: the same QR as an image")
		b.QRImage(payload, qo)
		b.LF()
	} else {
		b.Line("2: none (no image command)")
	}
	b.Justify(escpos.Left)
	b.FeedCut(escpos.PartialCut, l.opt.FeedDots)
	if err := b.Flush(); err != nil {
		return nil, fmt.Errorf("layout: QR test: %w", err)
	}
	return buf.Bytes(), nil
}

// Printable returns s as the layout's printer prints it, and what of it degrades and why
// (characters no code page of the model has).
func (l *Layout) Printable(s string) (string, []escpos.Degradation) {
	var buf bytes.Buffer
	b := l.begin(&buf)
	printed := b.Printable(s)
	b.Text(s)
	return printed, b.Degraded()
}

// QRMode says how tickets get their QR code on the layout's printer: "native",
// "image (GS v 0)" or "none".
func (l *Layout) QRMode() string {
	p := l.opt.Profile
	switch {
	case p.QR && !l.opt.RasterQR:
		return "native"
	case p.ImageMode() != 0:
		return "image (" + p.ImageMode().String() + ")"
	}
	return "none"
}

// Report returns the job that prints a report: its title, the outlet, the period, when
// it was printed, a block per event with a row per ticket type (tickets and amount, and
// voided tickets where there were any), and the totals. Amounts are in the outlet's
// currency; names come from cfg, falling back to the ids.
func (l *Layout) Report(cfg *catalog.DeviceConfig, title string, r *journal.Report, printedAt time.Time) ([]byte, error) {
	if r == nil {
		return nil, ErrNoReport
	}
	if cfg == nil {
		return nil, errors.New("layout: no config")
	}
	loc := cfg.Outlet.Location()
	lang := cfg.Outlet.Locale
	w := wordsFor(lang)
	cur := cfg.Outlet.Currency
	cols := l.opt.Profile.Columns
	rule := strings.Repeat("-", cols)
	var buf bytes.Buffer
	b := l.begin(&buf)
	b.Justify(escpos.Center).Bold(true).Size(1, 2).Wrapped(title).Size(1, 1).Bold(false)
	b.Wrapped(cfg.Outlet.Name)
	b.Justify(escpos.Left)
	b.Wrapped(w.period + ": " + formatPeriod(r.Period, lang, w))
	at := printedAt.In(loc)
	b.Wrapped(w.printedAt + ": " + catalog.FormatStamp(at, lang))
	b.Line(rule)
	if len(r.Rows) == 0 {
		b.Wrapped(w.none)
	}
	for _, g := range groupRows(r.Rows) {
		ev, ok := cfg.Event(g.event)
		title, types := g.event, (*catalog.Event)(nil)
		if ok {
			title, types = ev.Title, ev
		}
		b.Bold(true).Wrapped(title).Bold(false)
		var sub journal.Tally
		for _, row := range g.rows {
			name := row.Type
			if types != nil {
				if tt, ok := types.Type(row.Type); ok && tt.Name != "" {
					name = tt.Name
				}
			}
			b.Columns("  "+name, countAmount(row.Tally, cur, lang, w))
			if row.Voided > 0 {
				b.Line("    " + w.voided + ": " + strconv.FormatInt(row.Voided, 10))
			}
			sub.Add(row.Tally)
		}
		if len(g.rows) > 1 {
			b.Columns("", countAmount(sub, cur, lang, w))
		}
	}
	b.Line(rule)
	b.Bold(true).Columns(w.total, countAmount(r.Total, cur, lang, w)).Bold(false)
	if r.Total.Voided > 0 {
		b.Line(w.voided + ": " + strconv.FormatInt(r.Total.Voided, 10))
	}
	b.FeedCut(escpos.PartialCut, l.opt.FeedDots)
	if err := b.Flush(); err != nil {
		return nil, fmt.Errorf("layout: report: %w", err)
	}
	return buf.Bytes(), nil
}

// countAmount is the right column of a report row: "3 pcs  €37.50".
func countAmount(t journal.Tally, cur string, lang catalog.Locale, w *words) string {
	return strconv.FormatInt(t.Tickets, 10) + " " + w.pieces + "  " + catalog.FormatMoney(t.Amount, cur, lang)
}

// formatPeriod writes a report period: "whole period", one day, or "from – to".
func formatPeriod(p journal.Period, lang catalog.Locale, w *words) string {
	switch {
	case p.IsWhole():
		return w.whole
	case p.From == p.To:
		return catalog.FormatDate(p.From.Date(), lang)
	case p.From == journal.MinDay:
		return "… – " + catalog.FormatDate(p.To.Date(), lang)
	case p.To == journal.MaxDay:
		return catalog.FormatDate(p.From.Date(), lang) + " – …"
	}
	return catalog.FormatDate(p.From.Date(), lang) + " – " + catalog.FormatDate(p.To.Date(), lang)
}

type rowGroup struct {
	event string
	rows  []journal.Row
}

// groupRows gathers the rows of each event, events in order of first appearance.
func groupRows(rows []journal.Row) []rowGroup {
	var out []rowGroup
	idx := map[string]int{}
	for _, r := range rows {
		i, ok := idx[r.Event]
		if !ok {
			i = len(out)
			idx[r.Event] = i
			out = append(out, rowGroup{event: r.Event})
		}
		out[i].rows = append(out[i].rows, r)
	}
	return out
}
