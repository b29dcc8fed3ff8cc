package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"ticketkiosk/mqtt"
)

// maxServePush bounds how long a push asked of serve's API waits for the devices.
const maxServePush = 10 * time.Minute

// pushReply is the answer of serve's POST /push: the outcomes, and why the push did not
// end with every device done ("" when it did).
type pushReply struct {
	Results    []mqtt.Pushed `json:"results"`
	Error      string        `json:"error,omitempty"`
	Incomplete bool          `json:"incomplete,omitempty"` // the error is mqtt.ErrPushIncomplete
}

// PushThroughServe asks the running serve to sign and push the configs (SignConfigs of
// outlet, every device's with all) over its collector's connection, waiting up to timeout
// for the devices. served is false when no serve answers (nothing was done; the caller
// pushes on its own connection). A push that found nothing to push returns no results and
// no error. As with PushSigned, results nil with an error: nothing was published.
func (h *Hub) PushThroughServe(ctx context.Context, outlet string, all bool, timeout time.Duration) (res []mqtt.Pushed, served bool, err error) {
	q, ok := h.serving(timeout + 30*time.Second)
	if !ok {
		return nil, false, nil
	}
	v := url.Values{"outlet": {outlet}, "all": {strconv.FormatBool(all)}, "timeout": {timeout.String()}}
	var r pushReply
	if err := q.postContext(ctx, "/push", v, &r); err != nil {
		return nil, true, err
	}
	switch {
	case r.Incomplete:
		err = fmt.Errorf("%w (serve: %s)", mqtt.ErrPushIncomplete, r.Error)
	case r.Error != "":
		err = fmt.Errorf("hub: serve push: %s", r.Error)
	}
	return r.Results, true, err
}

// pushHandler serves POST /push (outlet, all, timeout): a push of serve's own, through
// push, under the lock that keeps serve's pushes one at a time. halt ends the push when
// serve stops.
func (s *Server) pushHandler(halt context.Context) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		timeout := 30 * time.Second
		if t := r.FormValue("timeout"); t != "" {
			d, err := time.ParseDuration(t)
			if err != nil || d <= 0 {
				http.Error(w, "timeout: not a positive duration: "+t, http.StatusBadRequest)
				return
			}
			timeout = min(d, maxServePush)
		}
		all, _ := strconv.ParseBool(r.FormValue("all"))
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		defer context.AfterFunc(halt, cancel)()
		res, err := s.pushChanged(ctx, r.FormValue("outlet"), !all, mqtt.PushOptions{})
		if res == nil && err != nil && !errors.Is(err, mqtt.ErrNotConnected) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		reply := pushReply{Results: res}
		if err != nil {
			reply.Error, reply.Incomplete = err.Error(), errors.Is(err, mqtt.ErrPushIncomplete)
		}
		writeJSON(w, reply)
	}
}

// pushChanged signs the configs of outlet ("" every outlet; changedOnly: those whose version
// changed) and pushes them over the collector's connection, one push of serve's at a time.
// Nothing to push: no results, no error.
func (s *Server) pushChanged(ctx context.Context, outlet string, changedOnly bool, o mqtt.PushOptions) ([]mqtt.Pushed, error) {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	signed, err := s.h.SignConfigs(outlet, changedOnly)
	if err != nil || len(signed) == 0 {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = s.h.opt.Logger
	}
	return s.h.pushSigned(ctx, s.col.Push, o, signed)
}
