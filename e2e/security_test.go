package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
	"ticketkiosk/mqtt"
	"ticketkiosk/testkit"
)

// client is a plain MQTT client playing another party: an attacker on an ACL-free broker,
// or a spy.
func client(t testing.TB, url, id string) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(true).
		SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond).SetMaxReconnectInterval(time.Second)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("mqtt connect %s: %v", id, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func wait(t testing.TB, tok paho.Token) {
	t.Helper()
	if !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("mqtt: %v", tok.Error())
	}
}

// retained returns the retained message of a topic.
func retained(t testing.TB, c paho.Client, topic string) []byte {
	t.Helper()
	got := make(chan []byte, 1)
	wait(t, c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		select {
		case got <- append([]byte(nil), m.Payload()...):
		default:
		}
	}))
	defer c.Unsubscribe(topic)
	select {
	case b := <-got:
		return b
	case <-time.After(20 * time.Second):
		t.Fatalf("no retained message on %s", topic)
		return nil
	}
}

// TestConfigRefusals publishes forged, cross-device, rollback, malformed and
// unknown-version configs retained on a running kioskd's config topic (the broker has no
// ACL here: anyone may publish). The kiosk refuses each, says why on its state topic (seen
// through kioskctl status), keeps the config it applied, and still sells at its prices.
func TestConfigRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.catalogue()
	k1, k2 := e.newKiosk("k1", kioskConf{}), e.newKiosk("k2", kioskConf{})
	k1.register(outletBooks)
	k2.register(outletBooks)
	k1.mustStart()
	k2.mustStart()
	e.serve()
	e.push(2)
	tp, _ := mqtt.NewTopics("")
	spy := client(t, e.broker.URL(), "spy")
	v1 := retained(t, spy, tp.Config("k1"))
	// A new user bumps both devices to version 2.
	e.mustCtl("erin-secret\n", "user", "add", "erin@books.example", "--outlet", outletBooks, "--role", "cashier", "--code", "1003")
	e.push(2)
	v2 := retained(t, spy, tp.Config("k1"))
	k2v2 := retained(t, spy, tp.Config("k2"))
	hubPub, err := catalog.ParsePublicKey(e.hubKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := catalog.Open(v2, hubPub, "k1")
	if err != nil {
		t.Fatalf("k1's retained config: %v", err)
	}
	applied := cfg.Version
	if old, err := catalog.Peek(v1); err != nil || old.Version >= applied {
		t.Fatalf("the first config (%+v, %v) is not older than version %d", old, err, applied)
	}
	// The forgery: the next version, a one-cent price and a new title, signed by another key.
	forgedCfg := *cfg
	forgedCfg.Version = applied + 1
	forgedCfg.Events = append([]catalog.Event(nil), cfg.Events...)
	forgedCfg.Events[0].Title = "FORGED"
	forgedCfg.Events[0].Types = append([]catalog.TicketType(nil), cfg.Events[0].Types...)
	forgedCfg.Events[0].Types[0].Price = 1
	_, evil, _ := ed25519.GenerateKey(rand.Reader)
	forged, err := catalog.Sign(&forgedCfg, evil)
	if err != nil {
		t.Fatal(err)
	}
	// The applied envelope under an envelope version the kiosk does not know.
	var unknownV []byte
	unknownV = append(unknownV, v2...)
	unknownV = []byte(strings.Replace(string(unknownV), `"v":1`, `"v":99`, 1))

	attacker := client(t, e.broker.URL(), "attacker")
	cases := []struct {
		name, reason string
		payload      []byte
	}{
		{"forged", mqtt.RefusedBadSignature, forged},
		{"cross-device", mqtt.RefusedWrongDevice, k2v2},
		{"rollback", mqtt.RefusedStale, v1},
		{"malformed", mqtt.RefusedMalformed, []byte(`{"v":1,"device_id":"k1","config":`)},
		{"unknown version", mqtt.RefusedUnknownVersion, unknownV},
	}
	for _, c := range cases {
		wait(t, attacker.Publish(tp.Config("k1"), 1, true, c.payload))
		var last string
		ok := testkit.Poll(30*time.Second, func() bool {
			d, err := e.deviceStatus("k1")
			if err != nil {
				return false
			}
			last = fmt.Sprintf("%+v", d)
			return strings.HasPrefix(d.ConfigError, c.reason) && d.Applied == applied
		})
		if !ok {
			t.Fatalf("%s config: status never showed %q with version %d kept; last %s", c.name, c.reason, applied, last)
		}
	}
	// k2 was not touched.
	if d, err := e.deviceStatus("k2"); err != nil || d.Applied != d.Version || d.ConfigError != "" {
		t.Fatalf("k2: %+v, %v", d, err)
	}
	// k1 still sells at the applied version's price, under its title.
	if _, err := k1.WaitScreen("OK to log in", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	s, err := k1.sell(anna, titles[outletBooks], order{event: 1, typ: 1, qty: 1}, 150*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	k1.Stop()
	st := k1.openStore(t)
	defer st.Close()
	if v := st.ConfigVersion(); v != applied {
		t.Fatalf("k1 applied version %d after the attacks", v)
	}
	seq, err := st.SaleSeq(s.no)
	if err != nil {
		t.Fatalf("sale number %d after the attacks: %v", s.no, err)
	}
	en, err := st.Entry(seq)
	if err != nil || en.Sale == nil || en.Sale.Total != 1250 || en.Sale.Event != "jazz" {
		t.Fatalf("sale %d (entry %d) after the attacks: %+v, %v", s.no, seq, en, err)
	}
	log, _ := os.ReadFile(k1.log)
	if n := strings.Count(string(log), "config refused"); n < len(cases) {
		t.Fatalf("kioskd logged %d refusals, want %d:\n%s", n, len(cases), log)
	}
}

// TestTLSAndACLThroughKioskd runs Mosquitto with TLS, client certificates, a password per
// device and the shipped per-device ACL (scripts/mosquitto.acl), and kioskd and kioskctl
// with their own credentials. A kiosk started as k2 but holding k1's credentials never
// gets k2's config (the ACL withholds it) and cannot speak as k2; the same kiosk with
// k2's own credentials gets it at once.
func TestTLSAndACLThroughKioskd(t *testing.T) {
	t.Parallel()
	ca := testkit.NewCA(t)
	srvCert, srvKey := ca.Issue(t, "broker", true)
	acl, err := filepath.Abs(filepath.Join("..", "scripts", "mosquitto.acl"))
	if err != nil {
		t.Fatal(err)
	}
	pwDir := t.TempDir()
	pwFile := filepath.Join(pwDir, "passwd")
	secret := map[string]string{}
	for i, u := range []string{"hub", "k1", "k2"} {
		secret[u] = filepath.Join(pwDir, u+".pw")
		pw := fmt.Sprintf("%s-pass-%d", u, i)
		if err := os.WriteFile(secret[u], []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"-b", pwFile, u, pw}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(passwdBinary(t), args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
		}
	}
	b := startBroker(t, "ssl",
		"cafile "+ca.File(), "certfile "+srvCert, "keyfile "+srvKey,
		"require_certificate true", "use_identity_as_username false",
		"allow_anonymous false", "password_file "+pwFile, "acl_file "+acl)

	e := &env{t: t, dir: t.TempDir(), broker: b}
	e.kioskd, e.kioskctl = binaries(t)
	e.hubDir = filepath.Join(e.dir, "hub")
	hubCert, hubKey := ca.Issue(t, "hub", false)
	e.conn = []string{"--broker", b.URL(), "--username", "hub", "--password-file", secret["hub"],
		"--ca-file", ca.File(), "--cert-file", hubCert, "--key-file", hubKey}
	out := e.mustCtl("", "init")
	_, key, _ := strings.Cut(out, "public key: ")
	e.hubKey = strings.TrimSpace(key)
	e.catalogue()

	mqttConf := func(user string) []string {
		cert, key := ca.Issue(t, user, false)
		return []string{fmt.Sprintf("url = %q", b.URL()), fmt.Sprintf("username = %q", user),
			fmt.Sprintf("password_file = %q", secret[user]), fmt.Sprintf("ca_file = %q", ca.File()),
			fmt.Sprintf("cert_file = %q", cert), fmt.Sprintf("key_file = %q", key)}
	}
	k1Creds := mqttConf("k1")
	k1 := e.newKiosk("k1", kioskConf{MQTT: k1Creds})
	impostor := e.newKiosk("k2", kioskConf{MQTT: k1Creds})
	k1.register(outletBooks)
	impostor.register(outletBooks)
	k1.mustStart()
	impostor.mustStart()
	e.serve()

	// push: k1 applies its config over TLS; k2's stays withheld from k1's credentials.
	code, out, errs := e.ctl("", append([]string{"push", "--timeout", "10s"}, e.conn...)...)
	if code != 1 || !strings.Contains(out, "1 of 2 devices applied their config") {
		t.Fatalf("push: exit %d\n%s%s", code, out, errs)
	}
	if _, err := k1.WaitScreen("OK to log in", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	// k1's journal reaches the hub through the ACL; the impostor is never heard of as k2.
	if !testkit.Poll(30*time.Second, func() bool {
		d, err := e.deviceStatus("k1")
		return err == nil && d.HubSeq >= 1 && d.Applied == d.Version && d.Status == "online"
	}) {
		d, _ := e.deviceStatus("k1")
		t.Fatalf("k1 at the hub: %+v", d)
	}
	if d, err := e.deviceStatus("k2"); err != nil || d.Status != "never" || d.Applied != 0 || d.HubSeq != 0 {
		t.Fatalf("k2 at the hub with k1's credentials: %+v, %v", d, err)
	}
	impostor.Stop()
	if last, _ := impostor.Settle(10*time.Millisecond, time.Second); !strings.Contains(last, "Not configured yet") {
		t.Fatalf("the impostor shows %q", last)
	}
	if n := impostor.lastSeq(t); n != 0 {
		t.Fatalf("the impostor journaled %d entries (a config applied?)", n)
	}

	// With its own credentials, the same kiosk is k2 and applies k2's config.
	conf, err := os.ReadFile(impostor.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	own := strings.Join(mqttConf("k2"), "\n")
	conf = []byte(strings.Replace(string(conf), strings.Join(k1Creds, "\n"), own, 1))
	if err := os.WriteFile(impostor.cfgPath, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	impostor.mustStart()
	if _, err := impostor.WaitScreen("OK to log in", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if !testkit.Poll(30*time.Second, func() bool {
		d, err := e.deviceStatus("k2")
		return err == nil && d.Applied == d.Version && d.HubSeq >= 1
	}) {
		d, _ := e.deviceStatus("k2")
		t.Fatalf("k2 with its own credentials: %+v", d)
	}
}

func passwdBinary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mosquitto_passwd"); err == nil {
		return p
	}
	t.Fatal("mosquitto_passwd is not installed (it comes with the mosquitto package)")
	return ""
}

// login logs u in from the idle or code screen and returns the screen it led to.
func (k *kiosk) login(t testing.TB, u user, pass string) string {
	t.Helper()
	line, _ := k.Settle(150*time.Millisecond, 20*time.Second)
	switch classify(line, nil) {
	case scrIdle:
		k.Send(u.code + "\n" + pass + "\n")
	case scrLoginID:
		k.Send(backspaces + u.code + "\n" + pass + "\n")
	case scrOther:
		k.Send("\n") // dismiss the last refusal
		// A kiosk slower than Settle's quiet time still shows the refusal: pressing OK
		// again would submit the code it keeps and open the password screen.
		if _, err := k.WaitChange(line, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		return k.login(t, u, pass)
	default:
		t.Fatalf("%s: login from %q", k.id, line)
	}
	for {
		line, ok := k.Settle(150*time.Millisecond, 20*time.Second)
		if !ok {
			t.Fatalf("%s exited; screens:\n%s", k.id, k.Screens())
		}
		if classify(line, nil) != scrBusy && classify(line, nil) != scrLoginID && classify(line, nil) != scrPassword {
			return line
		}
	}
}

// TestKeypadLockoutAndRoles tries, through a kiosk's keypad: five wrong passwords lock the
// user out, so that the right one is refused, also after a kill -9 and restart, while
// another user still logs in; a user of another outlet cannot log in; a cashier's menu
// has no supervisor items, a cashier's reports are only the cashier's, and a cashier
// cannot approve a reprint; a supervisor's approval prints a copy marked COPY; a user the
// organiser disabled cannot log in.
func TestKeypadLockoutAndRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.catalogue()
	k := e.newKiosk("k1", kioskConf{})
	k.register(outletBooks)
	k.mustStart()
	e.serve()
	e.push(1)
	if _, err := k.WaitScreen("OK to log in", 30*time.Second); err != nil {
		t.Fatal(err)
	}

	// Brute force.
	for i := range 5 {
		if got := k.login(t, bob, fmt.Sprintf("guess-%d", i)); !strings.Contains(got, "Wrong code or password") && !strings.Contains(got, "Locked until") {
			t.Fatalf("wrong password %d: %q", i+1, got)
		}
	}
	if got := k.login(t, bob, bob.pass); !strings.Contains(got, "Locked until") {
		t.Fatalf("the right password after 5 wrong ones: %q", got)
	}
	k.Kill()
	k.mustStart()
	if _, err := k.WaitScreen("OK to log in", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := k.login(t, bob, bob.pass); !strings.Contains(got, "Locked until") {
		t.Fatalf("the right password after a restart: %q", got)
	}
	// Another outlet's user is unknown here.
	if got := k.login(t, dora, dora.pass); !strings.Contains(got, "Wrong code or password") {
		t.Fatalf("another outlet's user: %q", got)
	}

	// The cashier: a menu without supervisor items.
	menu := k.login(t, anna, anna.pass)
	if !strings.HasPrefix(menu, "Menu: anna") {
		t.Fatalf("anna's login: %q", menu)
	}
	for _, item := range []string{"Sell", "Reports", "Reprint", "Log out"} {
		if !strings.Contains(menu, item) {
			t.Errorf("cashier menu lacks %q: %q", item, menu)
		}
	}
	for _, item := range []string{"Void sale", "New user", "Print today"} {
		if strings.Contains(menu, item) {
			t.Errorf("cashier menu offers %q: %q", item, menu)
		}
	}
	s, err := k.sell(anna, titles[outletBooks], order{event: 1, typ: 1, qty: 2}, 150*time.Millisecond)
	if err != nil || !s.printed {
		t.Fatalf("anna's sale: %+v, %v", s, err)
	}
	// Done → Cancel → menu; Reports leads straight to the cashier's own report.
	k.Send(cancelKey)
	if _, err := k.WaitScreen("Menu: anna", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	k.Send("2\n")
	if got, _ := k.Settle(150*time.Millisecond, 10*time.Second); !strings.HasPrefix(got, "Report: anna@books.example") {
		t.Fatalf("cashier reports: %q", got)
	}
	k.Send(cancelKey)
	if _, err := k.WaitScreen("Menu: anna", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// A reprint approved by the cashier herself is refused; by the supervisor, it prints.
	k.Send(fmt.Sprintf("3\n%s%d\n", backspaces, s.no))
	if _, err := k.WaitScreen("Supervisor code", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	k.Send(anna.code + "\n" + anna.pass + "\n")
	if _, err := k.WaitScreen("A supervisor must do this", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	k.Send("\n") // back to the supervisor code
	if _, err := k.WaitScreen("Supervisor code", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	k.Send(backspaces + boss.code + "\n" + boss.pass + "\n")
	if _, err := k.WaitScreen(fmt.Sprintf("Sale %d: copy 1 printed", s.no), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	// The supervisor's menu has what the cashier's lacks.
	k.Stop() // the end of input ends anna's session
	k.mustStart()
	if _, err := k.WaitScreen("OK to log in", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	menu = k.login(t, boss, boss.pass)
	for _, item := range []string{"Void sale", "New user", "Print today", "Reprint"} {
		if !strings.Contains(menu, item) {
			t.Errorf("supervisor menu lacks %q: %q", item, menu)
		}
	}
	k.Stop()
	// A user the organiser disables can no longer log in once the config is pushed.
	e.mustCtl("", "user", "disable", anna.email)
	k.mustStart()
	e.push(1)
	if _, err := k.WaitScreen("OK to log in", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := k.login(t, anna, anna.pass); !strings.Contains(got, "This user is disabled") && !strings.Contains(got, "Wrong code or password") {
		t.Fatalf("a disabled user's login: %q", got)
	}
	k.Stop()

	// The journal: a lock entry for bob, the sale, the copy; the printer: the tickets once
	// and once more marked COPY.
	st := k.openStore(t)
	saleSeq, err := st.SaleSeq(s.no)
	if err != nil {
		t.Fatalf("sale number %d: %v", s.no, err)
	}
	var locks, reprints int
	st.Each(1, func(en *journal.Entry) bool {
		switch {
		case en.Kind == journal.KindLoginLocked && en.Lock != nil && en.Lock.User == bob.email:
			locks++
		case en.Kind == journal.KindReprint && en.Reprint != nil && en.Reprint.Sale == saleSeq && en.Reprint.Approver == boss.email:
			reprints++
		}
		return true
	})
	st.Close()
	if locks < 1 || reprints != 1 {
		t.Fatalf("journal: %d lock entries for bob, %d reprints of sale %d (entry %d)", locks, reprints, s.no, saleSeq)
	}
	ps := printouts(t, k.printerDir)
	if len(ps) != 2 || ps[0].copy || !ps[1].copy || len(ps[0].codes) != 2 || strings.Join(ps[0].codes, ",") != strings.Join(ps[1].codes, ",") {
		t.Fatalf("printouts: %+v", ps)
	}
	// The chaos test's reading of jobs agrees: the same codes, the second time as copies.
	var stream []byte
	for _, p := range ps {
		b, err := os.ReadFile(p.file)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, b...)
	}
	codes, copies := jobTickets(stream)
	if len(codes) != 4 || codes[0] != ps[0].codes[0] || codes[2] != codes[0] || copies[0] || copies[1] || !copies[2] || !copies[3] {
		t.Fatalf("jobTickets: %q %v", codes, copies)
	}
}
