package input

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"ticketkiosk/device"
	"ticketkiosk/device/internal/keytest"
)

func littleEndian(t testing.TB) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the literal event bytes below are little-endian")
	}
}

func TestParseInputEventsLayouts(t *testing.T) {
	littleEndian(t)
	// KEY_A (30) pressed at 1700000000.123456: sec 0x6553f100, usec 0x0001e240.
	ev64 := []byte{
		0x00, 0xf1, 0x53, 0x65, 0, 0, 0, 0, // tv_sec
		0x40, 0xe2, 0x01, 0x00, 0, 0, 0, 0, // tv_usec
		0x01, 0x00, // EV_KEY
		0x1e, 0x00, // KEY_A
		0x01, 0x00, 0x00, 0x00, // press
	}
	ev32 := []byte{
		0x00, 0xf1, 0x53, 0x65,
		0x40, 0xe2, 0x01, 0x00,
		0x01, 0x00,
		0x1e, 0x00,
		0x02, 0x00, 0x00, 0x00, // autorepeat
	}
	want := time.Unix(1700000000, 123456000)
	for _, c := range []struct {
		b      []byte
		layout EventLayout
		value  int32
	}{{ev64, Event64, 1}, {ev32, Event32, 2}} {
		// Two events and half of a third.
		in := append(append(append([]byte(nil), c.b...), c.b...), c.b[:5]...)
		evs, rest := ParseEvents(in, c.layout)
		if len(evs) != 2 || !bytes.Equal(rest, c.b[:5]) {
			t.Fatalf("layout %d: %d events, rest %x", c.layout, len(evs), rest)
		}
		ev := evs[1]
		if !ev.Time.Equal(want) || ev.Type != evKey || ev.Code != 30 || ev.Value != c.value {
			t.Errorf("layout %d: %+v", c.layout, ev)
		}
		if got := AppendEvent(nil, ev, c.layout); !bytes.Equal(got, c.b) {
			t.Errorf("layout %d: AppendEvent = %x, want %x", c.layout, got, c.b)
		}
	}
	if evs, rest := ParseEvents(ev64, EventLayout(20)); evs != nil || len(rest) != len(ev64) {
		t.Errorf("a bad layout parsed %d events", len(evs))
	}
}

// stream builds an event stream: each step is a key code and value, with the EV_MSC and
// EV_SYN events a real keyboard sends around it.
func stream(layout EventLayout, steps ...[2]int) []byte {
	var b []byte
	t := time.Unix(1700000000, 0)
	for _, s := range steps {
		t = t.Add(10 * time.Millisecond)
		b = AppendEvent(b, Event{Time: t, Type: 0x04, Code: 0x04, Value: 0x70004}, layout) // EV_MSC MSC_SCAN
		b = AppendEvent(b, Event{Time: t, Type: evKey, Code: uint16(s[0]), Value: int32(s[1])}, layout)
		b = AppendEvent(b, Event{Time: t, Type: 0x00}, layout) // EV_SYN SYN_REPORT
	}
	return b
}

func press(code int) [][2]int { return [][2]int{{code, 1}, {code, 0}} }

func steps(groups ...[][2]int) [][2]int {
	var all [][2]int
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// dribble is a reader that returns its bytes a few at a time, splitting events.
type dribble struct {
	b []byte
	n int
}

func (d *dribble) Read(p []byte) (int, error) {
	if len(d.b) == 0 {
		return 0, io.EOF
	}
	n := min(d.n, len(p), len(d.b))
	copy(p, d.b[:n])
	d.b = d.b[n:]
	return n, nil
}

func TestInputKeypadKeyboard(t *testing.T) {
	s := steps(
		press(2),                                                                        // 1
		[][2]int{{codeLeftShift, 1}}, press(3), press(30), [][2]int{{codeLeftShift, 0}}, // @ A
		press(30),                      // a
		press(codeCapsLock), press(30), // A
		[][2]int{{codeRightShift, 1}}, press(30), [][2]int{{codeRightShift, 0}}, // a (caps + shift)
		press(codeCapsLock), press(codeSpace), press(53), // " " /
		press(codeEnter), press(codeEsc), press(codeBackspace), press(codeDelete),
		[][2]int{{codeUp, 1}, {codeUp, 2}, {codeUp, 2}, {codeUp, 0}}, // Up ×3
		press(codeDown), press(codePageUp), press(codePageDown),
		[][2]int{{codeEnter, 1}, {codeEnter, 2}, {codeEnter, 0}}, // one OK
		[][2]int{{codeEsc, 1}, {codeEsc, 2}, {codeEsc, 0}},       // one Cancel
		[][2]int{{31, 1}, {31, 2}, {31, 0}},                      // s s
		[][2]int{{codeBackspace, 1}, {codeBackspace, 2}, {codeBackspace, 0}},
		press(29), press(59), // Ctrl, F1: nothing
	)
	want := "1 @ A a A a   / OK Cancel Backspace Backspace Up Up Up Down Up Down OK Cancel s s Backspace Backspace"
	for _, layout := range []EventLayout{Event64, Event32} {
		for _, n := range []int{1, 7, int(layout), 4096} {
			k, err := New(&dribble{b: stream(layout, s...), n: n}, &Options{Layout: layout, Name: "kbd"})
			if err != nil {
				t.Fatal(err)
			}
			keys, err := keytest.ReadAll(t, k)
			if !errors.Is(err, io.EOF) {
				t.Errorf("layout %d reads of %d: end %v, want io.EOF", layout, n, err)
			}
			if got := keytest.String(keys); got != want {
				t.Errorf("layout %d reads of %d:\n got %q\nwant %q", layout, n, got, want)
			}
		}
	}
}

func TestInputKeypadNumpad(t *testing.T) {
	s := steps(press(codeKP0), press(codeKP1), press(codeKP2), press(codeKP3), press(codeKP4),
		press(codeKP5), press(codeKP6), press(codeKP7), press(codeKP8), press(codeKP9),
		press(codeKPEnter), press(codeKPMinus), press(codeKPPlus), press(codeKPSlash),
		press(codeKPAsterisk), press(codeKPDot), press(69)) // Num Lock: nothing
	k, err := New(bytes.NewReader(stream(Event32, s...)), &Options{Layout: Event32})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keytest.ReadAll(t, k)
	if !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if got, want := keytest.String(keys), "0 1 2 3 4 5 6 7 8 9 OK Up Down Cancel Backspace Symbol"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestInputKeypadTruncated(t *testing.T) {
	b := stream(Event64, press(2)...)
	k, err := New(bytes.NewReader(b[:len(b)-3]), &Options{Layout: Event64})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keytest.ReadAll(t, k)
	if !errors.Is(err, ErrShortEvent) {
		t.Fatalf("truncated stream: %v, want ErrShortEvent", err)
	}
	if keytest.String(keys) != "1" {
		t.Errorf("keys before the cut %q, want 1", keytest.String(keys))
	}
}

func TestInputKeypadHaltClosesDevice(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	k, err := New(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(stream(NativeLayout(), press(codeKPEnter)...)); err != nil {
		t.Fatal(err)
	}
	keys := make(chan error, 2)
	go func() {
		key, err := k.ReadKey(t.Context())
		if err == nil && key.Kind != device.KeyOK {
			err = errors.New("not OK: " + key.String())
		}
		keys <- err
		_, err = k.ReadKey(t.Context())
		keys <- err
	}()
	if err := <-keys; err != nil {
		t.Fatal(err)
	}
	if err := k.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := <-keys; !errors.Is(err, device.ErrHalted) {
		t.Fatalf("ReadKey after Halt: %v", err)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("device not closed by Halt: %v", err)
	}
}

func FuzzInputEvents(f *testing.F) {
	f.Add(stream(Event64, press(2)...), true)
	f.Add(stream(Event32, steps(press(codeLeftShift), press(codeUp), [][2]int{{codeDown, 2}})...), false)
	f.Add(stream(Event32, press(codeKPEnter)...)[:13], false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, b []byte, wide bool) {
		layout := Event32
		if wide {
			layout = Event64
		}
		evs, rest := ParseEvents(b, layout)
		if len(evs) != len(b)/int(layout) || len(rest) != len(b)%int(layout) {
			t.Fatalf("%d events and %d left from %d bytes", len(evs), len(rest), len(b))
		}
		for i, ev := range evs {
			// Type, code and value survive a round trip.
			enc := AppendEvent(nil, ev, layout)
			off := i * int(layout)
			if !bytes.Equal(enc[len(enc)-8:], b[off+int(layout)-8:off+int(layout)]) {
				t.Fatalf("event %d does not round-trip", i)
			}
		}
		k, err := New(bytes.NewReader(b), &Options{Layout: layout})
		if err != nil {
			t.Fatal(err)
		}
		var m KeyMapper
		var want []device.Key
		for _, ev := range evs {
			if key, ok := m.Map(ev); ok {
				want = append(want, key)
			}
		}
		keys, err := keytest.ReadAll(t, k)
		if len(rest) > 0 && !errors.Is(err, ErrShortEvent) || len(rest) == 0 && !errors.Is(err, io.EOF) {
			t.Fatalf("end %v with %d bytes left", err, len(rest))
		}
		if keytest.String(keys) != keytest.String(want) {
			t.Fatalf("keypad %q, mapper %q", keytest.String(keys), keytest.String(want))
		}
		for _, key := range keys {
			if key.Kind == device.KeyNone || key.Kind > device.KeySymbol {
				t.Fatalf("bad key %+v", key)
			}
		}
	})
}
