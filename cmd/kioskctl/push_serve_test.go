package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketkiosk/hub"
	"ticketkiosk/mqtt"
	"ticketkiosk/mqtt/mqtttest"
	"ticketkiosk/store"
	"ticketkiosk/testkit"
)

// TestPushWhileServing runs the hub behind Mosquitto on the shipped configuration, where
// the broker names every connection of the hub "hub": init makes api.token; push before
// serve connects itself; with serve running, a user created on the device makes serve
// auto-push, and kioskctl push asks serve, so both configs go over serve's one connection.
// The device applies each, serve's collector is never disconnected and keeps
// acknowledging the device's sales.
func TestPushWhileServing(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	hubDir := filepath.Join(dir, "hub")
	t.Setenv("KIOSKCTL_DIR", hubDir)
	ca := testkit.NewCA(t)
	bk := mqtttest.ShippedMosquitto(t, ca, filepath.Join("..", "..", "scripts"))
	conn := func(cn string) mqtt.Options {
		cert, key := ca.Issue(t, cn, false)
		return mqtt.Options{URL: bk.URL(), CAFile: ca.File(), CertFile: cert, KeyFile: key, ReconnectMax: time.Second}
	}
	hubConn := conn("hub")
	pushArgs := []string{"push", "--broker", bk.URL(), "--ca-file", hubConn.CAFile, "--cert-file", hubConn.CertFile, "--key-file", hubConn.KeyFile, "--timeout", "20s"}

	out := mustCtl(t, "", "init")
	if fi, err := os.Stat(filepath.Join(hubDir, hub.TokenFile)); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
		t.Fatalf("init: %s: %v, %v", hub.TokenFile, fi, err)
	}
	hubKey, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.SplitN(out, "public key: ", 2)[1]))
	if err != nil {
		t.Fatal(err)
	}
	mustCtl(t, "", "outlet", "add", "books", "--name", "Books", "--delivery", "print")
	mustCtl(t, "", "event", "add", "concert", "--title", "Concert", "--venue", "Hall", "--start", "2027-03-14T20:00", "--type", "std:Standard:12.50")
	mustCtl(t, "", "link", "books", "concert", "--allot", "std=50")
	mustCtl(t, "pass-boss\n", "user", "add", "boss@example.org", "--outlet", "books", "--role", "supervisor", "--code", "9001")
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	mustCtl(t, "", "device", "add", "k1", "--outlet", "books", "--key", base64.StdEncoding.EncodeToString(pub))

	st, err := store.Open(filepath.Join(dir, "k1.db"), store.Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dev, err := mqtt.NewDevice(mqtt.DeviceOptions{Conn: conn("k1"), Store: st, Key: priv, HubKey: hubKey, Logger: quiet,
		StateEvery: 200 * time.Millisecond, AckTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dev.Start()
	defer dev.Halt()
	version := func(want uint64) func() bool {
		return func() bool { c, err := st.Config(); return err == nil && c.Version >= want }
	}

	// No serve: push connects itself.
	if out := mustCtl(t, "", pushArgs...); !strings.Contains(out, "1 of 1 devices applied their config") {
		t.Fatalf("push before serve:\n%s", out)
	}

	serveLog, lost := mqtttest.LostCounter()
	hs, err := hub.Open(hubDir, hub.Options{Logger: serveLog})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		served <- hub.NewServer(hs, hub.ServeOptions{Conn: hubConn, AutoPush: true, Collect: 100 * time.Millisecond,
			Ready: func(string) { close(ready) }}).Run(ctx)
	}()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	<-ready
	sell(t, st, priv, "boss@example.org", map[string]int{"std": 1})
	dev.Wake()
	acked := func() bool { b, err := st.Unsynced(); return err == nil && b.Entries == 0 }
	testkit.Eventually(t, 20*time.Second, "the sale acknowledged", acked)

	// A user created on the device: serve auto-pushes config 2.
	createCleo(t, st)
	dev.Wake()
	testkit.Eventually(t, 20*time.Second, "config 2, auto-pushed", version(2))

	// A user added at the hub: kioskctl push, with serve running, pushes config 3.
	mustCtl(t, "pass-dora\n", "user", "add", "dora@example.org", "--outlet", "books", "--role", "cashier", "--code", "1003")
	if out := mustCtl(t, "", pushArgs...); !strings.Contains(out, "1 of 1 devices applied their config") {
		t.Fatalf("push while serving:\n%s", out)
	}
	if c, _ := st.Config(); c.Version != 3 {
		t.Fatalf("config %d after the push while serving, want 3", c.Version)
	}
	sell(t, st, priv, "boss@example.org", map[string]int{"std": 2})
	dev.Wake()
	testkit.Eventually(t, 20*time.Second, "every entry acknowledged after the pushes", acked)
	if n := lost.Load(); n != 0 {
		t.Fatalf("serve's collector was disconnected %d times", n)
	}
}
