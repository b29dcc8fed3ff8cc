package journal

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestCodeRoundTrip(t *testing.T) {
	f := TicketFacts{Device: "k1", Sale: 123456, N: 2, Of: 3, Event: "summer-27", Type: "vip"}
	code, err := NewCode(f, testKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range code {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			t.Fatalf("code %q has %q, outside QR alphanumeric base32", code, r)
		}
	}
	got, err := VerifyCode(code, keys)
	if err != nil {
		t.Fatal(err)
	}
	if got != f {
		t.Fatalf("facts %+v, want %+v", got, f)
	}
	if f.Short() != "K1-123456-2" {
		t.Fatalf("Short = %q", f.Short())
	}
	t.Logf("code length %d characters", len(code))
}

// signedRaw signs a payload as NewCode would, whatever its encoding, and returns the base32.
func signedRaw(payload []byte) string {
	sig := ed25519.Sign(testKey, append(append([]byte{}, codeDomain...), payload...))
	return b32.EncodeToString(append(payload, sig...))
}

// TestCodeOneSpelling: a ticket verifies under exactly one spelling. Each other spelling
// here decodes (or decoded before) to the same facts with a valid signature.
func TestCodeOneSpelling(t *testing.T) {
	f := TicketFacts{Device: "k1", Sale: 5, N: 1, Of: 2, Event: "e1", Type: "std"}
	code, err := NewCode(f, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyCode(code, keys); err != nil {
		t.Fatal(err)
	}
	if len(code)*5%8 == 0 {
		t.Fatalf("code of %d characters has no trailing bits to test", len(code))
	}
	// The last character carries unused low bits; flip the lowest.
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	last := strings.IndexByte(alphabet, code[len(code)-1])
	trailing := code[:len(code)-1] + string(alphabet[last^1])
	// Sale 5 as a two-byte varint (0x85 0x00), signed by the device's own key.
	long := []byte{codeFormat}
	long = appendField(long, f.Device)
	long = append(long, 0x85, 0x00)
	long = binary.AppendUvarint(long, 1)
	long = binary.AppendUvarint(long, 2)
	long = appendField(long, f.Event)
	long = appendField(long, f.Type)
	// A field longer than NewCode writes, signed.
	wide := TicketFacts{Device: "k1", Sale: 5, N: 1, Of: 2, Event: strings.Repeat("e", 65), Type: "std"}
	padded := code + strings.Repeat("=", (8-len(code)%8)%8)
	cases := map[string]string{
		"lower case":            strings.ToLower(code),
		"mixed case":            strings.ToLower(code[:10]) + code[10:],
		"surrounding space":     " " + code + "\n",
		"CR LF inside":          code[:20] + "\r\n" + code[20:],
		"URL prefix":            "HTTPS://T.EXAMPLE.ORG/T/" + code,
		"padding":               padded,
		"flipped trailing bit":  trailing,
		"non-minimal varint":    signedRaw(long),
		"field over 64 bytes":   signedRaw(wide.payload()),
		"ticket 1 of 70000":     signedRaw(TicketFacts{Device: "k1", Sale: 5, N: 1, Of: 70000, Event: "e1", Type: "std"}.payload()),
		"empty":                 "",
		"base32 of nothing":     "AAAA",
		"longer than any code":  strings.Repeat("A", MaxCodeLen+8),
		"trailing byte in code": signedRaw(append(f.payload(), 0)),
	}
	for name, c := range cases {
		if _, err := VerifyCode(c, keys); !errors.Is(err, ErrCodeMalformed) {
			t.Errorf("%s: VerifyCode(%q) = %v, want malformed", name, c, err)
		}
	}
	// The base32 decoder alone accepts several of these: the strictness is ours.
	for _, name := range []string{"flipped trailing bit", "CR LF inside"} {
		if raw, err := b32.DecodeString(cases[name]); err != nil || b32.EncodeToString(raw) != code {
			t.Errorf("%s: encoding/base32 does not take it for the code (%v): the case tests nothing", name, err)
		}
	}
}

func TestScannedCode(t *testing.T) {
	code, _ := NewCode(TicketFacts{Device: "k1", Sale: 5, N: 1, Of: 1, Event: "e1", Type: "std"}, testKey)
	for in, want := range map[string]string{
		code:                                   code,
		"  " + code + "\r\n":                   code,
		"\t" + code:                            code,
		"HTTPS://T.EXAMPLE.ORG/T/" + code:      code,
		"https://t.example.org/t/" + code:      code,
		"HTTPS://T.EXAMPLE.ORG/TICKET-" + code: "TICKET-" + code, // no configured URL: only the last segment
		strings.ToLower(code):                  strings.ToLower(code),
		"K1-5-1":                               "K1-5-1",
	} {
		if got := ScannedCode(in); got != want {
			t.Errorf("ScannedCode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ScannedCode("HTTPS://T.EXAMPLE.ORG/TICKET-"+code, "https://t.example.org/ticket-"); got != code {
		t.Errorf("with the ticket URL: %q", got)
	}
	if _, err := VerifyCode(ScannedCode(" HTTPS://X.ORG/T/"+code+"\n"), keys); err != nil {
		t.Errorf("a scanned URL: %v", err)
	}
}

func TestCodeRefusals(t *testing.T) {
	f := TicketFacts{Device: "k1", Sale: 9, N: 1, Of: 1, Event: "e1", Type: "std"}
	code, _ := NewCode(f, testKey)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	forged, _ := NewCode(f, otherKey)
	unknown, _ := NewCode(TicketFacts{Device: "k2", Sale: 9, N: 1, Of: 1, Event: "e1", Type: "std"}, testKey)
	flip := []byte(code)
	if flip[10] == 'A' {
		flip[10] = 'B'
	} else {
		flip[10] = 'A'
	}
	cases := []struct {
		name, code string
		want       error
	}{
		{"forged", forged, ErrCodeBadSignature},
		{"unknown device", unknown, ErrCodeUnknownDevice},
		{"altered", string(flip), ErrCodeBadSignature},
		{"truncated", code[:40], ErrCodeMalformed},
		{"not base32", "HELLO-WORLD!", ErrCodeMalformed},
		{"empty", "", ErrCodeMalformed},
	}
	for _, tc := range cases {
		if _, err := VerifyCode(tc.code, keys); !errors.Is(err, tc.want) {
			t.Errorf("%s: VerifyCode = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := NewCode(TicketFacts{Device: "k1", N: 3, Of: 2, Event: "e", Type: "t"}, testKey); err == nil {
		t.Error("NewCode accepted ticket 3 of 2")
	}
}

// FuzzVerifyCode: whatever the decoder accepts is exactly the code NewCode makes of its
// facts with the device's key (Ed25519 signing is deterministic), so no second spelling of a
// ticket verifies.
func FuzzVerifyCode(f *testing.F) {
	good, _ := NewCode(TicketFacts{Device: "k1", Sale: 77, N: 1, Of: 2, Event: "e1", Type: "std"}, testKey)
	f.Add(good)
	f.Add(strings.ToLower(good))
	f.Add("HTTPS://X/T/" + good)
	f.Add(" " + good + "\n")
	f.Add(good[:len(good)-1] + "B")
	f.Add("AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, code string) {
		facts, err := VerifyCode(code, keys)
		if err != nil {
			return
		}
		want, nerr := NewCode(facts, testKey)
		if nerr != nil || want != code {
			t.Fatalf("accepted %q with facts %+v; the code of those facts is %q (%v)", code, facts, want, nerr)
		}
	})
}

// FuzzParseCode: the unsigned decoder too takes only the one encoding of what it returns.
func FuzzParseCode(f *testing.F) {
	good, _ := NewCode(TicketFacts{Device: "k1", Sale: 77, N: 1, Of: 2, Event: "e1", Type: "std"}, testKey)
	f.Add(good)
	f.Add(signedRaw([]byte{codeFormat, 2, 'k', '1', 0xcd, 0x80, 0x00, 1, 2, 2, 'e', '1', 3, 's', 't', 'd'}))
	f.Add(good + "=")
	f.Fuzz(func(t *testing.T, code string) {
		facts, payload, sig, err := ParseCode(code)
		if err != nil {
			return
		}
		if string(facts.payload()) != string(payload) || b32.EncodeToString(append(append([]byte{}, payload...), sig...)) != code {
			t.Fatalf("accepted %q, which is not the one encoding of %+v", code, facts)
		}
	})
}
