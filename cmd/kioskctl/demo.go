package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"ticketkiosk/internal/demo"
)

func (a *app) demoCmd() *cobra.Command {
	var out string
	var email bool
	cmd := &cobra.Command{
		Use:   "demo [--out DIR] [--email]",
		Short: "Run broker, hub, a demo catalogue and one kiosk in this terminal",
		Long: `demo runs the whole product on this machine: an embedded MQTT broker, a hub with a
demo catalogue (an outlet in Sofia, two events, a supervisor and a cashier whose codes and
passwords it prints), and one kiosk whose keypad and display are this terminal and whose
printer writes each job as .escpos with .png and .txt renderings into DIR/tickets.

The hub writes the emails of the demo's email outlet as .eml files into DIR/mail (no relay;
serve --mail-dir does the same). With --email the kiosk is at that outlet: a sale asks for
the buyer's email address, and the tickets arrive in DIR/mail instead of on paper.
kioskctl --dir DIR/hub mail list shows the outbox.

DIR (--out, default demo-output) must be new or empty, or hold a previous demo's output:
that one is not deleted but renamed to DIR-YYYYMMDD-HHMMSS (the time of its demo.log), and
the demo says so. A folder holding anything else is refused.

With piped input the same flow runs from the pipe and the demo ends at the end of input:
  printf '2002\n222222\n...' | kioskctl demo`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return demo.Run(ctx, demo.Options{Dir: out, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: a.stderr, Email: email})
		},
	}
	cmd.Flags().StringVar(&out, "out", "demo-output", "folder of the demo's hub, kiosk, tickets, mail and log")
	cmd.Flags().BoolVar(&email, "email", false, "the kiosk sells at the demo's email outlet: tickets go to DIR/mail as .eml files")
	return cmd
}
