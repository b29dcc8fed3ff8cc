package hub

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

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

// FuzzParseSale: a sale reference typed to `kioskctl resend`. Every reading names a
// device and a seq above 0, and DEVICE:SEQ forms read back as themselves.
func FuzzParseSale(f *testing.F) {
	for _, s := range []string{"k1-42", "K1-42-1", "kiosk-2-15", "k1:7", "shop.3:18446744073709551615", "-", "k1-0", ":", "a-b-c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		refs, err := ParseSale(s)
		if err != nil {
			if len(refs) != 0 {
				t.Fatal("refs with an error")
			}
			return
		}
		if len(refs) == 0 {
			t.Fatalf("ParseSale(%q): no refs and no error", s)
		}
		for _, r := range refs {
			if r.Device == "" || r.Seq == 0 {
				t.Fatalf("ParseSale(%q) = %+v", s, refs)
			}
		}
	})
}
