package broker

import (
	"log/slog"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

var quiet = slog.New(slog.DiscardHandler)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func connect(url, user, pass string) error {
	o := paho.NewClientOptions().AddBroker(url).SetClientID("t-" + user + pass).SetUsername(user).SetPassword(pass).
		SetConnectTimeout(5 * time.Second).SetAutoReconnect(false)
	c := paho.NewClient(o)
	t := c.Connect()
	t.WaitTimeout(10 * time.Second)
	if t.Error() == nil {
		c.Disconnect(50)
	}
	return t.Error()
}

// TestBrokerLogin: with a username the embedded broker admits only that user with that
// password; without one it admits everyone. Retained messages reach a later subscriber.
func TestBrokerLogin(t *testing.T) {
	b, err := Start(Options{Listen: "127.0.0.1:0", Username: "hub", Password: "s3cret", Logger: quiet})
	must(t, err)
	defer b.Close()
	if err := connect(b.URL(), "hub", "s3cret"); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	for _, c := range [][2]string{{"hub", "wrong"}, {"other", "s3cret"}, {"", ""}} {
		if err := connect(b.URL(), c[0], c[1]); err == nil {
			t.Errorf("login %q/%q admitted", c[0], c[1])
		}
	}

	open, err := Start(Options{Listen: "127.0.0.1:0", Logger: quiet})
	must(t, err)
	defer open.Close()
	if err := connect(open.URL(), "", ""); err != nil {
		t.Fatalf("open broker refused an anonymous client: %v", err)
	}
	pub := paho.NewClient(paho.NewClientOptions().AddBroker(open.URL()).SetClientID("pub"))
	if tk := pub.Connect(); !tk.WaitTimeout(5*time.Second) || tk.Error() != nil {
		t.Fatal(tk.Error())
	}
	if tk := pub.Publish("tickets/v1/devices/k1/config", 1, true, []byte("cfg")); !tk.WaitTimeout(5*time.Second) || tk.Error() != nil {
		t.Fatal(tk.Error())
	}
	pub.Disconnect(50)
	got := make(chan string, 1)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(open.URL()).SetClientID("sub"))
	if tk := sub.Connect(); !tk.WaitTimeout(5*time.Second) || tk.Error() != nil {
		t.Fatal(tk.Error())
	}
	defer sub.Disconnect(50)
	sub.Subscribe("tickets/v1/devices/+/config", 1, func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) })
	select {
	case p := <-got:
		if p != "cfg" {
			t.Fatalf("retained %q", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("retained config not delivered")
	}
}
