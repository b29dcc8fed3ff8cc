package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ticketkiosk/hub"
)

// mailRow is one email of the outbox as mail list shows it: no tickets, and the buyer's
// address only when asked for.
type mailRow struct {
	Sale       string        `json:"sale"` // DEVICE:SEQ, as resend takes it
	Device     string        `json:"device"`
	Seq        uint64        `json:"seq"`
	State      hub.MailState `json:"state"`
	Attempts   int           `json:"attempts"`        // refused since queued or resent
	Failures   int           `json:"failed_attempts"` // refused, across resends
	Deliveries int           `json:"deliveries"`      // accepted, a resend counting again
	Resends    int           `json:"resends"`
	Queued     time.Time     `json:"queued"`
	Sent       time.Time     `json:"sent,omitzero"`
	Next       time.Time     `json:"next,omitzero"` // pending only
	LastError  string        `json:"last_error,omitempty"`
	To         string        `json:"to,omitempty"`
}

func (a *app) mailCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "mail", Short: "The email outbox: list"}
	var addresses bool
	var state, format string
	list := &cobra.Command{
		Use:   "list [--state pending|sent|failed|cancelled] [--addresses] [--format table|json]",
		Short: "List the email outbox: each sale's email, its state, attempts, last error, next try",
		Long: `list shows every email of the outbox (one per email sale), by device and sale:
STATE (pending: to be sent at NEXT TRY; sent: the relay, or --mail-dir, took it; failed:
retried until serve's --mail-retry-horizon (72h) or the address does not parse, then given
up, kioskctl resend SALE tries again; cancelled: the sale
was voided first), ATTEMPTS refused since it was queued or resent, SENT how many times it
went out (a resent email counts each time), and the last error.

Buyers' addresses are personal data: they are shown (column TO, and in errors that quote
them) only with --addresses.`,
		Args: cobra.NoArgs,
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, _ []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q is neither table nor json", format)
			}
			switch hub.MailState(state) {
			case "", hub.MailPending, hub.MailSent, hub.MailFailed, hub.MailCancelled:
			default:
				return fmt.Errorf("--state %q is not pending, sent, failed or cancelled", state)
			}
			box, err := h.Outbox()
			if err != nil {
				return err
			}
			rows := []mailRow{}
			for _, m := range box {
				if state != "" && m.State != hub.MailState(state) {
					continue
				}
				r := mailRow{Sale: fmt.Sprintf("%s:%d", m.Device, m.Seq), Device: m.Device, Seq: m.Seq, State: m.State,
					Attempts: m.Attempts, Failures: m.Failures, Deliveries: m.Deliveries(), Resends: m.Resends,
					Queued: m.Queued, Sent: m.Sent, LastError: m.LastError}
				if m.State == hub.MailPending {
					r.Next = m.Next
				}
				if addresses {
					r.To = m.To
				} else if m.To != "" {
					r.LastError = strings.ReplaceAll(r.LastError, m.To, "[buyer]")
				}
				rows = append(rows, r)
			}
			if format == "json" {
				return writeJSON(a.stdout, rows)
			}
			now := h.Now()
			w := a.table()
			head := "SALE\tSTATE\tATTEMPTS\tSENT\tNEXT TRY\tLAST ERROR"
			if addresses {
				head += "\tTO"
			}
			fmt.Fprintln(w, head)
			cut := false
			for _, r := range rows {
				next := "-"
				switch {
				case r.State != hub.MailPending:
				case !r.Next.After(now):
					next = "due"
				default:
					next = "in " + r.Next.Sub(now).Round(time.Second).String()
				}
				last, short := shorten(r.LastError, maxReason)
				cut = cut || short
				if last == "" {
					last = "-"
				}
				line := fmt.Sprintf("%s\t%s\t%d\t%d\t%s\t%s", r.Sale, r.State, r.Attempts, r.Deliveries, next, last)
				if addresses {
					line += "\t" + r.To
				}
				fmt.Fprintln(w, line)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if cut {
				fmt.Fprintln(a.stdout, "errors are cut; kioskctl mail list --format json shows them whole")
			}
			return nil
		}),
	}
	f := list.Flags()
	f.BoolVar(&addresses, "addresses", false, "show the buyers' email addresses")
	f.StringVar(&state, "state", "", "only emails in this state: pending, sent, failed or cancelled")
	f.StringVar(&format, "format", "table", "table or json")
	cmd.AddCommand(list)
	return cmd
}
