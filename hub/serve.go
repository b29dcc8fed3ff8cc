package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/mqtt"
)

// AddrFile in the hub directory holds the address of the running serve's local query API,
// which report, verify and status use while serve holds the ledger.
const AddrFile = "serve.addr"

// ServeOptions configure Serve.
type ServeOptions struct {
	Conn     mqtt.Options
	Software string
	// SMTP relay for email delivery; nil: emails stay queued in the outbox.
	SMTP *SMTP
	// HTTP is the loopback address of the local query API ("" for 127.0.0.1:0).
	HTTP string
	// AutoPush signs and publishes the changed configs when users created or disabled on
	// devices changed the catalogue, so the outlet's other devices learn them.
	AutoPush bool
	// Collect is how often the collector looks at the ledger besides after each ingest;
	// default 2s.
	Collect time.Duration
	// Ready, when set, is called once everything runs, with the query API's address.
	Ready func(addr string)
}

// Serve runs the hub service until ctx ends: the MQTT collector stores every device's
// journal in the ledger and acknowledges it; Collect acts on new entries (email outbox,
// users created on devices, voids); the Mailer sends emails; device states are kept for
// status; a loopback HTTP API answers report, verify and status. On the end of ctx it stops
// collecting, finishes what it stored and closes the ledger.
func (h *Hub) Serve(ctx context.Context, o ServeOptions) error {
	log := h.opt.Logger.With("component", "serve")
	if o.Collect <= 0 {
		o.Collect = 2 * time.Second
	}
	wakeCollect := make(chan struct{}, 1)
	wakeMail := make(chan struct{}, 1)
	poke := func(c chan struct{}) {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	l, err := h.OpenLedger(ledger.Options{OnStored: func(string, []*journal.Entry) { poke(wakeCollect) }})
	if err != nil {
		return err
	}
	defer l.Close()

	var smu sync.Mutex
	states := map[string]mqtt.Presence{}
	mh, err := mqtt.NewCollector(mqtt.CollectorOptions{
		Conn: o.Conn, Sink: l, Software: o.Software, Now: h.opt.Clock.Now, Logger: h.opt.Logger,
		OnState: func(device string, p mqtt.Presence) {
			smu.Lock()
			states[device] = p
			smu.Unlock()
		},
	})
	if err != nil {
		return err
	}

	lis, err := net.Listen("tcp", orDefault(o.HTTP, "127.0.0.1:0"))
	if err != nil {
		return fmt.Errorf("hub: serve: api: %w", err)
	}
	api := &http.Server{Handler: h.apiHandler(localQuery{h: h, l: l, live: mh.States}), ReadHeaderTimeout: 10 * time.Second}
	addrFile := filepath.Join(h.dir, AddrFile)
	if err := os.WriteFile(addrFile, []byte(lis.Addr().String()+"\n"), 0o600); err != nil {
		lis.Close()
		return fmt.Errorf("hub: serve: %w", err)
	}
	defer os.Remove(addrFile)

	var wg sync.WaitGroup
	loops, stop := context.WithCancel(context.Background())
	defer stop()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := api.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("query api", "err", err)
		}
	}()
	mh.Start()
	log.Info("hub serving", "broker", o.Conn.URL, "api", lis.Addr().String(), "email", o.SMTP != nil)

	// The collector acts on stored entries; it also saves device states.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(o.Collect)
		defer t.Stop()
		for {
			if h.collectAll(l, log, poke, wakeMail) && o.AutoPush {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h.autoPush(loops, o.Conn, log)
				}()
			}
			smu.Lock()
			snap := states
			states = map[string]mqtt.Presence{}
			smu.Unlock()
			if err := h.saveStates(snap); err != nil {
				log.Error("device states not saved", "err", err)
			}
			select {
			case <-loops.Done():
				return
			case <-wakeCollect:
				// Let a round of ingests from many devices gather: one catalogue
				// transaction (one fsync) for all of them.
				select {
				case <-loops.Done():
				case <-time.After(100 * time.Millisecond):
				}
			case <-t.C:
			}
		}
	}()
	if o.SMTP != nil {
		m := &Mailer{Hub: h, Sender: *o.SMTP, From: o.SMTP.From}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = m.Run(loops, wakeMail)
		}()
	}
	if o.Ready != nil {
		o.Ready(lis.Addr().String())
	}

	<-ctx.Done()
	log.Info("hub stopping")
	if err := mh.Halt(); err != nil {
		log.Warn("mqtt hub halt", "err", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = api.Shutdown(sctx)
	cancel()
	stop()
	wg.Wait()
	h.collectAll(l, log, poke, wakeMail)
	if err := h.saveStates(mh.States()); err != nil {
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

// collectAll runs Collect until the feed is drained and reports whether users created or
// disabled on devices changed the catalogue.
func (h *Hub) collectAll(l *ledger.Ledger, log *slog.Logger, poke func(chan struct{}), wakeMail chan struct{}) (usersChanged bool) {
	for {
		res, err := h.Collect(l, 1000)
		if err != nil {
			log.Error("collect", "err", err)
			return usersChanged
		}
		if res.Queued > 0 {
			poke(wakeMail)
		}
		usersChanged = usersChanged || res.Users+res.Disabled > 0
		if res.Entries == 0 {
			return usersChanged
		}
	}
}

// autoPush signs the changed configs and publishes them, so that users created on one
// device reach the outlet's other devices.
func (h *Hub) autoPush(ctx context.Context, conn mqtt.Options, log *slog.Logger) {
	signed, err := h.SignConfigs("", true)
	if err != nil {
		log.Error("auto push: sign", "err", err)
		return
	}
	if len(signed) == 0 {
		return
	}
	envs := make([][]byte, len(signed))
	for i, s := range signed {
		envs[i] = s.Envelope
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	id := fmt.Sprintf("hub-autopush-%d", h.opt.Clock.Now().UnixNano())
	res, err := mqtt.Push(ctx, mqtt.PushOptions{Conn: conn, ClientID: id, Logger: h.opt.Logger}, envs)
	log.Info("auto push after users changed on devices", "configs", len(res), "err", err)
}

func (h *Hub) saveStates(states map[string]mqtt.Presence) error {
	if len(states) == 0 {
		return nil
	}
	return h.update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bStates); err != nil {
			return err
		}
		for d, p := range states {
			if err := presences.put(tx, d, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// States returns the last state received from each device, as serve saved them.
func (h *Hub) States() (map[string]mqtt.Presence, error) {
	out := map[string]mqtt.Presence{}
	err := h.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bStates)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			p, _, err := presences.get(tx, string(k))
			out[string(k)] = p
			return err
		})
	})
	return out, err
}
