package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"ticketkiosk/catalog"
	"ticketkiosk/hub"
)

func encodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

func (a *app) table() *tabwriter.Writer {
	return tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
}

// parsePrice reads a price written in major units of currency with at most its minor
// digits ("12.50", "12,5", "7" for EUR; "1250" for JPY; "12.500" for KWD) and returns minor
// units (catalog.ParseAmount). An event's prices are in the minor units of the outlets that
// sell it (eventCurrency).
func parsePrice(s, currency string) (int64, error) {
	if strings.HasPrefix(strings.TrimSpace(s), "-") {
		return 0, fmt.Errorf("price %q is negative: a price is 0 or more, such as 12.50", s)
	}
	p, err := catalog.ParseAmount(s, currency)
	if err != nil {
		return 0, fmt.Errorf("price %q is not an amount such as %s", s, catalog.FormatDecimal(1250*pow10(catalog.MinorDigits(currency)-2), currency))
	}
	return p, nil
}

// pow10 is 10**n; 1 for n <= 0.
func pow10(n int) int64 {
	f := int64(1)
	for range n {
		f *= 10
	}
	return f
}

// formatPrice writes a price as parsePrice reads it (catalog.FormatDecimal).
func formatPrice(n int64, currency string) string { return catalog.FormatDecimal(n, currency) }

// parseType reads a --type value: ID:NAME:PRICE (the name may itself hold colons), the
// price in currency (parsePrice).
func parseType(s, currency string) (catalog.TicketType, error) {
	first, last := strings.Index(s, ":"), strings.LastIndex(s, ":")
	if first < 0 || first == last {
		return catalog.TicketType{}, fmt.Errorf("--type %q: want ID:NAME:PRICE, e.g. std:Standard:12.50", s)
	}
	p, err := parsePrice(s[last+1:], currency)
	if err != nil {
		return catalog.TicketType{}, fmt.Errorf("--type %q: %w", s, err)
	}
	return catalog.TicketType{ID: s[:first], Name: s[first+1 : last], Price: p}, nil
}

// parseTypes reads --type values (parseType) and appends each refusal to errs.
func parseTypes(types []string, currency string, errs []error) ([]catalog.TicketType, []error) {
	var out []catalog.TicketType
	for _, s := range types {
		t, err := parseType(s, currency)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errs
}

// parseTime reads a time as RFC 3339, or as "2006-01-02 15:04" / "2006-01-02T15:04" /
// "2006-01-02" in loc.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want 2006-01-02T15:04 (in --tz) or RFC 3339", s)
}

// parseAllot reads --allot TYPE=N,TYPE=N.
func parseAllot(s string) (map[string]int64, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]int64{}
	for _, part := range strings.Split(s, ",") {
		typ, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		v, err := strconv.ParseInt(n, 10, 64)
		if !ok || typ == "" || err != nil {
			return nil, fmt.Errorf("--allot %q: want TYPE=N,TYPE=N", part)
		}
		if _, dup := out[typ]; dup {
			return nil, fmt.Errorf("--allot: type %s given twice", typ)
		}
		out[typ] = v
	}
	return out, nil
}

func (a *app) outletCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "outlet", Short: "Outlets: add, set, list, show"}
	var o catalog.Outlet
	add := &cobra.Command{
		Use:   "add ID --name NAME [--delivery print|email] [--locale bg|en] [--currency EUR] [--tz ZONE]",
		Short: "Add an outlet (a distribution point)",
		Args:  exactArgs("ID"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			o.ID = args[0]
			if err := h.SaveOutlet(o, true); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "outlet %s added\n", o.ID)
			return nil
		}),
	}
	f := add.Flags()
	f.StringVar(&o.Name, "name", "", "name shown in menus (required)")
	f.StringVar((*string)(&o.Delivery), "delivery", "print", "how tickets reach the buyer: print or email")
	f.StringVar((*string)(&o.Locale), "locale", "bg", "language of screens and tickets: bg or en")
	f.StringVar(&o.Currency, "currency", "EUR", "ISO 4217 currency")
	f.StringVar(&o.TimeZone, "tz", "Europe/Sofia", "IANA time zone of the outlet")

	var name, delivery, locale, currency, tz string
	set := &cobra.Command{
		Use:   "set ID [--name NAME] [--delivery print|email] [--locale bg|en] [--currency C] [--tz ZONE]",
		Short: "Change an outlet's settings (its devices get a new config version)",
		Args:  exactArgs("ID"),
		RunE: a.withHub(func(cmd *cobra.Command, h *hub.Hub, args []string) error {
			o, err := h.Outlet(args[0])
			if err != nil {
				return err
			}
			fl := cmd.Flags()
			if fl.Changed("name") {
				o.Name = name
			}
			if fl.Changed("delivery") {
				o.Delivery = catalog.Delivery(delivery)
			}
			if fl.Changed("locale") {
				o.Locale = catalog.Locale(locale)
			}
			if fl.Changed("currency") {
				o.Currency = currency
			}
			if fl.Changed("tz") {
				o.TimeZone = tz
			}
			if err := h.SaveOutlet(o, false); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "outlet %s changed\n", o.ID)
			return nil
		}),
	}
	sf := set.Flags()
	sf.StringVar(&name, "name", "", "name shown in menus")
	sf.StringVar(&delivery, "delivery", "", "print or email")
	sf.StringVar(&locale, "locale", "", "bg or en")
	sf.StringVar(&currency, "currency", "", "ISO 4217 currency")
	sf.StringVar(&tz, "tz", "", "IANA time zone")

	list := &cobra.Command{
		Use:   "list",
		Short: "List outlets",
		Args:  cobra.NoArgs,
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, _ []string) error {
			os, err := h.Outlets()
			if err != nil {
				return err
			}
			links, devs, users, err := outletParts(h, "")
			if err != nil {
				return err
			}
			count := func(outlet string, of func(i int) string, n int) int {
				c := 0
				for i := 0; i < n; i++ {
					if of(i) == outlet {
						c++
					}
				}
				return c
			}
			w := a.table()
			fmt.Fprintln(w, "ID\tNAME\tDELIVERY\tLOCALE\tCURRENCY\tTIME ZONE\tEVENTS\tDEVICES\tUSERS")
			for _, o := range os {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", o.ID, o.Name, o.Delivery, o.Locale, o.Currency, o.TimeZone,
					count(o.ID, func(i int) string { return links[i].Outlet }, len(links)),
					count(o.ID, func(i int) string { return devs[i].Outlet }, len(devs)),
					count(o.ID, func(i int) string { return users[i].Outlet }, len(users)))
			}
			return w.Flush()
		}),
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show an outlet with its events, allotments, devices, their grants and users",
		Args:  exactArgs("ID"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			o, err := h.Outlet(args[0])
			if err != nil {
				return err
			}
			links, devs, users, err := outletParts(h, o.ID)
			if err != nil {
				return err
			}
			w := a.table()
			fmt.Fprintf(w, "outlet\t%s\nname\t%s\ndelivery\t%s\nlocale\t%s\ncurrency\t%s\ntime zone\t%s\n", o.ID, o.Name, o.Delivery, o.Locale, o.Currency, o.TimeZone)
			for _, l := range links {
				fmt.Fprintf(w, "event\t%s\tallot %s\n", l.Event, formatAllot(l.Allot))
			}
			for _, d := range devs {
				fmt.Fprintf(w, "device\t%s\tconfig version %d (signed %d)\n", d.ID, d.Version, d.Signed)
			}
			_, q, err := a.query()
			if err != nil {
				return err
			}
			defer q.Close()
			al, err := q.Allotments(o.ID)
			if err != nil {
				return err
			}
			printGrants(w, al)
			for _, u := range users {
				state := ""
				if u.Disabled {
					state = " disabled"
				}
				fmt.Fprintf(w, "user\t%s\t%s code %s%s\n", u.Email, u.Role, u.Code, state)
			}
			return w.Flush()
		}),
	}
	cmd.AddCommand(add, set, list, show)
	return cmd
}

// outletParts reads the links, devices and users of outlet ("": of every outlet).
func outletParts(h *hub.Hub, outlet string) ([]catalog.Link, []hub.DeviceInfo, []catalog.User, error) {
	links, err := h.Links(outlet)
	if err != nil {
		return nil, nil, nil, err
	}
	devs, err := h.Devices(outlet)
	if err != nil {
		return nil, nil, nil, err
	}
	users, err := h.Users(outlet)
	if err != nil {
		return nil, nil, nil, err
	}
	return links, devs, users, nil
}

func formatAllot(m map[string]int64) string {
	if len(m) == 0 {
		return "none (uncapped)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, ",")
}

func (a *app) eventCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "event", Short: "Events: add, list"}
	var title, venue, start, from, to, tz, currency string
	var types []string
	add := &cobra.Command{
		Use:   "add ID --title T --venue V --start TIME --type ID:NAME:PRICE [--type ...]",
		Short: "Add an event with its ticket types and prices",
		Long: `add creates an event.

Each --type is ID:NAME:PRICE: a short id (letters, digits, - _ .), the name printed on the
ticket (it may hold spaces and colons; quote it), and the price in major units of the
outlets' currency with its decimals (two for EUR, none for JPY, three for KWD; --currency
when the outlets have several), e.g.

  kioskctl event add concert1 --title "Концерт" --venue "НДК, зала 1" \
      --start 2026-12-01T20:00 --tz Europe/Sofia \
      --type std:Стандартен:12.50 --type vip:VIP:40

Times are RFC 3339 (2026-12-01T20:00:00+02:00) or 2026-12-01T20:00 in --tz. --sale-from
and --sale-to bound the sale window (default: until the event starts).`,
		Args: exactArgs("ID"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			loc, err := time.LoadLocation(tz)
			if err != nil {
				return fmt.Errorf("--tz %q: unknown time zone", tz)
			}
			e := catalog.Event{ID: args[0], Title: title, Venue: venue}
			cur, err := eventCurrency(h, e.ID, currency, true)
			if err != nil {
				return err
			}
			var errs []error
			if e.Start, err = parseTime(start, loc); err != nil {
				errs = append(errs, fmt.Errorf("--start: %w", err))
			}
			if e.SaleFrom, err = parseTime(from, loc); err != nil {
				errs = append(errs, fmt.Errorf("--sale-from: %w", err))
			}
			if e.SaleTo, err = parseTime(to, loc); err != nil {
				errs = append(errs, fmt.Errorf("--sale-to: %w", err))
			}
			e.Types, errs = parseTypes(types, cur, errs)
			if err := errors.Join(errs...); err != nil {
				return err
			}
			if err := h.SaveEvent(e, true); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "event %s added with %s\n", e.ID, plural(len(e.Types), "ticket type", "ticket types"))
			a.warnNotOnSale(e, h.Now())
			return nil
		}),
	}
	f := add.Flags()
	f.StringVar(&title, "title", "", "title printed on tickets")
	f.StringVar(&venue, "venue", "", "venue printed on tickets")
	f.StringVar(&start, "start", "", "when the event starts")
	f.StringVar(&from, "sale-from", "", "start of the sale window (default: now)")
	f.StringVar(&to, "sale-to", "", "end of the sale window (default: the event's start)")
	f.StringVar(&tz, "tz", "Europe/Sofia", "time zone of times given without an offset")
	f.StringArrayVar(&types, "type", nil, "ticket type ID:NAME:PRICE (repeat for each type)")
	f.StringVar(&currency, "currency", "", "ISO 4217 currency of the prices (default: the outlets')")

	list := &cobra.Command{
		Use:   "list",
		Short: "List events with their ticket types",
		Args:  cobra.NoArgs,
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, _ []string) error {
			evs, err := h.Events()
			if err != nil {
				return err
			}
			w := a.table()
			fmt.Fprintln(w, "ID\tTITLE\tVENUE\tSTART\tSALE FROM\tSALE TO\tTYPES")
			for _, e := range evs {
				cur, err := eventCurrency(h, e.ID, "", false)
				if err != nil {
					return err
				}
				ts := make([]string, len(e.Types))
				for i, t := range e.Types {
					ts[i] = t.ID + ":" + t.Name + ":" + formatPrice(t.Price, cur)
				}
				from, to := "-", "at start"
				if !e.SaleFrom.IsZero() {
					from = e.SaleFrom.Format(time.RFC3339)
				}
				if !e.SaleTo.IsZero() {
					to = e.SaleTo.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Title, e.Venue, e.Start.Format(time.RFC3339), from, to, strings.Join(ts, " "))
			}
			return w.Flush()
		}),
	}
	cmd.AddCommand(add, list)
	return cmd
}

// warnNotOnSale warns on standard error when no kiosk will sell event e after now: it
// started, or its sale window ended. The event is accepted all the same (a catalogue may
// record the past).
func (a *app) warnNotOnSale(e catalog.Event, now time.Time) {
	switch {
	case !e.Start.IsZero() && !now.Before(e.Start):
		fmt.Fprintf(a.stderr, "warning: event %s started %s, in the past: no kiosk will sell it\n", e.ID, e.Start.Format(time.RFC3339))
	case !e.SaleTo.IsZero() && !now.Before(e.SaleTo):
		fmt.Fprintf(a.stderr, "warning: the sale window of event %s ended %s: no kiosk will sell it\n", e.ID, e.SaleTo.Format(time.RFC3339))
	}
}

// plural writes n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (a *app) linkCmd() *cobra.Command {
	var allot string
	cmd := &cobra.Command{
		Use:   "link OUTLET EVENT [--allot TYPE=N,...]",
		Short: "Let an outlet sell an event, with allotments per ticket type",
		Long: `link allows OUTLET to sell EVENT. --allot caps how many tickets of each type the
outlet may sell (TYPE=N, comma-separated); a type not named is not capped. Linking again
replaces the allotments. A device's grant is a lease from the outlet's allotment (a share of
half of it at first, the rest unassigned), topped up by serve while the device is online
and sells; a grant the device may hold is lowered only once the hub has its config_applied
of the lower one (it may have sold up to it offline), so an allotment cannot go below what
the devices were granted. grant move moves grant between devices.`,
		Args: exactArgs("OUTLET", "EVENT"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			m, err := parseAllot(allot)
			if err != nil {
				return err
			}
			if err := h.SaveLink(catalog.Link{Outlet: args[0], Event: args[1], Allot: m}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "outlet %s sells event %s, allot %s\n", args[0], args[1], formatAllot(m))
			if e, err := h.Event(args[1]); err == nil {
				a.warnNotOnSale(e, h.Now())
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&allot, "allot", "", "allotments TYPE=N,TYPE=N")
	return cmd
}

func (a *app) userCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Users: add, list, disable"}
	var u catalog.User
	add := &cobra.Command{
		Use:   "add EMAIL --outlet O --role cashier|supervisor --code DIGITS [--name N] < password",
		Short: "Add a user; the password is read from standard input, never from a flag",
		Long: `add creates a user of an outlet. The user logs in at the kiosk with the kiosk
code (4-8 digits, unique in the outlet) and the password. The password is read from
standard input: typed without echo at a terminal, or the first line of a pipe:

  printf '%s\n' "$PASSWORD" | kioskctl user add anna@example.org --outlet o1 --role cashier --code 1001`,
		Args: exactArgs("EMAIL"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			u.Email = args[0]
			pw, err := a.readPassword("password for " + u.Email + ": ")
			if err != nil {
				return err
			}
			if u.PasswordHash, err = catalog.HashPassword(pw); err != nil {
				return err
			}
			if err := h.AddUser(u); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "user %s added to outlet %s as %s\n", u.Email, u.Outlet, u.Role)
			return nil
		}),
	}
	f := add.Flags()
	f.StringVar(&u.Outlet, "outlet", "", "outlet the user sells at")
	f.StringVar((*string)(&u.Role), "role", "cashier", "cashier or supervisor")
	f.StringVar(&u.Code, "code", "", "kiosk code, 4-8 digits")
	f.StringVar(&u.Name, "name", "", "display name")

	var outlet string
	list := &cobra.Command{
		Use:   "list [--outlet O]",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, _ []string) error {
			users, err := h.Users(outlet)
			if err != nil {
				return err
			}
			w := a.table()
			fmt.Fprintln(w, "EMAIL\tOUTLET\tROLE\tCODE\tNAME\tCREATED BY\tSTATE")
			for _, u := range users {
				state := "active"
				if u.Disabled {
					state = "disabled"
				}
				by := u.CreatedBy
				if by == "" {
					by = "-"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Email, u.Outlet, u.Role, u.Code, u.Name, by, state)
			}
			return w.Flush()
		}),
	}
	list.Flags().StringVar(&outlet, "outlet", "", "only this outlet's users")
	disable := &cobra.Command{
		Use:   "disable EMAIL",
		Short: "Disable a user (devices drop it with their next config)",
		Args:  exactArgs("EMAIL"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			if err := h.DisableUser(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "user %s disabled\n", args[0])
			return nil
		}),
	}
	cmd.AddCommand(add, list, disable)
	return cmd
}

func (a *app) deviceCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "device", Short: "Devices: add, list"}
	var outlet, key string
	add := &cobra.Command{
		Use:   "add ID --outlet O --key PUBLIC_KEY",
		Short: "Add a kiosk with the public key `kioskd init` printed (base64 or hex)",
		Args:  exactArgs("ID"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			pub, err := catalog.ParsePublicKey(key)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			if err := h.AddDevice(catalog.Device{ID: args[0], Outlet: outlet, PublicKey: pub}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "device %s added to outlet %s\n", args[0], outlet)
			return nil
		}),
	}
	add.Flags().StringVar(&outlet, "outlet", "", "outlet of the device")
	add.Flags().StringVar(&key, "key", "", "the device's Ed25519 public key, base64 or hex")
	var lo string
	list := &cobra.Command{
		Use:   "list [--outlet O]",
		Short: "List devices with their config versions",
		Args:  cobra.NoArgs,
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, _ []string) error {
			devs, err := h.Devices(lo)
			if err != nil {
				return err
			}
			w := a.table()
			fmt.Fprintln(w, "ID\tOUTLET\tVERSION\tSIGNED\tPUBLIC KEY\tSTATE")
			for _, d := range devs {
				state := "active"
				if r := d.Revoked; r != nil {
					state = fmt.Sprintf("revoked %s: %s", r.At.Format(time.RFC3339), r.Reason)
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\n", d.ID, d.Outlet, d.Version, d.Signed, encodeKey(d.PublicKey), state)
			}
			return w.Flush()
		}),
	}
	list.Flags().StringVar(&lo, "outlet", "", "only this outlet's devices")
	cmd.AddCommand(add, list)
	return cmd
}
