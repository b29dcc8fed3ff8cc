package mqtt

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/clock"
	"ticketkiosk/store"
)

// Health is what the kiosk reports about itself on the state topic.
type Health struct {
	Software string // version of kioskd
	Printer  string // "ok" or what is wrong with the printer
}

// DeviceOptions configure a Device.
type DeviceOptions struct {
	Conn   Options
	Store  *store.Store       // the device's store; its device id is the client id
	HubKey ed25519.PublicKey  // verifies configs, acks and the hub state
	Key    ed25519.PrivateKey // the device key: signs the journal batches
	Health func() Health      // called from the engine; must not block
	// Clock times the engine and stamps the configs it applies; nil: the real clock.
	Clock clock.Clock
	// ClockSynced reports whether the wall clock is synchronised, as the config entries
	// record; nil: it is.
	ClockSynced func() bool
	Logger      *slog.Logger
	// OnConfig, when set, is called from the engine after a config was applied.
	OnConfig func(*catalog.DeviceConfig)

	BatchEntries int           // entries per journal message; default 200
	BatchBytes   int           // entry bytes per journal message; default 256 KiB
	Window       int           // journal messages sent and not yet acknowledged by the hub; default 16
	AckTimeout   time.Duration // resend from the acked seq when no ack advances for this long; default 30s
	StateEvery   time.Duration // republish the state at least this often; default 30s
}

// Device is a kiosk's end of the wire: it applies signed configs from the hub, sends its
// journal to the hub in pipelined batches until acknowledged, and publishes its presence.
// One engine goroutine does all the work; paho's handlers only hand messages to it.
type Device struct {
	opt    DeviceOptions
	id     string
	topics Topics
	log    *slog.Logger
	client paho.Client

	refused atomic.Uint64 // version of the config last refused (0: unknown or none)

	failMu   sync.Mutex // guards failure, warned, warnedAt
	failure  string     // Reason's code for the last failed connection attempt; "" once connected
	warned   string     // the failure last logged at warn, and when
	warnedAt time.Time

	ackSeen  atomic.Uint64 // the counter of the last ack accepted (the store's)
	hubRefus refusals      // acks and hub states refused: forged, unsigned, stale

	mu    sync.Mutex // guards in
	in    deviceInput
	sig   chan struct{}
	quit  chan struct{}
	done  chan struct{}
	start sync.Once
	halt  sync.Once
}

// configMsg is a config message: its bytes, or only the size of an oversized one.
type configMsg struct {
	data     []byte
	oversize int
}

// maxPendingConfigs bounds the config messages waiting for the engine (the oldest go).
const maxPendingConfigs = 8

// deviceInput is what paho's handlers and the kiosk hand to the engine.
type deviceInput struct {
	gen       uint64 // connections made
	connected bool
	hubOnline bool
	hubGen    uint64        // times the hub came online: what was in flight before is lost
	configs   []configMsg   // config messages not yet handled, in arrival order
	ack       uint64        // the highest verified ack received
	ackCtr    uint64        // its counter
	seen      store.HubSeen // the hub state counters accepted
	wake      bool
	pubFailed bool
}

var _ fmt.Stringer = (*Device)(nil)

// NewDevice checks the options and builds the device's client; Start connects it.
func NewDevice(opt DeviceOptions) (*Device, error) {
	if opt.Store == nil {
		return nil, errors.New("mqtt: device needs a store")
	}
	opt.Clock = clock.Or(opt.Clock)
	if len(opt.HubKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("mqtt: hub public key has %d bytes, want %d", len(opt.HubKey), ed25519.PublicKeySize)
	}
	if len(opt.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("mqtt: device key has %d bytes, want %d", len(opt.Key), ed25519.PrivateKeySize)
	}
	if opt.Health == nil {
		opt.Health = func() Health { return Health{} }
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.BatchEntries <= 0 {
		opt.BatchEntries = 200
	}
	opt.BatchEntries = min(opt.BatchEntries, MaxBatchLen)
	if opt.BatchBytes <= 0 {
		opt.BatchBytes = 256 << 10
	}
	opt.BatchBytes = min(opt.BatchBytes, MaxBatchSize/2)
	if opt.Window <= 0 {
		opt.Window = 16
	}
	opt.AckTimeout = durationOr(opt.AckTimeout, 30*time.Second)
	opt.StateEvery = durationOr(opt.StateEvery, 30*time.Second)
	topics, err := opt.Conn.topics()
	if err != nil {
		return nil, err
	}
	d := &Device{
		opt:    opt,
		id:     opt.Store.Device(),
		topics: topics,
		sig:    make(chan struct{}, 1),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	d.log = opt.Logger.With("component", "mqtt", "device", d.id)
	seen := opt.Store.HubSeen()
	d.ackSeen.Store(seen.Ack)
	d.in.seen = seen
	d.hubRefus.log = d.log
	d.hubRefus.clock = opt.Clock
	will := d.state(Offline)
	d.client, err = newClient(opt.Conn, session{
		clientID:  d.id,
		willTopic: topics.State(d.id),
		will:      will.Encode(),
		onConnect: d.onConnect,
		onLost:    d.onLost,
		onFailed:  d.onFailed,
		log:       d.log,
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Device) String() string { return "mqtt.Device(" + d.id + ")" }

// Start connects to the broker (retrying in the background until it can) and starts the
// engine.
// Start after Halt, or a second time, does nothing.
func (d *Device) Start() {
	d.start.Do(func() {
		d.client.Connect() // with ConnectRetry the token completes only once connected
		go d.run()
	})
}

// Wake tells the engine that an entry was appended, so that it is sent at once.
func (d *Device) Wake() {
	d.input(func(in *deviceInput) { in.wake = true })
}

// Online reports whether the device is connected to the broker and whether the hub's
// state says online there (the journal is sent only when both hold), for the kiosk's display.
func (d *Device) Online() (broker, hub bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.in.connected, d.in.connected && d.in.hubOnline
}

// Halt publishes the offline state, disconnects and stops the engine.
func (d *Device) Halt() error {
	d.halt.Do(func() {
		d.start.Do(func() { close(d.done) }) // never started: nothing to wait for
		close(d.quit)
		<-d.done
		if d.client.IsConnectionOpen() {
			st := d.state(Offline)
			t := d.client.Publish(d.topics.State(d.id), 1, true, st.Encode())
			t.WaitTimeout(2 * time.Second)
		}
		d.client.Disconnect(250)
	})
	return nil
}

func (d *Device) input(fn func(in *deviceInput)) {
	d.mu.Lock()
	fn(&d.in)
	d.mu.Unlock()
	select {
	case d.sig <- struct{}{}:
	default:
	}
}

// onConnect runs in paho's goroutine: subscribe, and tell the engine. It never waits.
func (d *Device) onConnect(c paho.Client) {
	d.input(func(in *deviceInput) {
		in.hubOnline = false // until the hub's retained state says so on this connection
	})
	subs := map[string]byte{
		d.topics.Config(d.id): 1,
		d.topics.Ack(d.id):    1,
		d.topics.HubState():   1,
	}
	t := c.SubscribeMultiple(subs, d.onMessage)
	watch(t, d.quit, d.log, "subscribe", nil)
	d.input(func(in *deviceInput) {
		in.gen++
		in.connected = true
	})
	d.failMu.Lock()
	d.failure, d.warned = "", ""
	d.failMu.Unlock()
}

// failureWarnEvery is how often a connection failure that goes on is logged at warn again;
// each attempt logs at debug.
const failureWarnEvery = 10 * time.Minute

// onFailed records why a connection attempt failed and logs it: at warn when the reason is
// new or failureWarnEvery has passed, at debug otherwise (paho retries every few seconds).
func (d *Device) onFailed(err error) {
	code, detail := Reason(err)
	short := FailureWords(code)
	now := clock.Or(d.opt.Clock).Now()
	d.failMu.Lock()
	d.failure = code
	warn := code != d.warned || now.Sub(d.warnedAt) >= failureWarnEvery
	if warn {
		d.warned, d.warnedAt = code, now
	}
	d.failMu.Unlock()
	level := slog.LevelDebug
	if warn {
		level = slog.LevelWarn
	}
	d.log.Log(context.Background(), level, "mqtt connect failed", "broker", d.opt.Conn.URL, "reason", short, "err", detail)
}

// Problem says why the device is not connected to the broker: Reason's code (one of
// Failures) for the last connection attempt's failure; "" while connected or before an
// attempt failed.
func (d *Device) Problem() string {
	d.failMu.Lock()
	defer d.failMu.Unlock()
	return d.failure
}

func (d *Device) onLost(error) {
	d.input(func(in *deviceInput) {
		in.connected = false
		in.hubOnline = false
	})
}

// onMessage runs in paho's goroutine: it decodes small payloads and hands everything to
// the engine without blocking or publishing.
func (d *Device) onMessage(_ paho.Client, m paho.Message) {
	payload := m.Payload()
	switch m.Topic() {
	case d.topics.Config(d.id):
		if len(payload) == 0 {
			return // retained config cleared: nothing offered
		}
		msg := configMsg{oversize: len(payload)}
		if len(payload) <= catalog.MaxEnvelopeSize {
			msg = configMsg{data: bytes.Clone(payload)}
		}
		d.input(func(in *deviceInput) {
			if len(in.configs) == maxPendingConfigs {
				in.configs = in.configs[1:]
			}
			in.configs = append(in.configs, msg)
		})
	case d.topics.Ack(d.id):
		a, err := DecodeAck(payload)
		if err == nil {
			err = a.Verify(d.opt.HubKey, d.id)
		}
		if err == nil && a.Counter <= d.ackSeen.Load() {
			if a.Counter == d.ackSeen.Load() {
				return // the accepted ack delivered again (QoS 1)
			}
			err = fmt.Errorf("%w: ack counter %d, accepted %d", ErrStale, a.Counter, d.ackSeen.Load())
		}
		if err != nil {
			d.hubRefus.add("ack", err)
			d.input(func(*deviceInput) {}) // the state reports it
			return
		}
		d.input(func(in *deviceInput) {
			if a.Counter > in.ackCtr {
				in.ack, in.ackCtr = a.UptoSeq, a.Counter
			}
		})
	case d.topics.HubState():
		s, err := DecodeHubState(payload)
		if err == nil {
			err = s.Verify(d.opt.HubKey)
		}
		if err != nil {
			d.hubRefus.add("hub state", err)
			d.input(func(*deviceInput) {}) // the state reports it; the hub's state stays as it was
			return
		}
		d.input(func(in *deviceInput) {
			seen, fresh, err := acceptHubState(in.seen, s)
			if err != nil {
				d.hubRefus.add("hub state", err)
				return
			}
			if !fresh {
				return
			}
			online := s.Status == Online
			if online && (!in.hubOnline || seen.Epoch != in.seen.Epoch) {
				in.hubGen++
			}
			in.seen, in.hubOnline = seen, online
		})
	}
}

// acceptHubState applies the counter rule to a hub state signed by the hub: a state of an
// older hub client (epoch) is stale; within the client's epoch an online state must not be
// older than the last online one accepted (the same one again is its retained copy) and must
// be newer than the last offline one, and an offline state must be newer than the last
// offline one. fresh is false for the last offline state delivered again.
func acceptHubState(seen store.HubSeen, s HubState) (next store.HubSeen, fresh bool, err error) {
	switch {
	case s.Epoch < seen.Epoch:
		return seen, false, fmt.Errorf("%w: hub state of an older hub client (epoch %d, accepted %d)", ErrStale, s.Epoch, seen.Epoch)
	case s.Epoch > seen.Epoch:
		seen = store.HubSeen{Ack: seen.Ack, Epoch: s.Epoch}
	}
	if s.Status == Online {
		if s.Counter < seen.Online || s.Counter <= seen.Offline {
			return seen, false, fmt.Errorf("%w: online state %d, accepted online %d, offline %d", ErrStale, s.Counter, seen.Online, seen.Offline)
		}
		seen.Online = s.Counter
		return seen, true, nil
	}
	if s.Counter == seen.Offline {
		return seen, false, nil
	}
	if s.Counter < seen.Offline {
		return seen, false, fmt.Errorf("%w: offline state %d, accepted %d", ErrStale, s.Counter, seen.Offline)
	}
	seen.Offline = s.Counter
	return seen, true, nil
}

// state builds the device's state from its store.
func (d *Device) state(status string) DeviceState {
	h := d.opt.Health()
	s := d.opt.Store
	now := d.opt.Clock.Now()
	st := DeviceState{
		V:             Version,
		Status:        status,
		Software:      h.Software,
		Printer:       h.Printer,
		ConfigVersion: s.ConfigVersion(),
		TS:            now.UnixMilli(),
	}
	st.ConfigError = s.ConfigError()
	if st.ConfigError != "" {
		st.ConfigRefused = d.refused.Load()
	}
	st.HubRefused, st.HubRefusedN = d.hubRefus.last()
	if bl, err := s.Unsynced(); err == nil {
		st.Unsynced = bl.Entries
		if !bl.Oldest.IsZero() {
			st.OldestUnsyncedS = max(0, int64(now.Sub(bl.Oldest)/time.Second))
		}
	}
	return st
}

// flight is a journal message sent and not yet acknowledged.
type flight struct {
	last uint64 // its last seq
}

// engine is the state the engine goroutine owns.
type engine struct {
	gen       uint64
	hubGen    uint64
	next      uint64 // the last seq sent
	inflight  []flight
	acked     uint64
	seen      store.HubSeen // the hub state counters recorded in the store
	ackTried  uint64        // the counter of the last ack handed to the store
	progress  time.Time     // the last time an ack advanced or the first batch after it was sent
	published DeviceState
	publishAt time.Time
	connStop  chan struct{} // closed when the connection the tokens belong to is gone
}

func (d *Device) run() {
	defer close(d.done)
	tick, ticks := d.opt.Clock.NewTicker(min(d.opt.StateEvery, d.opt.AckTimeout) / 4)
	defer tick.Stop()
	e := &engine{acked: d.opt.Store.Acked(), connStop: make(chan struct{})}
	e.next = e.acked
	defer func() { close(e.connStop) }()
	for {
		select {
		case <-d.quit:
			return
		case <-d.sig:
		case <-ticks:
		}
		d.step(e)
	}
}

// step handles everything handed in since the last step.
func (d *Device) step(e *engine) {
	d.mu.Lock()
	in := d.in
	d.in.configs, d.in.wake, d.in.pubFailed = nil, false, false
	d.mu.Unlock()
	now := d.opt.Clock.Now()

	forceState := false
	for _, m := range in.configs {
		d.handleConfig(m.data, m.oversize)
		forceState = true
	}
	if in.seen != e.seen {
		e.seen = in.seen
		if err := d.opt.Store.SetHubState(in.seen.Epoch, in.seen.Online, in.seen.Offline); err != nil {
			d.log.Error("hub state: record counters", "err", err)
		}
	}
	if in.ackCtr > d.ackSeen.Load() && in.ackCtr > e.ackTried {
		e.ackTried = in.ackCtr // an ack beyond the last entry is refused and logged once
		if err := d.opt.Store.AckCounted(in.ack, in.ackCtr); err != nil {
			d.log.Error("ack", "upto", in.ack, "err", err)
		} else {
			d.ackSeen.Store(in.ackCtr)
		}
		if a := d.opt.Store.Acked(); a > e.acked {
			e.acked = a
			e.progress = now
			i := 0
			for i < len(e.inflight) && e.inflight[i].last <= a {
				i++
			}
			e.inflight = e.inflight[i:]
			e.next = max(e.next, a)
		}
	}
	resend := func(why string) {
		if len(e.inflight) > 0 || e.next != e.acked {
			d.log.Info("journal: resending from the acked seq", "why", why, "acked", e.acked, "sent", e.next)
		}
		e.inflight, e.next = nil, e.acked
		close(e.connStop)
		e.connStop = make(chan struct{})
	}
	if in.gen != e.gen {
		e.gen = in.gen
		resend("reconnected")
		forceState = true
	}
	if in.hubGen != e.hubGen {
		e.hubGen = in.hubGen
		resend("hub online")
	}
	if in.pubFailed {
		resend("publish failed")
	}
	if len(e.inflight) > 0 && now.Sub(e.progress) >= d.opt.AckTimeout {
		resend("no ack")
	}
	if in.connected && in.hubOnline {
		d.send(e, now)
	}
	if in.connected {
		d.publishState(e, now, forceState)
	}
}

// send publishes journal messages while the window has room.
func (d *Device) send(e *engine, now time.Time) {
	for len(e.inflight) < d.opt.Window {
		raws, err := d.opt.Store.Pending(e.next, d.opt.BatchEntries, d.opt.BatchBytes)
		if err != nil {
			d.log.Error("journal: read pending", "err", err)
			return
		}
		if len(raws) == 0 {
			return
		}
		entries := make([][]byte, len(raws))
		for i, r := range raws {
			entries[i] = r.Data
		}
		t := d.client.Publish(d.topics.Journal(d.id), 1, false, SealBatch(d.opt.Key, d.id, raws[0].Seq, entries))
		if len(e.inflight) == 0 {
			e.progress = now
		}
		last := raws[len(raws)-1].Seq
		e.inflight = append(e.inflight, flight{last: last})
		e.next = last
		watch(t, e.connStop, d.log, "journal publish", func(err error) {
			if err != nil {
				d.input(func(in *deviceInput) { in.pubFailed = true })
			}
		})
	}
}

// publishState publishes the state when something in it changed (the backlog at most once
// a second) or StateEvery has passed.
func (d *Device) publishState(e *engine, now time.Time, force bool) {
	st := d.state(Online)
	cmp, old := st, e.published
	cmp.TS, old.TS = 0, 0
	cmp.Unsynced, old.Unsynced, cmp.OldestUnsyncedS, old.OldestUnsyncedS = 0, 0, 0, 0
	cmp.HubRefused, old.HubRefused, cmp.HubRefusedN, old.HubRefusedN = "", "", 0, 0
	due := now.Sub(e.publishAt)
	switch {
	case force, cmp != old, due >= d.opt.StateEvery:
	case (st.Unsynced != e.published.Unsynced || st.HubRefusedN != e.published.HubRefusedN) && due >= time.Second:
	default:
		return
	}
	t := d.client.Publish(d.topics.State(d.id), 1, true, st.Encode())
	watch(t, e.connStop, d.log, "state publish", nil)
	e.published, e.publishAt = st, now
}

// Refusal reasons: the first word of a state's config_error.
const (
	RefusedTooLarge       = "too_large"
	RefusedMalformed      = "malformed"
	RefusedUnknownVersion = "unknown_version"
	RefusedBadSignature   = "bad_signature"
	RefusedWrongDevice    = "wrong_device"
	RefusedInvalid        = "invalid"
	RefusedStale          = "stale" // rollback or replay: version not above the applied one
	RefusedStore          = "store"
)

// Refusals lists every refusal reason.
var Refusals = []string{RefusedTooLarge, RefusedMalformed, RefusedUnknownVersion, RefusedBadSignature,
	RefusedWrongDevice, RefusedInvalid, RefusedStale, RefusedStore}

// refusal names why a config was refused.
func refusal(err error) string {
	switch {
	case errors.Is(err, catalog.ErrTooLarge):
		return RefusedTooLarge
	case errors.Is(err, catalog.ErrUnknownVersion):
		return RefusedUnknownVersion
	case errors.Is(err, catalog.ErrBadSignature):
		return RefusedBadSignature
	case errors.Is(err, catalog.ErrWrongDevice):
		return RefusedWrongDevice
	case errors.Is(err, catalog.ErrInvalid):
		return RefusedInvalid
	case errors.Is(err, store.ErrStaleConfig):
		return RefusedStale
	case errors.Is(err, catalog.ErrMalformed):
		return RefusedMalformed
	}
	return RefusedStore
}

// handleConfig verifies and applies a config message, or records why it was refused and
// keeps the config in force.
func (d *Device) handleConfig(data []byte, oversize int) {
	var err error
	var offered uint64
	if oversize > 0 {
		err = fmt.Errorf("%w: %d bytes (limit %d)", catalog.ErrTooLarge, oversize, catalog.MaxEnvelopeSize)
	} else {
		if cur, cerr := d.opt.Store.Envelope(); cerr == nil && bytes.Equal(cur, data) {
			return // the applied config, delivered again as retained on a new connection
		}
		if env, perr := catalog.Peek(data); perr == nil {
			offered = env.Version // unverified: for the report only
		}
		var cfg *catalog.DeviceConfig
		cfg, err = catalog.Open(data, d.opt.HubKey, d.id)
		if err == nil {
			_, err = d.opt.Store.ApplyConfig(cfg, data, clock.Wall{Clock: d.opt.Clock, IsSynced: d.opt.ClockSynced})
		}
		if err == nil {
			d.refused.Store(0)
			d.log.Info("config applied", "version", cfg.Version, "outlet", cfg.Outlet.ID)
			if d.opt.OnConfig != nil {
				d.opt.OnConfig(cfg)
			}
			return
		}
	}
	reason := refusal(err) + ": " + err.Error()
	d.refused.Store(offered)
	d.log.Warn("config refused; keeping the applied one", "offered", offered, "applied", d.opt.Store.ConfigVersion(), "reason", reason)
	if serr := d.opt.Store.SetConfigError(reason); serr != nil {
		d.log.Error("config: record refusal", "err", serr)
	}
}

// refusals counts what the device refused from the hub's side of the wire (forged,
// unsigned or replayed acks and hub states) for the state topic, and logs them at most
// once a minute.
type refusals struct {
	log   *slog.Logger
	clock clock.Clock

	mu      sync.Mutex
	n       uint64
	reason  string
	logged  time.Time
	skipped uint64
}

// refusalLogEvery is how often refusals are logged at most.
const refusalLogEvery = time.Minute

func (r *refusals) add(what string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.reason = what + ": " + err.Error()
	now := r.clock.Now()
	if !r.logged.IsZero() && now.Sub(r.logged) < refusalLogEvery {
		r.skipped++
		return
	}
	r.log.Warn("refused from the hub's topics: not signed by the hub key, or replayed", "what", what, "err", err, "refused_since_last_log", r.skipped, "refused", r.n)
	r.logged, r.skipped = now, 0
}

func (r *refusals) last() (string, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason, r.n
}
