package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestAckCountedRefusesReplaysAndKeepsCounters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	s, err := Open(path, Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	for range 5 {
		if _, err := sale(s, c, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AckCounted(3, 100); err != nil || s.Acked() != 3 || s.HubSeen().Ack != 100 {
		t.Fatalf("ack 3 at 100: %v, acked %d, %+v", err, s.Acked(), s.HubSeen())
	}
	// A replay (the same counter or an older one) changes nothing, whatever it names.
	for _, ctr := range []uint64{100, 99} {
		if err := s.AckCounted(5, ctr); !errors.Is(err, ErrStaleAck) || s.Acked() != 3 {
			t.Fatalf("ack at %d: %v, acked %d", ctr, err, s.Acked())
		}
	}
	// Beyond the last entry: refused, and its counter is not taken either.
	if err := s.AckCounted(9, 200); !errors.Is(err, ErrAckBeyondEnd) || s.HubSeen().Ack != 100 {
		t.Fatalf("ack beyond the end: %v, %+v", err, s.HubSeen())
	}
	// A lower seq with a newer counter (an ack of duplicates) takes the counter only.
	if err := s.AckCounted(2, 300); err != nil || s.Acked() != 3 || s.HubSeen().Ack != 300 {
		t.Fatalf("lower ack: %v, acked %d, %+v", err, s.Acked(), s.HubSeen())
	}
	if err := s.SetHubState(7, 8, 9); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Kept across a restart.
	s, err = Open(path, Options{Device: "k1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.HubSeen(); got != (HubSeen{Ack: 300, Epoch: 7, Online: 8, Offline: 9}) || s.Acked() != 3 {
		t.Fatalf("after reopening: %+v, acked %d", got, s.Acked())
	}
}
