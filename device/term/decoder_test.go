package term

import (
	"strings"
	"testing"
	"unicode/utf8"

	"ticketkiosk/device"
	"ticketkiosk/device/internal/keytest"
)

func TestParseKeys(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"digits and LF", "1001\n", "1 0 0 1 OK"},
		{"CR", "12\r", "1 2 OK"},
		{"CRLF is one OK", "1\r\n2\r\n", "1 OK 2 OK"},
		{"LF LF is two OKs", "\n\n", "OK OK"},
		{"CR CR is two OKs", "\r\r", "OK OK"},
		{"LF CR is two OKs", "\n\r", "OK OK"},
		{"backspace DEL and BS", "ab\x7f\x08", "a b Backspace Backspace"},
		{"arrows", "\x1b[A\x1b[B", "Up Down"},
		{"left right ignored", "\x1b[C\x1b[Dx", "x"},
		{"page up down", "\x1b[5~\x1b[6~", "Up Down"},
		{"delete", "\x1b[3~", "Backspace"},
		{"other CSI dropped", "\x1b[1;5A\x1b[2~7", "7"},
		{"lone ESC then letter", "\x1bq", "Cancel q"},
		{"lone ESC then digit", "\x1b5", "Cancel 5"},
		{"ESC ESC", "\x1b\x1b", "Cancel Cancel"},
		{"ESC at end", "9\x1b", "9 Cancel"},
		{"ESC then newline", "\x1b\n", "Cancel OK"},
		{"ESC [ at end is what was typed", "1\x1b[", "1 Cancel ["},
		{"ESC [ then a byte no sequence has", "\x1b[\n", "Cancel [ OK"},
		{"unfinished CSI at end dropped", "1\x1b[2", "1"},
		{"SS3 arrows", "\x1bOA\x1bOB", "Up Down"},
		{"SS3 other keys dropped", "\x1bOP\x1bOC7", "7"},
		{"ESC O then a digit", "\x1bO4\n", "Cancel O 4 OK"},
		{"ESC O at end", "\x1bO", "Cancel O"},
		{"Esc 4 Enter", "\x1b4\r", "Cancel 4 OK"},
		{"CSI broken by control byte", "\x1b[1\n", "OK"},
		{"UTF-8 letters", "Жé@", "Ж é @"},
		{"broken UTF-8 dropped", "\xd0x\xff\x80y", "x y"},
		{"truncated UTF-8 at end dropped", "a\xe2\x82", "a"},
		{"C1 control dropped", "\u0085z", "z"},
		{"control bytes dropped", "\x01\x02\t3", "3"},
		{"space is a char", " ", " "},
		{"long CSI swallowed", "\x1b[" + strings.Repeat("1", 40) + "A5", "5"},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := keytest.String(ParseKeys([]byte(c.in))); got != c.want {
				t.Errorf("ParseKeys(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestKeyDecoderSplit checks that any split of the input into reads gives the same keys as
// the whole, except that a lone ESC at the end of one read is held until the next.
func TestKeyDecoderSplit(t *testing.T) {
	in := []byte("1\r\n\x1b[A\x1b[5~Жq\x1bx\x7f\n\x1bOB\x1bO4\x1b[\n")
	want := keytest.String(ParseKeys(in))
	for i := 0; i <= len(in); i++ {
		for j := i; j <= len(in); j++ {
			var d Decoder
			keys := d.Feed(in[:i])
			keys = append(keys, d.Feed(in[i:j])...)
			keys = append(keys, d.Feed(in[j:])...)
			keys = append(keys, d.Flush()...)
			if got := keytest.String(keys); got != want {
				t.Fatalf("split at %d,%d: %q, want %q", i, j, got, want)
			}
		}
	}
}

func TestKeyDecoderPending(t *testing.T) {
	var d Decoder
	if keys := d.Feed([]byte("\x1b")); len(keys) != 0 || !d.Pending() {
		t.Fatalf("after ESC: keys %v, pending %v; want none, true", keys, d.Pending())
	}
	if got := keytest.String(d.Flush()); got != "Cancel" {
		t.Fatalf("Flush after ESC = %q, want Cancel", got)
	}
	if d.Pending() {
		t.Fatal("pending after Flush")
	}
	if keys := d.Feed([]byte("\x1b[")); len(keys) != 0 || !d.Pending() {
		t.Fatalf("after ESC [: keys %v, pending %v", keys, d.Pending())
	}
	if got := keytest.String(d.Flush()); got != "Cancel [" {
		t.Fatalf("Flush of ESC [ = %q, want the keys typed, Cancel [", got)
	}
	if keys := d.Feed([]byte("\x1b[1")); len(keys) != 0 || !d.Pending() {
		t.Fatalf("after ESC [ 1: keys %v, pending %v", keys, d.Pending())
	}
	if got := d.Flush(); len(got) != 0 {
		t.Fatalf("Flush of unfinished CSI = %v, want nothing", got)
	}
}

func FuzzKeyStream(f *testing.F) {
	f.Add([]byte("1001\n"))
	f.Add([]byte("\x1b[A\x1b[B\r\n"))
	f.Add([]byte("\x1bq\x1b\x1b"))
	f.Add([]byte("Жé\x7f\x08"))
	f.Add([]byte("\x1b[" + strings.Repeat("9;", 20) + "~"))
	f.Add([]byte("\xe2\x82\xff\xc0"))
	f.Add([]byte("\x1bOA\x1bO4\x1b[\n\x1b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys := ParseKeys(b)
		if len(keys) > len(b) {
			t.Fatalf("%d keys from %d bytes", len(keys), len(b))
		}
		for _, k := range keys {
			switch k.Kind {
			case device.KeyChar:
				if k.Rune < 0x20 || k.Rune == 0x7f || (k.Rune >= 0x80 && k.Rune < 0xa0) || !utf8.ValidRune(k.Rune) || k.Rune == utf8.RuneError {
					t.Fatalf("bad char key %U from %q", k.Rune, b)
				}
			case device.KeyOK, device.KeyCancel, device.KeyBackspace, device.KeyUp, device.KeyDown:
			default:
				t.Fatalf("unexpected key kind %d from %q", k.Kind, b)
			}
		}
		// Feeding byte by byte gives the same keys.
		var d Decoder
		var one []device.Key
		for i := range b {
			one = append(one, d.Feed(b[i:i+1])...)
		}
		one = append(one, d.Flush()...)
		if keytest.String(one) != keytest.String(keys) {
			t.Fatalf("byte by byte %q, whole %q, input %q", keytest.String(one), keytest.String(keys), b)
		}
	})
}
