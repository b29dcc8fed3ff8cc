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
