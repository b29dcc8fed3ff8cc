package mqtttest

import (
	"net"
	"testing"
)

func TestFreeAddrIsFree(t *testing.T) {
	addr := FreeAddr(t)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("FreeAddr gave %s, which cannot be listened on: %v", addr, err)
	}
	l.Close()
}

func TestStartMosquittoStopRestart(t *testing.T) {
	b := StartMosquitto(t, "tcp")
	if want := "tcp://" + b.Addr(); b.URL() != want {
		t.Fatalf("URL = %q, want %q", b.URL(), want)
	}
	dial := func() error {
		c, err := net.Dial("tcp", b.Addr())
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(); err != nil {
		t.Fatalf("a started broker refuses connections: %v", err)
	}
	b.Stop()
	if err := dial(); err == nil {
		t.Fatal("a stopped broker still accepts connections")
	}
	b.Stop() // a second Stop does nothing
	b.Restart()
	if err := dial(); err != nil {
		t.Fatalf("a restarted broker refuses connections on its address: %v", err)
	}
}
