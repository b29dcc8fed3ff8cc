package mqtt

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"ticketkiosk/catalog"
)

func FuzzDecodeBatch(f *testing.F) {
	f.Add(EncodeBatch("k1", entries(f, "k1", 2)))
	f.Add([]byte(`{"v":1,"device":"k1","entries":[]}`))
	f.Add([]byte(`{"v":2,"device":"k1","entries":[{}]}`))
	f.Add([]byte(`{"v":1,"device":"k1","entries":[{"v":1,"device":"k1","seq":1,"kind":"void","void":{"sale":0}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnknownVersion) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		// What was accepted re-encodes to a batch that decodes to the same entries.
		raw := make([][]byte, len(b.Entries))
		for i, e := range b.Entries {
			if e.Device != b.Device || e.Validate() != nil {
				t.Fatalf("entry %d accepted: %+v", i, e)
			}
			raw[i], _ = e.Encode()
		}
		again, err := DecodeBatch(EncodeBatch(b.Device, raw))
		if err != nil || len(again.Entries) != len(b.Entries) {
			t.Fatalf("re-encoded batch: %v", err)
		}
		for i := range again.Entries {
			if again.Entries[i].Hash() != b.Entries[i].Hash() {
				t.Fatalf("entry %d changed its hash", i)
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
	f.Add(HubState{Status: Online, Hub: "hub", TS: 1}.Encode())
	f.Add([]byte(`{"v":1,"status":"offline","hub":"h"}`))
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeHubState(data)
		if err != nil {
			return
		}
		if s.V != Version || (s.Status != Online && s.Status != Offline) {
			t.Fatalf("accepted %+v", s)
		}
		again, err := DecodeHubState(s.Encode())
		if err != nil || again != s {
			t.Fatalf("round trip: %+v, %v", again, err)
		}
	})
}

func FuzzDecodeAck(f *testing.F) {
	f.Add(Ack{UptoSeq: 7}.Encode())
	f.Add([]byte(`{"v":1,"upto_seq":1e3}`))
	f.Add([]byte(`{"v":1,"upto_seq":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeAck(data)
		if err != nil {
			return
		}
		again, err := DecodeAck(a.Encode())
		if err != nil || again.UptoSeq != a.UptoSeq {
			t.Fatalf("round trip: %+v, %v", again, err)
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
