package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"ticketkiosk/hub"
	"ticketkiosk/hub/mail"
	"ticketkiosk/internal/version"
	"ticketkiosk/mqtt"
)

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }

// brokerFlags are the MQTT connection flags of push, serve and status.
type brokerFlags struct {
	o        mqtt.Options
	insecure bool
}

func (b *brokerFlags) add(f *pflag.FlagSet) {
	f.StringVar(&b.o.URL, "broker", "", "broker URL: ssl://host:8883, wss://..., or tcp:// (default $KIOSKCTL_BROKER)")
	f.StringVar(&b.o.Username, "username", "", "broker username")
	f.StringVar(&b.o.PasswordFile, "password-file", "", "file whose first line is the broker password")
	f.StringVar(&b.o.CAFile, "ca-file", "", "PEM CAs of the broker's certificate")
	f.StringVar(&b.o.CertFile, "cert-file", "", "client certificate (PEM)")
	f.StringVar(&b.o.KeyFile, "key-file", "", "client key (PEM)")
	f.StringVar(&b.o.Prefix, "prefix", "", "topic prefix (default tickets/v1)")
	f.BoolVar(&b.insecure, "insecure", false, "allow tcp:// and ws:// to a broker that is not on loopback")
}

// options returns the connection options. A plain tcp:// or ws:// URL is allowed to a
// loopback broker (kioskctl broker) and elsewhere only with --insecure.
func (b *brokerFlags) options() (mqtt.Options, error) {
	o := b.o
	if o.URL == "" {
		o.URL = os.Getenv("KIOSKCTL_BROKER")
	}
	if o.URL == "" {
		return o, errors.New("no broker: give --broker URL or set KIOSKCTL_BROKER")
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return o, fmt.Errorf("--broker %q is not a URL such as ssl://broker:8883", o.URL)
	}
	ip := net.ParseIP(u.Hostname())
	o.AllowInsecure = b.insecure || u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
	return o, nil
}

func (a *app) pushCmd() *cobra.Command {
	var bf brokerFlags
	var outlet string
	var all bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "push [--outlet O] [--all] --broker URL [--timeout 30s]",
		Short: "Sign and publish the configs of changed devices; report who applied them",
		Long: `push signs the config of every device whose config version changed since its last
push (--all: every device) of every outlet or of --outlet, and publishes each retained on
the device's config topic. It then follows the devices' state topics and reports, within
--timeout, which device applied which version, and which refused it and why. A device
that is offline applies its config when it connects (the config stays retained).

While serve runs, push asks it (its query API, with api.token) to sign and publish over its
own MQTT connection: the broker knows the hub by one name, and a second connection under
it would disconnect serve. Only when no serve answers does push connect itself (--broker).

Exit status 0 when every device applied its config, 1 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			h, err := a.open()
			if err != nil {
				return err
			}
			sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, served, perr := h.PushThroughServe(sig, outlet, all, timeout)
			if !served {
				res, perr = a.pushOwn(sig, h, bf, outlet, all, timeout)
			}
			if res == nil && perr == nil {
				fmt.Fprintln(a.stdout, "nothing to push: every device has its current config (use --all to push again)")
				return nil
			}
			if res == nil {
				return perr
			}
			w := a.table()
			fmt.Fprintln(w, "DEVICE\tVERSION\tPUBLISHED\tONLINE\tAPPLIED\tRESULT")
			ok := 0
			for _, p := range res {
				result := "waiting (offline or no answer yet)"
				switch {
				case p.Refused():
					result = "REFUSED: " + p.ConfigError
				case p.Applied >= p.Version:
					result = "applied"
					ok++
				case !p.Published:
					result = "not published"
				}
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%d\t%s\n", p.Device, p.Version, yesNo(p.Published), yesNo(p.Online), p.Applied, result)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d of %d devices applied their config\n", ok, len(res))
			if ok < len(res) {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	bf.add(cmd.Flags())
	cmd.Flags().StringVar(&outlet, "outlet", "", "only this outlet's devices")
	cmd.Flags().BoolVar(&all, "all", false, "push every device's config, changed or not")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the devices to answer")
	return cmd
}

// pushOwn is push when no serve runs: signed here and published on a connection of its
// own (with serve running that connection would take serve's name at the broker).
func (a *app) pushOwn(sig context.Context, h *hub.Hub, bf brokerFlags, outlet string, all bool, timeout time.Duration) ([]mqtt.Pushed, error) {
	conn, err := bf.options()
	if err != nil {
		return nil, err
	}
	signed, err := h.SignConfigs(outlet, !all)
	if err != nil || len(signed) == 0 {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(sig, timeout)
	defer cancel()
	published, applied := 0, 0
	seen := map[string]mqtt.Pushed{}
	prog := newProgress(a.stderr)
	defer prog.done()
	return h.PushSigned(ctx, mqtt.PushOptions{Conn: conn, Logger: a.logger(), Progress: func(p mqtt.Pushed) {
		old := seen[p.Device]
		seen[p.Device] = p
		if p.Published && !old.Published {
			published++
		}
		if p.Applied >= p.Version && old.Applied < p.Version {
			applied++
		}
		prog.update(fmt.Sprintf("pushed %d/%d, published %d, applied %d", len(seen), len(signed), published, applied))
	}}, signed)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (a *app) serveCmd() *cobra.Command {
	var bf brokerFlags
	var smtpHost, smtpUser, smtpPwFile, smtpFrom, smtpCA, mailDir, httpAddr, apiCert, apiKey string
	var smtpPort int
	var autoPush bool
	var mailHorizon time.Duration
	cmd := &cobra.Command{
		Use:   "serve --broker URL [--smtp-host H --smtp-from ADDR ... | --mail-dir DIR]",
		Short: "Run the hub service: collect journals, acknowledge, email tickets",
		Long: `serve runs until SIGINT or SIGTERM. It collects every device's journal into the
hub's ledger (ledger.db) and acknowledges what it stored; users created on devices enter
the catalogue (and, with --auto-push, the outlet's devices get new configs); voids mark
tickets void; chain breaks and gaps are alarms (see status); sales of email outlets are
emailed to the buyer through the SMTP relay (STARTTLS and AUTH PLAIN) with retries.
report, verify and status keep working while serve runs: they ask its loopback API,
with the token of api.token in the hub directory (0600, made by init, or by the first
serve of a hub made before; a request without it is refused). --http on an address that is not loopback is refused
unless --api-cert and --api-key serve the API over TLS (for gate scanners, which send the
same token); its verify and check-in answers leave the buyer's email out.

--mail-dir DIR is for trying email outlets without a relay: each email is written to DIR
as an .eml file (named after its Message-ID, e.g. sale-k1-3-0.eml; any mail client opens
it) instead of being sent, through the same outbox. kioskctl mail list shows the outbox.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			conn, err := bf.options()
			if err != nil {
				return err
			}
			h, err := a.open()
			if err != nil {
				return err
			}
			o := hub.ServeOptions{Conn: conn, Software: "kioskctl " + version.Version, HTTP: httpAddr, APICert: apiCert, APIKey: apiKey, AutoPush: autoPush, MailHorizon: mailHorizon}
			o.Mail, o.MailFrom, err = mailSender(mailDir, mail.SMTP{Host: smtpHost, Port: smtpPort, Username: smtpUser, From: smtpFrom}, smtpPwFile, smtpCA)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return hub.NewServer(h, o).Run(ctx)
		},
	}
	bf.add(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&smtpHost, "smtp-host", "", "SMTP relay host (no email delivery without it or --mail-dir)")
	f.IntVar(&smtpPort, "smtp-port", 587, "SMTP relay port (STARTTLS)")
	f.StringVar(&smtpUser, "smtp-user", "", "SMTP username (AUTH PLAIN)")
	f.StringVar(&smtpPwFile, "smtp-password-file", "", "file whose first line is the SMTP password")
	f.StringVar(&smtpFrom, "smtp-from", "", "sender address of ticket emails (with --mail-dir: default tickets@localhost)")
	f.StringVar(&mailDir, "mail-dir", "", "write each email as an .eml file into this folder instead of sending it (development; no relay)")
	f.DurationVar(&mailHorizon, "mail-retry-horizon", hub.DefaultMailHorizon, "how long an email the relay refuses is retried (back-off capped at 1h) before it is failed")
	f.StringVar(&smtpCA, "smtp-ca-file", "", "PEM CAs of the relay's certificate (default: the system's)")
	f.StringVar(&httpAddr, "http", "127.0.0.1:0", "address of the query API used by report, verify and status (loopback unless --api-cert)")
	f.StringVar(&apiCert, "api-cert", "", "PEM certificate of the query API over TLS (with --api-key)")
	f.StringVar(&apiKey, "api-key", "", "PEM key of the query API over TLS")
	f.BoolVar(&autoPush, "auto-push", true, "push changed configs when users are created or disabled on devices, and top up the grants of online devices that run low")
	return cmd
}

// mailSender returns how serve delivers emails and their sender address: into the .eml
// folder dir (development; From defaults to tickets@localhost), through the relay s (its
// password the first line of pwFile, its CAs in caFile), or not at all (nil).
func mailSender(dir string, s mail.SMTP, pwFile, caFile string) (mail.Sender, string, error) {
	switch {
	case dir != "" && s.Host != "":
		return nil, "", errors.New("--mail-dir and --smtp-host: give one (a folder for development, or the relay)")
	case dir != "":
		if s.From == "" {
			s.From = "tickets@localhost"
		}
		return mail.Dir{Path: dir}, s.From, nil
	case s.Host == "":
		return nil, "", nil
	case s.From == "":
		return nil, "", errors.New("--smtp-from is required with --smtp-host")
	}
	if pwFile != "" {
		b, err := os.ReadFile(pwFile)
		if err != nil {
			return nil, "", fmt.Errorf("--smtp-password-file: %w", err)
		}
		s.Password = strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r")
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, "", fmt.Errorf("--smtp-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, "", fmt.Errorf("--smtp-ca-file %s: no PEM certificate in it", caFile)
		}
		s.TLS = &tls.Config{RootCAs: pool, ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	return s, s.From, nil
}

func (a *app) statusCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status [--format table|json]",
		Short: "Every device: online, last seen, config version, printer, unsynced entries",
		Long: `status shows every device of the catalogue with what it last reported (online or
offline, when the hub last heard from it, the config version it applied against the
catalogue's, its printer, the journal entries it has not had acknowledged and the age of
the oldest), the seq the hub stored, journal alarms, and the email outbox's problems.
CONFIG is the version the device applied / the catalogue's latest version for it, and
the device's reason when it refused a config (cut in the table; whole with --format json).
A device of an email outlet without a printer has printer "none (email outlet)".

While serve runs, status is current (asked through serve's API). When serve is not running,
status says so and how old the device states are (serve saves them as they come and when
it stops); STATUS then reads "was online": the device was online when serve last heard.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			h, st, err := a.status()
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a.stdout, st)
			}
			if format != "table" {
				return fmt.Errorf("--format %q is neither table nor json", format)
			}
			now := h.Now()
			switch {
			case st.ServeRunning:
			case st.AsOf.IsZero():
				fmt.Fprintln(a.stdout, "serve is not running, and has saved no device states.")
			default:
				fmt.Fprintf(a.stdout, "serve is not running: device states are as serve last saved them, %s ago (%s). STATUS is as it was then; LAST SEEN is when the hub last heard from each device.\n",
					now.Sub(st.AsOf).Round(time.Millisecond), st.AsOf.UTC().Format(time.RFC3339))
			}
			cut := false
			w := a.table()
			fmt.Fprintln(w, "DEVICE\tOUTLET\tSTATUS\tLAST SEEN\tCONFIG\tPRINTER\tUNSYNCED\tOLDEST\tHUB SEQ\tALARMS")
			for _, d := range st.Devices {
				seen := "-"
				if !d.Seen.IsZero() {
					seen = now.Sub(d.Seen).Truncate(time.Second).String() + " ago"
				}
				cfg := fmt.Sprintf("%d/%d", d.Applied, d.Version)
				if d.ConfigError != "" {
					reason, short := shorten(d.ConfigError, maxReason)
					cfg += " refused: " + reason
					cut = cut || short
				}
				status := d.Status
				if !st.ServeRunning && status != "never" {
					status = "was " + status
				}
				if d.Revoked {
					status = "revoked, " + status
				}
				printer := d.Printer
				if printer == "" {
					printer = "-"
				}
				oldest := "-"
				if d.Unsynced > 0 {
					oldest = (time.Duration(d.OldestAge) * time.Second).String()
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%d\n", d.Device, d.Outlet, status, seen, cfg, printer, d.Unsynced, oldest, d.HubSeq, d.Alarms)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if cut {
				fmt.Fprintln(a.stdout, "refusals are cut; kioskctl status --format json shows them whole")
			}
			ms := st.Mail
			// Emails are counted once each; the relay's answers apart (a resent email that
			// went out twice is one email, two sendings).
			fmt.Fprintf(a.stdout, "email: %s (%d sent, %d pending, %d failed, %d cancelled, %d resent); relay: %s accepted, %s refused\n",
				plural(ms.Sent+ms.Pending+ms.Failed+ms.Cancelled, "email", "emails"), ms.Sent, ms.Pending, ms.Failed, ms.Cancelled, ms.Resent,
				plural(ms.Deliveries, "sending", "sendings"), plural(ms.FailedAttempts, "attempt", "attempts"))
			for _, m := range st.Mail.Problems {
				fmt.Fprintf(a.stdout, "email %s:%d to %s %s after %d attempts: %s\n", m.Device, m.Seq, m.To, m.State, m.Attempts, m.LastError)
			}
			for _, al := range st.Alarms {
				fmt.Fprintf(a.stdout, "ALARM %s\n", al)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

// maxReason is how many characters of a refusal's reason a table shows.
const maxReason = 40

// shorten cuts s to n characters, the last an ellipsis, and says whether it did.
func shorten(s string, n int) (string, bool) {
	r := []rune(s)
	if len(r) <= n {
		return s, false
	}
	return string(r[:n-1]) + "…", true
}

func writeJSON(w io.Writer, v any) error {
	enc := jsonEncoder(w)
	return enc.Encode(v)
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc
}
