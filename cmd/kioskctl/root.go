package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"ticketkiosk/hub"
	"ticketkiosk/internal/version"
)

// app is what every command shares: the streams and the global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	dir            string
	logLevel       string
}

// newRoot builds kioskctl's whole command tree, every command added here explicitly (no
// file registers one from an init function).
func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "kioskctl",
		Short: "The organiser's hub: catalogue, config push, journal collection, reports",
		Long: `kioskctl is the organiser's side of the ticket kiosks.

Admins keep outlets, events, users and devices in the hub directory (--dir, or the
environment variable KIOSKCTL_DIR), push each device's signed configuration over MQTT,
run the hub service that collects every device's journal (serve), and ask for reports,
ticket checks and device status.`,
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&a.dir, "dir", "", "hub directory (default $KIOSKCTL_DIR)")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.AddCommand(
		a.initCmd(),
		a.outletCmd(),
		a.eventCmd(),
		a.linkCmd(),
		a.userCmd(),
		a.deviceCmd(),
		a.pushCmd(),
		a.serveCmd(),
		a.reportCmd(),
		a.allotmentsCmd(),
		a.grantCmd(),
		a.statusCmd(),
		a.alarmsCmd(),
		a.verifyCmd(),
		a.checkinCmd(),
		a.auditCmd(),
		a.brokerCmd(),
		a.escposCmd(),
		a.resendCmd(),
		a.mailCmd(),
		a.demoCmd(),
		a.ticketURLCmd(),
		a.manCmd(),
	)
	a.addCorrections(root)
	refuseUnknown(root)
	return root
}

// refuseUnknown makes every command group under root (a command with subcommands and
// nothing of its own to run) refuse an argument that names none of its subcommands: cobra
// would print the group's help and exit 0, so a script's mistyped or missing subcommand
// (event remove, user enable) would look done. A group given nothing prints its help.
func refuseUnknown(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.HasSubCommands() {
			refuseUnknown(c)
			if !c.Runnable() {
				c.Args = func(cmd *cobra.Command, args []string) error {
					if len(args) > 0 {
						return fmt.Errorf("unknown command %q for %q (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())
					}
					return nil
				}
				c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			}
		}
	}
}

func (a *app) logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(a.logLevel)); err != nil {
		lvl = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lvl}))
}

// needDir settles the hub directory: --dir, else $KIOSKCTL_DIR (read here, not as the
// flag's default, so that help prints the default once and as the variable's name).
func (a *app) needDir() error {
	if a.dir == "" {
		a.dir = os.Getenv("KIOSKCTL_DIR")
	}
	if a.dir == "" {
		return errors.New("no hub directory: give --dir or set KIOSKCTL_DIR")
	}
	return nil
}

// exactArgs accepts exactly the arguments named (as the command's usage names them) and
// names the stray one: a value with spaces given unquoted (--type std:Standard Ticket:10)
// arrives as one argument too many.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		what := "argument"
		if len(names) != 1 {
			what = "arguments"
		}
		path := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
		msg := fmt.Sprintf("%s takes %d %s (%s), got %d", path, len(names), what, strings.Join(names, " "), len(args))
		if len(args) > len(names) {
			msg += fmt.Sprintf(": %q is one too many (quote a value that holds spaces)", args[len(names)])
		}
		return errors.New(msg)
	}
}

// open opens the hub in --dir.
func (a *app) open() (*hub.Hub, error) {
	if err := a.needDir(); err != nil {
		return nil, err
	}
	return hub.Open(a.dir, hub.Options{Logger: a.logger()})
}

// withHub returns a command's RunE that opens the hub in --dir and hands it to run.
func (a *app) withHub(run func(cmd *cobra.Command, h *hub.Hub, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		h, err := a.open()
		if err != nil {
			return err
		}
		return run(cmd, h, args)
	}
}

// query opens the hub in --dir and its query side (the running serve's API, or the
// ledger); the caller closes the Query.
func (a *app) query() (*hub.Hub, hub.Query, error) {
	h, err := a.open()
	if err != nil {
		return nil, nil, err
	}
	q, err := h.Query()
	if err != nil {
		return nil, nil, err
	}
	return h, q, nil
}

// readPassword reads a password from standard input: without echo from a terminal,
// otherwise the first line of the stream.
func (a *app) readPassword(prompt string) (string, error) {
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("read password: standard input is empty (give the password on stdin)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (a *app) initCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the hub key and the central store in --dir",
		Long: `init creates the hub's Ed25519 key (hub.key, mode 0600) and its central store
(hub.db) in the hub directory, with the query API's token (api.token, 0600) that the
commands asking a running serve send, and prints the hub's public key for the [hub] section of
every kioskd.toml. It refuses a directory that already holds a hub key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.needDir(); err != nil {
				return err
			}
			pub, err := hub.Init(a.dir, hub.Options{Logger: a.logger()})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "hub created in %s\npublic key: %s\n", a.dir, encodeKey(pub))
			return nil
		},
	}
}
