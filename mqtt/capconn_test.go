package mqtt

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
)

// pipeConn is a net.Conn reading from r.
type pipeConn struct {
	net.Conn
	r      io.Reader
	closed bool
}

func (p *pipeConn) Read(b []byte) (int, error) { return p.r.Read(b) }
func (p *pipeConn) Close() error               { p.closed = true; return nil }

// TestCapConn: packets up to the limit pass byte for byte, whatever the read sizes; the
// header of a larger one cuts the connection before its body is read.
func TestCapConn(t *testing.T) {
	small := append([]byte{0x30, 0x05}, []byte("hello")...)       // PUBLISH, 5 bytes
	mid := append([]byte{0x30, 0x80, 0x01}, make([]byte, 128)...) // two length bytes
	ping := []byte{0xd0, 0x00}                                    // PINGRESP, no body
	stream := bytes.Join([][]byte{small, ping, mid, small}, nil)
	for _, chunk := range []int{1, 3, 7, 1 << 10} {
		pc := &pipeConn{r: io.LimitReader(bytes.NewReader(stream), int64(len(stream)))}
		c := &capConn{Conn: pc, max: 128}
		var got []byte
		buf := make([]byte, chunk)
		for {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("chunk %d: %v", chunk, err)
			}
		}
		if !bytes.Equal(got, stream) || pc.closed {
			t.Fatalf("chunk %d: %d bytes of %d, closed %v", chunk, len(got), len(stream), pc.closed)
		}
	}
	// 200 MiB announced: 0x80 0x80 0x80 0x64 is 200 * 2^21.
	huge := append(append([]byte{}, small...), 0x30, 0x80, 0x80, 0x80, 0x64)
	pc := &pipeConn{r: io.MultiReader(bytes.NewReader(huge), bytes.NewReader(make([]byte, 1<<20)))}
	c := &capConn{Conn: pc, max: 8 << 20}
	_, err := io.ReadAll(c)
	if !errors.Is(err, ErrPacketTooLarge) || !pc.closed {
		t.Fatalf("200 MiB packet: %v, closed %v", err, pc.closed)
	}
}
