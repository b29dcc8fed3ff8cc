package journal

import (
	"bytes"
	"encoding/binary"
)

// The binary forms of report counters, as the kiosk's store and the hub's ledger keep them
// in bbolt. A counter's key is a Key; its value is a Tally. Both forms are file formats:
// they never change.
//
// A Key is 4 bytes of day, then user, NUL, event, NUL and type. The day is written as its
// distance from MinDay, big-endian, so that keys sort by day first (bbolt walks a period as
// one range of keys). User and event never hold a NUL; the type is the rest of the key.
// A Tally is its tickets, amount and voided, each 8 bytes big-endian.

// KeyDayLen is how many bytes of an encoded Key its day takes.
const KeyDayLen = 4

// AppendDay appends the first KeyDayLen bytes of every key of day d.
func AppendDay(b []byte, d Day) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(int64(d)-int64(MinDay)))
}

// AppendKey appends the encoding of k.
func AppendKey(b []byte, k Key) []byte {
	b = AppendDay(b, k.Day)
	b = append(b, k.User...)
	b = append(b, 0)
	b = append(b, k.Event...)
	b = append(b, 0)
	return append(b, k.Type...)
}

// KeyParts are the fields of an encoded Key, sharing its bytes: for reading many keys
// without a copy.
type KeyParts struct {
	Day               Day
	User, Event, Type []byte
}

// Split sets p to the fields of the encoded key b and reports whether b is one. It copies
// nothing, and a KeyParts reused over a scan allocates nothing.
func (p *KeyParts) Split(b []byte) bool {
	if len(b) < KeyDayLen+2 {
		return false
	}
	rest := b[KeyDayLen:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return false
	}
	j := bytes.IndexByte(rest[i+1:], 0)
	if j < 0 {
		return false
	}
	p.Day = Day(int64(binary.BigEndian.Uint32(b)) + int64(MinDay))
	p.User, p.Event, p.Type = rest[:i], rest[i+1:i+1+j], rest[i+2+j:]
	return true
}

// ParseKey reads an encoded Key; ok is false when b is not one.
func ParseKey(b []byte) (Key, bool) {
	var p KeyParts
	if !p.Split(b) {
		return Key{}, false
	}
	return Key{Day: p.Day, User: string(p.User), Event: string(p.Event), Type: string(p.Type)}, true
}

// TallySize is the length of an encoded Tally.
const TallySize = 24

// AppendTally appends the encoding of t.
func AppendTally(b []byte, t Tally) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Tickets))
	b = binary.BigEndian.AppendUint64(b, uint64(t.Amount))
	return binary.BigEndian.AppendUint64(b, uint64(t.Voided))
}

// ParseTally reads an encoded Tally; anything but TallySize bytes (a missing value
// included) is the zero tally.
func ParseTally(b []byte) Tally {
	if len(b) != TallySize {
		return Tally{}
	}
	return Tally{
		Tickets: int64(binary.BigEndian.Uint64(b)),
		Amount:  int64(binary.BigEndian.Uint64(b[8:])),
		Voided:  int64(binary.BigEndian.Uint64(b[16:])),
	}
}
