package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/catalog"
)

// Pushed is what became of one device's pushed config.
type Pushed struct {
	Device      string `json:"device"`
	Version     uint64 `json:"version"`                // the version pushed
	Published   bool   `json:"published"`              // the broker took it (PUBACK)
	Online      bool   `json:"online"`                 // the device's last state says online
	Applied     uint64 `json:"applied"`                // the version the device reports applied
	ConfigError string `json:"config_error,omitempty"` // why the device refused it
}

// Done reports whether the device applied the pushed version or refused it. A device that
// reports a later version than the one pushed is not done: it refuses the push as a
// rollback, and that refusal ends the wait.
func (p Pushed) Done() bool { return p.Applied == p.Version || p.Refused() }

// Refused reports whether the device refused the pushed version (ConfigError says why).
func (p Pushed) Refused() bool { return p.ConfigError != "" && p.Applied != p.Version }

// ErrPushIncomplete is returned by Push when the context ended before every device applied
// or refused its config.
var ErrPushIncomplete = errors.New("mqtt: not every device answered the push")

// ErrNotConnected is returned (wrapped, with the reason) by Push when it could not connect
// to the broker: the broker refused the connection (its CONNACK reason: not authorised, bad
// user name or password, …), was unreachable, or did not answer in time. Nothing was
// published.
var ErrNotConnected = errors.New("mqtt: push: not connected, nothing published")

// connectError says why a push could not connect to the broker at url.
func connectError(url string, err error) error {
	_, reason := Reason(err)
	return fmt.Errorf("%w: %s: %s", ErrNotConnected, url, reason)
}

// PushOptions configure Push.
type PushOptions struct {
	Conn     Options
	ClientID string // default "hub-push": not the serving hub's id, which it would disconnect
	Window   int    // config publishes awaiting their PUBACK; default 32
	Logger   *slog.Logger
	// Progress, when set, is called (from Push's goroutine) when a device's outcome changes.
	Progress func(Pushed)
}

// Push publishes signed config envelopes (as catalog.Sign made them) retained at QoS 1 on
// their devices' config topics, then follows the devices' state topics until each reports
// the version applied or refused, or ctx ends (ErrPushIncomplete; the results say who is
// missing). The configs stay retained: a device offline now applies its config when it
// connects. The connect is tried once: when it fails nothing is published, the results are
// nil and the error (ErrNotConnected) says why.
//
// Push opens its own connection. Behind a broker that binds the client id to the
// certificate's name (the shipped Mosquitto configuration) that connection takes the
// running Collector's id and disconnects it: a process that runs a Collector pushes
// through it (Collector.Push).
func Push(ctx context.Context, opt PushOptions, envelopes [][]byte) ([]Pushed, error) {
	if opt.ClientID == "" {
		opt.ClientID = "hub-push"
	}
	topics, err := opt.Conn.topics()
	if err != nil {
		return nil, err
	}
	j, err := newPushJob(opt, topics, envelopes)
	if err != nil {
		return nil, err
	}
	log := j.log
	onState := func(_ paho.Client, m paho.Message) {
		device, _, ok := topics.Parse(m.Topic())
		if !ok || len(m.Payload()) == 0 {
			return
		}
		if st, err := DecodeDeviceState(m.Payload()); err == nil {
			j.state(device, st)
		}
	}
	subscribed := make(chan error, 1)
	client, err := newClient(opt.Conn, session{
		clientID: opt.ClientID,
		log:      log,
		once:     true,
		onConnect: func(c paho.Client) {
			t := c.Subscribe(topics.All(KindState), 1, onState)
			go func() {
				<-t.Done()
				select {
				case subscribed <- t.Error():
				default:
				}
			}()
		},
	})
	if err != nil {
		return nil, err
	}
	defer client.Disconnect(250)
	ct := client.Connect()
	select {
	case <-ct.Done():
		if err := ct.Error(); err != nil {
			err = connectError(opt.Conn.URL, err)
			log.Debug("config push: not connected", "err", err)
			return nil, err
		}
	case <-ctx.Done():
		return nil, connectError(opt.Conn.URL, ctx.Err())
	}
	select {
	case err := <-subscribed:
		if err != nil {
			return nil, fmt.Errorf("mqtt: push: subscribe: %w", err)
		}
	case <-ctx.Done():
		return j.snapshot(), fmt.Errorf("mqtt: push: subscribe: %w", ctx.Err())
	}
	return j.run(ctx, client)
}

// Push is the package's Push over the collector's own connection (Conn and ClientID of opt
// are not used): the configs are published by the collector's client, and the device states
// it receives, starting with the last it holds, say who applied them. So a serving hub
// pushes without a second connection under its name. A collector not connected yet (or
// reconnecting) is waited for up to its ConnectTimeout (default 10s) within ctx; when it
// does not connect nothing is published, the results are nil and the error is
// ErrNotConnected.
func (h *Collector) Push(ctx context.Context, opt PushOptions, envelopes [][]byte) ([]Pushed, error) {
	opt.ClientID = h.opt.ID
	if opt.Logger == nil {
		opt.Logger = h.opt.Logger
	}
	j, err := newPushJob(opt, h.topics, envelopes)
	if err != nil {
		return nil, err
	}
	wait := time.NewTimer(durationOr(h.opt.Conn.ConnectTimeout, 10*time.Second))
	defer wait.Stop()
	select {
	case <-h.connected():
	case <-wait.C:
		return nil, connectError(h.opt.Conn.URL, errors.New("the collector is not connected"))
	case <-ctx.Done():
		return nil, connectError(h.opt.Conn.URL, ctx.Err())
	}
	// Watch from now, seeded with the states held now: a state handled after this is seen
	// by the watcher (handleState stores it and then calls the watchers it finds).
	h.mu.Lock()
	h.pushes[j] = struct{}{}
	held := maps.Clone(h.states)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.pushes, j)
		h.mu.Unlock()
	}()
	for device, p := range held {
		j.state(device, p.DeviceState)
	}
	return j.run(ctx, h.client)
}

// pushJob is one push: its devices' outcomes, updated from their states, and the loop that
// publishes the configs and follows the outcomes, whichever connection carries them.
type pushJob struct {
	opt       PushOptions
	topics    Topics
	log       *slog.Logger
	envelopes [][]byte
	index     map[string]int
	changed   chan struct{}

	mu      sync.Mutex
	results []Pushed
}

func newPushJob(opt PushOptions, topics Topics, envelopes [][]byte) (*pushJob, error) {
	if opt.Window <= 0 {
		opt.Window = 32
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	j := &pushJob{
		opt: opt, topics: topics, envelopes: envelopes,
		log:     opt.Logger.With("component", "mqtt", "client", opt.ClientID),
		index:   map[string]int{},
		changed: make(chan struct{}, 1),
		results: make([]Pushed, len(envelopes)),
	}
	for i, env := range envelopes {
		e, err := catalog.Peek(env)
		if err != nil {
			return nil, fmt.Errorf("mqtt: push: envelope %d: %w", i, err)
		}
		if err := CheckID(e.DeviceID); err != nil {
			return nil, fmt.Errorf("mqtt: push: envelope %d: %w", i, err)
		}
		if _, dup := j.index[e.DeviceID]; dup {
			return nil, fmt.Errorf("mqtt: push: two configs for device %q", e.DeviceID)
		}
		j.index[e.DeviceID] = i
		j.results[i] = Pushed{Device: e.DeviceID, Version: e.Version}
	}
	return j, nil
}

// update applies fn to device i's outcome and wakes run when it changed.
func (j *pushJob) update(i int, fn func(p *Pushed)) {
	j.mu.Lock()
	before := j.results[i]
	fn(&j.results[i])
	after := j.results[i]
	j.mu.Unlock()
	if before != after {
		select {
		case j.changed <- struct{}{}:
		default:
		}
	}
}

// state takes a device's state into its outcome, when the device is one of the push's.
func (j *pushJob) state(device string, st DeviceState) {
	i, mine := j.index[device]
	if !mine {
		return
	}
	j.update(i, func(p *Pushed) {
		p.Online = st.Status == Online
		p.Applied = st.ConfigVersion
		p.ConfigError = ""
		if st.ConfigError != "" && st.ConfigRefused == p.Version {
			p.ConfigError = st.ConfigError
		}
	})
}

// run publishes the configs through client, with a window of PUBACKs outstanding, then
// follows the outcomes until every device is done or ctx ends.
func (j *pushJob) run(ctx context.Context, client paho.Client) ([]Pushed, error) {
	type pending struct {
		i int
		t paho.Token
	}
	var window []pending
	settle := func(p pending) error {
		select {
		case <-p.t.Done():
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := p.t.Error(); err != nil {
			j.log.Warn("config publish failed", "device", j.results[p.i].Device, "err", err)
			return nil
		}
		j.update(p.i, func(r *Pushed) { r.Published = true })
		return nil
	}
	for i, env := range j.envelopes {
		if len(window) == j.opt.Window {
			if err := settle(window[0]); err != nil {
				return j.snapshot(), fmt.Errorf("%w: %w", ErrPushIncomplete, err)
			}
			window = window[1:]
		}
		t := client.Publish(j.topics.Config(j.results[i].Device), 1, true, env)
		window = append(window, pending{i, t})
	}
	for _, p := range window {
		if err := settle(p); err != nil {
			return j.snapshot(), fmt.Errorf("%w: %w", ErrPushIncomplete, err)
		}
	}

	// Follow the devices' states.
	reported := make([]Pushed, len(j.results))
	for {
		j.mu.Lock()
		all := true
		var news []Pushed
		for i, r := range j.results {
			if r != reported[i] {
				news = append(news, r)
			}
			reported[i] = r
			all = all && r.Done()
		}
		j.mu.Unlock()
		if j.opt.Progress != nil {
			for _, r := range news {
				j.opt.Progress(r)
			}
		}
		if all {
			return j.snapshot(), nil
		}
		select {
		case <-j.changed:
		case <-ctx.Done():
			return j.snapshot(), ErrPushIncomplete
		}
	}
}

// snapshot returns the outcomes by device.
func (j *pushJob) snapshot() []Pushed {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := append([]Pushed(nil), j.results...)
	sort.SliceStable(out, func(a, b int) bool { return out[a].Device < out[b].Device })
	return out
}
