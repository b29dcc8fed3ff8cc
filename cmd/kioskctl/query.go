package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"ticketkiosk/catalog"
	"ticketkiosk/escpos"
	"ticketkiosk/escpos/virtual"
	"ticketkiosk/hub"
	"ticketkiosk/journal"
	"ticketkiosk/mqtt/broker"
)

// parseDay reads --from/--to: a date 2006-01-02 (a day in each outlet's time zone).
func parseDay(flag, s string, def journal.Day) (journal.Day, error) {
	if s == "" {
		return def, nil
	}
	d, err := journal.ParseDay(s)
	if err != nil {
		return 0, fmt.Errorf("--%s %q: want a date such as 2026-12-01", flag, s)
	}
	return d, nil
}

func (a *app) reportCmd() *cobra.Command {
	var f hub.Filter
	var from, to, by, format string
	var cross bool
	cmd := &cobra.Command{
		Use:   "report [--outlet O] [--user EMAIL] [--event E] [--from DAY] [--to DAY] [--by outlet|user|event|type|day|week|month | --cross] [--format table|csv|json]",
		Short: "Sales over the hub's counters, net of voids",
		Long: `report sums the hub's counters (tickets, amount and voided tickets, net of voids)
of the whole distribution period, or of --from/--to (dates, both included, each outlet's
days in its own time zone), grouped --by outlet, user, event, type (event and ticket type,
as the kiosk's own report), day, week (ISO 8601, 2026-W49) or month; --cross instead
tables outlets against events. An outlet, user or event that the catalogue does not have
is refused (exit 1), not reported as no sales.

The hub counts per day: there is no grouping by hour.

table shows the catalogue's names (outlet names, event titles, type names, user names)
with a total line, amounts as tickets write them and the currency in the header; csv has
the ids and the names, amounts in minor units and a currency column; json is the whole
report: ids and titles, amounts in minor units, the currency, the period as dates.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if f.By, err = hub.ParseBy(by); err != nil {
				return err
			}
			if cross {
				if cmd.Flags().Changed("by") {
					return errors.New("--cross is its own grouping (outlet × event): give --by or --cross, not both")
				}
				f.By = hub.ByCross
			}
			if f.Period.From, err = parseDay("from", from, journal.MinDay); err != nil {
				return err
			}
			if f.Period.To, err = parseDay("to", to, journal.MaxDay); err != nil {
				return err
			}
			if f.Period.To < f.Period.From {
				return fmt.Errorf("--to %s is before --from %s", to, from)
			}
			if err := checkFormat(format, "table", "csv", "json"); err != nil {
				return err
			}
			_, q, err := a.query()
			if err != nil {
				return err
			}
			defer q.Close()
			r, err := q.Report(f)
			if err != nil {
				return err
			}
			switch format {
			case "csv":
				return r.WriteCSV(a.stdout)
			case "json":
				return r.WriteJSON(a.stdout)
			}
			return r.WriteTable(a.stdout)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Outlet, "outlet", "", "only this outlet")
	fl.StringVar(&f.User, "user", "", "only this seller (email)")
	fl.StringVar(&f.Event, "event", "", "only this event")
	fl.StringVar(&from, "from", "", "first day, 2006-01-02")
	fl.StringVar(&to, "to", "", "last day, 2006-01-02")
	fl.StringVar(&by, "by", "type", "group by outlet, user, event, type, day, week or month")
	fl.BoolVar(&cross, "cross", false, "an outlet × event table")
	fl.StringVar(&format, "format", "table", "table, csv or json")
	return cmd
}

// checkFormat refuses a --format that is none of those given.
func checkFormat(format string, known ...string) error {
	for _, k := range known {
		if format == k {
			return nil
		}
	}
	return fmt.Errorf("--format %q is none of %s", format, strings.Join(known, ", "))
}

func (a *app) allotmentsCmd() *cobra.Command {
	var outlet, format string
	cmd := &cobra.Command{
		Use:   "allotments [--outlet O] [--format table|json]",
		Short: "Allotments: allotted, granted to each device, sold and left",
		Long: `allotments shows, for every event and ticket type an outlet sells, the outlet's
allotment (ALLOTTED, "uncapped" for a type without one), what its devices were granted in
signed configs (GRANTED), what was sold, net of voids, as far as the hub has the devices'
journals (SOLD), and what is left (LEFT); then a line per device with its grant, its own
sales and what it has left. A device sells offline within its grant.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			_, q, err := a.query()
			if err != nil {
				return err
			}
			defer q.Close()
			al, err := q.Allotments(outlet)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a.stdout, al)
			}
			w := a.table()
			fmt.Fprintln(w, "OUTLET\tEVENT\tTYPE\tDEVICE\tALLOTTED\tGRANTED\tSOLD\tLEFT")
			for _, x := range al {
				dev, allotted, granted, left := x.Device, strconv.FormatInt(x.Allotted, 10), strconv.FormatInt(x.Granted, 10), strconv.FormatInt(x.Left, 10)
				switch {
				case dev != "":
					allotted = "-"
				case !x.Capped:
					dev, allotted, granted, left = "(outlet)", "uncapped", "-", "-"
				default:
					dev = "(outlet)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", x.Outlet, x.Event, x.Type, dev, allotted, granted, x.Sold, left)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&outlet, "outlet", "", "only this outlet")
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

func (a *app) verifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify CODE",
		Short: "Check a ticket code: signature, then the central store",
		Long: `verify checks a ticket: the code a QR code carries (bare, or after the ticket URL;
white space around it is dropped) or the short code printed under the QR code (DEVICE-SEQ-N,
in any case). A code is checked first with the issuing device's signature and its public key
from the catalogue, then against the hub's ledger; a short code is not signed, so it is
looked up in the ledger and the code of that ticket is checked. A code has one spelling: the
capitals the ticket carries; a code in lower case or otherwise altered is malformed.

Exit status: 0 the ticket is valid (sold, not voided, not checked in); 1 it is not valid
now: the sale was voided, the hub does not have it (not synced yet, or never sold), or it
was checked in already (when and at which gate is printed); 2 the code is bad (malformed,
unknown device, bad signature).`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			v, err := a.judge("VALID", func(q hub.Query) (hub.Verification, error) { return q.Verify(args[0]) })
			if err == nil && v != hub.Valid {
				err = &exitError{code: 1}
			}
			return err
		},
	}
}

// Exit statuses of checkin: distinct for each refusal, so a gate's script can tell them.
const (
	exitBadTicket = 2 // malformed, unknown device or bad signature
	exitUsed      = 3 // checked in before
	exitVoided    = 4 // the sale was voided
	exitNotAtHub  = 5 // the hub has no such sale (not synced yet, or never sold)
)

func (a *app) checkinCmd() *cobra.Command {
	var gate string
	cmd := &cobra.Command{
		Use:   "checkin CODE [--gate G]",
		Short: "Admit a ticket at a gate: mark it used, once",
		Long: `checkin verifies a ticket as verify does (the QR code's code or URL, or the short
code printed under it) and marks it used at --gate in the hub's ledger, durably. A ticket is
admitted once: a second check-in, whatever spelling shows it, is refused and says when and at
which gate it was used. Void tickets, tickets the hub does not have yet and bad codes are
refused and nothing is recorded. While serve runs, the check-in goes through its API (as gate
scanners do: POST /checkin with code and gate).

Exit status: 0 admitted now; 1 an error (nothing was decided); 2 the code is bad
(malformed, unknown device, bad signature); 3 used before; 4 void; 5 unknown at the hub
(not synced yet, or never sold).`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			v, err := a.judge("ADMITTED", func(q hub.Query) (hub.Verification, error) { return q.CheckIn(args[0], gate) })
			switch {
			case err != nil:
				return err
			case v == hub.Valid:
				return nil
			case v == hub.Used:
				return &exitError{code: exitUsed}
			case v == hub.Voided:
				return &exitError{code: exitVoided}
			}
			return &exitError{code: exitNotAtHub}
		},
	}
	cmd.Flags().StringVar(&gate, "gate", "", "the gate's name (at most 64 printable characters)")
	return cmd
}

// judge asks the hub about a ticket (verify or checkin) and prints what it found, ok being
// the word for a valid ticket. A bad ticket is an error with exit status 2.
func (a *app) judge(ok string, ask func(hub.Query) (hub.Verification, error)) (hub.Verdict, error) {
	h, q, err := a.query()
	if err != nil {
		return "", err
	}
	defer q.Close()
	v, err := ask(q)
	if err != nil {
		return "", err
	}
	f := v.Facts
	switch v.Verdict {
	case hub.BadTicket:
		return v.Verdict, &exitError{code: exitBadTicket, err: fmt.Errorf("BAD: %s", v.Reason)}
	case hub.Valid:
		fmt.Fprintf(a.stdout, "%s %s\n", ok, f.Short())
		if c := v.CheckIn; c != nil {
			fmt.Fprintf(a.stdout, "checked in %s at gate %q\n", c.Time.UTC().Format(time.RFC3339), c.Gate)
		}
	default:
		fmt.Fprintf(a.stdout, "%s %s: %s\n", strings.ToUpper(string(v.Verdict)), f.Short(), v.Reason)
	}
	// The code names the sale by its entry's seq; the sale number people see is the sale's.
	fmt.Fprintf(a.stdout, "device %s entry %d ticket %d of %d event %s type %s\n", f.Device, f.Sale, f.N, f.Of, f.Event, f.Type)
	a.ticketFacts(h, v)
	return v.Verdict, nil
}

func (a *app) resendCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "resend SALE",
		Short: "Send a sale's tickets by email again",
		Long: `resend queues the email of a sale again; the running hub service (serve) sends it
within seconds. SALE is DEVICE-SEQ, DEVICE:SEQ, a printed short code DEVICE-SEQ-N or one of
the sale's ticket codes.`,
		Args: exactArgs("SALE"),
		RunE: func(_ *cobra.Command, args []string) error {
			refs, err := hub.ParseSale(args[0])
			if err != nil {
				return err
			}
			h, err := a.open()
			if err != nil {
				return err
			}
			m, err := h.Resend(refs...)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "email of sale %s:%d to %s queued again (resend %d)\n", m.Device, m.Seq, m.To, m.Resends)
			return nil
		},
	}
}

func (a *app) brokerCmd() *cobra.Command {
	var o broker.Options
	var user, pwFile, usersFile string
	cmd := &cobra.Command{
		Use:   "broker --listen ADDR (--users FILE | --username U --password-file F)",
		Short: "Run the embedded MQTT broker (demos and tests)",
		Long: `broker runs an embedded MQTT broker (mochi-mqtt) until SIGINT or SIGTERM. Every
client logs in: --users names a file of "name:password" lines, --username with
--password-file (its first line) adds one login. The login "hub" may use every topic;
any other login is a device id, confined to its own topics as the shipped Mosquitto ACL
confines it, and must be its client id. Packets over 8 MiB are refused. Production uses
Mosquitto or a broker cluster.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if (user == "") != (pwFile == "") {
				return errors.New("--username and --password-file go together")
			}
			o.Users = map[string]string{}
			if usersFile != "" {
				u, err := broker.ReadUsers(usersFile)
				if err != nil {
					return fmt.Errorf("--users: %w", err)
				}
				o.Users = u
			}
			if pwFile != "" {
				b, err := os.ReadFile(pwFile)
				if err != nil {
					return fmt.Errorf("--password-file: %w", err)
				}
				pw := strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r")
				if pw == "" {
					return errors.New("--password-file: the password is empty")
				}
				o.Users[user] = pw
			}
			if len(o.Users) == 0 {
				return errors.New("no logins: give --users FILE or --username and --password-file")
			}
			o.Logger = a.logger()
			b, err := broker.Start(o)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "broker listening on %s\n", b.Addr())
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			o.Logger.Info("broker stopping")
			return b.Close()
		},
	}
	cmd.Flags().StringVar(&o.Listen, "listen", "127.0.0.1:1883", "TCP address to listen on")
	cmd.Flags().StringVar(&usersFile, "users", "", `file of "name:password" lines, one login each`)
	cmd.Flags().StringVar(&user, "username", "", "one more login (with --password-file)")
	cmd.Flags().StringVar(&pwFile, "password-file", "", "file whose first line is --username's password")
	return cmd
}

func (a *app) escposCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "escpos", Short: "ESC/POS tools: the virtual printer"}
	var png, txt, model string
	var width int
	render := &cobra.Command{
		Use:   "render FILE [--png OUT] [--txt OUT] [--model M]",
		Short: "Render an ESC/POS byte stream as the printer would print it",
		Long: `render runs FILE (ESC/POS bytes, "-" for standard input) through the virtual
printer and writes the paper as a PNG (--png) and as a text transcript (--txt, "-" for
standard output) with QR codes, barcodes and cuts as markers. --model reads the stream
as that printer model would (its width and code page numbers), and reports every
command the model does not obey.`,
		Args: exactArgs("FILE"),
		RunE: func(_ *cobra.Command, args []string) error {
			if png == "" && txt == "" {
				return errors.New("give --png OUT, --txt OUT or both")
			}
			var data []byte
			var err error
			if args[0] == "-" {
				data, err = readAll(a.stdin)
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			o := virtual.RenderOptions{Width: width}
			if model != "" {
				if o.Profile, err = escpos.LookupProfile(model, 0); err != nil {
					return fmt.Errorf("--model: %w (one of %s)", err, strings.Join(escpos.ProfileNames(), ", "))
				}
				if err := o.Profile.Check(data); err != nil {
					fmt.Fprintln(a.stderr, err)
				}
			}
			p, rerr := virtual.Render(data, o)
			if p == nil {
				return fmt.Errorf("render %s: %w", args[0], rerr)
			}
			if png != "" {
				f, err := os.Create(png)
				if err != nil {
					return err
				}
				if err := p.WritePNG(f); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			if txt == "-" {
				fmt.Fprint(a.stdout, p.Text)
			} else if txt != "" {
				if err := os.WriteFile(txt, []byte(p.Text), 0o644); err != nil {
					return err
				}
			}
			if rerr != nil {
				return fmt.Errorf("render %s: %w", args[0], rerr)
			}
			return nil
		},
	}
	render.Flags().StringVar(&png, "png", "", "write the paper as a PNG")
	render.Flags().StringVar(&txt, "txt", "", "write the text transcript (- for stdout)")
	render.Flags().IntVar(&width, "width", 0, "paper width in dots (default: the model's, 576 for 80 mm)")
	render.Flags().StringVar(&model, "model", "", "printer model (kioskd's [printer] model), e.g. tm-t88v")
	cmd.AddCommand(render)
	return cmd
}

// ticketFacts prints what the catalogue and the sale say about a verified ticket: the
// event, venue and time in the outlet's time zone, the ticket type and price, and the sale.
func (a *app) ticketFacts(h *hub.Hub, v hub.Verification) {
	f := v.Facts
	outlet := ""
	if v.Sale != nil {
		outlet = v.Sale.Sale.Outlet
	} else if d, err := h.Device(f.Device); err == nil {
		outlet = d.Outlet
	}
	loc, locale, cur := time.UTC, catalog.LocaleEN, ""
	if o, err := h.Outlet(outlet); err == nil {
		loc, locale, cur = o.Location(), o.Locale, o.Currency
	}
	if ev, err := h.Event(f.Event); err == nil {
		fmt.Fprintf(a.stdout, "event %s, %s, %s\n", ev.Title, ev.Venue, ev.Start.In(loc).Format("2006-01-02 15:04 MST"))
		if tt, ok := ev.Type(f.Type); ok {
			// The sale says the currency and what was paid; without it, the catalogue's price.
			price := formatPrice(tt.Price, cur)
			if v.Sale != nil {
				paid := tt.Price
				for _, l := range v.Sale.Sale.Lines {
					if l.Type == f.Type {
						paid = l.Price
					}
				}
				price = catalog.FormatMoney(paid, v.Sale.Sale.Currency, locale)
			}
			fmt.Fprintf(a.stdout, "ticket %s, %s\n", tt.Name, price)
		}
	}
	if v.Sale != nil {
		fmt.Fprintf(a.stdout, "sold %s by %s at outlet %s, sale no. %d\n", v.Sale.WallTime().In(loc).Format("2006-01-02 15:04:05 MST"), v.Sale.Actor, outlet, v.Sale.Sale.No)
	}
}
