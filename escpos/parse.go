package escpos

import (
	"fmt"
	"strconv"
)

// Op names a decoded command.
type Op uint8

// Decoded commands. N and M carry numeric arguments, Data a payload.
const (
	OpText               Op = iota + 1 // Data: printable bytes in the current code page
	OpLF                               // LF: print the line and feed
	OpCR                               // CR
	OpHT                               // HT: next tab stop
	OpInit                             // ESC @
	OpCancelKanji                      // FS .
	OpCodePage                         // ESC t N
	OpBold                             // ESC E N
	OpUnderline                        // ESC - N
	OpPrintMode                        // ESC ! N (font, bold, double height/width, underline bits)
	OpFont                             // ESC M N: 0 font A, 1 font B
	OpSize                             // GS ! N (width-1 << 4 | height-1)
	OpJustify                          // ESC a N
	OpLineSpacing                      // ESC 3 N
	OpDefaultLineSpacing               // ESC 2
	OpFeed                             // ESC d N: print and feed N lines
	OpFeedDots                         // ESC J N: print and feed N dots
	OpQRModel                          // GS ( k fn 65: N = model byte
	OpQRSize                           // GS ( k fn 67: N = module size
	OpQRLevel                          // GS ( k fn 69: N = level 0..3 (L, M, Q, H)
	OpQRStore                          // GS ( k fn 80: Data = payload
	OpQRPrint                          // GS ( k fn 81
	OpBarcodeHeight                    // GS h N
	OpBarcodeWidth                     // GS w N
	OpHRI                              // GS H N
	OpBarcode                          // GS k: N = system, Data = argument
	OpRaster                           // GS v 0: N = mode, W bytes × H rows, Data = bits
	OpBitImage                         // ESC *: N = mode (0, 1, 32, 33), W columns, Data = bits
	OpGraphicsStore                    // GS ( L fn 112: W × H dots, scale N × M, Data = bits
	OpGraphicsPrint                    // GS ( L fn 50: print the stored graphics
	OpCut                              // GS V: N = mode byte, M = feed (for 65, 66)
	OpPulse                            // ESC p: N = pin byte, M = on time (2 ms units)
	OpStatusQuery                      // DLE EOT N
	OpASB                              // GS a N
	OpOther                            // a known command with no effect on the picture
	OpUnknown                          // an unknown escape sequence, skipped
)

var opNames = [...]string{
	OpText: "TEXT", OpLF: "LF", OpCR: "CR", OpHT: "HT", OpInit: "INIT",
	OpCancelKanji: "CANCEL-KANJI", OpCodePage: "CODEPAGE", OpBold: "BOLD",
	OpUnderline: "UNDERLINE", OpPrintMode: "PRINT-MODE", OpFont: "FONT", OpSize: "SIZE",
	OpJustify: "JUSTIFY", OpLineSpacing: "LINE-SPACING",
	OpDefaultLineSpacing: "DEFAULT-LINE-SPACING", OpFeed: "FEED", OpFeedDots: "FEED-DOTS",
	OpQRModel: "QR-MODEL", OpQRSize: "QR-SIZE", OpQRLevel: "QR-LEVEL", OpQRStore: "QR-STORE",
	OpQRPrint: "QR-PRINT", OpBarcodeHeight: "BARCODE-HEIGHT", OpBarcodeWidth: "BARCODE-WIDTH",
	OpHRI: "HRI", OpBarcode: "BARCODE", OpRaster: "RASTER", OpBitImage: "BIT-IMAGE",
	OpGraphicsStore: "GRAPHICS-STORE", OpGraphicsPrint: "GRAPHICS-PRINT", OpCut: "CUT", OpPulse: "PULSE",
	OpStatusQuery: "STATUS-QUERY", OpASB: "ASB", OpOther: "OTHER", OpUnknown: "UNKNOWN",
}

// String returns the op's name, e.g. "BOLD".
func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Command is one decoded command. Data and Raw alias the parsed input.
type Command struct {
	Op     Op
	N, M   int    // numeric arguments (see Op)
	W, H   int    // raster size: W bytes per row, H rows
	Data   []byte // payload: text bytes, QR data, barcode argument, raster bits
	Raw    []byte // the whole command as it appeared in the input
	Offset int    // position of Raw in the input
}

// String renders c for dumps: the op, its arguments and a short payload.
func (c Command) String() string {
	s := c.Op.String()
	switch c.Op {
	case OpText, OpQRStore, OpBarcode:
		if c.Op == OpBarcode {
			s += " " + strconv.Itoa(c.N)
		}
		d := c.Data
		if len(d) > 64 {
			d = d[:64]
		}
		s += " " + strconv.QuoteToASCII(string(d))
	case OpRaster:
		s += fmt.Sprintf(" %d %dx%d", c.N, c.W*8, c.H)
	case OpBitImage:
		s += fmt.Sprintf(" %d %d", c.N, c.W)
	case OpGraphicsStore:
		s += fmt.Sprintf(" %dx%d", c.W, c.H)
	case OpCut, OpPulse:
		s += fmt.Sprintf(" %d %d", c.N, c.M)
	case OpOther, OpUnknown:
		d := c.Raw
		if len(d) > 16 {
			d = d[:16]
		}
		s += fmt.Sprintf(" % x", d)
	case OpLF, OpCR, OpHT, OpInit, OpCancelKanji, OpDefaultLineSpacing, OpQRPrint, OpGraphicsPrint:
	default:
		s += " " + strconv.Itoa(c.N)
	}
	return s
}

// Parse decodes an ESC/POS byte stream into commands. Every command the Builder emits is
// understood; other ESC, GS, FS and DLE commands are skipped by their known length (so
// their arguments are never taken for text), and an unknown escape sequence is skipped as
// its two bytes with OpUnknown. Payloads alias stream, so Parse allocates only the
// command list. A command cut short by the end of the stream ends parsing with an
// error wrapping ErrTruncated, after the commands before it.
func Parse(stream []byte) ([]Command, error) {
	var cmds []Command
	for off := 0; off < len(stream); {
		c, err := next(stream[off:])
		if err != nil {
			return cmds, fmt.Errorf("escpos: at byte %d: %w", off, err)
		}
		c.Offset = off
		cmds = append(cmds, c)
		off += len(c.Raw)
	}
	return cmds, nil
}

// escLen, fsLen and gsLen give the total length of fixed-length commands by their second
// byte (0: not fixed-length or unknown). From the Epson ESC/POS command reference.
var escLen = [256]uint8{
	ff: 2, ' ': 3, '!': 3, '$': 4, '%': 3, '-': 3, '2': 2, '3': 3, '<': 2, '=': 3, '?': 3,
	'@': 2, 'E': 3, 'G': 3, 'J': 3, 'K': 3, 'L': 2, 'M': 3, 'R': 3, 'S': 2, 'T': 3, 'U': 3,
	'V': 3, 'W': 10, '\\': 4, 'a': 3, 'c': 4, 'd': 3, 'e': 3, 'f': 4, 'i': 2, 'm': 2,
	'p': 5, 'r': 3, 't': 3, 'u': 3, 'v': 2, '{': 3,
}

var fsLen = [256]uint8{
	'!': 3, '&': 2, '-': 3, '.': 2, '2': 76, 'C': 3, 'S': 4, 'W': 3, 'p': 4,
}

var gsLen = [256]uint8{
	'!': 3, '$': 4, '/': 3, ':': 2, 'B': 3, 'E': 3, 'H': 3, 'I': 3, 'L': 4, 'P': 4,
	'T': 3, 'W': 4, '\\': 4, '^': 5, 'a': 3, 'b': 3, 'c': 2, 'f': 3, 'h': 3, 'j': 3,
	'r': 3, 'w': 3,
}

// next decodes the command at the start of b (len(b) > 0).
func next(b []byte) (Command, error) {
	c0 := b[0]
	if c0 >= 0x20 {
		n := 1
		for n < len(b) && b[n] >= 0x20 {
			n++
		}
		return Command{Op: OpText, Data: b[:n], Raw: b[:n]}, nil
	}
	switch c0 {
	case lf:
		return Command{Op: OpLF, Raw: b[:1]}, nil
	case cr:
		return Command{Op: OpCR, Raw: b[:1]}, nil
	case ht:
		return Command{Op: OpHT, Raw: b[:1]}, nil
	case esc:
		return nextESC(b)
	case gs:
		return nextGS(b)
	case fs:
		return nextFS(b)
	case dle:
		return nextDLE(b)
	}
	return Command{Op: OpOther, Raw: b[:1]}, nil
}

// need returns b[:n] or ErrTruncated.
func need(b []byte, n int64) ([]byte, error) {
	if n > int64(len(b)) {
		return nil, fmt.Errorf("%w: % x needs %d bytes, has %d", ErrTruncated, b[:min(len(b), 4)], n, len(b))
	}
	return b[:n], nil
}

// fixedCommand cuts a fixed-length command of n bytes off b; N is its first parameter byte.
func fixedCommand(b []byte, n int) (Command, error) {
	raw, err := need(b, int64(n))
	if err != nil {
		return Command{}, err
	}
	c := Command{Op: OpOther, Raw: raw}
	if n >= 3 {
		c.N = int(raw[2])
	}
	return c, nil
}

func nextESC(b []byte) (Command, error) {
	if len(b) < 2 {
		return Command{}, fmt.Errorf("%w: lone ESC", ErrTruncated)
	}
	if n := escLen[b[1]]; n != 0 {
		c, err := fixedCommand(b, int(n))
		if err != nil {
			return Command{}, err
		}
		switch b[1] {
		case '@':
			c.Op = OpInit
		case 't':
			c.Op = OpCodePage
		case 'E':
			c.Op = OpBold
			c.N &= 1
		case '-':
			c.Op = OpUnderline
			c.N = level(c.Raw[2])
		case '!':
			c.Op = OpPrintMode
		case 'M':
			c.Op = OpFont
			c.N = int(c.Raw[2]) & 1 // 0/48 font A, 1/49 font B
		case 'a':
			c.Op = OpJustify
			c.N = level(c.Raw[2])
		case '3':
			c.Op = OpLineSpacing
		case '2':
			c.Op = OpDefaultLineSpacing
		case 'd':
			c.Op = OpFeed
		case 'J':
			c.Op = OpFeedDots
		case 'p':
			c.Op = OpPulse
			c.M = int(c.Raw[3])
		}
		return c, nil
	}
	switch b[1] {
	case '*': // ESC * m nL nH d: column bit image
		h, err := need(b, 5)
		if err != nil {
			return Command{}, err
		}
		k := int64(h[3]) + int64(h[4])*256
		switch h[2] {
		case 0, 1:
		case 32, 33:
			k *= 3
		default:
			return Command{Op: OpUnknown, Raw: b[:2]}, nil
		}
		raw, err := need(b, 5+k)
		if err != nil {
			return Command{}, err
		}
		return Command{Op: OpBitImage, N: int(h[2]), W: int(h[3]) + int(h[4])*256, Data: raw[5:], Raw: raw}, nil
	case '&': // ESC & y c1 c2 [x d1...d(y*x)]...: define user characters
		h, err := need(b, 5)
		if err != nil {
			return Command{}, err
		}
		y, c1, c2 := int64(h[2]), int(h[3]), int(h[4])
		if c1 > c2 {
			return Command{Op: OpOther, Raw: h}, nil
		}
		n := int64(5)
		for range c2 - c1 + 1 {
			x, err := need(b, n+1)
			if err != nil {
				return Command{}, err
			}
			n += 1 + y*int64(x[n])
		}
		raw, err := need(b, n)
		return Command{Op: OpOther, Raw: raw}, err
	case 'D': // ESC D n1 ... nk NUL: tab stops, at most 32
		for i := 2; i < len(b) && i <= 34; i++ {
			if b[i] == nul {
				return Command{Op: OpOther, Raw: b[:i+1]}, nil
			}
		}
		if len(b) <= 34 {
			return Command{}, fmt.Errorf("%w: ESC D without NUL", ErrTruncated)
		}
		return Command{Op: OpUnknown, Raw: b[:2]}, nil
	case '(': // ESC ( X pL pH ...
		return lengthPrefixed(b)
	}
	return Command{Op: OpUnknown, Raw: b[:2]}, nil
}

// level reads an argument 0, 1 or 2 sent as the number or as its ASCII digit (ESC - n
// underline dots, ESC a n justification); anything else is 0.
func level(n byte) int {
	switch n {
	case 1, '1':
		return 1
	case 2, '2':
		return 2
	}
	return 0
}

// lengthPrefixed decodes ESC/FS/GS ( X pL pH d1...dp.
func lengthPrefixed(b []byte) (Command, error) {
	h, err := need(b, 5)
	if err != nil {
		return Command{}, err
	}
	raw, err := need(b, 5+int64(h[3])+int64(h[4])*256)
	if err != nil {
		return Command{}, err
	}
	return Command{Op: OpOther, Raw: raw}, nil
}

func nextFS(b []byte) (Command, error) {
	if len(b) < 2 {
		return Command{}, fmt.Errorf("%w: lone FS", ErrTruncated)
	}
	if n := fsLen[b[1]]; n != 0 {
		raw, err := need(b, int64(n))
		if err != nil {
			return Command{}, err
		}
		if b[1] == '.' {
			return Command{Op: OpCancelKanji, Raw: raw}, nil
		}
		return Command{Op: OpOther, Raw: raw}, nil
	}
	switch b[1] {
	case '(':
		return lengthPrefixed(b)
	case 'g': // FS g 1 m a1 a2 a3 a4 nL nH d1...dk / FS g 2 m a1 a2 a3 a4 nL nH
		h, err := need(b, 10)
		if err != nil {
			return Command{}, err
		}
		n := int64(10)
		if h[2] == '1' || h[2] == 1 {
			n += int64(h[8]) + int64(h[9])*256
		}
		raw, err := need(b, n)
		return Command{Op: OpOther, Raw: raw}, err
	case 'q': // FS q n [xL xH yL yH d1...dk]1...n: define NV bit images
		h, err := need(b, 3)
		if err != nil {
			return Command{}, err
		}
		n := int64(3)
		for range int(h[2]) {
			d, err := need(b, n+4)
			if err != nil {
				return Command{}, err
			}
			x := int64(d[n]) + int64(d[n+1])*256
			y := int64(d[n+2]) + int64(d[n+3])*256
			n += 4 + x*y*8
		}
		raw, err := need(b, n)
		return Command{Op: OpOther, Raw: raw}, err
	}
	return Command{Op: OpUnknown, Raw: b[:2]}, nil
}

func nextDLE(b []byte) (Command, error) {
	if len(b) < 2 {
		return Command{}, fmt.Errorf("%w: lone DLE", ErrTruncated)
	}
	switch b[1] {
	case eot, 0x05: // DLE EOT n, DLE ENQ n
		raw, err := need(b, 3)
		if err != nil {
			return Command{}, err
		}
		if b[1] == eot {
			return Command{Op: OpStatusQuery, N: int(raw[2]), Raw: raw}, nil
		}
		return Command{Op: OpOther, Raw: raw}, nil
	case 0x14: // DLE DC4 fn ...
		h, err := need(b, 3)
		if err != nil {
			return Command{}, err
		}
		n := int64(3)
		switch h[2] {
		case 1, 2:
			n = 5
		case 3:
			n = 8
		case 7:
			n = 4
		case 8:
			n = 10
		}
		raw, err := need(b, n)
		return Command{Op: OpOther, Raw: raw}, err
	}
	// A DLE not starting a real-time command is an ignored control byte.
	return Command{Op: OpOther, Raw: b[:1]}, nil
}

func nextGS(b []byte) (Command, error) {
	if len(b) < 2 {
		return Command{}, fmt.Errorf("%w: lone GS", ErrTruncated)
	}
	if n := gsLen[b[1]]; n != 0 {
		c, err := fixedCommand(b, int(n))
		if err != nil {
			return Command{}, err
		}
		switch b[1] {
		case '!':
			c.Op = OpSize
		case 'h':
			c.Op = OpBarcodeHeight
		case 'w':
			c.Op = OpBarcodeWidth
		case 'H':
			c.Op = OpHRI
			c.N &= 3
		case 'a':
			c.Op = OpASB
		}
		return c, nil
	}
	switch b[1] {
	case '(':
		c, err := lengthPrefixed(b)
		if err != nil {
			return c, err
		}
		switch b[2] {
		case 'k':
			return qrCommand(c), nil
		case 'L':
			return graphicsCommand(c, c.Raw[5:]), nil
		}
		return c, nil
	case '8': // GS 8 L p1 p2 p3 p4 m fn ...: graphics with a 32-bit length
		h, err := need(b, 7)
		if err != nil {
			return Command{}, err
		}
		if h[2] != 'L' {
			return Command{Op: OpUnknown, Raw: b[:2]}, nil
		}
		p := int64(h[3]) | int64(h[4])<<8 | int64(h[5])<<16 | int64(h[6])<<24
		raw, err := need(b, 7+p)
		if err != nil {
			return Command{}, err
		}
		return graphicsCommand(Command{Op: OpOther, Raw: raw}, raw[7:]), nil
	case '*': // GS * x y d1...d(x*y*8): define downloaded bit image
		h, err := need(b, 4)
		if err != nil {
			return Command{}, err
		}
		raw, err := need(b, 4+int64(h[2])*int64(h[3])*8)
		return Command{Op: OpOther, Raw: raw}, err
	case 'V': // GS V m / GS V m n
		h, err := need(b, 3)
		if err != nil {
			return Command{}, err
		}
		switch h[2] {
		case 0, 1, '0', '1':
			return Command{Op: OpCut, N: int(h[2]), Raw: h}, nil
		case 65, 66, 97, 98, 103, 104:
			raw, err := need(b, 4)
			if err != nil {
				return Command{}, err
			}
			return Command{Op: OpCut, N: int(h[2]), M: int(raw[3]), Raw: raw}, nil
		}
		return Command{Op: OpOther, Raw: h}, nil
	case 'v': // GS v 0 m xL xH yL yH d1...dk
		h, err := need(b, 8)
		if err != nil {
			return Command{}, err
		}
		if h[2] != '0' {
			return Command{Op: OpUnknown, Raw: b[:2]}, nil
		}
		x := int64(h[4]) + int64(h[5])*256
		y := int64(h[6]) + int64(h[7])*256
		raw, err := need(b, 8+x*y)
		if err != nil {
			return Command{}, err
		}
		return Command{Op: OpRaster, N: int(h[3]), W: int(x), H: int(y), Data: raw[8:], Raw: raw}, nil
	case 'k': // GS k m d1...dk NUL (m 0..6) / GS k m n d1...dn (m 65..79)
		h, err := need(b, 3)
		if err != nil {
			return Command{}, err
		}
		m := h[2]
		switch {
		case m <= 6:
			for i := 3; i < len(b) && i <= 3+255; i++ {
				if b[i] == nul {
					return Command{Op: OpBarcode, N: int(m), Data: b[3:i], Raw: b[:i+1]}, nil
				}
			}
			if len(b) <= 3+255 {
				return Command{}, fmt.Errorf("%w: GS k %d without NUL", ErrTruncated, m)
			}
			return Command{Op: OpUnknown, Raw: b[:2]}, nil
		case m >= 65 && m <= 79:
			h, err := need(b, 4)
			if err != nil {
				return Command{}, err
			}
			raw, err := need(b, 4+int64(h[3]))
			if err != nil {
				return Command{}, err
			}
			return Command{Op: OpBarcode, N: int(m), Data: raw[4:], Raw: raw}, nil
		}
		return Command{Op: OpUnknown, Raw: b[:2]}, nil
	case 'g': // GS g 0 m nL nH / GS g 2 m nL nH: maintenance counters
		raw, err := need(b, 6)
		return Command{Op: OpOther, Raw: raw}, err
	case 'z': // GS z 0 t1 t2: online recovery wait time
		raw, err := need(b, 5)
		return Command{Op: OpOther, Raw: raw}, err
	case 'C': // GS C 0 n m / GS C 1 aL aH bL bH n r / GS C 2 nL nH: counter printing
		h, err := need(b, 3)
		if err != nil {
			return Command{}, err
		}
		var n int64
		switch h[2] {
		case '0', '2':
			n = 5
		case '1':
			n = 9
		default:
			return Command{Op: OpUnknown, Raw: b[:2]}, nil
		}
		raw, err := need(b, n)
		return Command{Op: OpOther, Raw: raw}, err
	}
	return Command{Op: OpUnknown, Raw: b[:2]}, nil
}

// graphicsCommand interprets GS ( L / GS 8 L graphics functions (p: m fn params): fn 112
// stores a monochrome raster in the print buffer, fn 50 (or 2) prints it.
func graphicsCommand(c Command, p []byte) Command {
	if len(p) < 2 || p[0] != 48 {
		return c
	}
	switch p[1] {
	case 112: // a bx by c xL xH yL yH d1...dk
		if len(p) < 10 || p[2] != 48 || p[5] != 49 || p[3] < 1 || p[3] > 2 || p[4] < 1 || p[4] > 2 {
			return c
		}
		x := int(p[6]) + int(p[7])*256
		y := int(p[8]) + int(p[9])*256
		if x == 0 || y == 0 || len(p)-10 < (x+7)/8*y {
			return c
		}
		c.Op, c.N, c.M, c.W, c.H, c.Data = OpGraphicsStore, int(p[3]), int(p[4]), x, y, p[10:]
	case 50, 2:
		c.Op = OpGraphicsPrint
	}
	return c
}

// qrCommand interprets a GS ( k command for the QR symbol (cn = 49).
func qrCommand(c Command) Command {
	p := c.Raw[5:]
	if len(p) < 2 || p[0] != 49 {
		return c
	}
	switch p[1] {
	case 65: // model: n1 n2
		if len(p) >= 3 {
			c.Op, c.N = OpQRModel, int(p[2])
		}
	case 67: // module size
		if len(p) >= 3 {
			c.Op, c.N = OpQRSize, int(p[2])
		}
	case 69: // error correction 48..51
		if len(p) >= 3 && p[2] >= 48 && p[2] <= 51 {
			c.Op, c.N = OpQRLevel, int(p[2]-48)
		}
	case 80: // store: m d1...dk
		if len(p) >= 3 {
			c.Op, c.Data = OpQRStore, p[3:]
		}
	case 81: // print
		c.Op = OpQRPrint
	}
	return c
}

// ParseOne decodes the command at the start of b, for readers that receive a stream in
// pieces: an error wrapping ErrTruncated means the command is not complete yet. Offset
// is 0.
func ParseOne(b []byte) (Command, error) {
	if len(b) == 0 {
		return Command{}, fmt.Errorf("escpos: empty input: %w", ErrTruncated)
	}
	return next(b)
}
