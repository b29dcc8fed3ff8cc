package hub

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"ticketkiosk/ledger"
)

// Resolve resolves a journal alarm with the operator's reason (ledger.Ledger.Resolve); for
// a conflict, stand says which entry at its seq stands.
func (q localQuery) Resolve(id, reason string, stand ledger.Stand) (ledger.Alarm, error) {
	a, err := q.l.Resolve(id, reason, stand)
	if errors.Is(err, ledger.ErrNotFound) {
		err = fmt.Errorf("%w: alarm %s", ErrNotFound, id)
	}
	return a, err
}

// Resolve asks the running serve to resolve an alarm.
func (q remoteQuery) Resolve(id, reason string, stand ledger.Stand) (ledger.Alarm, error) {
	var a ledger.Alarm
	return a, q.post("/alarms/resolve", url.Values{"id": {id}, "reason": {reason}, "stand": {string(stand)}}, &a)
}

// resolveHandler is the API's POST /alarms/resolve (id, reason, stand).
func resolveHandler(q Query, reply func(http.ResponseWriter, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := q.Resolve(r.FormValue("id"), r.FormValue("reason"), ledger.Stand(r.FormValue("stand")))
		if err != nil && !errors.Is(err, ErrNotFound) {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reply(w, a, err)
	}
}
