package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"ticketkiosk/hub"
)

// ticketURLCmd shows or sets the ticket URL that QR codes carry before the code.
func (a *app) ticketURLCmd() *cobra.Command {
	var clear bool
	cmd := &cobra.Command{
		Use:   "ticket-url [URL] [--clear]",
		Short: "Show or set the URL that tickets' QR codes carry before the code",
		Long: `ticket-url shows the ticket URL, or sets it: QR codes on tickets and in emails then carry
URL + code, so a phone's camera opens the ticket page while a gate scanner still finds the
signed code at the end. Write the URL in capitals (HTTPS://T.EXAMPLE.ORG/T/) so that the QR code
stays in its compact alphanumeric mode. Setting it raises every device's config version;
push to send it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: a.withHub(func(_ *cobra.Command, h *hub.Hub, args []string) error {
			switch {
			case clear && len(args) > 0:
				return fmt.Errorf("give a URL or --clear, not both")
			case clear:
				return h.SetSetting(hub.SettingTicketURL, "")
			case len(args) == 0:
				v, err := h.Setting(hub.SettingTicketURL)
				if err != nil {
					return err
				}
				if v == "" {
					v = "(none: QR codes carry the bare code)"
				}
				fmt.Fprintln(a.stdout, v)
				return nil
			}
			u, err := url.Parse(args[0])
			scheme := ""
			if err == nil {
				scheme = strings.ToLower(u.Scheme)
			}
			if err != nil || (scheme != "https" && scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("%q is not an http(s) URL without query or fragment", args[0])
			}
			if args[0] != strings.ToUpper(args[0]) {
				fmt.Fprintln(a.stderr, "note: a URL with lower-case letters makes QR codes larger (byte mode); write it in capitals")
			}
			return h.SetSetting(hub.SettingTicketURL, args[0])
		}),
	}
	cmd.Flags().BoolVar(&clear, "clear", false, "remove the ticket URL")
	return cmd
}
