package mqtt

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"reflect"
	"testing"

	"ticketkiosk/catalog"
)

func FuzzDecodeBatch(f *testing.F) {
	good := testBatch("k1", entries(f, "k1", 2))
	f.Add(good)
	f.Add(SealBatch(ed25519.NewKeyFromSeed(make([]byte, 32)), "k1", 1, entries(f, "k1", 2))) // another key
	f.Add(bytes.Replace(good, []byte(`"v":2`), []byte(`"v":1`), 1))
	f.Add(bytes.Replace(good, []byte(`"first":1`), []byte(`"first":2`), 1))
	f.Add([]byte(`{"v":2,"device":"k1","entries":[]}`))
	f.Add([]byte(`{"v":2,"device":"k1","first":1,"last":1,"head":"00","sig":"","entries":[{}]}`))
	pub, _ := testKeys("k1")
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnknownVersion) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		// What was accepted is one run from First to Last ending in Head, of one device.
		raw := make([][]byte, len(b.Entries))
		for i, e := range b.Entries {
			if e.Device != b.Device || e.Validate() != nil || e.Seq != b.Seal.First+uint64(i) {
				t.Fatalf("entry %d accepted: %+v", i, e)
			}
			raw[i], _ = e.Encode()
		}
		if b.Entries[len(b.Entries)-1].Hash() != b.Seal.Head || b.Seal.Last != b.Entries[len(b.Entries)-1].Seq {
			t.Fatalf("head or range does not match the entries: %+v", b.Seal)
		}
		// A signature that verifies is the device's over exactly these entries: sealing
		// them again gives a batch that decodes to the same.
		if b.Device == "k1" && b.Verify(pub) == nil {
			again, err := DecodeBatch(EncodeBatch(b.Device, b.Seal, raw))
			if err != nil || again.Verify(pub) != nil || len(again.Entries) != len(b.Entries) {
				t.Fatalf("re-encoded batch: %v", err)
			}
		}
	})
}

func FuzzDecodeDeviceState(f *testing.F) {
	f.Add(DeviceState{Status: Online, Software: "1", ConfigVersion: 3, Unsynced: 9, TS: 1}.Encode())
	f.Add([]byte(`{"v":1,"status":"offline"}`))
	f.Add([]byte(`{"v":3,"status":"online"}`))
	f.Add([]byte(`{"v":1,"status":"online","unsynced":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeDeviceState(data)
		if err != nil {
			return
		}
		if s.V != Version || (s.Status != Online && s.Status != Offline) {
			t.Fatalf("accepted %+v", s)
		}
		again, err := DecodeDeviceState(s.Encode())
		if err != nil || again != s {
			t.Fatalf("round trip: %+v, %v", again, err)
		}
	})
}

func FuzzDecodeHubState(f *testing.F) {
	good := HubState{Status: Online, Hub: "hub", TS: 1, Epoch: 5, Counter: 6}.Sign(testHubKey).Encode()
	f.Add(good)
	f.Add(HubState{Status: Offline, Hub: "hub", Epoch: 5, Counter: 5}.Sign(testHubKey).Encode())
	f.Add(HubState{Status: Offline, Hub: "hub", Epoch: 5, Counter: 5}.Encode()) // unsigned
	f.Add(bytes.Replace(good, []byte(`online`), []byte(`offline`), 1))          // forged
	f.Add([]byte(`{"v":1,"status":"offline","hub":"h"}`))
	f.Add([]byte(`{"v":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeHubState(data)
		if err != nil {
			return
		}
		if s.V != Version || (s.Status != Online && s.Status != Offline) {
			t.Fatalf("accepted %+v", s)
		}
		again, err := DecodeHubState(s.Encode())
		if err != nil || !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip: %+v, %v", again, err)
		}
		// Only the hub signs: a state that verifies is one of the seeds' signed ones.
		if s.Verify(testHubPub) == nil && !(s.Hub == "hub" && s.Epoch == 5 && (s.Counter == 5 && s.Status == Offline || s.Counter == 6 && s.Status == Online)) {
			t.Fatalf("a state the hub never signed verifies: %+v", s)
		}
	})
}

func FuzzDecodeAck(f *testing.F) {
	good := Ack{Device: "k1", UptoSeq: 7, Counter: 9}.Sign(testHubKey).Encode()
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"upto_seq":7`), []byte(`"upto_seq":8`), 1)) // forged
	f.Add(Ack{Device: "k1", UptoSeq: 7, Counter: 9}.Encode())                     // unsigned
	f.Add([]byte(`{"v":2,"upto_seq":1e3}`))
	f.Add([]byte(`{"v":1,"upto_seq":7}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeAck(data)
		if err != nil {
			return
		}
		again, err := DecodeAck(a.Encode())
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("round trip: %+v, %v", again, err)
		}
		if a.Verify(testHubPub, "k1") == nil && (a.UptoSeq != 7 || a.Counter != 9) {
			t.Fatalf("an ack the hub never signed verifies: %+v", a)
		}
	})
}

// FuzzConfigMessage feeds config messages to what the device runs on them (catalog.Open,
// then the refusal name): no panic, every refusal named, and nothing but a correctly signed
// config for this device accepted.
func FuzzConfigMessage(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := seed.Public().(ed25519.PublicKey)
	good := sign(f, sampleConfig("k1", 2), seed)
	f.Add(good)
	f.Add(sign(f, sampleConfig("k2", 2), seed))
	f.Add(bytes.Replace(good, []byte(`"v":1`), []byte(`"v":9`), 1))
	f.Add([]byte(`{"v":1,"device_id":"k1","sig":"AAAA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := catalog.Open(data, pub, "k1")
		if err != nil {
			if refusal(err) == RefusedStore {
				t.Fatalf("unnamed refusal %v", err)
			}
			return
		}
		if cfg.DeviceID != "k1" {
			t.Fatalf("accepted a config of %q", cfg.DeviceID)
		}
	})
}
