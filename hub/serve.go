package hub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"ticketkiosk/hub/mail"
	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/mqtt"
)

// AddrFile in the hub directory holds the address of the running serve's local query API,
// which report, verify and status use while serve holds the ledger.
const AddrFile = "serve.addr"

// ServeOptions configure a Server.
type ServeOptions struct {
	Conn     mqtt.Options
	Software string
	// Mail delivers the outbox's emails: a mail.SMTP relay, or a mail.Dir that writes them
	// as .eml files (development); nil: emails stay queued in the outbox.
	Mail mail.Sender
	// MailFrom is the emails' sender address (with a relay, its From).
	MailFrom string
	// MailHorizon is how long an email is retried while the relay refuses it; default
	// DefaultMailHorizon (72h).
	MailHorizon time.Duration
	// HTTP is the address of the query API ("" for 127.0.0.1:0): loopback, unless APICert
	// and APIKey serve it over TLS. Every request needs the token of TokenFile.
	HTTP string
	// APICert and APIKey are the PEM certificate and key of the query API over TLS.
	APICert, APIKey string
	// AutoPush signs and publishes the changed configs when users created or disabled on
	// devices changed the catalogue, so the outlet's other devices learn them, and tops up
	// the grants of online devices that run low (Hub.TopUp) and pushes grant a
	// config_applied released to the devices waiting for it.
	AutoPush bool
	// Collect is how often the collector looks at the ledger besides after each ingest;
	// default 2s.
	Collect time.Duration
	// Ready, when set, is called once everything runs, with the query API's address.
	Ready func(addr string)
}

// Server is the hub service of `kioskctl serve`: the MQTT collector stores every device's
// journal in the ledger and acknowledges it; the effects loop acts on new entries (email
// outbox, users created on devices, voids) and saves device states; the Mailer sends
// emails; the pusher publishes configs that users created on devices changed; a loopback
// HTTP API answers report, verify and status. Run owns every goroutine of these (one
// errgroup) and waits for them all before it returns.
type Server struct {
	h   *Hub
	o   ServeOptions
	log *slog.Logger

	wakeCollect chan struct{}             // an ingest stored entries
	wakeMail    chan struct{}             // emails were queued
	wakePush    chan struct{}             // users changed on devices: push the changed configs
	push        func(ctx context.Context) // autoPush; tests count the pushes

	col    *mqtt.Collector // the one MQTT connection: collects, and carries every push
	pushMu sync.Mutex      // one push at a time (auto-push and POST /push)

	mu     sync.Mutex
	states map[string]mqtt.Presence // device states received since the last save
}

// NewServer returns h's service configured by o; Run runs it.
func NewServer(h *Hub, o ServeOptions) *Server {
	if o.Collect <= 0 {
		o.Collect = 2 * time.Second
	}
	s := &Server{
		h: h, o: o, log: h.opt.Logger.With("component", "serve"),
		wakeCollect: make(chan struct{}, 1),
		wakeMail:    make(chan struct{}, 1),
		wakePush:    make(chan struct{}, 1),
		states:      map[string]mqtt.Presence{},
	}
	s.push = s.autoPush
	return s
}

// poke wakes the loop that waits on c, or leaves it woken.
func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Run runs the service until ctx ends. On the end of ctx it stops collecting, stops the
// API and the loops, acts on what it stored, saves the device states and closes the ledger.
func (s *Server) Run(ctx context.Context) error {
	h, o, log := s.h, s.o, s.log
	l, err := h.OpenLedger(ledger.Options{OnStored: func(string, []*journal.Entry) { poke(s.wakeCollect) }, Validate: h.Validator()})
	if err != nil {
		return err
	}
	defer l.Close()

	col, err := mqtt.NewCollector(mqtt.CollectorOptions{
		Conn: o.Conn, Sink: h.RefuseRevoked(l), Software: o.Software, Clock: h.opt.Clock, Logger: h.opt.Logger,
		Known: func(device string) bool { _, err := h.Device(device); return err == nil },
		Key:   h.key, Keys: h.deviceKey,
		OnState: func(device string, p mqtt.Presence) {
			s.mu.Lock()
			s.states[device] = p
			s.mu.Unlock()
		},
	})
	if err != nil {
		return err
	}
	s.col = col

	httpAddr, tlsOn := orDefault(o.HTTP, "127.0.0.1:0"), o.APICert != "" || o.APIKey != ""
	if err := checkAPIAddr(httpAddr, tlsOn); err != nil {
		return err
	}
	token, err := h.APIToken()
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return fmt.Errorf("hub: serve: api: %w", err)
	}
	published := lis.Addr().String()
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(o.APICert, o.APIKey)
		if err != nil {
			lis.Close()
			return fmt.Errorf("%w: certificate: %w", ErrAPIAddr, err)
		}
		lis = tls.NewListener(lis, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		published = "https://" + published
	}
	// Pushes end when serve stops, before the collector halts.
	pushes, haltPushes := context.WithCancel(context.Background())
	defer haltPushes()
	mux := http.NewServeMux()
	mux.Handle("POST /push", requireToken(token, s.pushHandler(pushes)))
	mux.Handle("/", h.apiHandler(localQuery{h: h, l: l, live: col.States}, token))
	api := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	addrFile := filepath.Join(h.dir, AddrFile)
	// Written whole, then renamed: a query that finds the file reads the address, never an
	// empty file that sends it to the ledger serve holds.
	err = os.WriteFile(addrFile+".tmp", []byte(published+"\n"), 0o600)
	if err == nil {
		err = os.Rename(addrFile+".tmp", addrFile)
	}
	if err != nil {
		lis.Close()
		return fmt.Errorf("hub: serve: %w", err)
	}
	defer os.Remove(addrFile)

	loops, stop := context.WithCancel(context.Background())
	defer stop()
	var g errgroup.Group
	g.Go(func() error {
		if err := api.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("query api", "err", err)
		}
		return nil
	})
	col.Start()
	log.Info("hub serving", "broker", o.Conn.URL, "api", lis.Addr().String(), "email", o.Mail != nil)
	g.Go(func() error { s.effects(loops, l); return nil })
	if o.AutoPush {
		g.Go(func() error { s.pusher(pushes); return nil })
	}
	if o.Mail != nil {
		m := &Mailer{Hub: h, Sender: o.Mail, From: o.MailFrom, Horizon: o.MailHorizon}
		g.Go(func() error { return m.Run(loops, s.wakeMail) })
	}
	if o.Ready != nil {
		o.Ready(lis.Addr().String())
	}

	<-ctx.Done()
	log.Info("hub stopping")
	haltPushes()
	if err := col.Halt(); err != nil {
		log.Warn("mqtt collector halt", "err", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = api.Shutdown(sctx)
	cancel()
	stop()
	_ = g.Wait() // the loops log their errors and return nil
	s.collectAll(l)
	if err := h.saveStates(col.States(), true); err != nil {
		log.Error("device states not saved", "err", err)
	}
	log.Info("hub stopped")
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// effects acts on stored entries until ctx ends: after each ingest (a round of ingests
// from many devices gathered for 100ms: one catalogue transaction, one fsync, for all of
// them) and every Collect. It also saves the device states received meanwhile.
func (s *Server) effects(ctx context.Context, l *ledger.Ledger) {
	t, ticks := s.h.opt.Clock.NewTicker(s.o.Collect)
	defer t.Stop()
	for {
		if s.collectAll(l) {
			poke(s.wakePush)
		}
		// Online devices whose grant runs low get a top-up from what the outlet has left.
		if s.o.AutoPush {
			if n, err := s.h.TopUp(l); err != nil {
				s.log.Error("grant top-up", "err", err)
			} else if n > 0 {
				s.log.Info("grants topped up", "devices", n)
				poke(s.wakePush)
			}
		}
		s.mu.Lock()
		snap := s.states
		s.states = map[string]mqtt.Presence{}
		s.mu.Unlock()
		if err := s.h.saveStates(snap, false); err != nil {
			s.log.Error("device states not saved", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wakeCollect:
			select {
			case <-ctx.Done():
			case <-clock.After(s.h.opt.Clock, 100*time.Millisecond):
			}
		case <-ticks:
		}
	}
}

// collectAll runs Collect until the feed is drained and reports whether users created or
// disabled on devices changed the catalogue, or a config_applied released grant that
// other devices wait for.
func (s *Server) collectAll(l *ledger.Ledger) (usersChanged bool) {
	for {
		res, err := s.h.Collect(l, 1000)
		if err != nil {
			s.log.Error("collect", "err", err)
			return usersChanged
		}
		if res.Queued > 0 {
			poke(s.wakeMail)
		}
		usersChanged = usersChanged || res.Users+res.Disabled+res.Regrants > 0
		if res.Entries == 0 {
			return usersChanged
		}
	}
}

// pusher pushes the changed configs each time the effects loop saw users change on
// devices, one push at a time (changes seen during a push make one push after it) until
// ctx ends.
func (s *Server) pusher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wakePush:
			s.push(ctx)
		}
	}
}

// autoPush signs the changed configs and publishes them over the collector's connection,
// so that users created on one device reach the outlet's other devices.
func (s *Server) autoPush(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := s.pushChanged(ctx, "", true, mqtt.PushOptions{})
	if res == nil && err == nil {
		return // nothing changed
	}
	s.log.Info("auto push after users changed on devices", "configs", len(res), "err", err)
}
