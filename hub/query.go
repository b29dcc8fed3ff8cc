package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/mqtt"
)

// DeviceStatus is one line of `kioskctl status`.
type DeviceStatus struct {
	Device      string    `json:"device"`
	Outlet      string    `json:"outlet"`
	Status      string    `json:"status"` // online, offline, or "never" (never heard from)
	Seen        time.Time `json:"seen,omitzero"`
	Version     uint64    `json:"version"` // the catalogue's current version for it
	Signed      uint64    `json:"signed"`  // last version pushed
	Applied     uint64    `json:"applied"` // version the device reports applied
	ConfigError string    `json:"config_error,omitempty"`
	Printer     string    `json:"printer,omitempty"`
	Software    string    `json:"software,omitempty"`
	Unsynced    uint64    `json:"unsynced"`          // entries the device has not had acknowledged
	OldestAge   int64     `json:"oldest_unsynced_s"` // age of the oldest, seconds, when it reported
	HubSeq      uint64    `json:"hub_seq"`           // contiguous seq the hub stored
	Alarms      int       `json:"alarms"`
	Revoked     bool      `json:"revoked,omitempty"` // the device is revoked (Hub.RevokeDevice)
}

// Status is the state of every device, the email outbox and the journal alarms.
type Status struct {
	// ServeRunning: a running serve answered, and the device states are current. Without
	// it they are as serve last saved them, at AsOf (zero: serve never saved any).
	ServeRunning bool           `json:"serve_running"`
	AsOf         time.Time      `json:"as_of,omitzero"`
	Devices      []DeviceStatus `json:"devices"`
	Mail         MailSummary    `json:"mail"`
	Alarms       []ledger.Alarm `json:"alarms"`
}

// MailSummary counts the outbox's emails by state (one each, however often it was sent),
// and apart from them the relay's answers: a resent email that went out again is one email
// and two deliveries. It lists the emails not delivered.
type MailSummary struct {
	Pending   int `json:"pending"`
	Sent      int `json:"sent"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
	// Resent counts the emails queued again by resend; Deliveries the sendings the relay
	// accepted; FailedAttempts the attempts it refused, across resends.
	Resent         int          `json:"resent"`
	Deliveries     int          `json:"deliveries"`
	FailedAttempts int          `json:"failed_attempts"`
	Problems       []MailStatus `json:"problems,omitempty"` // failed, or pending after a failed attempt
}

// MailStatus is an email with a delivery problem.
type MailStatus struct {
	Device    string    `json:"device"`
	Seq       uint64    `json:"seq"`
	To        string    `json:"to"`
	State     MailState `json:"state"`
	Attempts  int       `json:"attempts"`
	Next      time.Time `json:"next"`
	LastError string    `json:"last_error"`
}

// NoPrinter ends the printer state a kiosk without a printer reports ("offline: no printer
// configured"); for a device of an email outlet that is no fault, and status says "none
// (email outlet)".
const NoPrinter = "no printer configured"

// Query answers report, verify and status, from the ledger directly or through a running
// serve's API.
type Query interface {
	Report(f Filter) (*Report, error)
	Verify(code string) (Verification, error)
	// CheckIn admits a ticket at a gate (Hub.CheckIn).
	CheckIn(code, gate string) (Verification, error)
	Status() (*Status, error)
	// Allotments is Hub.Allotments of an outlet ("" for every outlet).
	Allotments(outlet string) ([]Allotment, error)
	// Resolve resolves a journal alarm with a recorded reason (ledger.Ledger.Resolve).
	Resolve(id, reason string, stand ledger.Stand) (ledger.Alarm, error)
	Close() error
}

// Query opens the ledger for queries; when a serve is running (it holds the ledger), the
// queries go to its loopback API instead. A serve.addr left behind by a crash is ignored
// when nothing answers there.
func (h *Hub) Query() (Query, error) {
	if q, ok := h.serving(30 * time.Second); ok {
		return q, nil
	}
	l, err := h.OpenLedger(ledger.Options{})
	if err != nil {
		return nil, err
	}
	return localQuery{h: h, l: l, own: true}, nil
}

// serving returns a client of the running serve's API (requests time out after timeout),
// or false when no serve answers at the address of AddrFile.
func (h *Hub) serving(timeout time.Duration) (remoteQuery, bool) {
	b, err := os.ReadFile(filepath.Join(h.dir, AddrFile))
	if err != nil {
		return remoteQuery{}, false
	}
	addr := strings.TrimSpace(string(b))
	base := "http://" + addr
	if rest, ok := strings.CutPrefix(addr, "https://"); ok { // the API over TLS
		addr, base = rest, "https://"+rest
	}
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return remoteQuery{}, false
	}
	c.Close()
	return remoteQuery{base: base, token: h.readAPIToken(), c: &http.Client{Timeout: timeout}}, true
}

type localQuery struct {
	h    *Hub
	l    *ledger.Ledger
	own  bool
	live func() map[string]mqtt.Presence // serve's states not yet saved; nil outside serve
}

func (q localQuery) Close() error {
	if q.own {
		return q.l.Close()
	}
	return nil
}

func (q localQuery) Report(f Filter) (*Report, error) {
	if err := q.h.CheckFilter(f); err != nil {
		return nil, err
	}
	if f.Titles == nil {
		t, err := q.h.Titles()
		if err != nil {
			return nil, err
		}
		f.Titles = t
	}
	cur, err := q.h.Currencies()
	if err != nil {
		return nil, err
	}
	if f.Currency == nil {
		f.Currency = func(outlet string) string { return cur[outlet] }
	}
	r, err := MakeReport(q.l.Counters, f)
	if err == nil && len(r.Rows) == 0 {
		// No sales: the report is in the currency of the outlets it covers, when they
		// share one, so that even an empty report says what its zeros are in.
		var c currencies
		for o, code := range cur {
			if f.Outlet == "" || o == f.Outlet {
				c.add(code)
			}
		}
		r.Currency = c.code
	}
	return r, err
}

func (q localQuery) Allotments(outlet string) ([]Allotment, error) {
	return q.h.Allotments(q.l, outlet)
}

func (q localQuery) Verify(code string) (Verification, error) { return q.h.Verify(code, q.l) }

func (q localQuery) CheckIn(code, gate string) (Verification, error) {
	return q.h.CheckIn(code, gate, q.l)
}

func (q localQuery) Status() (*Status, error) {
	h := q.h
	devs, err := h.Devices("")
	if err != nil {
		return nil, err
	}
	states, err := h.States()
	if err != nil {
		return nil, err
	}
	if q.live != nil {
		for d, p := range q.live() {
			states[d] = p
		}
	}
	ldevs, err := q.l.Devices()
	if err != nil {
		return nil, err
	}
	byID := map[string]ledger.Device{}
	for _, d := range ldevs {
		byID[d.ID] = d
	}
	st := &Status{Devices: []DeviceStatus{}, ServeRunning: q.live != nil}
	if st.ServeRunning {
		st.AsOf = h.Now()
	} else if st.AsOf, err = h.StatesSaved(); err != nil {
		return nil, err
	}
	outs, err := h.Outlets()
	if err != nil {
		return nil, err
	}
	email := map[string]bool{}
	for _, o := range outs {
		email[o.ID] = o.Delivery == catalog.DeliveryEmail
	}
	for _, d := range devs {
		ds := DeviceStatus{Device: d.ID, Outlet: d.Outlet, Status: "never", Version: d.Version, Signed: d.Signed, Revoked: d.Revoked != nil}
		if p, ok := states[d.ID]; ok {
			ds.Status, ds.Seen, ds.Applied, ds.ConfigError = p.Status, p.Seen, p.ConfigVersion, p.ConfigError
			ds.Printer, ds.Software, ds.Unsynced, ds.OldestAge = p.Printer, p.Software, p.Unsynced, p.OldestUnsyncedS
			if email[d.Outlet] && (ds.Printer == "" || strings.HasSuffix(ds.Printer, NoPrinter)) {
				ds.Printer = "none (email outlet)"
			}
		}
		if ld, ok := byID[d.ID]; ok {
			ds.HubSeq, ds.Alarms = ld.LastSeq, ld.Alarms
			if ds.Seen.IsZero() || ld.Seen.After(ds.Seen) {
				ds.Seen = ld.Seen
			}
		}
		st.Devices = append(st.Devices, ds)
	}
	if st.Alarms, err = q.l.Alarms(); err != nil {
		return nil, err
	}
	box, err := h.Outbox()
	if err != nil {
		return nil, err
	}
	for _, m := range box {
		switch m.State {
		case MailPending:
			st.Mail.Pending++
		case MailSent:
			st.Mail.Sent++
		case MailFailed:
			st.Mail.Failed++
		case MailCancelled:
			st.Mail.Cancelled++
		}
		if m.Resends > 0 {
			st.Mail.Resent++
		}
		st.Mail.Deliveries += m.Deliveries()
		st.Mail.FailedAttempts += m.Failures
		if m.State == MailFailed || (m.State == MailPending && m.Attempts > 0) {
			st.Mail.Problems = append(st.Mail.Problems, MailStatus{m.Device, m.Seq, m.To, m.State, m.Attempts, m.Next, m.LastError})
		}
	}
	sort.Slice(st.Devices, func(i, j int) bool { return st.Devices[i].Device < st.Devices[j].Device })
	return st, nil
}

// apiHandler serves the queries as JSON on /report, /verify, /checkin (POST: a gate
// scanner admits a ticket) and /status, to requests that carry the token (requireToken).
// Verify and check-in answers leave the buyer's email out.
func (h *Hub) apiHandler(q Query, token string) http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		if errors.Is(err, ErrNotFound) {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, v)
	}
	mux.HandleFunc("GET /report", func(w http.ResponseWriter, r *http.Request) {
		v := r.URL.Query()
		f := Filter{Outlet: v.Get("outlet"), User: v.Get("user"), Event: v.Get("event"), By: By(v.Get("by")), Period: journal.Whole()}
		for _, p := range []struct {
			name string
			day  *journal.Day
		}{{"from", &f.Period.From}, {"to", &f.Period.To}} {
			if s := v.Get(p.name); s != "" {
				d, err := journal.ParseDay(s)
				if err != nil {
					http.Error(w, p.name+": "+err.Error(), http.StatusBadRequest)
					return
				}
				*p.day = d
			}
		}
		if f.By != "" {
			if _, err := ParseBy(string(f.By)); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		rep, err := q.Report(f)
		reply(w, rep, err)
	})
	mux.HandleFunc("GET /allotments", func(w http.ResponseWriter, r *http.Request) {
		a, err := q.Allotments(r.URL.Query().Get("outlet"))
		reply(w, a, err)
	})
	mux.HandleFunc("GET /verify", func(w http.ResponseWriter, r *http.Request) {
		v, err := q.Verify(r.URL.Query().Get("code"))
		reply(w, withoutBuyer(v), err)
	})
	mux.HandleFunc("POST /checkin", func(w http.ResponseWriter, r *http.Request) {
		v, err := q.CheckIn(r.FormValue("code"), r.FormValue("gate"))
		if errors.Is(err, ErrInvalid) {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reply(w, withoutBuyer(v), err)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		st, err := q.Status()
		reply(w, st, err)
	})
	mux.HandleFunc("POST /alarms/resolve", resolveHandler(q, reply))
	return requireToken(token, mux)
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

type remoteQuery struct {
	base  string
	token string
	c     *http.Client
}

// do sends a request with the token.
func (q remoteQuery) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+q.token)
	return q.c.Do(req)
}

func (remoteQuery) Close() error { return nil }

func (q remoteQuery) get(path string, v url.Values, out any) error {
	req, err := http.NewRequest(http.MethodGet, q.base+path+"?"+v.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := q.do(req)
	if err != nil {
		return fmt.Errorf("hub: serve api: %w", err)
	}
	return decodeReply(resp, out)
}

// decodeReply reads an API answer into out, or its error.
func decodeReply(resp *http.Response, out any) error {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("hub: serve api: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("hub: serve api: %w", err)
	}
	return nil
}

func (q remoteQuery) Report(f Filter) (*Report, error) {
	if f.Period == (journal.Period{}) {
		f.Period = journal.Whole()
	}
	v := url.Values{"outlet": {f.Outlet}, "user": {f.User}, "event": {f.Event}, "by": {string(f.By)}}
	if f.Period.From != journal.MinDay {
		v.Set("from", f.Period.From.String())
	}
	if f.Period.To != journal.MaxDay {
		v.Set("to", f.Period.To.String())
	}
	var r Report
	if err := q.get("/report", v, &r); err != nil {
		return nil, err
	}
	r.Period = f.Period
	return &r, nil
}

func (q remoteQuery) Allotments(outlet string) ([]Allotment, error) {
	var a []Allotment
	return a, q.get("/allotments", url.Values{"outlet": {outlet}}, &a)
}

func (q remoteQuery) Verify(code string) (Verification, error) {
	var v Verification
	return v, q.get("/verify", url.Values{"code": {code}}, &v)
}

func (q remoteQuery) CheckIn(code, gate string) (Verification, error) {
	var v Verification
	return v, q.post("/checkin", url.Values{"code": {code}, "gate": {gate}}, &v)
}

// post sends a form with the token and reads the answer into out.
func (q remoteQuery) post(path string, v url.Values, out any) error {
	return q.postContext(context.Background(), path, v, out)
}

// postContext is post with a context.
func (q remoteQuery) postContext(ctx context.Context, path string, v url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.base+path, strings.NewReader(v.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := q.do(req)
	if err != nil {
		return fmt.Errorf("hub: serve api: %w", err)
	}
	return decodeReply(resp, out)
}

func (q remoteQuery) Status() (*Status, error) {
	var s Status
	return &s, q.get("/status", nil, &s)
}
