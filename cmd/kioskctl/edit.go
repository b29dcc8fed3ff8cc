package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ticketkiosk/catalog"
	"ticketkiosk/hub"
)

// addCorrections adds the commands that correct the catalogue to root's event, outlet, user
// and device commands, and unlink beside link. None removes history: what has sales or is
// referred to is refused with what to do instead.
func (a *app) addCorrections(root *cobra.Command) {
	under := func(name string, cmds ...*cobra.Command) {
		for _, c := range root.Commands() {
			if c.Name() == name {
				c.AddCommand(cmds...)
				return
			}
		}
		panic("kioskctl: no command " + name)
	}
	under("event", a.eventSetCmd(), a.removeCmd("event", "Remove an event no outlet sells and without sales (else unlink it)", (*hub.Hub).RemoveEvent))
	under("outlet", a.removeCmd("outlet", "Remove an outlet without sales, links, devices or users", (*hub.Hub).RemoveOutlet))
	under("user", a.userEnableCmd(), a.userPasswordCmd(), a.userCodeCmd())
	under("device", a.deviceRevokeCmd())
	root.AddCommand(a.unlinkCmd())
}

// eventCurrency is the currency an event's prices are typed and listed in: flag when
// given, else the one currency of the outlets selling the event, else the one currency of
// every outlet; "" (two decimals) when there is no outlet. Outlets of several currencies
// need flag (strict), or list with two decimals (not strict).
func eventCurrency(h *hub.Hub, event, flag string, strict bool) (string, error) {
	if flag != "" {
		return strings.ToUpper(flag), nil
	}
	os, err := h.Outlets()
	if err != nil {
		return "", err
	}
	ls, err := h.Links("")
	if err != nil {
		return "", err
	}
	of := map[string]string{}
	all := map[string]bool{}
	for _, o := range os {
		of[o.ID] = o.Currency
		all[o.Currency] = true
	}
	linked := map[string]bool{}
	for _, l := range ls {
		if l.Event == event {
			linked[of[l.Outlet]] = true
		}
	}
	cs := linked
	if len(cs) == 0 {
		cs = all
	}
	if len(cs) == 1 {
		for c := range cs {
			return c, nil
		}
	}
	if len(cs) == 0 || !strict {
		return "", nil
	}
	names := make([]string, 0, len(cs))
	for c := range cs {
		names = append(names, c)
	}
	sort.Strings(names)
	return "", fmt.Errorf("the outlets use %s: say which currency the prices are in with --currency", strings.Join(names, ", "))
}

func (a *app) eventSetCmd() *cobra.Command {
	var title, venue, start, from, to, tz, currency string
	var types []string
	cmd := &cobra.Command{
		Use:   "set ID [--title T] [--venue V] [--start TIME] [--sale-from TIME] [--sale-to TIME] [--type ID:NAME:PRICE ...]",
		Short: "Change an event (the devices of the outlets selling it get a new config version)",
		Long: `set changes the event's fields given; the others stay. --type given replaces all
ticket types (a type an outlet's allotment names, or one with sales, cannot go). An empty --sale-from or
--sale-to clears the bound. Prices are in the currency of the outlets selling the event
(--currency when they have several).`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, q, err := a.query()
			if err != nil {
				return err
			}
			defer q.Close()
			e, err := h.Event(args[0])
			if err != nil {
				return err
			}
			loc, err := time.LoadLocation(tz)
			if err != nil {
				return fmt.Errorf("--tz %q: unknown time zone", tz)
			}
			fl := cmd.Flags()
			if fl.Changed("title") {
				e.Title = title
			}
			if fl.Changed("venue") {
				e.Venue = venue
			}
			var errs []error
			for _, t := range []struct {
				flag, v string
				to      *time.Time
			}{{"start", start, &e.Start}, {"sale-from", from, &e.SaleFrom}, {"sale-to", to, &e.SaleTo}} {
				if !fl.Changed(t.flag) {
					continue
				}
				if *t.to, err = parseTime(t.v, loc); err != nil {
					errs = append(errs, fmt.Errorf("--%s: %w", t.flag, err))
				}
			}
			if fl.Changed("type") {
				cur, err := eventCurrency(h, e.ID, currency, true)
				if err != nil {
					return err
				}
				e.Types, errs = parseTypes(types, cur, errs)
			}
			if err := errors.Join(errs...); err != nil {
				return err
			}
			if err := h.ChangeEvent(e, q); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "event %s changed\n", e.ID)
			a.warnNotOnSale(e, h.Now())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "title printed on tickets")
	f.StringVar(&venue, "venue", "", "venue printed on tickets")
	f.StringVar(&start, "start", "", "when the event starts")
	f.StringVar(&from, "sale-from", "", "start of the sale window")
	f.StringVar(&to, "sale-to", "", "end of the sale window")
	f.StringVar(&tz, "tz", "Europe/Sofia", "time zone of times given without an offset")
	f.StringVar(&currency, "currency", "", "ISO 4217 currency of the prices (default: the outlets')")
	f.StringArrayVar(&types, "type", nil, "ticket type ID:NAME:PRICE (repeat for each type; replaces all)")
	return cmd
}

// removeCmd is `WHAT remove ID`: remove, given the sales (the ledger, or a running
// serve's), refuses what has sales or is referred to.
func (a *app) removeCmd(what, short string, remove func(h *hub.Hub, id string, sales hub.Query) error) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: short,
		Args:  exactArgs("ID"),
		RunE: func(_ *cobra.Command, args []string) error {
			h, q, err := a.query()
			if err != nil {
				return err
			}
			defer q.Close()
			if err := remove(h, args[0], q); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s %s removed\n", what, args[0])
			return nil
		},
	}
}

func (a *app) unlinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unlink OUTLET EVENT",
		Short: "Stop an outlet selling an event (its sales stay; its devices get a new config version)",
		Args:  exactArgs("OUTLET", "EVENT"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			if err := h.Unlink(args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "outlet %s no longer sells event %s\n", args[0], args[1])
			return nil
		}),
	}
}

func (a *app) userEnableCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "enable EMAIL",
		Short: "Enable a disabled user (devices take it back with their next config)",
		Args:  exactArgs("EMAIL"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			if err := h.EnableUser(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "user %s enabled\n", args[0])
			return nil
		}),
	}
}

func (a *app) userPasswordCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "password EMAIL < password",
		Short: "Set a user's password, read from standard input as user add reads it",
		Args:  exactArgs("EMAIL"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			if _, err := h.User(args[0]); err != nil {
				return err
			}
			pw, err := a.readPassword("new password for " + args[0] + ": ")
			if err != nil {
				return err
			}
			hash, err := catalog.HashPassword(pw)
			if err != nil {
				return err
			}
			if err := h.SetPassword(args[0], hash); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "password of user %s changed\n", args[0])
			return nil
		}),
	}
}

func (a *app) userCodeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "code EMAIL NEWCODE",
		Short: "Change a user's kiosk code (4-8 digits, unique in the outlet)",
		Args:  exactArgs("EMAIL", "NEWCODE"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			if err := h.SetCode(args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "kiosk code of user %s changed\n", args[0])
			return nil
		}),
	}
}

func (a *app) deviceRevokeCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "revoke ID --reason TEXT",
		Short: "Revoke a device for good (a stolen kiosk): no more configs, its journals refused",
		Long: `revoke marks a device revoked, for good: push no longer signs its config, and serve
refuses the journal batches it sends from then on (they are not counted). What it sold
before stays in the ledger. A replacement kiosk is added as a new device with its own key.`,
		Args: exactArgs("ID"),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			if err := h.RevokeDevice(args[0], reason); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "device %s revoked\n", args[0])
			return nil
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required), e.g. \"stolen\"")
	return cmd
}
