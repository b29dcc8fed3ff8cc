package hub

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketkiosk/mqtt"
	"ticketkiosk/mqtt/broker"
	"ticketkiosk/testkit"
)

// TestQueryAPINeedsTheToken runs serve and asks its API as an outsider would: without a
// token and with a wrong one it answers 401; kioskctl's own queries, which read the token
// file serve created (0600), are answered.
func TestQueryAPINeedsTheToken(t *testing.T) {
	bk, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", Anonymous: true, Logger: quiet})
	must(t, err)
	defer bk.Close()
	h, _ := newHub(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- NewServer(h, ServeOptions{Conn: mqtt.Options{URL: bk.URL(), AllowInsecure: true},
			Ready: func(addr string) { ready <- addr }}).Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	fi, err := os.Stat(filepath.Join(h.dir, TokenFile))
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", fi.Mode().Perm())
	}
	for _, auth := range []string{"", "Bearer wrong", "Bearer ", "Basic " + strings.Repeat("x", 64)} {
		for _, path := range []string{"GET /status", "GET /report", "GET /verify?code=x", "POST /checkin", "POST /push"} {
			method, target, _ := strings.Cut(path, " ")
			req, _ := http.NewRequest(method, "http://"+addr+target, strings.NewReader("code=x&gate=g&all=true"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s with %q: %s", path, auth, resp.Status)
			}
		}
	}
	// kioskctl push's ask, with the token: served, and nothing to push.
	res, served, err := h.PushThroughServe(ctx, "", true, 5*time.Second)
	if !served || res != nil || err != nil {
		t.Fatalf("push through serve: served %v, %+v, %v", served, res, err)
	}
	q, err := h.Query()
	must(t, err)
	defer q.Close()
	if _, remote := q.(remoteQuery); !remote {
		t.Fatal("the query did not go to serve")
	}
	st, err := q.Status()
	must(t, err)
	if !st.ServeRunning {
		t.Fatalf("status %+v", st)
	}
}

// TestServeRefusesANetworkAPIWithoutTLS: serve does not start with its query API on a
// non-loopback address unless it serves it over TLS.
func TestServeRefusesANetworkAPIWithoutTLS(t *testing.T) {
	h, _ := newHub(t)
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:8080"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := NewServer(h, ServeOptions{Conn: mqtt.Options{URL: "tcp://127.0.0.1:1", AllowInsecure: true}, HTTP: addr}).Run(ctx)
		cancel()
		if !errors.Is(err, ErrAPIAddr) || !strings.Contains(err.Error(), "TLS") {
			t.Errorf("--http %s: %v", addr, err)
		}
	}
	ca := testkit.NewCA(t)
	cert, key := ca.Issue(t, "localhost", true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- NewServer(h, ServeOptions{Conn: mqtt.Options{URL: "tcp://127.0.0.1:1", AllowInsecure: true},
			HTTP: "0.0.0.0:0", APICert: cert, APIKey: key, Ready: func(a string) { ready <- a }}).Run(ctx)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve with TLS: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve with TLS did not start")
	}
	b, err := os.ReadFile(filepath.Join(h.dir, AddrFile))
	must(t, err)
	if !strings.HasPrefix(string(b), "https://") {
		t.Errorf("serve.addr %q", b)
	}
	cancel()
	<-done
}

// TestVerifyAnswerHasNoBuyer: the API's verify and check-in answers leave the buyer's
// email out, and the sale the ledger holds keeps it.
func TestVerifyAnswerHasNoBuyer(t *testing.T) {
	h, clk := newHub(t)
	k1, _ := setupOutlet(t, h)
	l := openLedger(t, h)
	s1 := k1.sale(t, "books", "print", "", clk.Now(), "boss@example.org", concert, map[string]int{"std": 1})
	s1.Sale.Buyer = "buyer@example.org"
	ingest(t, l, k1, s1)
	srv := httptest.NewServer(h.apiHandler(localQuery{h: h, l: l}, "tok"))
	defer srv.Close()
	q := remoteQuery{base: srv.URL, token: "tok", c: srv.Client()}
	for _, ask := range []func() (Verification, error){
		func() (Verification, error) { return q.Verify(s1.Sale.Tickets[0].Code) },
		func() (Verification, error) { return q.CheckIn(s1.Sale.Tickets[0].Code, "east") },
	} {
		w, err := ask()
		must(t, err)
		if w.Sale == nil || w.Sale.Sale.Buyer != "" || w.Sale.Sale.Tickets[0].Code != s1.Sale.Tickets[0].Code {
			t.Fatalf("the API's sale: %+v", w.Sale)
		}
	}
	v, err := h.Verify(s1.Sale.Tickets[0].Code, l)
	must(t, err)
	if v.Sale == nil || v.Sale.Sale.Buyer != "buyer@example.org" {
		t.Fatalf("the ledger's sale: %+v", v.Sale)
	}
}
