package journal

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Ticket codes are compact, signed and printable in a QR code's alphanumeric mode: the
// payload (format byte, device id, sale seq, ticket n of m, event id, ticket type id)
// followed by the device's Ed25519 signature over it, in base32 without padding, so every
// character is one of A–Z and 2–7. A gate verifies a code offline with the device's public key.
//
// A ticket has exactly one spelling: ParseCode and VerifyCode accept only the string NewCode
// makes (upper case, no padding, zero trailing bits, minimal varints, nothing around it).
// What a scanner or a person hands over is made a code by ScannedCode first.

const codeFormat = 1

var codeDomain = []byte("ticketkiosk/ticket/v1\n")

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Errors of VerifyCode.
var (
	ErrCodeMalformed     = errors.New("ticket code: malformed")
	ErrCodeUnknownDevice = errors.New("ticket code: unknown device")
	ErrCodeBadSignature  = errors.New("ticket code: bad signature")
)

// TicketFacts are what a ticket code states.
type TicketFacts struct {
	Device string
	Sale   uint64 // seq of the sale entry on the device
	N, Of  int    // ticket n of m in the sale
	Event  string
	Type   string
}

// Short is a human-readable reference for the ticket: DEVICE-SEQ-N, printed under the QR
// code. It is not signed: it names a ticket, it does not prove one.
func (f TicketFacts) Short() string {
	return strings.ToUpper(f.Device) + "-" + strconv.FormatUint(f.Sale, 10) + "-" + strconv.Itoa(f.N)
}

const (
	maxCodeField = 64
	maxCodeOf    = 1 << 16
	// MaxCodeLen is the longest code string that can hold a valid code.
	MaxCodeLen = 512
)

// check reports whether the facts can be a code.
func (f TicketFacts) check() error {
	for _, s := range []string{f.Device, f.Event, f.Type} {
		if s == "" || len(s) > maxCodeField {
			return fmt.Errorf("field %q is empty or longer than %d bytes", s, maxCodeField)
		}
	}
	if f.N < 1 || f.N > f.Of || f.Of > maxCodeOf {
		return fmt.Errorf("ticket %d of %d", f.N, f.Of)
	}
	return nil
}

func appendField(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// payload is the signed part of a code: the one encoding of f.
func (f TicketFacts) payload() []byte {
	p := []byte{codeFormat}
	p = appendField(p, f.Device)
	p = binary.AppendUvarint(p, f.Sale)
	p = binary.AppendUvarint(p, uint64(f.N))
	p = binary.AppendUvarint(p, uint64(f.Of))
	p = appendField(p, f.Event)
	return appendField(p, f.Type)
}

// NewCode returns the signed code of one ticket.
func NewCode(f TicketFacts, key ed25519.PrivateKey) (string, error) {
	if err := f.check(); err != nil {
		return "", fmt.Errorf("ticket code: %w", err)
	}
	p := f.payload()
	sig := ed25519.Sign(key, append(append([]byte{}, codeDomain...), p...))
	return b32.EncodeToString(append(p, sig...)), nil
}

// KeyFunc returns the public key of a device, or false when the device is unknown.
type KeyFunc func(device string) (ed25519.PublicKey, bool)

// ScannedCode turns what a gate was handed into a code to verify: surrounding white space
// (a scanner's CR or LF) is dropped, and a ticket URL (what a QR code carries when the hub
// has a ticket URL, "HTTPS://T.EXAMPLE/T/" + code) gives its code: the text after the first
// of urls it starts with (compared without regard to case, as QRPayload writes the scheme
// and host in capitals), or else after its last "/". Nothing else is changed: a code in
// lower case, with padding or with other trailing bits stays what it is, and ParseCode
// refuses it.
func ScannedCode(s string, urls ...string) string {
	s = strings.TrimSpace(s)
	for _, u := range urls {
		if u != "" && len(s) > len(u) && strings.EqualFold(s[:len(u)], u) {
			return s[len(u):]
		}
	}
	if i := strings.Index(s, "://"); i > 0 {
		s = s[strings.LastIndexByte(s, '/')+1:]
	}
	return s
}

// ParseCode reads a code's facts without checking the signature. It accepts exactly the
// strings NewCode makes: base32 in capitals without padding whose trailing bits are zero,
// over a payload in its one encoding, and nothing before or after (see ScannedCode).
func ParseCode(code string) (TicketFacts, []byte, []byte, error) {
	var f TicketFacts
	if len(code) > MaxCodeLen {
		return f, nil, nil, fmt.Errorf("%w: %d characters", ErrCodeMalformed, len(code))
	}
	raw, err := b32.DecodeString(code)
	if err != nil {
		return f, nil, nil, fmt.Errorf("%w: %v", ErrCodeMalformed, err)
	}
	// The decoder skips CR and LF and ignores the bits after the last byte: only the
	// string that encodes raw again is the code.
	if b32.EncodeToString(raw) != code {
		return f, nil, nil, fmt.Errorf("%w: not in canonical base32", ErrCodeMalformed)
	}
	if len(raw) < 1+ed25519.SignatureSize {
		return f, nil, nil, fmt.Errorf("%w: too short", ErrCodeMalformed)
	}
	payload, sig := raw[:len(raw)-ed25519.SignatureSize], raw[len(raw)-ed25519.SignatureSize:]
	r := payload
	if r[0] != codeFormat {
		return f, nil, nil, fmt.Errorf("%w: unknown format %d", ErrCodeMalformed, r[0])
	}
	r = r[1:]
	field := func() (string, bool) {
		if len(r) < 1 || int(r[0]) > len(r)-1 || r[0] == 0 {
			return "", false
		}
		s := string(r[1 : 1+r[0]])
		r = r[1+r[0]:]
		return s, true
	}
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(r)
		if n <= 0 {
			return 0, false
		}
		r = r[n:]
		return v, true
	}
	var ok1, ok2, ok3, ok4, ok5, ok6 bool
	var n, of uint64
	f.Device, ok1 = field()
	f.Sale, ok2 = uv()
	n, ok3 = uv()
	of, ok4 = uv()
	f.Event, ok5 = field()
	f.Type, ok6 = field()
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || len(r) != 0 || n < 1 || n > of || of > maxCodeOf {
		return TicketFacts{}, nil, nil, fmt.Errorf("%w: bad payload", ErrCodeMalformed)
	}
	f.N, f.Of = int(n), int(of)
	if err := f.check(); err != nil {
		return TicketFacts{}, nil, nil, fmt.Errorf("%w: %v", ErrCodeMalformed, err)
	}
	// A varint may be written longer than it needs: only the one encoding is the code.
	if string(f.payload()) != string(payload) {
		return TicketFacts{}, nil, nil, fmt.Errorf("%w: payload not in its canonical encoding", ErrCodeMalformed)
	}
	return f, payload, sig, nil
}

// VerifyCode checks a ticket code: its form, its device, and the device's signature. It
// returns the ticket's facts, or an error that says exactly why not.
func VerifyCode(code string, keys KeyFunc) (TicketFacts, error) {
	f, payload, sig, err := ParseCode(code)
	if err != nil {
		return f, err
	}
	pub, ok := keys(f.Device)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return f, fmt.Errorf("%w: %q", ErrCodeUnknownDevice, f.Device)
	}
	if !ed25519.Verify(pub, append(append([]byte{}, codeDomain...), payload...), sig) {
		return f, ErrCodeBadSignature
	}
	return f, nil
}
