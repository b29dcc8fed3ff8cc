package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"

	"ticketkiosk/device"
	"ticketkiosk/device/hd44780"
	"ticketkiosk/device/input"
	"ticketkiosk/device/matrix"
	"ticketkiosk/device/printer"
	"ticketkiosk/device/term"
	"ticketkiosk/internal/appliance"
	"ticketkiosk/mqtt"
)

// hardware is what openHardware found.
type hardware struct {
	parts   appliance.Parts
	err     error // a fault that stops the kiosk (no keypad)
	display error // the display failed: the kiosk carries on without it
	closers []func() error
}

func (h *hardware) halt() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
}

// openHardware opens the keypad, display and printer as configured. Only the keypad is
// required; a display that fails is logged, and a printer that fails leaves the kiosk in a
// clear "printer offline" state.
func openHardware(cfg *appliance.Config, log *slog.Logger) *hardware {
	h := &hardware{}
	needHost := cfg.Keypad.Kind == "matrix" || cfg.Display.Kind == "hd44780"
	if needHost {
		if _, err := host.Init(); err != nil {
			h.err = fmt.Errorf("periph host: %w", err)
			return h
		}
	}
	tty := term.IsTerminal(os.Stdin.Fd())
	switch cfg.Keypad.Kind {
	case "terminal":
		kp, err := term.NewKeypad(os.Stdin, tty, nil)
		if err != nil {
			h.err = fmt.Errorf("keypad: %w", err)
			return h
		}
		h.parts.Keypad = kp
	case "input":
		grab := cfg.Keypad.Grab == nil || *cfg.Keypad.Grab
		f, err := input.Open(cfg.Keypad.Device, grab)
		if err != nil {
			h.err = fmt.Errorf("keypad %s: %w", cfg.Keypad.Device, err)
			return h
		}
		h.closers = append(h.closers, f.Close)
		kp, err := input.New(f, nil)
		if err != nil {
			h.err = fmt.Errorf("keypad: %w", err)
			return h
		}
		h.parts.Keypad = kp
	case "matrix":
		rows, err := pins(cfg.Keypad.Rows)
		if err == nil {
			var cols []gpio.PinIO
			cols, err = pins(cfg.Keypad.Cols)
			if err == nil {
				var m *matrix.Keypad
				m, err = matrix.New(rows, cols, &matrix.Options{Logger: log})
				h.parts.Keypad = m
			}
		}
		if err != nil {
			h.err = fmt.Errorf("keypad: %w", err)
			return h
		}
		h.parts.MultiTap = true
	}
	h.closers = append(h.closers, h.parts.Keypad.Halt)

	switch cfg.Display.Kind {
	case "terminal":
		d, err := term.NewDisplay(os.Stdout, term.IsTerminal(os.Stdout.Fd()), cfg.Display.Rows, cfg.Display.Cols)
		if err != nil {
			h.display = err
		} else {
			h.parts.Display = d
		}
	case "hd44780":
		rom, _ := hd44780.ParseROM(cfg.Display.ROM)
		bus, err := i2creg.Open(cfg.Display.I2CBus)
		if err == nil {
			h.closers = append(h.closers, bus.Close)
			var d *hd44780.Display
			d, err = hd44780.New(bus, uint16(cfg.Display.Address), &hd44780.Options{Rows: cfg.Display.Rows, Cols: cfg.Display.Cols, ROM: rom})
			if err == nil {
				h.parts.Display = d
				h.closers = append(h.closers, d.Halt)
			}
		}
		h.display = err
	}
	if h.display != nil {
		log.Error("display failed; the kiosk carries on without it", "kind", cfg.Display.Kind, "err", h.display)
	}

	if cfg.Printer.Kind != "none" {
		p, err := openPrinter(cfg, log)
		if err != nil {
			log.Error("printer failed; the kiosk is in printer-offline state", "kind", cfg.Printer.Kind, "err", err)
			h.parts.PrinterErr = err
		} else {
			h.parts.Printer = p
			h.closers = append(h.closers, p.Halt)
		}
	}
	return h
}

func openPrinter(cfg *appliance.Config, log *slog.Logger) (device.Printer, error) {
	prof, err := cfg.PrinterProfile()
	if err != nil {
		return nil, err
	}
	return printer.Open(printer.Config{
		Kind: printer.Kind(cfg.Printer.Kind), Path: cfg.Printer.Path, Address: cfg.Printer.Address,
		Baud: cfg.Printer.Baud, Profile: prof, Logger: log,
	})
}

// orText returns err's text, or ok when err is nil.
func orText(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

func pins(names []string) ([]gpio.PinIO, error) {
	out := make([]gpio.PinIO, 0, len(names))
	for _, n := range names {
		p := gpioreg.ByName(n)
		if p == nil {
			return nil, fmt.Errorf("no GPIO pin %q (names like GPIO17 or 11)", n)
		}
		out = append(out, p)
	}
	return out, nil
}

// doCheck opens everything as kioskd run would and prints what it found; it exits 1 on a
// fault (config, keypad, display, printer not ready, broker unreachable, no device key).
// A device that waits for its first config says so on a "wait" line; that is no fault.
// With testTicket it prints the QR test ticket on a ready printer and says how to read it.
func doCheck(cfg *appliance.Config, stdout interface{ Write([]byte) (int, error) }, log *slog.Logger, testTicket bool) int {
	faults := 0
	line := func(mark, what, format string, args ...any) {
		fmt.Fprintf(stdout, "%-5s %-9s %s\n", mark, what, fmt.Sprintf(format, args...))
	}
	say := func(ok bool, what, format string, args ...any) {
		mark := "ok"
		if !ok {
			mark = "FAULT"
			faults++
		}
		line(mark, what, format, args...)
	}
	say(true, "config", "%s (device %s)", cfg.Path(), cfg.DeviceID)
	if key, err := appliance.LoadKey(cfg.StateDir); err != nil {
		say(false, "key", "%v", err)
	} else {
		say(true, "key", "public key %s", appliance.PublicKeyString(key))
	}
	h := openHardware(cfg, slog.New(slog.DiscardHandler))
	defer h.halt()
	if h.err != nil {
		say(false, "keypad", "%v", h.err)
	} else {
		say(true, "keypad", "%s", h.parts.Keypad.String())
	}
	if h.display != nil {
		say(false, "display", "%v", h.display)
	} else if h.parts.Display != nil {
		say(true, "display", "%s", h.parts.Display.String())
	}
	if cfg.Printer.Kind != "none" {
		prof, _ := cfg.PrinterProfile() // Check has accepted the config
		level, _ := cfg.QRLevel()
		say(true, "model", "%s", prof.Describe())
		if lay, err := cfg.Layout(); err == nil {
			say(lay.QRMode() != "none", "tickets", "code page %s, QR %s, error level %s", lay.CodePage(), lay.QRMode(), level)
			const sample = "„Щурците“ № 1 — 20,00 €, ѝ"
			printed, degraded := lay.Printable(sample)
			if len(degraded) == 0 {
				say(true, "text", "%s prints as written", sample)
			} else {
				say(true, "text", "%s prints as %s: %v", sample, printed, degraded)
			}
		}
		if !appliance.ModelKnown(cfg) && !testTicket {
			line("note", "qr", "no [printer] model of the database: the QR command is the %s profile's guess; kioskd check --test-ticket prints a ticket that shows whether the printer has one", prof.Name)
		}
	}
	switch {
	case cfg.Printer.Kind == "none":
		say(true, "printer", "none configured")
	case h.parts.PrinterErr != nil:
		say(false, "printer", "%v", h.parts.PrinterErr)
	default:
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		st, err := h.parts.Printer.Status(ctx)
		cancel()
		switch {
		case err != nil:
			say(false, "printer", "%s: %v", h.parts.Printer, err)
		case !st.Ready():
			say(false, "printer", "%s: %s", h.parts.Printer, st)
		default:
			say(true, "printer", "%s: %s", h.parts.Printer, st)
			if testTicket {
				job, advice, err := appliance.QRTestTicket(cfg)
				if err == nil {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					err = h.parts.Printer.Print(ctx, job)
					cancel()
				}
				say(err == nil, "qr test", "%s", orText(err, "printed"))
				if err == nil {
					fmt.Fprintln(stdout, advice)
				}
				testTicket = false
			}
		}
	}
	if testTicket {
		say(false, "qr test", "not printed: no ready printer")
	}
	v, storeErr := appliance.StoredConfigVersion(cfg)
	if cfg.MQTT.URL == "" {
		say(true, "broker", "none configured (the kiosk works offline only)")
	} else if errors.Is(storeErr, appliance.ErrStoreBusy) {
		// A login as the device would take over the running kioskd's session.
		line("note", "broker", "%s: not logged in while kioskd runs; its log and idle screen say the broker's answer", cfg.MQTT.URL)
	} else if err := appliance.LoginBroker(cfg, 10*time.Second); err != nil {
		code, detail := mqtt.Reason(err)
		say(false, "broker", "%s: %s; %s", cfg.MQTT.URL, mqtt.FailureWords(code), detail)
	} else {
		who := cfg.MQTT.Username
		if who == "" {
			who = "anonymous"
			if cfg.MQTT.CertFile != "" {
				who = "the client certificate"
			}
		}
		say(true, "broker", "%s: logged in as %s", cfg.MQTT.URL, who)
	}
	switch err := storeErr; {
	case errors.Is(err, appliance.ErrNoStore) || err == nil && v == 0:
		// A new device: a state, not a fault (docs: run check before starting the service).
		line("wait", "store", "waiting for its first config: start kioskd, then run kioskctl push for %s", cfg.DeviceID)
	case err != nil:
		say(errors.Is(err, appliance.ErrStoreBusy), "store", "%v", err)
	default:
		say(true, "store", "config version %d applied", v)
	}
	if faults > 0 {
		fmt.Fprintf(stdout, "%d fault(s)\n", faults)
		return 1
	}
	return 0
}
