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
	cmd := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Run broker, hub, a demo catalogue and one kiosk in this terminal",
		Long: `demo runs the whole product on this machine: an embedded MQTT broker, a hub with a
demo catalogue (an outlet in Sofia, two events, a supervisor and a cashier whose codes and
passwords it prints), and one kiosk whose keypad and display are this terminal and whose
printer writes each job as .escpos with .png and .txt renderings into DIR/tickets.

DIR (--out, default demo-output) must be new or empty, or hold a previous demo's output:
that one is not deleted but renamed to DIR-YYYYMMDD-HHMMSS (the time of its demo.log), and
the demo says so. A folder holding anything else is refused.

With piped input the same flow runs from the pipe and the demo ends at the end of input:
  printf '2002\n222222\n...' | kioskctl demo`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return demo.Run(ctx, demo.Options{Dir: out, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: a.stderr})
		},
	}
	cmd.Flags().StringVar(&out, "out", "demo-output", "folder of the demo's hub, kiosk, tickets and log")
	return cmd
}
