package mqtt_test

import (
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
	fmt.Println(string(mqtt.Ack{UptoSeq: 1200}.Encode()))
	a, err := mqtt.DecodeAck([]byte(`{"v":1,"upto_seq":1200}`))
	fmt.Println(a.UptoSeq, err)
	_, err = mqtt.DecodeAck([]byte(`{"v":2,"upto_seq":1200}`))
	fmt.Println(err)
	// Output:
	// {"v":1,"upto_seq":1200}
	// 1200 <nil>
	// mqtt: unknown payload version: 2 (this side reads 1)
}
