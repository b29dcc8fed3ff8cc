package catalog

import "testing"

// BenchmarkCheckPassword measures one login's password check at PasswordCost.
func BenchmarkCheckPassword(b *testing.B) {
	h, err := HashPassword("cashier-password")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := CheckPassword(h, "cashier-password"); err != nil {
			b.Fatal(err)
		}
	}
}
