package hub

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// TokenFile in the hub directory holds the query API's bearer token (0600): Init creates
// it (serve too, for a hub made without one), and the kioskctl commands that ask a running serve read it. Only
// who can read the hub directory can query.
const TokenFile = "api.token"

// ErrAPIAddr is returned by serve for a query API address it will not listen on.
var ErrAPIAddr = errors.New("hub: serve: query api")

// APIToken returns the query API's token, creating TokenFile when there is none.
func (h *Hub) APIToken() (string, error) {
	path := filepath.Join(h.dir, TokenFile)
	if b, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("hub: api token: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	t := hex.EncodeToString(raw)
	if err := os.WriteFile(path+".tmp", []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("hub: api token: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return "", fmt.Errorf("hub: api token: %w", err)
	}
	return t, nil
}

// readAPIToken reads TokenFile ("" when there is none).
func (h *Hub) readAPIToken() string {
	b, err := os.ReadFile(filepath.Join(h.dir, TokenFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// requireToken answers 401 to a request without "Authorization: Bearer <token>".
func requireToken(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if token == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kioskctl"`)
			http.Error(w, "unauthorized: the token of "+TokenFile+" in the hub directory is needed", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkAPIAddr refuses a query API address that is not loopback unless the API is served
// over TLS (it always asks for the token).
func checkAPIAddr(addr string, tlsOn bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: address %q: %w", ErrAPIAddr, addr, err)
	}
	if tlsOn || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s is not a loopback address: a query API on the network needs TLS (a certificate and key)", ErrAPIAddr, addr)
}

// withoutBuyer returns v without the buyer's email address: a gate that verifies or checks
// in a ticket does not need it.
func withoutBuyer(v Verification) Verification {
	if v.Sale != nil && v.Sale.Sale != nil && v.Sale.Sale.Buyer != "" {
		e, s := *v.Sale, *v.Sale.Sale
		s.Buyer = ""
		e.Sale = &s
		v.Sale = &e
	}
	return v
}
