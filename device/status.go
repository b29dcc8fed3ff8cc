package device

import "strings"

// PrinterStatus is a printer's state as it reports it (ESC/POS DLE EOT 1..4 or GS a
// automatic status back; package escpos reads and writes those bytes).
type PrinterStatus struct {
	Online          bool // DLE EOT 1 bit 3 clear
	DrawerOpen      bool // drawer kick-out connector pin 3 (DLE EOT 1 bit 2)
	CoverOpen       bool // DLE EOT 2 bit 2
	FeedButton      bool // paper being fed by the feed button (DLE EOT 2 bit 3)
	PaperNearEnd    bool // DLE EOT 4 bits 2,3
	PaperEnd        bool // DLE EOT 2 bit 5 / DLE EOT 4 bits 5,6
	CutterError     bool // DLE EOT 3 bit 3 (autocutter error)
	Unrecoverable   bool // DLE EOT 3 bit 5
	AutoRecoverable bool // DLE EOT 3 bit 6
	Error           bool // an error occurred (DLE EOT 2 bit 6)
}

// Ready reports whether a ticket can be printed now: online, cover closed, paper present
// and no error. Paper near end still prints.
func (s PrinterStatus) Ready() bool {
	return s.Online && !s.CoverOpen && !s.PaperEnd && !s.CutterError && !s.Unrecoverable && !s.Error
}

// String describes s in plain words: "ready", "paper out", "cover open, paper near end",
// "ready, paper near end". Faults come first; notes (paper near end, feeding, drawer
// signal high) follow.
func (s PrinterStatus) String() string {
	var parts []string
	add := func(on bool, what string) {
		if on {
			parts = append(parts, what)
		}
	}
	add(s.CoverOpen, "cover open")
	add(s.PaperEnd, "paper out")
	add(s.CutterError, "cutter error")
	add(s.Unrecoverable, "unrecoverable error")
	add(s.AutoRecoverable, "auto-recoverable error")
	add(s.Error && !s.CutterError && !s.Unrecoverable && !s.AutoRecoverable, "error")
	if !s.Online && len(parts) == 0 {
		parts = append(parts, "offline")
	}
	if s.Ready() {
		parts = append(parts, "ready")
	}
	add(s.PaperNearEnd && !s.PaperEnd, "paper near end")
	add(s.FeedButton, "feeding")
	add(s.DrawerOpen, "drawer open")
	return strings.Join(parts, ", ")
}
