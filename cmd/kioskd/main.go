// Command kioskd is the ticket kiosk daemon for a Raspberry Pi at an outlet.
//
//	kioskd [--config FILE] [run]   the daemon (default command)
//	kioskd [--config FILE] init    create the device key, print the device id and public key
//	kioskd [--config FILE] check   validate config, open hardware, print what was found
//	kioskd version
//
// Flags may stand before the command or after it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // outlets' time zones work on a Pi without tzdata

	"github.com/coreos/go-systemd/v22/daemon"

	"ticketkiosk/internal/appliance"
	"ticketkiosk/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: kioskd [--config FILE] [run|init|check|version|help]

  run      run the kiosk (the default)
  init     create the device key in the state directory; print the device id and public key
  check    validate the configuration, open the hardware, print what was found; exit 1 on a fault
           (--test-ticket: also print a QR test ticket, for a printer whose model is not known)
           (a device waiting for its first config from the hub is not a fault)
  version  print the version`)
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := ""
	fs := flag.NewFlagSet("kioskd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", appliance.DefaultConfigPath, "configuration file")
	testTicket := fs.Bool("test-ticket", false, "check: print a QR test ticket (the printer's QR command, then the same QR as an image) and say how to read it")
	fs.Usage = func() { usage(stderr); fs.PrintDefaults() }
	// Flags may stand before the subcommand and after it: parse up to the first word, take
	// it as the command, parse the rest.
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		if cmd != "" {
			fmt.Fprintf(stderr, "kioskd %s: unexpected argument %q\n", cmd, fs.Arg(0))
			return 2
		}
		cmd, args = fs.Arg(0), fs.Args()[1:]
	}
	if cmd == "" {
		cmd = "run"
	}
	if *testTicket && cmd != "check" {
		fmt.Fprintf(stderr, "kioskd %s: --test-ticket is a flag of kioskd check\n", cmd)
		return 2
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "kioskd", version.Version)
		return 0
	case "init", "check", "run":
	case "help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "kioskd: unknown command %q\n", cmd)
		usage(stderr)
		return 2
	}
	cfg, err := appliance.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "kioskd:", err)
		return 1
	}
	log := newLogger(stderr, cfg.LogLevel)
	switch cmd {
	case "init":
		return doInit(cfg, stdout, stderr)
	case "check":
		return doCheck(cfg, stdout, log, *testTicket)
	}
	return doRun(cfg, log)
}

// newLogger logs for journald: no time (journald adds it), level and message first.
func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: lv,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey && os.Getenv("JOURNAL_STREAM") != "" {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func doInit(cfg *appliance.Config, stdout, stderr io.Writer) int {
	key, created, err := appliance.InitKey(cfg.StateDir)
	if err != nil {
		fmt.Fprintln(stderr, "kioskd init:", err)
		return 1
	}
	if !created {
		fmt.Fprintln(stderr, "kioskd init: the device key exists already; showing it")
	}
	fmt.Fprintf(stdout, "device_id  %s\npublic_key %s\n\nRegister it at the hub:\n  kioskctl device add %s --outlet OUTLET --key %s\n",
		cfg.DeviceID, appliance.PublicKeyString(key), cfg.DeviceID, appliance.PublicKeyString(key))
	return 0
}

func doRun(cfg *appliance.Config, log *slog.Logger) int {
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hw := openHardware(cfg, log)
	defer hw.halt()
	if hw.err != nil {
		log.Error("hardware", "err", hw.err)
		return 1
	}
	watchdog, watchdogEvery := watchdogPinger()
	d, err := appliance.Open(cfg, hw.parts, appliance.Options{
		Logger:      log,
		ClockSynced: clockSynced,
		Ready: func() {
			daemon.SdNotify(false, daemon.SdNotifyReady)
		},
		Watchdog:      watchdog,
		WatchdogEvery: watchdogEvery,
		Status:        func(s string) { daemon.SdNotify(false, "STATUS="+s) },
		DrainOnExit:   3 * time.Second,
	})
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	defer d.Close()
	err = d.Run(ctx)
	daemon.SdNotify(false, daemon.SdNotifyStopping)
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error("stopped", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// watchdogPinger returns the ping that tells systemd kioskd is healthy and how often to
// send it (half the service's WatchdogSec), or nil when systemd has no watchdog for it.
func watchdogPinger() (func(), time.Duration) {
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil || every <= 0 {
		return nil, 0
	}
	return func() { daemon.SdNotify(false, daemon.SdNotifyWatchdog) }, every / 2
}

// clockSynced reports whether the kernel's clock is synchronised (adjtimex says so once
// NTP or systemd-timesyncd has set it).
func clockSynced() bool {
	var tx syscall.Timex
	state, err := syscall.Adjtimex(&tx)
	return err == nil && state != 5 /* TIME_ERROR */ && tx.Status&0x40 /* STA_UNSYNC */ == 0
}
