package escpos

import (
	"errors"
	"testing"
)

func TestStatusQuery(t *testing.T) {
	for n := 1; n <= 4; n++ {
		q := StatusQuery(n)
		if len(q) != 3 || q[0] != 0x10 || q[1] != 0x04 || q[2] != byte(n) {
			t.Errorf("StatusQuery(%d) = % x", n, q)
		}
	}
}

// Reply bytes as a TM-T88 sends them, from the DLE EOT tables of the ESC/POS reference.
func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		replies [4]byte
		want    Status
		str     string
	}{
		{"ready", [4]byte{0x12, 0x12, 0x12, 0x12}, Status{Online: true}, "ready"},
		{"paper near end", [4]byte{0x12, 0x12, 0x12, 0x1e}, Status{Online: true, PaperNearEnd: true}, "ready, paper near end"},
		{"paper out", [4]byte{0x1a, 0x32, 0x12, 0x7e}, Status{PaperEnd: true, PaperNearEnd: true}, "paper out"},
		{"cover open", [4]byte{0x1a, 0x16, 0x12, 0x12}, Status{CoverOpen: true}, "cover open"},
		{"cover open near end", [4]byte{0x1a, 0x16, 0x12, 0x1e}, Status{CoverOpen: true, PaperNearEnd: true}, "cover open, paper near end"},
		{"cutter", [4]byte{0x1a, 0x52, 0x1a, 0x12}, Status{Error: true, CutterError: true}, "cutter error"},
		{"offline only", [4]byte{0x1a, 0x12, 0x12, 0x12}, Status{}, "offline"},
		{"drawer", [4]byte{0x16, 0x12, 0x12, 0x12}, Status{Online: true, DrawerOpen: true}, "ready, drawer open"},
		{"feeding", [4]byte{0x1a, 0x1a, 0x12, 0x12}, Status{FeedButton: true}, "offline, feeding"},
		{"unrecoverable", [4]byte{0x1a, 0x52, 0x32, 0x12}, Status{Error: true, Unrecoverable: true}, "unrecoverable error"},
		{"auto-recoverable", [4]byte{0x1a, 0x52, 0x52, 0x12}, Status{Error: true, AutoRecoverable: true}, "auto-recoverable error"},
		{"error", [4]byte{0x1a, 0x52, 0x12, 0x12}, Status{Error: true}, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatus(tt.replies)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseStatus(% x) = %+v, want %+v", tt.replies, got, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
			if got.Ready() != (tt.str == "ready" || tt.str == "ready, paper near end" || tt.str == "ready, drawer open") {
				t.Errorf("Ready() = %v for %q", got.Ready(), tt.str)
			}
			for n := 1; n <= 4; n++ {
				if b := StatusByte(got, n); b != tt.replies[n-1] {
					t.Errorf("StatusByte(%d) = %#x, want %#x", n, b, tt.replies[n-1])
				}
			}
		})
	}
}

func TestParseStatusRejectsNoise(t *testing.T) {
	for _, b := range []byte{0x00, 0xff, 0x10, 0x02, 0x13, 0x92, 0x16 | 0x80, '?', 0x0a} {
		for n := 1; n <= 4; n++ {
			s := Status{Online: true}
			if err := ParseStatusByte(&s, n, b); !errors.Is(err, ErrStatus) {
				t.Errorf("ParseStatusByte(%d, %#x) error = %v, want ErrStatus", n, b, err)
			}
			if s != (Status{Online: true}) {
				t.Errorf("a rejected byte changed the status to %+v", s)
			}
		}
	}
	var s Status
	if err := ParseStatusByte(&s, 5, 0x12); !errors.Is(err, ErrArgument) {
		t.Errorf("n = 5: %v", err)
	}
}

// Every byte either fails the fixed-bit check or parses into a status that encodes back
// to the same meaningful bits.
func TestStatusByteRoundTrip(t *testing.T) {
	meaningful := [5]byte{0, 0x0c, 0x6c, 0x68, 0x6c}
	for n := 1; n <= 4; n++ {
		ok := 0
		for b := range 256 {
			var s Status
			if err := ParseStatusByte(&s, n, byte(b)); err != nil {
				continue
			}
			ok++
			got := StatusByte(s, n)
			// Bits 2,3 and 5,6 of n = 4 are pairs: either bit means the condition.
			if n == 4 {
				if (got&0x0c != 0) != (byte(b)&0x0c != 0) || (got&0x60 != 0) != (byte(b)&0x60 != 0) {
					t.Errorf("n=4 %#x → %+v → %#x", b, s, got)
				}
				continue
			}
			if got&meaningful[n] != byte(b)&meaningful[n] {
				t.Errorf("n=%d %#x → %+v → %#x", n, b, s, got)
			}
		}
		if ok != 16 {
			t.Errorf("n=%d: %d bytes pass the fixed-bit check, want 16", n, ok)
		}
	}
}

func TestParseASB(t *testing.T) {
	tests := []struct {
		in   []byte
		want Status
	}{
		{[]byte{0x10, 0, 0, 0}, Status{Online: true}},
		{[]byte{0x38, 0, 0x0f, 0}, Status{CoverOpen: true, PaperEnd: true, PaperNearEnd: true}},
		{[]byte{0x18, 0x08, 0, 0}, Status{CutterError: true}},
		{[]byte{0x14, 0, 0x03, 0x0f}, Status{Online: true, DrawerOpen: true, PaperNearEnd: true}},
	}
	for _, tt := range tests {
		got, err := ParseASB(tt.in)
		if err != nil {
			t.Fatalf("ParseASB(% x): %v", tt.in, err)
		}
		if got != tt.want {
			t.Errorf("ParseASB(% x) = %+v, want %+v", tt.in, got, tt.want)
		}
		back := ASB(got)
		again, err := ParseASB(back[:])
		if err != nil || again != got {
			t.Errorf("ASB() round trip: % x → %+v, %v", back, again, err)
		}
	}
	for _, bad := range [][]byte{nil, {0x10, 0, 0}, {0x12, 0, 0, 0}, {0x00, 0, 0, 0}, {0x10, 0x10, 0, 0}, {0x10, 0, 0x80, 0}, {0x10, 0, 0, 0x90}} {
		if _, err := ParseASB(bad); !errors.Is(err, ErrStatus) {
			t.Errorf("ParseASB(% x) error = %v, want ErrStatus", bad, err)
		}
	}
	// A DLE EOT reply is never an ASB first byte and the other way round.
	if _, err := ParseASB([]byte{0x12, 0x12, 0x12, 0x12}); err == nil {
		t.Error("DLE EOT replies accepted as ASB")
	}
	if got := EnableASB(0x0f); string(got) != "\x1da\x0f" {
		t.Errorf("EnableASB = % x", got)
	}
}
