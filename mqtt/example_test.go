package mqtt_test

import (
	"crypto/ed25519"
	"fmt"

	"ticketkiosk/mqtt"
)

// ExampleTopics shows the topic scheme of one device and how the hub reads a topic back.
func ExampleTopics() {
	tp, _ := mqtt.NewTopics("") // tickets/v1
	fmt.Println(tp.Config("k1"))
	fmt.Println(tp.Journal("k1"))
	fmt.Println(tp.All(mqtt.KindJournal))
	device, kind, ok := tp.Parse("tickets/v1/devices/k7/ack")
	fmt.Println(device, kind, ok)
	// Output:
	// tickets/v1/devices/k1/config
	// tickets/v1/devices/k1/journal
	// tickets/v1/devices/+/journal
	// k7 ack true
}

// ExampleDecodeAck shows the hub's acknowledgement on the wire and its refusals.
func ExampleDecodeAck() {
	hubKey := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	signed := mqtt.Ack{Device: "k1", UptoSeq: 1200, Counter: 1767225600000000}.Sign(hubKey).Encode()
	a, err := mqtt.DecodeAck(signed)
	fmt.Println(a.UptoSeq, err, a.Verify(hubKey.Public().(ed25519.PublicKey), "k1"))
	_, err = mqtt.DecodeAck([]byte(`{"v":1,"upto_seq":1200}`))
	fmt.Println(err)
	// Output:
	// 1200 <nil> <nil>
	// mqtt: unknown payload version: 1 (this side reads 2)
}
