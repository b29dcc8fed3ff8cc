package term

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"

	"ticketkiosk/device"
)

// Display shows an LCD-sized frame on a terminal or in a log.
//
// On a TTY the frame is drawn in a box and redrawn in place with ANSI cursor movements
// (only the rows that changed); glyphs are shown as ✓ (synced), × (offline) and …
// (pending). Otherwise every change of the frame is one plain line, its rows cut to the
// width, trailing spaces trimmed, trailing blank rows dropped and the rest joined with
// " | "; glyphs are [ok], [off] and [..]; no escape sequences are written.
type Display struct {
	w          io.Writer
	tty        bool
	rows, cols int

	mu    sync.Mutex
	frame []string // the rows on screen, cut and padded; nil before the first Show
	last  string   // the last plain line written
	buf   bytes.Buffer
}

var _ device.Display = (*Display)(nil)

// NewDisplay returns a display of rows×cols characters writing to w; tty says
// whether w is a terminal.
func NewDisplay(w io.Writer, tty bool, rows, cols int) (*Display, error) {
	if rows < 1 || cols < 1 {
		return nil, fmt.Errorf("terminal: bad size %d×%d", rows, cols)
	}
	return &Display{w: w, tty: tty, rows: rows, cols: cols}, nil
}

// Rows returns the number of rows.
func (d *Display) Rows() int { return d.rows }

// Cols returns the number of columns.
func (d *Display) Cols() int { return d.cols }

// Show draws lines.
func (d *Display) Show(lines []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tty {
		return d.showTTY(lines)
	}
	return d.showPlain(lines)
}

func (d *Display) showPlain(lines []string) error {
	rows := make([]string, d.rows)
	last := -1
	for i := range rows {
		if i < len(lines) {
			rows[i] = strings.TrimRight(plainGlyphs(cut(lines[i], d.cols)), " ")
		}
		if rows[i] != "" {
			last = i
		}
	}
	line := strings.Join(rows[:last+1], " | ")
	if d.frame != nil && line == d.last {
		return nil
	}
	d.frame = rows
	d.last = line
	if _, err := io.WriteString(d.w, line+"\n"); err != nil {
		return fmt.Errorf("terminal: write: %w", err)
	}
	return nil
}

func (d *Display) showTTY(lines []string) error {
	rows := make([]string, d.rows)
	for i := range rows {
		var s string
		if i < len(lines) {
			s = cut(lines[i], d.cols)
		}
		rows[i] = ttyGlyphs(pad(s, d.cols))
	}
	d.buf.Reset()
	if d.frame == nil {
		border := strings.Repeat("─", d.cols)
		d.buf.WriteString("┌" + border + "┐\r\n")
		for _, r := range rows {
			d.buf.WriteString("│" + r + "│\r\n")
		}
		d.buf.WriteString("└" + border + "┘\r\n")
	} else {
		// The cursor rests at the start of the line below the box; row i is rows+1-i
		// lines up.
		for i, r := range rows {
			if r == d.frame[i] {
				continue
			}
			up := d.rows + 1 - i
			fmt.Fprintf(&d.buf, "\r\x1b[%dA\x1b[1C%s\r\x1b[%dB", up, r, up)
		}
	}
	if d.buf.Len() == 0 {
		return nil
	}
	if _, err := d.w.Write(d.buf.Bytes()); err != nil {
		d.frame = nil // draw a whole new box next time
		return fmt.Errorf("terminal: write: %w", err)
	}
	d.frame = rows
	return nil
}

// Halt does nothing: the last frame stays on the terminal.
func (d *Display) Halt() error { return nil }

// String describes the display.
func (d *Display) String() string {
	return fmt.Sprintf("terminal display %dx%d", d.rows, d.cols)
}

// cut returns s cut to n runes, with control characters replaced by spaces.
func cut(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// pad returns s padded with spaces to n runes.
func pad(s string, n int) string {
	if c := len([]rune(s)); c < n {
		return s + strings.Repeat(" ", n-c)
	}
	return s
}

var (
	ttyGlyphReplacer   = strings.NewReplacer(string(device.GlyphSynced), "✓", string(device.GlyphOffline), "×", string(device.GlyphPending), "…")
	plainGlyphReplacer = strings.NewReplacer(string(device.GlyphSynced), "[ok]", string(device.GlyphOffline), "[off]", string(device.GlyphPending), "[..]")
)

func ttyGlyphs(s string) string   { return ttyGlyphReplacer.Replace(s) }
func plainGlyphs(s string) string { return plainGlyphReplacer.Replace(s) }
