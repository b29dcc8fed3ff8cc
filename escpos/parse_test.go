package escpos

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// Commands the Builder never sends, each followed by the text "Z": the parser must skip
// each by its length (the arguments are printable on purpose) and leave only "Z" as text.
var skipped = []struct {
	name string
	cmd  []byte
}{
	{"ESC SP", []byte{0x1b, ' ', 'A'}},
	{"ESC !", []byte{0x1b, '!', 'A'}},
	{"ESC $", []byte{0x1b, '$', 'A', 'A'}},
	{"ESC %", []byte{0x1b, '%', 'A'}},
	{"ESC &", []byte{0x1b, '&', 3, 'A', 'B', 2, 'A', 'A', 'A', 'A', 'A', 'A', 1, 'A', 'A', 'A'}},
	{"ESC =", []byte{0x1b, '=', 'A'}},
	{"ESC ?", []byte{0x1b, '?', 'A'}},
	{"ESC D", []byte{0x1b, 'D', 'A', 'B', 'C', 0}},
	{"ESC G", []byte{0x1b, 'G', 'A'}},
	{"ESC M", []byte{0x1b, 'M', 'A'}},
	{"ESC R", []byte{0x1b, 'R', 'A'}},
	{"ESC T", []byte{0x1b, 'T', 'A'}},
	{"ESC V", []byte{0x1b, 'V', 'A'}},
	{"ESC W", []byte{0x1b, 'W', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'}},
	{"ESC \\", []byte{0x1b, '\\', 'A', 'A'}},
	{"ESC c 3", []byte{0x1b, 'c', '3', 'A'}},
	{"ESC c 5", []byte{0x1b, 'c', '5', 'A'}},
	{"ESC e", []byte{0x1b, 'e', 'A'}},
	{"ESC r", []byte{0x1b, 'r', 'A'}},
	{"ESC u", []byte{0x1b, 'u', 'A'}},
	{"ESC {", []byte{0x1b, '{', 'A'}},
	{"ESC ( A", []byte{0x1b, '(', 'A', 4, 0, 'A', 'A', 'A', 'A'}},
	{"FS !", []byte{0x1c, '!', 'A'}},
	{"FS &", []byte{0x1c, '&'}},
	{"FS -", []byte{0x1c, '-', 'A'}},
	{"FS 2", append([]byte{0x1c, '2', 'A', 'A'}, bytes.Repeat([]byte{'A'}, 72)...)},
	{"FS C", []byte{0x1c, 'C', 'A'}},
	{"FS S", []byte{0x1c, 'S', 'A', 'A'}},
	{"FS W", []byte{0x1c, 'W', 'A'}},
	{"FS p", []byte{0x1c, 'p', 'A', 'A'}},
	{"FS q", append([]byte{0x1c, 'q', 1, 1, 0, 1, 0}, bytes.Repeat([]byte{'A'}, 8)...)},
	{"FS g 1", []byte{0x1c, 'g', '1', 0, 'A', 'A', 'A', 'A', 2, 0, 'A', 'A'}},
	{"FS ( L", []byte{0x1c, '(', 'L', 2, 0, 'A', 'A'}},
	{"GS $", []byte{0x1d, '$', 'A', 'A'}},
	{"GS *", append([]byte{0x1d, '*', 1, 2}, bytes.Repeat([]byte{'A'}, 16)...)},
	{"GS /", []byte{0x1d, '/', 'A'}},
	{"GS B", []byte{0x1d, 'B', 'A'}},
	{"GS I", []byte{0x1d, 'I', 'A'}},
	{"GS L", []byte{0x1d, 'L', 'A', 'A'}},
	{"GS P", []byte{0x1d, 'P', 'A', 'A'}},
	{"GS W", []byte{0x1d, 'W', 'A', 'A'}},
	{"GS ^", []byte{0x1d, '^', 'A', 'A', 'A'}},
	{"GS b", []byte{0x1d, 'b', 'A'}},
	{"GS f", []byte{0x1d, 'f', 'A'}},
	{"GS r", []byte{0x1d, 'r', 'A'}},
	{"GS ( L", []byte{0x1d, '(', 'L', 6, 0, '0', 'p', 'A', 'A', 'A', 'A'}},
	{"GS ( k PDF417", []byte{0x1d, '(', 'k', 5, 0, '0', 'P', '0', 'A', 'A'}},
	{"GS 8 L", []byte{0x1d, '8', 'L', 3, 0, 0, 0, '0', 'A', 'A'}},
	{"GS g 0", []byte{0x1d, 'g', '0', 'A', 'A', 'A'}},
	{"GS z", []byte{0x1d, 'z', '0', 'A', 'A'}},
	{"GS C 0", []byte{0x1d, 'C', '0', 'A', 'A'}},
	{"GS C 1", []byte{0x1d, 'C', '1', 'A', 'A', 'A', 'A', 'A', 'A'}},
	{"DLE ENQ", []byte{0x10, 0x05, 1}},
	{"DLE DC4 1", []byte{0x10, 0x14, 1, 'A', 'A'}},
	{"DLE DC4 8", []byte{0x10, 0x14, 8, 'A', 'A', 'A', 'A', 'A', 'A', 'A'}},
	{"GS a", []byte{0x1d, 'a', 'A'}},
	{"DLE EOT", []byte{0x10, 0x04, 1}},
	{"CAN", []byte{0x18}},
}

func TestParseSkipsKnownCommandsByLength(t *testing.T) {
	for _, tc := range skipped {
		t.Run(tc.name, func(t *testing.T) {
			stream := append(append([]byte("Y"), tc.cmd...), 'Z', '\n')
			cmds, err := Parse(stream)
			if err != nil {
				t.Fatal(err)
			}
			if len(cmds) != 4 || cmds[0].Op != OpText || cmds[2].Op != OpText || cmds[3].Op != OpLF {
				t.Fatalf("commands %v", cmds)
			}
			if !bytes.Equal(cmds[1].Raw, tc.cmd) || cmds[1].Op == OpUnknown || cmds[1].Offset != 1 {
				t.Errorf("command %v % x, want the whole % x", cmds[1].Op, cmds[1].Raw, tc.cmd)
			}
			// Every strict prefix that cuts the command is reported as truncated.
			for i := 2; i < 1+len(tc.cmd); i++ {
				if len(tc.cmd) == 1 {
					break
				}
				if _, err := Parse(stream[:i]); !errors.Is(err, ErrTruncated) && !(tc.name == "ESC D" && i > 3) {
					t.Errorf("prefix %q: err = %v, want ErrTruncated", stream[:i], err)
				}
			}
		})
	}
}

func TestParseUnknownEscape(t *testing.T) {
	stream := []byte("a\x1b\x01b\x1d\xffc\x1c\x7fd\n")
	cmds, err := Parse(stream)
	if err != nil {
		t.Fatal(err)
	}
	var ops []Op
	for _, c := range cmds {
		ops = append(ops, c.Op)
	}
	want := []Op{OpText, OpUnknown, OpText, OpUnknown, OpText, OpUnknown, OpText, OpLF}
	if len(ops) != len(want) {
		t.Fatalf("ops %v, want %v", ops, want)
	}
	for i := range want {
		if ops[i] != want[i] {
			t.Fatalf("ops %v, want %v", ops, want)
		}
	}
}

func TestParseBuilderOutput(t *testing.T) {
	// Every command the Builder emits is understood as what it is.
	stream, err := os.ReadFile("virtual/testdata/ticket_bg_80.bin") // the Builder's ticket
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := Parse(stream)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Op]int{}
	total := 0
	for _, c := range cmds {
		seen[c.Op]++
		total += len(c.Raw)
		if c.Op == OpOther || c.Op == OpUnknown {
			t.Errorf("Builder output parsed as %v", c)
		}
	}
	if total != len(stream) {
		t.Errorf("commands cover %d of %d bytes", total, len(stream))
	}
	for _, op := range []Op{OpInit, OpCodePage, OpJustify, OpBold, OpSize, OpText, OpLF, OpUnderline,
		OpQRModel, OpQRSize, OpQRLevel, OpQRStore, OpQRPrint, OpFeed, OpCut} {
		if seen[op] == 0 {
			t.Errorf("no %v in the ticket", op)
		}
	}
	var buf bytes.Buffer
	b := NewBuilder(&buf, Epson)
	b.Code128("X1", BarcodeOptions{}).LineSpacing(20).DefaultLineSpacing().Pulse(2, 50, 50).
		QRImage("q", QROptions{}).Cut(FullCut).Raw(StatusQuery(2)...).Raw(EnableASB(2)...)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	cmds, err = Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cmds {
		got = append(got, c.String())
	}
	want := []string{"BARCODE-HEIGHT 162", "BARCODE-WIDTH 3", "HRI 0", "BARCODE 73 \"{BX1\"",
		"LINE-SPACING 20", "DEFAULT-LINE-SPACING", "PULSE 0 25", "RASTER 0 128x126", "CUT 0 0",
		"STATUS-QUERY 2", "ASB 2"}
	if len(got) != len(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("command %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestParseHugeLengthsDoNotAllocate(t *testing.T) {
	// Headers that claim gigabytes end as truncated, without allocating them.
	for _, stream := range [][]byte{
		{0x1d, 'v', '0', 0, 0xff, 0xff, 0xff, 0xff},
		{0x1d, '8', 'L', 0xff, 0xff, 0xff, 0x7f, '0'},
		{0x1d, '(', 'k', 0xff, 0xff, 49, 80, 48},
		{0x1c, 'q', 0xff, 0xff, 0xff, 0xff, 0xff},
	} {
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := Parse(stream); !errors.Is(err, ErrTruncated) {
				t.Errorf("% x: err = %v", stream, err)
			}
		})
		if allocs > 10 {
			t.Errorf("% x: %v allocations", stream, allocs)
		}
	}
}
