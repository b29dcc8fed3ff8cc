package mqtt

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// DefaultMaxPacket is the largest MQTT packet a client reads from the broker (8 MiB, the
// shipped broker configurations' cap): a config envelope is at most 4 MiB, a journal batch
// 1 MiB.
const DefaultMaxPacket = 8 << 20

// ErrPacketTooLarge is the error of a connection on which the broker sent a packet over
// the client's limit; the client cuts it as soon as the packet's header says its size.
var ErrPacketTooLarge = errors.New("mqtt: packet from the broker over the size limit")

// cappedDial returns a paho connection function for tcp:// and TLS URLs that cuts the
// connection when the broker announces a packet over max bytes: paho would read the whole
// packet into memory before any handler could refuse it. WebSocket URLs keep paho's own
// dialing (nil).
func cappedDial(scheme string, max int, timeout time.Duration) paho.OpenConnectionFunc {
	tlsOn, _ := secure(scheme)
	if scheme == "ws" || scheme == "wss" {
		return nil
	}
	return func(uri *url.URL, o paho.ClientOptions) (net.Conn, error) {
		d := &net.Dialer{Timeout: timeout}
		var c net.Conn
		var err error
		if tlsOn {
			c, err = tls.DialWithDialer(d, "tcp", uri.Host, o.TLSConfig)
		} else {
			c, err = d.Dial("tcp", uri.Host)
		}
		if err != nil {
			return nil, err
		}
		return &capConn{Conn: c, max: max}, nil
	}
}

// capConn follows the MQTT framing of what it reads: a fixed header byte, the remaining
// length (1 to 4 bytes of 7 bits), the body.
type capConn struct {
	net.Conn
	max int

	mu     sync.Mutex
	phase  int // 0: header byte; 1: length bytes; 2: body
	length int
	mult   int
	left   int
}

func (c *capConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < n; {
		switch c.phase {
		case 0:
			c.phase, c.length, c.mult = 1, 0, 1
			i++
		case 1:
			b := p[i]
			i++
			c.length += int(b&0x7f) * c.mult
			c.mult *= 128
			if c.length > c.max || (b&0x80 != 0 && c.mult > 128*128*128) {
				c.Conn.Close()
				return 0, fmt.Errorf("%w: %d bytes or more (limit %d)", ErrPacketTooLarge, c.length, c.max)
			}
			if b&0x80 == 0 {
				c.left, c.phase = c.length, 2
				if c.left == 0 {
					c.phase = 0
				}
			}
		case 2:
			k := min(c.left, n-i)
			c.left -= k
			i += k
			if c.left == 0 {
				c.phase = 0
			}
		}
	}
	return n, err
}
