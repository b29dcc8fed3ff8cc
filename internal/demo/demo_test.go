package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ticketkiosk/internal/appliance"
	"ticketkiosk/journal"
	"ticketkiosk/testkit"
)

// TestPipedDemo runs the demo as `printf ... | kioskctl demo` would: the cashier logs in,
// sells two standard tickets of the first event, and the input ends. The tickets must be
// printed to files whose rendered QR codes verify with the kiosk's key, and the hub must
// have acknowledged every journal entry.
func TestPipedDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	in, feed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "screen.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	// Login 2002 / 222222, Sell, the jazz concert (second by date), first type, quantity
	// 2, confirm.
	script := CashierCode + "\n" + CashierPass + "\n" + "1\n2\n1\n" + "\b2\n" + "\n"
	go func() {
		feed.WriteString(script)
		feed.Close()
	}()
	var said bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := Run(ctx, Options{Dir: dir, Stdin: in, Stdout: out, Stderr: &said}); err != nil {
		t.Fatalf("demo: %v\n%s", err, said.String())
	}
	screens, _ := os.ReadFile(out.Name())
	if !strings.Contains(said.String(), " 0 not yet at the hub") {
		t.Fatalf("the hub did not acknowledge everything:\n%s\nscreens:\n%s", said.String(), screens)
	}
	key, err := appliance.LoadKey(filepath.Join(dir, "kiosk"))
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	pngs, _ := filepath.Glob(filepath.Join(dir, "tickets", "*.png"))
	if len(pngs) != 1 {
		t.Fatalf("%d printouts, want 1 job; screens:\n%s", len(pngs), screens)
	}
	f, err := os.Open(pngs[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	codes := testkit.QRCodes(t, img)
	if len(codes) != 2 {
		t.Fatalf("%d QR codes on the printout, want 2 tickets", len(codes))
	}
	for _, c := range codes {
		facts, err := journal.VerifyCode(c, func(d string) (ed25519.PublicKey, bool) { return pub, d == DeviceID })
		if err != nil {
			t.Fatalf("printed code %q: %v", c, err)
		}
		if facts.Event != "jazz" || facts.Type != "std" || facts.Of != 2 {
			t.Fatalf("ticket facts %+v", facts)
		}
	}
	txt, _ := os.ReadFile(strings.TrimSuffix(pngs[0], ".png") + ".txt")
	for _, want := range []string{"Зимен джаз концерт", "Стандартен", "25,00 €", "Билет 2 от 2"} {
		if !bytes.Contains(txt, []byte(want)) {
			t.Errorf("ticket text lacks %q:\n%s", want, txt)
		}
	}
}

// TestIdleScreenShowsTheHubOnline: once the kiosk is connected and the hub says online, the
// idle screen's link glyph says so ("[ok]" on a plain display) instead of "[off]".
func TestIdleScreenShowsTheHubOnline(t *testing.T) {
	in, feed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "screen.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	var said bytes.Buffer
	go func() {
		done <- Run(ctx, Options{Dir: filepath.Join(t.TempDir(), "demo"), Stdin: in, Stdout: out, Stderr: &said})
	}()
	online := testkit.Poll(45*time.Second, func() bool {
		screens, _ := os.ReadFile(out.Name())
		return bytes.Contains(screens, []byte("[ok]"))
	})
	feed.Close() // end of input ends the demo
	if err := <-done; err != nil {
		t.Fatalf("demo: %v", err)
	}
	if !online {
		screens, _ := os.ReadFile(out.Name())
		t.Fatalf("the idle screen never showed the hub online:\n%s", screens)
	}
}
