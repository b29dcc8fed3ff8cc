package catalog

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParsePublicKey(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(pub)
	for _, s := range []string{
		fmt.Sprintf("%x", []byte(pub)),
		fmt.Sprintf("%X", []byte(pub)),
		"ed25519:" + b64,
		b64[:43], // unpadded
		"  " + b64 + "\n",
		base64.URLEncoding.EncodeToString(pub),
		base64.RawURLEncoding.EncodeToString(pub),
	} {
		k, err := ParsePublicKey(s)
		if err != nil || !k.Equal(pub) {
			t.Errorf("ParsePublicKey(%q) = %x, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "abcd", base64.StdEncoding.EncodeToString(pub[:31]), "zz" + fmt.Sprintf("%x", []byte(pub))[2:]} {
		if _, err := ParsePublicKey(s); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParsePublicKey(%q) = %v, want ErrBadKey", s, err)
		}
	}
}

func TestParsePublicKeyForms(t *testing.T) {
	forms := []string{
		"LXxEA3c1Pg2KM0U2V8t0VoW8pTgIuA8G9m4F7cBqzsY=",
		"LXxEA3c1Pg2KM0U2V8t0VoW8pTgIuA8G9m4F7cBqzsY",
		"2d7c440377353e0d8a33453657cb745685bca53808b80f06f66e05edc06acec6",
	}
	var first []byte
	for _, f := range forms {
		k, err := ParsePublicKey(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if first == nil {
			first = k
		} else if string(k) != string(first) {
			t.Fatalf("%s decodes to another key", f)
		}
	}
}

// FuzzParsePublicKey: a device key as an operator pastes it. Whatever is accepted is 32
// bytes and reads back the same from its base64 and hex forms.
func FuzzParsePublicKey(f *testing.F) {
	pub := make([]byte, ed25519.PublicKeySize)
	for i := range pub {
		pub[i] = byte(i * 7)
	}
	f.Add(base64.StdEncoding.EncodeToString(pub))
	f.Add(base64.RawURLEncoding.EncodeToString(pub))
	f.Add(hex.EncodeToString(pub))
	f.Add("ed25519:" + strings.ToUpper(hex.EncodeToString(pub)))
	f.Add("")
	f.Add("====")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePublicKey(s)
		if err != nil {
			if !errors.Is(err, ErrBadKey) {
				t.Fatalf("ParsePublicKey(%q) = %v, not ErrBadKey", s, err)
			}
			return
		}
		if len(k) != ed25519.PublicKeySize {
			t.Fatalf("ParsePublicKey(%q) = %d bytes", s, len(k))
		}
		for _, enc := range []string{base64.StdEncoding.EncodeToString(k), hex.EncodeToString(k)} {
			k2, err := ParsePublicKey(enc)
			if err != nil || !k2.Equal(k) {
				t.Fatalf("%q does not read back: %x, %v", enc, k2, err)
			}
		}
	})
}
