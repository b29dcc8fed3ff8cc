package escpos

// Status is a printer's state as read from DLE EOT 1..4 or GS a automatic status back.
type Status struct {
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
func (s Status) Ready() bool {
	return s.Online && !s.CoverOpen && !s.PaperEnd && !s.CutterError && !s.Unrecoverable && !s.Error
}
