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

	"ticketkiosk/hub/mail/mailtest"
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
	// Login 2002 / 222222, Sell, the jazz concert (second by date), first type, quantity
	// 2, confirm.
	said, screens := runPiped(t, Options{Dir: dir}, CashierCode+"\n"+CashierPass+"\n"+"1\n2\n1\n"+"\b2\n"+"\n")
	if !strings.Contains(said, " 0 not yet at the hub") {
		t.Fatalf("the hub did not acknowledge everything:\n%s\nscreens:\n%s", said, screens)
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
	// The first sale of the demo is sale 1 (not its entry's seq 2, after config_applied):
	// on the done screen, on the ticket, and in the ticket file's name.
	if got := filepath.Base(pngs[0]); got != "sale-0001.png" {
		t.Errorf("ticket file %s, want sale-0001.png", got)
	}
	if !strings.Contains(screens, "Продажба 1 ") || strings.Contains(screens, "Продажба 2") {
		t.Errorf("the done screen does not show sale 1:\n%s", screens)
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
	for _, want := range []string{"Зимен джаз концерт", "Стандартен", "25,00 €", "Билет 2 от 2", "Продажба № 1\n"} {
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

// TestPipedDemoEmail: with Email the kiosk sells at the email outlet; the hub writes the
// sale's email into DIR/mail as an .eml file (no relay), whose QR codes verify, and the
// demo says where it is.
func TestPipedDemoEmail(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	// Login, Sell, the jazz concert, first type, quantity 2, the buyer, confirm.
	said, screens := runPiped(t, Options{Dir: dir, Email: true},
		CashierCode+"\n"+CashierPass+"\n"+"1\n2\n1\n"+"\b2\n"+"buyer@example.org\n"+"\n")
	mailDir := filepath.Join(dir, "mail")
	emls, _ := filepath.Glob(filepath.Join(mailDir, "*.eml"))
	if len(emls) != 1 {
		t.Fatalf("%d emails in %s, want 1; the demo said:\n%s\nscreens:\n%s", len(emls), mailDir, said, screens)
	}
	if !strings.Contains(said, "emails      "+mailDir) || !strings.Contains(said, "1 emails in "+mailDir+"\n  "+emls[0]) {
		t.Errorf("the demo does not say where the emails are:\n%s", said)
	}
	data, err := os.ReadFile(emls[0])
	if err != nil {
		t.Fatal(err)
	}
	pm := mailtest.Parse(t, data)
	if pm.Header.Get("To") != "buyer@example.org" || pm.Header.Get("From") != MailFrom || len(pm.Images) != 2 {
		t.Fatalf("email: %v, %d images", pm.Header, len(pm.Images))
	}
	key, err := appliance.LoadKey(filepath.Join(dir, "kiosk"))
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	for cid, img := range pm.Images {
		c := testkit.QRCodePNG(t, img)
		if _, err := journal.VerifyCode(c, func(d string) (ed25519.PublicKey, bool) { return pub, d == DeviceID }); err != nil {
			t.Errorf("%s: code %q: %v", cid, c, err)
		}
		if !strings.Contains(pm.Text, c) {
			t.Errorf("the text part lacks code %q", c)
		}
	}
	if pngs, _ := filepath.Glob(filepath.Join(dir, "tickets", "*.png")); len(pngs) != 0 {
		t.Errorf("an email sale printed %d jobs", len(pngs))
	}
}

// runPiped runs the demo in o.Dir as `printf script | kioskctl demo` would, until the input
// ends, and returns what it said and its screens.
func runPiped(t *testing.T, o Options, script string) (said, screens string) {
	t.Helper()
	in, feed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "screen.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	go func() {
		feed.WriteString(script)
		feed.Close()
	}()
	var b bytes.Buffer
	o.Stdin, o.Stdout, o.Stderr = in, out, &b
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := Run(ctx, o); err != nil {
		t.Fatalf("demo: %v\n%s", err, b.String())
	}
	s, _ := os.ReadFile(out.Name())
	return b.String(), string(s)
}
