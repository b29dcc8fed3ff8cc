package mqtt

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// entries returns n chained sale entries of a device, encoded as the store keeps them.
func entries(t testing.TB, device string, n int) [][]byte {
	t.Helper()
	var out [][]byte
	prev := journal.ZeroHash
	for i := 1; i <= n; i++ {
		e := &journal.Entry{V: journal.Version, Device: device, Seq: uint64(i), Time: time.Date(2026, 3, 1, 12, i, 0, 0, time.UTC).UnixMilli(),
			ClockSynced: true, Actor: "ana@example.org", Kind: journal.KindSale, Prev: prev,
			Sale: &journal.Sale{No: uint64(i), Outlet: "sofia-1", Event: "e1", Currency: "EUR", Delivery: "print",
				Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250,
				Tickets: []journal.Ticket{{N: 1, Type: "std", Code: "C"}}}}
		b, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		prev = e.Hash()
	}
	return out
}

func TestTopics(t *testing.T) {
	tp, err := NewTopics("")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ got, want string }{
		{tp.Config("k1"), "tickets/v1/devices/k1/config"},
		{tp.State("k1"), "tickets/v1/devices/k1/state"},
		{tp.Journal("k1"), "tickets/v1/devices/k1/journal"},
		{tp.Ack("k1"), "tickets/v1/devices/k1/ack"},
		{tp.HubState(), "tickets/v1/hub/state"},
		{tp.All(KindJournal), "tickets/v1/devices/+/journal"},
	} {
		if c.got != c.want {
			t.Errorf("topic %q, want %q", c.got, c.want)
		}
	}
	if d, k, ok := tp.Parse("tickets/v1/devices/k1/journal"); !ok || d != "k1" || k != KindJournal {
		t.Errorf("parse: %q %q %v", d, k, ok)
	}
	for _, bad := range []string{"tickets/v1/hub/state", "tickets/v1/devices/k1", "tickets/v1/devices//state", "tickets/v1/devices/k1/state/x", "other/devices/k1/state",
		"tickets/v1/devices/k1\r\nReply-To: x/journal", "tickets/v1/devices/K1/journal", "tickets/v1/devices/-k/state"} {
		if _, _, ok := tp.Parse(bad); ok {
			t.Errorf("parse %q: accepted", bad)
		}
	}
	custom, err := NewTopics("acme/tickets/v1")
	if err != nil || custom.Ack("k2") != "acme/tickets/v1/devices/k2/ack" {
		t.Errorf("custom prefix: %q, %v", custom.Ack("k2"), err)
	}
	for _, bad := range []string{"/tickets", "tickets/", "tickets/#", "t/+/x"} {
		if _, err := NewTopics(bad); !errors.Is(err, ErrTopic) {
			t.Errorf("prefix %q: %v", bad, err)
		}
	}
	for _, bad := range []string{"", "a/b", "a+", "a#", "k1\r\nBcc: x", "k1\n", "K1", "k_1", "k.1", "-k1", strings.Repeat("k", MaxIDLen+1)} {
		if err := CheckID(bad); !errors.Is(err, ErrTopic) {
			t.Errorf("id %q: %v", bad, err)
		}
	}
	for _, good := range []string{"k1", "0", "books-k1", strings.Repeat("k", MaxIDLen)} {
		if err := ValidDeviceID(good); err != nil {
			t.Errorf("id %q refused: %v", good, err)
		}
	}
	for id, want := range map[string]bool{"hub": true, "hub-push": true, "hubs": false, "k1": false} {
		if Reserved(id) != want {
			t.Errorf("Reserved(%q) = %v", id, !want)
		}
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	st := DeviceState{Status: Online, Software: "1.2.3", ConfigVersion: 7, ConfigError: "stale: x", ConfigRefused: 6,
		Printer: "paper out", Unsynced: 12, OldestUnsyncedS: 300, TS: 1767225600000}
	got, err := DecodeDeviceState(st.Encode())
	st.V = Version
	if err != nil || got != st {
		t.Fatalf("device state: %+v, %v", got, err)
	}
	hs := HubState{Status: Offline, Hub: "hub", Software: "1.2.3", TS: 5, Epoch: 3, Counter: 4}.Sign(testHubKey)
	gotHub, err := DecodeHubState(hs.Encode())
	if err != nil || !reflect.DeepEqual(gotHub, hs) || gotHub.Verify(testHubPub) != nil {
		t.Fatalf("hub state: %+v, %v", gotHub, err)
	}
	ack := Ack{Device: "k1", UptoSeq: 1<<64 - 1, Counter: 8}.Sign(testHubKey)
	a, err := DecodeAck(ack.Encode())
	if err != nil || a.UptoSeq != 1<<64-1 || a.Verify(testHubPub, "k1") != nil {
		t.Fatalf("ack: %+v, %v", a, err)
	}
	if err := a.Verify(testHubPub, "k2"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("ack for k1 taken by k2: %v", err)
	}
	if _, err := DecodeAck([]byte(`{"v":2,"device":"k1","upto_seq":5,"counter":1}`)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unsigned ack: %v", err)
	}
	raw := entries(t, "k1", 3)
	b, err := DecodeBatch(testBatch("k1", raw))
	if err != nil || b.Device != "k1" || len(b.Entries) != 3 {
		t.Fatalf("batch: %+v, %v", b, err)
	}
	for i, e := range b.Entries {
		enc, _ := e.Encode()
		if !bytes.Equal(enc, raw[i]) {
			t.Fatalf("entry %d re-encodes to other bytes", i)
		}
	}
	if err := journal.Follows(b.Entries[0].Seq, b.Entries[0].Hash(), b.Entries[1]); err != nil {
		t.Fatalf("chain lost in the batch: %v", err)
	}
	// A newer device of the same version may add state fields: they are ignored.
	if _, err := DecodeDeviceState([]byte(`{"v":2,"status":"online","battery":80}`)); err != nil {
		t.Fatalf("unknown state field: %v", err)
	}
}

func TestDecodersRefuse(t *testing.T) {
	big := func(limit int) []byte { return []byte(`{"v":1,"x":"` + strings.Repeat("a", limit) + `"}`) }
	otherDevice := testBatch("k1", entries(t, "k2", 1))
	badEntry := testBatch("k1", [][]byte{[]byte(`{"v":1,"device":"k1","seq":0}`)})
	decoders := map[string]func([]byte) error{
		"state": func(b []byte) error { _, err := DecodeDeviceState(b); return err },
		"hub":   func(b []byte) error { _, err := DecodeHubState(b); return err },
		"ack":   func(b []byte) error { _, err := DecodeAck(b); return err },
		"batch": func(b []byte) error { _, err := DecodeBatch(b); return err },
	}
	limits := map[string]int{"state": MaxStateSize, "hub": MaxStateSize, "ack": MaxAckSize, "batch": MaxBatchSize}
	for name, dec := range decoders {
		cases := []struct {
			what string
			data []byte
			want error
		}{
			{"oversize", big(limits[name]), ErrTooLarge},
			{"version 1 (unsigned)", []byte(`{"v":1,"status":"online","upto_seq":1,"device":"k1","entries":[]}`), ErrUnknownVersion},
			{"version 3", []byte(`{"v":3,"status":"online","upto_seq":1,"device":"k1","entries":[]}`), ErrUnknownVersion},
			{"version 0", []byte(`{"v":0}`), ErrUnknownVersion},
			{"no version", []byte(`{"status":"online","upto_seq":1}`), ErrMalformed},
			{"not json", []byte(`{"v":1,`), ErrMalformed},
			{"empty", nil, ErrMalformed},
			{"array", []byte(`[1]`), ErrMalformed},
			{"version as string", []byte(`{"v":"1"}`), ErrMalformed},
		}
		for _, c := range cases {
			if err := dec(c.data); !errors.Is(err, c.want) {
				t.Errorf("%s %s: %v, want %v", name, c.what, err, c.want)
			}
		}
	}
	for what, c := range map[string]struct {
		dec  func([]byte) error
		data string
	}{
		"state without status":  {decoders["state"], `{"v":2}`},
		"state with odd status": {decoders["state"], `{"v":2,"status":"away"}`},
		"hub with odd status":   {decoders["hub"], `{"v":2,"status":"ONLINE"}`},
		"ack without upto":      {decoders["ack"], `{"v":2}`},
		"ack negative":          {decoders["ack"], `{"v":2,"upto_seq":-1}`},
		"empty batch":           {decoders["batch"], `{"v":2,"device":"k1","entries":[]}`},
		"batch without device":  {decoders["batch"], `{"v":2,"entries":[{}]}`},
		"batch unknown field":   {decoders["batch"], `{"v":2,"device":"k1","entries":[],"x":1}`},
		"batch trailing data":   {decoders["batch"], string(testBatch("k1", entries(t, "k1", 1))) + `{}`},
		"batch trailing brace":  {decoders["batch"], string(testBatch("k1", entries(t, "k1", 1))) + ` }`},
		"batch foreign entry":   {decoders["batch"], string(otherDevice)},
		"batch bad entry":       {decoders["batch"], string(badEntry)},
	} {
		if err := c.dec([]byte(c.data)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", what, err)
		}
	}
	many := make([][]byte, MaxBatchLen+1)
	for i := range many {
		many[i] = []byte(`{}`)
	}
	if _, err := DecodeBatch(testBatch("k1", many)); !errors.Is(err, ErrMalformed) {
		t.Errorf("batch of %d: %v", len(many), err)
	}
}

func TestRefusalNames(t *testing.T) {
	pub, priv := newKey(t)
	_, other := newKey(t)
	good := sign(t, sampleConfig("k1", 1), priv)
	cases := map[string][]byte{
		RefusedBadSignature:   sign(t, sampleConfig("k1", 1), other),
		RefusedWrongDevice:    sign(t, sampleConfig("k2", 1), priv),
		RefusedMalformed:      []byte("{"),
		RefusedUnknownVersion: bytes.Replace(good, []byte(`"v":1`), []byte(`"v":2`), 1),
		RefusedTooLarge:       make([]byte, catalog.MaxEnvelopeSize+1),
	}
	for want, data := range cases {
		_, err := catalog.Open(data, pub, "k1")
		if got := refusal(err); got != want {
			t.Errorf("%s: named %s (%v)", want, got, err)
		}
	}
}
