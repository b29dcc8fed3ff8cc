package escpos

import (
	"fmt"
	"strings"
)

// HRI is where GS H prints the human-readable interpretation of a barcode.
type HRI byte

// HRI positions.
const (
	HRINone  HRI = 0
	HRIAbove HRI = 1
	HRIBelow HRI = 2
	HRIBoth  HRI = 3
)

// BarcodeOptions shape a CODE128 barcode. Zero fields take the printer defaults shown.
type BarcodeOptions struct {
	Height int // bar height in dots, 1..255 (162)
	Module int // narrowest bar in dots, 2..6 (3)
	HRI    HRI // human-readable text position (HRINone)
}

// Code128 prints data as a CODE128 barcode (GS k 73). Printable ASCII only; runs of
// digits use code set C (two digits per symbol), the rest code set B, and a literal '{'
// is sent as "{{". The height, module width and HRI position are sent first (GS h, GS w,
// GS H). A barcode wider than the paper is an error (printers skip it).
func (b *Builder) Code128(data string, o BarcodeOptions) *Builder {
	if b.err != nil {
		return b
	}
	enc, err := encodeCode128(data)
	if err != nil {
		return b.fail(err)
	}
	if o.Height == 0 {
		o.Height = 162
	}
	if o.Module == 0 {
		o.Module = 3
	}
	if o.Height < 1 || o.Height > 255 || o.Module < 2 || o.Module > 6 || o.HRI > HRIBoth {
		return b.fail(fmt.Errorf("escpos: barcode options %+v: %w", o, ErrArgument))
	}
	symbols, _, err := code128Symbols(enc)
	if err != nil {
		return b.fail(err)
	}
	if w := len(code128Modules(symbols)) * o.Module; w > b.prof.Dots {
		// The printer would skip it silently.
		return b.fail(fmt.Errorf("escpos: CODE128 %q is %d dots wide on %d-dot paper: %w", data, w, b.prof.Dots, ErrBarcode))
	}
	b.Raw(gs, 'h', byte(o.Height), gs, 'w', byte(o.Module), gs, 'H', byte(o.HRI))
	b.Raw(gs, 'k', 73, byte(len(enc)))
	return b.Raw(enc...)
}

// encodeCode128 turns data into the GS k 73 argument: "{B"/"{C" code set selectors,
// set B characters as themselves ('{' doubled), set C digit pairs as bytes 0..99.
func encodeCode128(data string) ([]byte, error) {
	if data == "" {
		return nil, fmt.Errorf("escpos: CODE128 empty: %w", ErrBarcode)
	}
	for i := 0; i < len(data); i++ {
		if data[i] < 0x20 || data[i] > 0x7e {
			return nil, fmt.Errorf("escpos: CODE128 byte %#x at %d: %w", data[i], i, ErrBarcode)
		}
	}
	var out []byte
	set := byte(0)
	for i := 0; i < len(data); {
		run := digitRun(data[i:])
		// Set C pays off for 4+ digits, or 2+ when they are all that is left or all there is.
		if run >= 4 || (run >= 2 && run == len(data)-i && (set == 'C' || i == 0)) {
			if run%2 == 1 {
				// An odd run: the first digit goes in set B, the even rest in set C.
				if set != 'B' {
					out = append(out, '{', 'B')
					set = 'B'
				}
				out = append(out, data[i])
				i++
				run--
			}
			if set != 'C' {
				out = append(out, '{', 'C')
				set = 'C'
			}
			for ; run > 0; run -= 2 {
				out = append(out, (data[i]-'0')*10+data[i+1]-'0')
				i += 2
			}
			continue
		}
		if set != 'B' {
			out = append(out, '{', 'B')
			set = 'B'
		}
		if data[i] == '{' {
			out = append(out, '{')
		}
		out = append(out, data[i])
		i++
	}
	if len(out) > 255 {
		return nil, fmt.Errorf("escpos: CODE128 of %d bytes: %w", len(data), ErrBarcode)
	}
	return out, nil
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// code128Symbols decodes a GS k 73 argument into CODE128 symbol values (start code,
// data, checksum, stop) and the human-readable text.
func code128Symbols(arg []byte) (symbols []int, text string, err error) {
	var sb strings.Builder
	set := byte(0)
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		if c == '{' && i+1 < len(arg) {
			i++
			switch n := arg[i]; n {
			case 'A', 'B', 'C':
				if set == 0 {
					symbols = append(symbols, 103+int(n-'A')) // Start A/B/C
				} else if n != set {
					switch n {
					case 'A':
						symbols = append(symbols, 101)
					case 'B':
						symbols = append(symbols, 100)
					case 'C':
						symbols = append(symbols, 99)
					}
				}
				set = n
				continue
			case '{':
				// a literal '{', handled below
			case 'S':
				symbols = append(symbols, 98)
				continue
			case '1':
				symbols = append(symbols, 102)
				continue
			case '2':
				symbols = append(symbols, 97)
				continue
			case '3':
				symbols = append(symbols, 96)
				continue
			case '4':
				if set == 'A' {
					symbols = append(symbols, 101)
				} else {
					symbols = append(symbols, 100)
				}
				continue
			default:
				return nil, "", fmt.Errorf("escpos: CODE128 selector {%c: %w", n, ErrBarcode)
			}
		}
		switch set {
		case 'A':
			switch {
			case c < 0x20:
				symbols = append(symbols, int(c)+64)
			case c < 0x60:
				symbols = append(symbols, int(c)-32)
			default:
				return nil, "", fmt.Errorf("escpos: CODE128 set A byte %#x: %w", c, ErrBarcode)
			}
			sb.WriteByte(c)
		case 'B':
			if c < 0x20 || c > 0x7f {
				return nil, "", fmt.Errorf("escpos: CODE128 set B byte %#x: %w", c, ErrBarcode)
			}
			symbols = append(symbols, int(c)-32)
			sb.WriteByte(c)
		case 'C':
			if c > 99 {
				return nil, "", fmt.Errorf("escpos: CODE128 set C byte %d: %w", c, ErrBarcode)
			}
			symbols = append(symbols, int(c))
			fmt.Fprintf(&sb, "%02d", c)
		default:
			return nil, "", fmt.Errorf("escpos: CODE128 without code set: %w", ErrBarcode)
		}
	}
	if len(symbols) < 2 {
		return nil, "", fmt.Errorf("escpos: CODE128 without data: %w", ErrBarcode)
	}
	sum := symbols[0]
	for i, v := range symbols[1:] {
		sum += (i + 1) * v
	}
	symbols = append(symbols, sum%103, 106)
	return symbols, sb.String(), nil
}

// code128Widths are the bar/space widths in modules of each CODE128 symbol value
// (bar first); the stop symbol 106 has seven elements.
var code128Widths = [107]string{
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312",
	"132212", "221213", "221312", "231212", "112232", "122132", "122231", "113222",
	"123122", "123221", "223211", "221132", "221231", "213212", "223112", "312131",
	"311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321",
	"232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121",
	"313121", "211331", "231131", "213113", "213311", "213131", "311123", "311321",
	"331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224",
	"111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
	"122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
	"421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113",
	"114311", "411113", "411311", "113141", "114131", "311141", "411131", "211412",
	"211214", "211232", "2331112",
}

// code128Modules returns the bars of the symbols, one bool (black) per module.
func code128Modules(symbols []int) []bool {
	var m []bool
	for _, s := range symbols {
		black := true
		for _, w := range code128Widths[s] {
			for k := 0; k < int(w-'0'); k++ {
				m = append(m, black)
			}
			black = !black
		}
	}
	return m
}

// Code128Modules decodes a GS k 73 argument (code set selectors and data) into the bars
// a printer draws, one bool per module (true = bar), and the human-readable text.
func Code128Modules(arg []byte) (modules []bool, text string, err error) {
	symbols, text, err := code128Symbols(arg)
	if err != nil {
		return nil, "", err
	}
	return code128Modules(symbols), text, nil
}
