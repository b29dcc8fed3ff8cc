package virtual

import (
	"bytes"
	"errors"
	"testing"

	"ticketkiosk/escpos"
)

// Round trips: what the Builder lays out is what the printer prints.

func TestPrintableAndColumns(t *testing.T) {
	var buf bytes.Buffer
	latin := escpos.Epson.WithDots(240) // 20 columns
	latin.CodePages = map[string]byte{"PC437": 0, "PC866": 17}
	b := escpos.NewBuilder(&buf, latin)
	if got := b.Printable("Цена 20 €"); got != "Цена 20 EUR" {
		t.Errorf("PC437 Printable = %q", got)
	}
	b.CodePage("PC866")
	if got := b.Printable("Цена 20 €\x1b\nред 2"); got != "Цена 20 EUR\nред 2" {
		t.Errorf("PC866 Printable = %q", got)
	}
	buf.Reset()
	b.Columns("Вход", "20,00 €").Size(2, 1).Wrapped("много дълго заглавие на събитие")
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	p, err := Render(buf.Bytes(), RenderOptions{Profile: latin})
	if err != nil {
		t.Fatal(err)
	}
	want := "Вход       20,00 EUR\nмного\nдълго\nзаглавие\nна събитие\n"
	if p.Text != want {
		t.Errorf("transcript %q, want %q", p.Text, want)
	}
}

func TestFontBColumns(t *testing.T) {
	for _, tc := range []struct {
		prof escpos.Profile
		cols int
	}{{escpos.Epson, 64}, {escpos.Clone, 42}} {
		var buf bytes.Buffer
		b := escpos.NewBuilder(&buf, tc.prof)
		b.Font(escpos.FontB).Columns("a", "b")
		if err := b.Flush(); err != nil {
			t.Fatal(err)
		}
		line := bytes.TrimSuffix(buf.Bytes()[3:], []byte("\n"))
		if len(line) != tc.cols {
			t.Errorf("%s font B line of %d columns, want %d", tc.prof.Name, len(line), tc.cols)
		}
		p, err := Render(buf.Bytes(), RenderOptions{Profile: tc.prof})
		if err != nil {
			t.Fatal(err)
		}
		// The line fills the paper without wrapping: 17-dot font B, 30-dot line spacing.
		if p.Image.Rect.Dy() != 30 || p.Text != string(line)+"\n" {
			t.Errorf("%s: %d dots tall, text %q", tc.prof.Name, p.Image.Rect.Dy(), p.Text)
		}
		if box := blackBox(p.Image, 0, 30); box.Max.X < tc.prof.Dots-9 || box.Max.Y > 17 {
			t.Errorf("%s: font B line drawn in %v", tc.prof.Name, box)
		}
	}
}

func TestProfileWithCodePage(t *testing.T) {
	p, err := escpos.Clone.WithCodePage("PC866", 59)
	if err != nil {
		t.Fatal(err)
	}
	if escpos.Clone.CodePages["PC866"] != 17 {
		t.Fatal("WithCodePage changed the original profile")
	}
	var buf bytes.Buffer
	if err := escpos.NewBuilder(&buf, p).CodePage("PC866").Text("Ж").Flush(); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if !bytes.Equal(got, []byte{0x1b, 't', 59, 0x86}) {
		t.Errorf("got % x", got)
	}
	paper, err := Render(got, RenderOptions{Profile: p})
	if err != nil || paper.Text != "Ж\n" {
		t.Errorf("rendered %q, %v", paper.Text, err)
	}
	if _, err := escpos.Clone.WithCodePage("KOI8-R", 8); !errors.Is(err, escpos.ErrUnknownCodePage) {
		t.Errorf("unknown page: %v", err)
	}
}

// TestRenderSkipsCommands: commands without effect on paper print nothing; unknown
// escape sequences are counted.
func TestRenderSkipsCommands(t *testing.T) {
	p, _ := Render([]byte("a\x1b\x01b\x1d\xffc\x1c\x7fd\n"), RenderOptions{})
	if p.Text != "abcd\n" || p.Skipped != 3 {
		t.Errorf("transcript %q skipped %d", p.Text, p.Skipped)
	}
	p, _ = Render([]byte("Y\x1b!AZ\x1c&\x1d\x24AA\x10\x05\x01\x18!\n"), RenderOptions{})
	if p.Text != "YZ!\n" || p.Skipped != 0 {
		t.Errorf("transcript %q skipped %d", p.Text, p.Skipped)
	}
}
