package mqtt

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/internal/clock"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// Sink stores a device's journal entries durably and idempotently by (device, seq) and
// returns the seq up to which the device's journal is stored without a gap. The hub
// acknowledges that seq only after Ingest returned without an error. ledger.Ledger is one.
type Sink interface {
	Ingest(device string, entries []*journal.Entry) (upto uint64, err error)
}

// MultiSink is a Sink that can also store several devices' entries in one durable commit
// (ledger.Ledger is one); the hub then commits once per round of queued messages instead of
// once per device.
type MultiSink interface {
	Sink
	IngestAll(batches map[string][]*journal.Entry) (upto map[string]uint64, err error)
}

// SealSink is a Sink that also keeps the seals of the batches it stores, so that every
// stored entry can be proved from the device keys later (ledger.Ledger is one, Audit the
// proof); the hub then commits once per round, as with a MultiSink.
type SealSink interface {
	Sink
	IngestSealed(batches map[string]ledger.Sealed) (map[string]ledger.Result, error)
}

// Alarmer records an alarm that no ingest raised (ledger.Ledger is one): the hub's
// refusals of batches with a bad signature or from unregistered devices.
type Alarmer interface {
	Raise(device string, kind ledger.AlarmKind, detail string) error
}

// CollectorOptions configure a Collector.
type CollectorOptions struct {
	Conn Options
	ID   string // the hub's client id; default "hub"
	Sink Sink   // an Alarmer too, for the alarms of refused batches
	// Key is the hub key: it signs the acks and the hub state.
	Key ed25519.PrivateKey
	// Keys returns a registered device's public key; a batch is stored only when its
	// seal verifies with it. It is asked again for a device at most every KeysEvery.
	Keys      func(device string) (ed25519.PublicKey, bool)
	KeysEvery time.Duration // default 10s
	// AlarmEvery is how often, at most, refused batches raise an alarm per device; default 1 minute.
	AlarmEvery time.Duration
	Software   string
	Clock      clock.Clock // stamps presence and hub states; nil: the real clock
	Logger     *slog.Logger
	// OnState, when set, is called (from a goroutine of the hub, never paho's) with each
	// device state received.
	OnState func(device string, p Presence)
	// Known, when set, says whether a device is registered: the states of others are
	// neither kept nor handed to OnState.
	Known func(device string) bool

	// The ingest queue (messages received and not yet decoded) is bounded: a journal batch
	// that would take it over QueueBytes (default 32 MiB) or QueueBatches (default 64), or
	// its device over DeviceBytes (default 8 MiB, twice a device's window), is dropped
	// unacknowledged; the device sends it again when no ack comes. So the hub's memory
	// stays bounded whatever arrives.
	QueueBytes, QueueBatches, DeviceBytes int
	// WarnEvery is the least time between two warnings of one kind about one device
	// (dropped or refused messages; each says how many since the last); default 1 minute.
	WarnEvery time.Duration
}

// Presence is the last state a device published and when the hub received it.
type Presence struct {
	DeviceState
	Seen time.Time
}

// Collector is the hub's end of the wire (the hub engine, as Device is the device's): it
// collects every device's journal into a Sink and acknowledges what was stored, keeps the
// devices' presence, and publishes the hub's own.
type Collector struct {
	opt    CollectorOptions
	topics Topics
	log    *slog.Logger
	client paho.Client

	mu      sync.Mutex // guards the fields below
	queue   []inbound
	qBytes  int            // bytes of the journal batches in queue, being decoded or committed
	qN      int            // journal batches in queue, being decoded or committed
	qStates int            // states in queue
	qDev    map[string]int // the same by device
	gen     uint64
	states  map[string]Presence
	warns   map[warnKey]*warning
	ctr     uint64                // the last counter of an ack or hub state
	epoch   uint64                // the counter when the client was made: its will's
	pushes  map[*pushJob]struct{} // pushes over this connection, following the states
	up      chan struct{}         // closed while the client is connected
	isUp    bool

	keys    map[string]cachedKey // the decoder's cache of Keys
	refused map[string]*refused  // the decoder's refusals by device

	sig   chan struct{}
	quit  chan struct{}
	done  chan struct{}
	start sync.Once
	halt  sync.Once
	stop  chan struct{} // closed when the hub stops, for token watchers
}

type cachedKey struct {
	pub     ed25519.PublicKey
	ok      bool
	fetched time.Time
}

// refused is a device's batches refused since its last alarm.
type refused struct {
	n      int
	reason string
	raised time.Time // when the last alarm was raised (zero: never)
}

type inbound struct {
	device string
	kind   string
	data   []byte
}

var _ fmt.Stringer = (*Collector)(nil)

// NewCollector checks the options and builds the hub's client; Start connects it.
func NewCollector(opt CollectorOptions) (*Collector, error) {
	if opt.Sink == nil {
		return nil, errors.New("mqtt: hub needs a sink")
	}
	if len(opt.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("mqtt: hub key has %d bytes, want %d", len(opt.Key), ed25519.PrivateKeySize)
	}
	if opt.Keys == nil {
		return nil, errors.New("mqtt: hub needs the device keys")
	}
	opt.KeysEvery = durationOr(opt.KeysEvery, 10*time.Second)
	opt.AlarmEvery = durationOr(opt.AlarmEvery, time.Minute)
	if opt.ID == "" {
		opt.ID = "hub"
	}
	opt.Clock = clock.Or(opt.Clock)
	opt.QueueBytes = intOr(opt.QueueBytes, 32<<20)
	opt.QueueBatches = intOr(opt.QueueBatches, 64)
	opt.DeviceBytes = intOr(opt.DeviceBytes, 8<<20)
	opt.WarnEvery = durationOr(opt.WarnEvery, time.Minute)
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	topics, err := opt.Conn.topics()
	if err != nil {
		return nil, err
	}
	h := &Collector{
		opt:     opt,
		topics:  topics,
		states:  map[string]Presence{},
		qDev:    map[string]int{},
		warns:   map[warnKey]*warning{},
		keys:    map[string]cachedKey{},
		refused: map[string]*refused{},
		pushes:  map[*pushJob]struct{}{},
		up:      make(chan struct{}),
		sig:     make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
		stop:    make(chan struct{}),
	}
	h.log = opt.Logger.With("component", "mqtt", "hub", opt.ID)
	h.epoch = h.counter()
	will := HubState{Status: Offline, Hub: opt.ID, Software: opt.Software, TS: opt.Clock.Now().UnixMilli(), Epoch: h.epoch, Counter: h.epoch}
	h.client, err = newClient(opt.Conn, session{
		clientID:  opt.ID,
		willTopic: topics.HubState(),
		will:      will.Sign(opt.Key).Encode(),
		onConnect: h.onConnect,
		onLost:    h.onLost,
		log:       h.log,
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Collector) String() string { return "mqtt.Collector(" + h.opt.ID + ")" }

// counter returns the next of the hub's counters for acks and hub states: the clock in
// microseconds, and always above the one before, so that it grows across restarts too.
func (h *Collector) counter() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ctr = max(h.ctr+1, uint64(h.opt.Clock.Now().UnixMicro()))
	return h.ctr
}

// presence returns the hub state, signed, with the next counter.
func (h *Collector) presence(status string) HubState {
	s := HubState{Status: status, Hub: h.opt.ID, Software: h.opt.Software, TS: h.opt.Clock.Now().UnixMilli(), Epoch: h.epoch, Counter: h.counter()}
	return s.Sign(h.opt.Key)
}

// Start connects to the broker (retrying in the background) and starts the collector.
// Start after Halt, or a second time, does nothing.
func (h *Collector) Start() {
	h.start.Do(func() {
		h.client.Connect()
		go h.run()
	})
}

// Halt stops collecting, publishes the hub's offline state and disconnects. Batches
// received and not yet stored are dropped unacknowledged: their devices send them again.
func (h *Collector) Halt() error {
	h.halt.Do(func() {
		h.start.Do(func() { close(h.done) }) // never started: nothing to wait for
		close(h.quit)
		<-h.done
		if h.client.IsConnectionOpen() {
			t := h.client.Publish(h.topics.HubState(), 1, true, h.presence(Offline).Encode())
			t.WaitTimeout(2 * time.Second)
		}
		close(h.stop)
		h.client.Disconnect(250)
	})
	return nil
}

// States returns the last state of every device heard from since the hub started.
func (h *Collector) States() map[string]Presence {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.states)
}

func (h *Collector) signal() {
	select {
	case h.sig <- struct{}{}:
	default:
	}
}

// onLost notes that the client is not connected (for pushes: connected).
func (h *Collector) onLost(error) {
	h.mu.Lock()
	if h.isUp {
		h.up, h.isUp = make(chan struct{}), false
	}
	h.mu.Unlock()
}

// connected returns a channel closed once the client is connected (now, or when it is).
func (h *Collector) connected() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.up
}

func (h *Collector) onConnect(c paho.Client) {
	h.mu.Lock()
	if !h.isUp {
		close(h.up)
		h.isUp = true
	}
	h.mu.Unlock()
	subs := map[string]byte{
		h.topics.All(KindJournal): 1,
		h.topics.All(KindState):   1,
	}
	watch(c.SubscribeMultiple(subs, h.onMessage), h.stop, h.log, "subscribe", nil)
	h.mu.Lock()
	h.gen++
	h.mu.Unlock()
	h.signal()
}

// onMessage runs in paho's goroutine: it queues the message for the collector and returns,
// or drops a journal batch the queue has no room for (see CollectorOptions.QueueBytes).
func (h *Collector) onMessage(_ paho.Client, m paho.Message) {
	device, kind, ok := h.topics.Parse(m.Topic())
	if !ok || (kind != KindJournal && kind != KindState) {
		return
	}
	data := m.Payload()
	h.mu.Lock()
	if kind == KindJournal {
		n := len(data)
		if h.qBytes+n > h.opt.QueueBytes || h.qDev[device]+n > h.opt.DeviceBytes || h.qN >= h.opt.QueueBatches {
			h.mu.Unlock()
			h.warn(device, "journal batch dropped, the ingest queue is full; the device sends it again",
				"queue_bytes", h.opt.QueueBytes)
			return
		}
		h.qBytes += n
		h.qN++
		h.qDev[device] += n
	} else if h.qStates >= 4*h.opt.QueueBatches {
		h.mu.Unlock()
		h.warn(device, "device state dropped, the ingest queue is full")
		return
	} else {
		h.qStates++
	}
	h.queue = append(h.queue, inbound{device: device, kind: kind, data: data})
	h.mu.Unlock()
	h.signal()
}

type warnKey struct{ device, what string }

type warning struct {
	last    time.Time
	dropped int // since last
}

// warn logs what happened to a device's message at most once per WarnEvery, with how many
// times it happened since the last warning.
func (h *Collector) warn(device, what string, args ...any) {
	now := h.opt.Clock.Now()
	h.mu.Lock()
	k := warnKey{device, what}
	w := h.warns[k]
	if w == nil {
		if len(h.warns) >= 1024 { // a flood of device ids: forget the old ones
			clear(h.warns)
		}
		w = &warning{}
		h.warns[k] = w
	}
	w.dropped++
	if !w.last.IsZero() && now.Sub(w.last) < h.opt.WarnEvery {
		h.mu.Unlock()
		return
	}
	n := w.dropped
	w.last, w.dropped = now, 0
	h.mu.Unlock()
	h.log.Warn(what, append([]any{"device", device, "times", n}, args...)...)
}

func intOr(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

// run is the collector: one goroutine decodes the queued messages of a round while
// another commits the round before it, so decoding overlaps the durable commit.
func (h *Collector) run() {
	rounds := make(chan round, 1)
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		for r := range rounds {
			h.commit(r)
		}
	}()
	defer func() {
		close(rounds)
		<-committed
		close(h.done)
	}()
	var gen uint64
	for {
		select {
		case <-h.quit:
			return
		case <-h.sig:
		}
		h.mu.Lock()
		q, g := h.queue, h.gen
		h.queue, h.qStates = nil, 0
		h.mu.Unlock()
		if g != gen {
			gen = g
			t := h.client.Publish(h.topics.HubState(), 1, true, h.presence(Online).Encode())
			watch(t, h.stop, h.log, "hub state publish", nil)
		}
		r, ok := h.decode(q)
		if !ok || len(r.order) == 0 {
			h.release(q)
			continue
		}
		r.held = q
		select {
		case rounds <- r:
		case <-h.quit:
			return
		}
	}
}

// round is every device's decoded entries of the messages collected at once.
type round struct {
	batches map[string]ledger.Sealed
	order   []string  // devices in the order their first batch came
	held    []inbound // the messages, whose room in the queue commit releases
}

// release gives the room of messages back to the queue: a batch holds its room from its
// arrival until it is committed (or refused), so the bound covers every stage.
func (h *Collector) release(q []inbound) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range q {
		if m.kind != KindJournal {
			continue
		}
		h.qBytes -= len(m.data)
		h.qN--
		if h.qDev[m.device] -= len(m.data); h.qDev[m.device] <= 0 {
			delete(h.qDev, m.device)
		}
	}
}

// decode handles the states of queued messages and decodes their journal batches; ok is
// false when the hub is stopping.
func (h *Collector) decode(q []inbound) (r round, ok bool) {
	r.batches = map[string]ledger.Sealed{}
	for _, m := range q {
		select {
		case <-h.quit:
			return r, false
		default:
		}
		if m.kind == KindState {
			h.handleState(m.device, m.data)
			continue
		}
		b, err := DecodeBatch(m.data)
		if err != nil {
			h.warn(m.device, "journal batch refused", "err", err)
			continue
		}
		if b.Device != m.device {
			h.warn(m.device, "journal batch refused", "err", fmt.Sprintf("batch names device %q", b.Device))
			continue
		}
		if err := h.verify(b); err != nil {
			h.refuse(m.device, err)
			continue
		}
		sb, seen := r.batches[m.device]
		if !seen {
			r.order = append(r.order, m.device)
		}
		sb.Entries = append(sb.Entries, b.Entries...)
		sb.Seals = append(sb.Seals, b.Seal)
		r.batches[m.device] = sb
	}
	h.raiseAlarms(false)
	return r, true
}

// verify checks a batch's seal with the key registered for its device.
func (h *Collector) verify(b *Batch) error {
	now := h.opt.Clock.Now()
	k, cached := h.keys[b.Device]
	if !cached || now.Sub(k.fetched) >= h.opt.KeysEvery {
		if len(h.keys) >= maxCachedKeys {
			clear(h.keys)
		}
		k.pub, k.ok = h.opt.Keys(b.Device)
		k.fetched = now
		h.keys[b.Device] = k
	}
	if !k.ok {
		return errUnregistered
	}
	return b.Verify(k.pub)
}

// maxCachedKeys bounds the decoder's cache of device keys (made-up ids are cached too).
const maxCachedKeys = 4096

var errUnregistered = errors.New("device not registered")

// refuse counts a batch not stored because of its signature or device: nothing is stored,
// acknowledged or counted; the alarm comes from raiseAlarms.
func (h *Collector) refuse(device string, err error) {
	key := device
	if errors.Is(err, errUnregistered) {
		key = ledger.UnknownDevice // one alarm for every made-up id
	}
	r := h.refused[key]
	if r == nil {
		r = &refused{}
		h.refused[key] = r
	}
	r.n++
	r.reason = fmt.Sprintf("%s: %v", device, err)
}

// raiseAlarms raises one alarm per device with refused batches, at most once per
// AlarmEvery (all that wait, when flush), and logs it once.
func (h *Collector) raiseAlarms(flush bool) {
	now := h.opt.Clock.Now()
	for device, r := range h.refused {
		if r.n == 0 {
			if now.Sub(r.raised) >= h.opt.AlarmEvery {
				delete(h.refused, device)
			}
			continue
		}
		if !flush && !r.raised.IsZero() && now.Sub(r.raised) < h.opt.AlarmEvery {
			continue
		}
		detail := fmt.Sprintf("%d journal batch(es) refused, not stored nor acknowledged: last %s", r.n, r.reason)
		h.log.Error("journal refused: not signed by the registered device key", "device", device, "batches", r.n, "last", r.reason)
		if a, ok := h.opt.Sink.(Alarmer); ok {
			if err := a.Raise(device, ledger.AlarmSignature, detail); err != nil {
				h.log.Error("alarm not recorded", "device", device, "err", err)
			}
		}
		r.n, r.raised = 0, now
	}
}

// commit stores a round's entries in one durable commit (MultiSink) or one per device, then
// publishes each device's ack.
func (h *Collector) commit(r round) {
	defer h.release(r.held)
	select {
	case <-h.quit:
		return
	default:
	}
	batches, order := r.batches, r.order
	acks := map[string]uint64{}
	if ss, ok := h.opt.Sink.(SealSink); ok {
		rs, err := ss.IngestSealed(batches)
		if err != nil {
			h.log.Error("journal not stored; not acknowledged", "devices", len(order), "err", err)
			return
		}
		for device, res := range rs {
			acks[device] = res.Upto
		}
	} else if ms, ok := h.opt.Sink.(MultiSink); ok {
		entries := make(map[string][]*journal.Entry, len(batches))
		for device, b := range batches {
			entries[device] = b.Entries
		}
		upto, err := ms.IngestAll(entries)
		if err != nil {
			h.log.Error("journal not stored; not acknowledged", "devices", len(order), "err", err)
			return
		}
		acks = upto
	} else {
		for _, device := range order {
			select {
			case <-h.quit:
				return
			default:
			}
			upto, err := h.opt.Sink.Ingest(device, batches[device].Entries)
			if err != nil {
				h.log.Error("journal not stored; not acknowledged", "device", device, "err", err)
				continue
			}
			acks[device] = upto
		}
	}
	for _, device := range order {
		upto, ok := acks[device]
		if !ok {
			continue
		}
		a := Ack{Device: device, UptoSeq: upto, Counter: h.counter()}.Sign(h.opt.Key)
		t := h.client.Publish(h.topics.Ack(device), 1, false, a.Encode())
		watch(t, h.stop, h.log, "ack publish", nil)
	}
}

func (h *Collector) handleState(device string, data []byte) {
	if h.opt.Known != nil && !h.opt.Known(device) {
		h.warn(device, "device state of an unregistered device ignored")
		return
	}
	if len(data) == 0 {
		h.mu.Lock()
		delete(h.states, device) // retained state cleared
		h.mu.Unlock()
		return
	}
	st, err := DecodeDeviceState(data)
	if err != nil {
		h.warn(device, "device state refused", "err", err)
		return
	}
	p := Presence{DeviceState: st, Seen: h.opt.Clock.Now()}
	h.mu.Lock()
	h.states[device] = p
	pushes := make([]*pushJob, 0, len(h.pushes))
	for j := range h.pushes {
		pushes = append(pushes, j)
	}
	h.mu.Unlock()
	for _, j := range pushes {
		j.state(device, st)
	}
	if h.opt.OnState != nil {
		h.opt.OnState(device, p)
	}
}
