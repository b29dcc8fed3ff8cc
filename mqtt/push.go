package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

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
func Push(ctx context.Context, opt PushOptions, envelopes [][]byte) ([]Pushed, error) {
	if opt.ClientID == "" {
		opt.ClientID = "hub-push"
	}
	if opt.Window <= 0 {
		opt.Window = 32
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	log := opt.Logger.With("component", "mqtt", "client", opt.ClientID)
	topics, err := opt.Conn.topics()
	if err != nil {
		return nil, err
	}
	results := make([]Pushed, len(envelopes))
	index := map[string]int{}
	for i, env := range envelopes {
		e, err := catalog.Peek(env)
		if err != nil {
			return nil, fmt.Errorf("mqtt: push: envelope %d: %w", i, err)
		}
		if err := CheckID(e.DeviceID); err != nil {
			return nil, fmt.Errorf("mqtt: push: envelope %d: %w", i, err)
		}
		if _, dup := index[e.DeviceID]; dup {
			return nil, fmt.Errorf("mqtt: push: two configs for device %q", e.DeviceID)
		}
		index[e.DeviceID] = i
		results[i] = Pushed{Device: e.DeviceID, Version: e.Version}
	}

	var (
		mu      sync.Mutex
		changed = make(chan struct{}, 1)
	)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	update := func(i int, fn func(p *Pushed)) {
		mu.Lock()
		before := results[i]
		fn(&results[i])
		after := results[i]
		mu.Unlock()
		if before != after {
			notify()
		}
	}
	onState := func(_ paho.Client, m paho.Message) {
		device, _, ok := topics.Parse(m.Topic())
		i, mine := index[device]
		if !ok || !mine || len(m.Payload()) == 0 {
			return
		}
		st, err := DecodeDeviceState(m.Payload())
		if err != nil {
			return
		}
		update(i, func(p *Pushed) {
			p.Online = st.Status == Online
			p.Applied = st.ConfigVersion
			p.ConfigError = ""
			if st.ConfigError != "" && st.ConfigRefused == p.Version {
				p.ConfigError = st.ConfigError
			}
		})
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
		return results, fmt.Errorf("mqtt: push: subscribe: %w", ctx.Err())
	}

	// Publish with a window of PUBACKs outstanding.
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
			log.Warn("config publish failed", "device", results[p.i].Device, "err", err)
			return nil
		}
		update(p.i, func(r *Pushed) { r.Published = true })
		return nil
	}
	for i, env := range envelopes {
		if len(window) == opt.Window {
			if err := settle(window[0]); err != nil {
				return snapshot(&mu, results), fmt.Errorf("%w: %w", ErrPushIncomplete, err)
			}
			window = window[1:]
		}
		t := client.Publish(topics.Config(results[i].Device), 1, true, env)
		window = append(window, pending{i, t})
	}
	for _, p := range window {
		if err := settle(p); err != nil {
			return snapshot(&mu, results), fmt.Errorf("%w: %w", ErrPushIncomplete, err)
		}
	}

	// Follow the devices' states.
	reported := make([]Pushed, len(results))
	for {
		mu.Lock()
		all := true
		var news []Pushed
		for i, r := range results {
			if r != reported[i] {
				news = append(news, r)
			}
			reported[i] = r
			all = all && r.Done()
		}
		mu.Unlock()
		if opt.Progress != nil {
			for _, r := range news {
				opt.Progress(r)
			}
		}
		if all {
			return snapshot(&mu, results), nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return snapshot(&mu, results), ErrPushIncomplete
		}
	}
}

func snapshot(mu *sync.Mutex, r []Pushed) []Pushed {
	mu.Lock()
	defer mu.Unlock()
	out := append([]Pushed(nil), r...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Device < out[j].Device })
	return out
}
