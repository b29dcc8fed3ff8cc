package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"ticketkiosk/hub"
	"ticketkiosk/ledger"
)

// status asks the hub in --dir for its status (through a running serve, or from the ledger).
func (a *app) status() (*hub.Hub, *hub.Status, error) {
	h, q, err := a.query()
	if err != nil {
		return nil, nil, err
	}
	defer q.Close()
	st, err := q.Status()
	return h, st, err
}

func (a *app) alarmsCmd() *cobra.Command {
	var format string
	var all bool
	cmd := &cobra.Command{
		Use:   "alarms [--all] [--format table|json]",
		Short: "The journal alarms: rejected entries, gaps, broken chains, conflicts",
		Long: `alarms lists the hub's journal alarms that are not resolved (with --all, those resolved
too, with their recorded reason): entries rejected at ingest with the reason (they are kept
but never counted, mailed or entered in the catalogue), gaps, broken chains, conflicting
entries, foreign entries and effects that could not apply. ID names an alarm for
kioskctl alarms resolve.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, st, err := a.status()
			if err != nil {
				return err
			}
			var out []ledger.Alarm
			for _, al := range st.Alarms {
				if all || al.Resolved == nil {
					out = append(out, al)
				}
			}
			if format == "json" {
				if out == nil {
					out = []ledger.Alarm{}
				}
				return writeJSON(a.stdout, out)
			}
			if format != "table" {
				return fmt.Errorf("--format %q is neither table nor json", format)
			}
			if len(out) == 0 {
				fmt.Fprintln(a.stdout, "no alarms")
				return nil
			}
			w := a.table()
			fmt.Fprintln(w, "ID\tDEVICE\tKIND\tSEQ\tCOUNT\tLAST\tDETAIL")
			for _, al := range out {
				detail := al.Detail
				if al.Resolved != nil {
					detail += "; resolved " + al.Resolved.UTC().Format(time.RFC3339) + ": " + al.Resolution
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", al.ID(), al.Device, al.Kind, al.Seq, al.Count, al.Last.UTC().Format(time.RFC3339), detail)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	cmd.Flags().BoolVar(&all, "all", false, "list resolved alarms too")
	cmd.AddCommand(a.alarmsResolveCmd())
	return cmd
}

func (a *app) alarmsResolveCmd() *cobra.Command {
	var reason, stand string
	cmd := &cobra.Command{
		Use:   "resolve ID --reason TEXT [--stand hub|device]",
		Short: "Resolve a journal alarm with a recorded reason",
		Long: `resolve marks the alarm ID (from kioskctl alarms) resolved and records the reason.
A conflict (a stored entry and the device's entry at one seq differ) needs --stand:
hub keeps the stored entry (the device's other entry is never taken); device sets the
hub's entries from that seq on aside (kept apart with the reason, their counts undone,
out of the feed) so that the device's own entries are taken when it resends them. What
the hub already did from a set-aside entry (an email sent, a user entered in the
catalogue) is not undone. Works through a running serve, or on the ledger directly.`,
		Args: exactArgs("ID"),
		RunE: func(_ *cobra.Command, args []string) error {
			_, q, err := a.query()
			if err != nil {
				return err
			}
			defer q.Close()
			al, err := q.Resolve(args[0], reason, ledger.Stand(stand))
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "resolved %s: %s\n", al.ID(), al.Resolution)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded with the alarm; required)")
	cmd.Flags().StringVar(&stand, "stand", "", "for a conflict: which entry stands, hub or device")
	return cmd
}
