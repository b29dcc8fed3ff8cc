// Package demo runs the whole product on one machine with embedded defaults: an embedded
// MQTT broker, a hub with a demo catalogue, and one kiosk whose keypad and display are the
// terminal and whose printer writes tickets (with PNG and text renderings) into a folder.
// The hub writes the emails of its email outlet as .eml files into a folder (mail.Dir)
// where a real hub would send them through a relay.
package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/device/printer"
	"ticketkiosk/device/term"
	"ticketkiosk/hub"
	"ticketkiosk/hub/mail"
	"ticketkiosk/internal/appliance"
	"ticketkiosk/internal/version"
	"ticketkiosk/mqtt"
	"ticketkiosk/mqtt/broker"
)

// Options configure Run.
type Options struct {
	Dir    string    // output folder, new or empty (see PrepareDir); default "demo-output"
	Stdin  *os.File  // the keypad: a terminal or a pipe
	Stdout *os.File  // the display
	Stderr io.Writer // what the demo says about itself
	Now    time.Time // the demo's "now" for event dates; default time.Now()
	// Email puts the kiosk at the demo's email outlet (MailOutletID): the cashier enters
	// the buyer's address and the hub emails the tickets, as .eml files into DIR/mail.
	Email bool
}

// Credentials of the demo users.
const (
	SupervisorEmail = "maria@demo.example"
	SupervisorCode  = "1001"
	SupervisorPass  = "111111"
	CashierEmail    = "ivan@demo.example"
	CashierCode     = "2002"
	CashierPass     = "222222"
	DeviceID        = "demo-k1"
	OutletID        = "sofia-center"
	MailOutletID    = "sofia-mail" // the email outlet
	MailFrom        = "tickets@demo.example"
)

// demoFiles are what a demo writes into its folder.
var demoFiles = map[string]bool{"hub": true, "kiosk": true, "tickets": true, "mail": true, "demo.log": true}

// PrepareDir makes dir ready for a new demo without deleting anything: a folder that does
// not exist or is empty is used as it is; a previous demo's output (only what a demo
// writes: hub, kiosk, tickets, mail, demo.log) is renamed to dir-YYYYMMDD-HHMMSS after its log's
// time, and kept names that new folder; any other folder is refused.
func PrepareDir(dir string) (kept string, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) == 0 {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("demo: --out %s: %w", dir, err)
	}
	isDemo := false
	for _, e := range entries {
		if !demoFiles[e.Name()] {
			return "", fmt.Errorf("demo: --out %s is not empty and is not a demo's output (it holds %s); give a new or empty folder", dir, e.Name())
		}
		isDemo = isDemo || e.Name() == "demo.log"
	}
	if !isDemo {
		return "", fmt.Errorf("demo: --out %s is not empty and is not a demo's output (no demo.log); give a new or empty folder", dir)
	}
	st, err := os.Stat(filepath.Join(dir, "demo.log"))
	if err != nil {
		return "", fmt.Errorf("demo: --out %s: %w", dir, err)
	}
	base := filepath.Clean(dir) + "-" + st.ModTime().Format("20060102-150405")
	kept = base
	for i := 2; ; i++ {
		if _, err := os.Lstat(kept); errors.Is(err, fs.ErrNotExist) {
			break
		}
		kept = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(dir, kept); err != nil {
		return "", fmt.Errorf("demo: keep the previous output: %w", err)
	}
	return kept, nil
}

// Run runs the demo until the input ends or ctx is done.
func Run(ctx context.Context, o Options) error {
	if o.Dir == "" {
		o.Dir = "demo-output"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	kept, err := PrepareDir(o.Dir)
	if err != nil {
		return err
	}
	if kept != "" {
		fmt.Fprintf(o.Stderr, "The previous demo's output is kept in %s.\n", kept)
	}
	hubDir, kioskDir, ticketDir := filepath.Join(o.Dir, "hub"), filepath.Join(o.Dir, "kiosk"), filepath.Join(o.Dir, "tickets")
	mailDir := filepath.Join(o.Dir, "mail")
	for _, d := range []string{hubDir, kioskDir, ticketDir, mailDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	logFile, err := os.Create(filepath.Join(o.Dir, "demo.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// The broker's logins are generated: the hub's and the kiosk's, each password in a file
	// (0600) of its directory, as a real kiosk and hub keep theirs.
	hubPw, err := loginFile(filepath.Join(hubDir, "mqtt-password"))
	if err != nil {
		return err
	}
	kioskPw, err := loginFile(filepath.Join(kioskDir, "mqtt-password"))
	if err != nil {
		return err
	}
	bk, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Logger: log,
		Users: map[string]string{mqtt.ReservedID: hubPw.pass, DeviceID: kioskPw.pass}})
	if err != nil {
		return fmt.Errorf("demo: broker: %w", err)
	}
	defer bk.Close()

	hubKey, err := hub.Init(hubDir, hub.Options{Logger: log})
	if err != nil {
		return err
	}
	h, err := hub.Open(hubDir, hub.Options{Logger: log})
	if err != nil {
		return err
	}
	devKey, _, err := appliance.InitKey(kioskDir)
	if err != nil {
		return err
	}
	outlet := OutletID
	if o.Email {
		outlet = MailOutletID
	}
	if err := Catalogue(h, o.Now, devKey.Public().(ed25519.PublicKey), outlet); err != nil {
		return fmt.Errorf("demo: catalogue: %w", err)
	}

	conn := mqtt.Options{URL: bk.URL(), AllowInsecure: true, Username: mqtt.ReservedID, PasswordFile: hubPw.path}
	sink := mail.Dir{Path: mailDir}
	serveCtx, stopServe := context.WithCancel(context.Background())
	served := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		served <- hub.NewServer(h, hub.ServeOptions{Conn: conn, Software: "kioskctl " + version.Version,
			HTTP: "127.0.0.1:0", AutoPush: true, Mail: sink, MailFrom: MailFrom,
			Ready: func(string) { close(ready) }}).Run(serveCtx)
	}()
	stopped := false
	stopHub := func() {
		if !stopped {
			stopServe()
			<-served
			stopped = true
		}
	}
	defer stopHub()
	select {
	case <-ready:
	case err := <-served:
		return fmt.Errorf("demo: hub: %w", err)
	case <-time.After(15 * time.Second):
		return errors.New("demo: the hub did not start")
	}
	signed, err := h.SignConfigs("", true)
	if err != nil {
		return err
	}
	go func() {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := h.PushSigned(pctx, mqtt.PushOptions{Conn: conn, Logger: log}, signed); err != nil {
			log.Warn("push", "err", err)
		}
	}()

	cfg := appliance.Defaults()
	cfg.DeviceID = DeviceID
	cfg.StateDir = kioskDir
	cfg.MQTT = appliance.MQTTConfig{URL: bk.URL(), AllowInsecure: true, Prefix: mqtt.DefaultPrefix,
		Username: DeviceID, PasswordFile: kioskPw.path}
	cfg.Hub.PublicKey = fmt.Sprintf("%x", []byte(hubKey))
	cfg.Printer = appliance.PrinterConfig{Kind: "file", Path: ticketDir, PaperMM: 80, Profile: "epson"}
	cfg.Keypad.Kind = "terminal"
	cfg.Display = appliance.DisplayConfig{Kind: "terminal", Rows: 4, Cols: 20}
	if err := cfg.Check(); err != nil {
		return err
	}
	prof, _ := cfg.PrinterProfile()
	// Ticket files are named after the sale number the cashier sees (sale-0001.png).
	prn, err := printer.Open(printer.Config{Kind: printer.KindFile, Path: ticketDir, Profile: prof, NamedJobs: true, Logger: log})
	if err != nil {
		return err
	}
	tty := term.IsTerminal(o.Stdin.Fd())
	sells := "tickets printed to files"
	if o.Email {
		sells = "tickets emailed to the buyer"
	}
	fmt.Fprintf(o.Stderr, `Ticket kiosk demo
  outlet      %s (Sofia), two events, %s
  supervisor  code %s  password %s   (%s)
  cashier     code %s  password %s   (%s)
  tickets     %s  (.escpos, with .png and .txt renderings)
  emails      %s  (.eml files, one per email sale; kioskctl --dir %s mail list)
  logs        %s
Keys: digits and letters; Enter = OK, Esc = Cancel, Backspace, arrows = Up/Down.%s

`, outlet, sells, SupervisorCode, SupervisorPass, SupervisorEmail, CashierCode, CashierPass, CashierEmail,
		ticketDir, mailDir, hubDir, logFile.Name(), map[bool]string{true: " Ctrl-C quits.", false: ""}[tty])
	keypad, err := term.NewKeypad(o.Stdin, tty, nil)
	if err != nil {
		return err
	}
	defer keypad.Halt()
	display, err := term.NewDisplay(o.Stdout, tty && term.IsTerminal(o.Stdout.Fd()), cfg.Display.Rows, cfg.Display.Cols)
	if err != nil {
		return err
	}
	k, err := appliance.Open(&cfg, appliance.Parts{Keypad: keypad, Display: display, Printer: prn},
		appliance.Options{Logger: log, WaitConfig: 20 * time.Second, DrainOnExit: 10 * time.Second, StatusEvery: time.Second})
	if err != nil {
		return err
	}
	runErr := k.Run(ctx)
	bl, _ := k.Store().Unsynced()
	last := k.Store().LastSeq()
	k.Close()
	// The hub collects what it stored as it stops; the emails it queued then go out here.
	stopHub()
	if _, _, err := (&hub.Mailer{Hub: h, Sender: sink, From: MailFrom}).SendDue(); err != nil {
		log.Warn("outbox", "err", err)
	}
	files, _ := filepath.Glob(filepath.Join(ticketDir, "*.png"))
	sort.Strings(files)
	fmt.Fprintf(o.Stderr, "\nDemo ended: %d journal entries, %d not yet at the hub; %d printouts in %s\n", last, bl.Entries, len(files), ticketDir)
	for _, f := range files {
		fmt.Fprintf(o.Stderr, "  %s\n", strings.TrimSuffix(f, ".png")+".{escpos,png,txt}")
	}
	if emls, _ := filepath.Glob(filepath.Join(mailDir, "*.eml")); o.Email || len(emls) > 0 {
		sort.Strings(emls)
		fmt.Fprintf(o.Stderr, "%d emails in %s\n", len(emls), mailDir)
		for _, f := range emls {
			fmt.Fprintf(o.Stderr, "  %s\n", f)
		}
	}
	return runErr
}

// Catalogue fills a hub with the demo's outlets (a bookshop that prints, an email outlet),
// events, users and device, which it puts at the outlet named.
func Catalogue(h *hub.Hub, now time.Time, devicePub ed25519.PublicKey, outlet string) error {
	sofia, _ := time.LoadLocation("Europe/Sofia")
	day := func(days, hour int) time.Time {
		d := now.In(sofia).AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, sofia)
	}
	if err := h.SaveOutlet(catalog.Outlet{ID: OutletID, Name: "Книжарница Славейков", Delivery: catalog.DeliveryPrint,
		Locale: catalog.LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"}, true); err != nil {
		return err
	}
	if err := h.SaveOutlet(catalog.Outlet{ID: MailOutletID, Name: "Билети по имейл", Delivery: catalog.DeliveryEmail,
		Locale: catalog.LocaleBG, Currency: "EUR", TimeZone: "Europe/Sofia"}, true); err != nil {
		return err
	}
	events := []catalog.Event{
		{ID: "jazz", Title: "Зимен джаз концерт", Venue: "Зала България", Start: day(30, 20), SaleFrom: day(-30, 9),
			Types: []catalog.TicketType{{ID: "std", Name: "Стандартен", Price: 2500}, {ID: "student", Name: "Студентски", Price: 1500}, {ID: "vip", Name: "VIP ложа", Price: 6000}}},
		{ID: "tale", Title: "Коледна приказка", Venue: "Народен театър", Start: day(20, 11), SaleFrom: day(-30, 9),
			Types: []catalog.TicketType{{ID: "adult", Name: "Възрастен", Price: 1800}, {ID: "child", Name: "Детски", Price: 900}, {ID: "family", Name: "Семеен (2+2)", Price: 4000}}},
	}
	for _, e := range events {
		if err := h.SaveEvent(e, true); err != nil {
			return err
		}
	}
	if err := h.SaveLink(catalog.Link{Outlet: OutletID, Event: "jazz", Allot: map[string]int64{"vip": 20, "std": 200, "student": 100}}); err != nil {
		return err
	}
	for _, o := range []string{OutletID, MailOutletID} {
		if err := h.SaveLink(catalog.Link{Outlet: o, Event: "tale"}); err != nil {
			return err
		}
	}
	if err := h.SaveLink(catalog.Link{Outlet: MailOutletID, Event: "jazz"}); err != nil {
		return err
	}
	for _, u := range []struct {
		email, code, pass string
		role              catalog.Role
		by                string
	}{
		{SupervisorEmail, SupervisorCode, SupervisorPass, catalog.RoleSupervisor, ""},
		{CashierEmail, CashierCode, CashierPass, catalog.RoleCashier, SupervisorEmail},
	} {
		hash, err := catalog.HashPassword(u.pass)
		if err != nil {
			return err
		}
		if err := h.AddUser(catalog.User{Email: u.email, Code: u.code, Role: u.role, Outlet: outlet, PasswordHash: hash, CreatedBy: u.by}); err != nil {
			return err
		}
	}
	return h.AddDevice(catalog.Device{ID: DeviceID, Outlet: outlet, PublicKey: devicePub})
}

// login is a generated broker password and the file that holds it.
type login struct{ path, pass string }

// loginFile generates a broker password and writes it to path (0600; made absolute, as
// kioskd's configuration wants it).
func loginFile(path string) (login, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return login{}, err
	}
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return login{}, err
	}
	l := login{path: path, pass: base64.RawURLEncoding.EncodeToString(b)}
	if err := os.WriteFile(path, []byte(l.pass+"\n"), 0o600); err != nil {
		return login{}, fmt.Errorf("demo: broker login: %w", err)
	}
	return l, nil
}
