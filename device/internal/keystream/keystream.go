// Package keystream is what the keypads that decode a byte stream (device/input and
// device/term) share: a goroutine reading the stream, the keys decoded and not read yet,
// the stream's final error, and Halt's stop.
package keystream

import (
	"io"
	"sync"

	"ticketkiosk/device"
)

// Chunk is one read of a byte stream: the bytes read, or (last) the error that ended it.
type Chunk struct {
	B   []byte
	Err error
}

// ReadSize is the most one read of the stream returns: a shorter chunk means the stream
// had nothing more waiting (a pipe's writer paused).
const ReadSize = 512

// readChunks reads r until an error and sends every read, the error last, on the returned
// channel. It stops early when stop is closed. The reading goroutine cannot be interrupted
// while a Read blocks: closing r (when it is a file) ends it.
func readChunks(r io.Reader, stop <-chan struct{}) <-chan Chunk {
	ch := make(chan Chunk)
	go func() {
		defer close(ch)
		buf := make([]byte, ReadSize)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				b := make([]byte, n)
				copy(b, buf[:n])
				select {
				case ch <- Chunk{B: b}:
				case <-stop:
					return
				}
			}
			if err != nil {
				select {
				case ch <- Chunk{Err: err}:
				case <-stop:
				}
				return
			}
		}
	}()
	return ch
}

// Stream is a keypad's reading state: the reading goroutine, the keys decoded and not read
// yet, the stream's final error, and Halt's stop. Make it with New.
type Stream struct {
	Mu    sync.Mutex // serialises ReadKey
	Queue []device.Key
	Err   error // the stream's final error, once read, as ReadKey returns it

	chunks   <-chan Chunk
	stop     chan struct{}
	haltOnce sync.Once
}

// New returns a Stream that has not started reading.
func New() *Stream { return &Stream{stop: make(chan struct{})} }

// Ready returns what ReadKey answers without waiting for input (done true): the first key
// decoded, else device.ErrHalted after Halt, else the stream's final error. It starts
// reading r on its first call. done false: wait for input (Chunks, Stopped).
func (s *Stream) Ready(r io.Reader) (key device.Key, done bool, err error) {
	if s.chunks == nil {
		s.chunks = readChunks(r, s.stop)
	}
	if len(s.Queue) > 0 {
		key = s.Queue[0]
		s.Queue = s.Queue[1:]
		return key, true, nil
	}
	select {
	case <-s.stop:
		return device.Key{}, true, device.ErrHalted
	default:
	}
	if s.Err != nil {
		return device.Key{}, true, s.Err
	}
	return device.Key{}, false, nil
}

// Chunks returns the reads of the stream, closed after the last; nil before Ready.
func (s *Stream) Chunks() <-chan Chunk { return s.chunks }

// Stopped returns a channel closed by Halt.
func (s *Stream) Stopped() <-chan struct{} { return s.stop }

// Halt stops reading, once, and then runs release (closing or restoring the input).
func (s *Stream) Halt(release func() error) error {
	var err error
	s.haltOnce.Do(func() {
		close(s.stop)
		err = release()
	})
	return err
}
