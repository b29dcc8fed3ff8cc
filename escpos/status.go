package escpos

import (
	"fmt"
	"io"

	"ticketkiosk/device"
)

// Status is a printer's state as read from DLE EOT 1..4 or GS a automatic status back. It
// is device.PrinterStatus, the state the kiosk's core reads; this package reads and writes
// its bytes.
type Status = device.PrinterStatus

// StatusQuery returns the real-time status request DLE EOT n for n = 1 (printer),
// 2 (offline cause), 3 (error cause) or 4 (roll paper sensor).
func StatusQuery(n int) []byte {
	return []byte{dle, eot, byte(n)}
}

// Every DLE EOT reply byte has bit 1 and bit 4 set and bits 0 and 7 clear.
const (
	eotFixedMask = 0x93
	eotFixedBits = 0x12
)

// ParseStatusByte reads the reply byte b to DLE EOT n into s, setting only the fields
// that reply carries. A byte whose fixed bits are wrong (line noise, an ASB block, a
// printer in another mode) is rejected with ErrStatus and s is left unchanged.
func ParseStatusByte(s *Status, n int, b byte) error {
	if n < 1 || n > 4 {
		return fmt.Errorf("escpos: status query %d: %w", n, ErrArgument)
	}
	if b&eotFixedMask != eotFixedBits {
		return fmt.Errorf("escpos: DLE EOT %d reply %#02x: %w", n, b, ErrStatus)
	}
	switch n {
	case 1:
		s.DrawerOpen = b&0x04 != 0
		s.Online = b&0x08 == 0
	case 2:
		s.CoverOpen = b&0x04 != 0
		s.FeedButton = b&0x08 != 0
		s.PaperEnd = s.PaperEnd || b&0x20 != 0
		s.Error = b&0x40 != 0
	case 3:
		s.CutterError = b&0x08 != 0
		s.Unrecoverable = b&0x20 != 0
		s.AutoRecoverable = b&0x40 != 0
	case 4:
		s.PaperNearEnd = b&0x0c != 0
		s.PaperEnd = s.PaperEnd || b&0x60 != 0
	}
	return nil
}

// ParseStatus merges the replies to DLE EOT 1, 2, 3 and 4, in that order.
func ParseStatus(replies [4]byte) (Status, error) {
	var s Status
	for i, b := range replies {
		if err := ParseStatusByte(&s, i+1, b); err != nil {
			return Status{}, err
		}
	}
	return s, nil
}

// StatusByte returns the byte a printer in state s answers to DLE EOT n (1..4); it is the
// inverse of ParseStatusByte and what the virtual printer sends.
func StatusByte(s Status, n int) byte {
	b := byte(eotFixedBits)
	set := func(on bool, bits byte) {
		if on {
			b |= bits
		}
	}
	switch n {
	case 1:
		set(s.DrawerOpen, 0x04)
		set(!s.Online, 0x08)
	case 2:
		set(s.CoverOpen, 0x04)
		set(s.FeedButton, 0x08)
		set(s.PaperEnd, 0x20)
		set(s.Error, 0x40)
	case 3:
		set(s.CutterError, 0x08)
		set(s.Unrecoverable, 0x20)
		set(s.AutoRecoverable, 0x40)
	case 4:
		set(s.PaperNearEnd, 0x0c)
		set(s.PaperEnd, 0x60)
	}
	return b
}

// EnableASB returns GS a n, which turns on automatic status back for the items in n
// (bit 0 drawer, 1 online, 2 errors, 3 paper roll; 0 turns ASB off).
func EnableASB(items byte) []byte { return []byte{gs, 'a', items} }

// ParseASB reads a 4-byte automatic status back block (GS a). The first byte has bit 4
// set and bits 0, 1 and 7 clear, the others bits 4 and 7 clear; anything else is
// rejected with ErrStatus.
func ParseASB(p []byte) (Status, error) {
	if len(p) != 4 {
		return Status{}, fmt.Errorf("escpos: ASB of %d bytes: %w", len(p), ErrStatus)
	}
	if p[0]&0x93 != 0x10 || p[1]&0x90 != 0 || p[2]&0x90 != 0 || p[3]&0x90 != 0 {
		return Status{}, fmt.Errorf("escpos: ASB % x: %w", p, ErrStatus)
	}
	return Status{
		DrawerOpen:      p[0]&0x04 != 0,
		Online:          p[0]&0x08 == 0,
		CoverOpen:       p[0]&0x20 != 0,
		FeedButton:      p[0]&0x40 != 0,
		CutterError:     p[1]&0x08 != 0,
		Unrecoverable:   p[1]&0x20 != 0,
		AutoRecoverable: p[1]&0x40 != 0,
		PaperNearEnd:    p[2]&0x03 != 0,
		PaperEnd:        p[2]&0x0c != 0,
	}, nil
}

// ASB returns the 4-byte automatic status back block for s (the inverse of ParseASB).
func ASB(s Status) [4]byte {
	var p [4]byte
	p[0] = 0x10
	if s.DrawerOpen {
		p[0] |= 0x04
	}
	if !s.Online {
		p[0] |= 0x08
	}
	if s.CoverOpen {
		p[0] |= 0x20
	}
	if s.FeedButton {
		p[0] |= 0x40
	}
	if s.CutterError {
		p[1] |= 0x08
	}
	if s.Unrecoverable {
		p[1] |= 0x20
	}
	if s.AutoRecoverable {
		p[1] |= 0x40
	}
	if s.PaperNearEnd {
		p[2] |= 0x03
	}
	if s.PaperEnd {
		p[2] |= 0x0c
	}
	return p
}

// QueryStatus asks the printer on rw for its four real-time statuses (DLE EOT 1..4), one
// at a time, and merges the replies. Bytes of automatic status back blocks that arrive in
// between are recognised by their fixed bits and passed over; any other byte is an error
// wrapping ErrStatus. A printer that is off never answers: set a deadline on the
// connection first.
func QueryStatus(rw io.ReadWriter) (Status, error) {
	var s Status
	var b [1]byte
	for n := 1; n <= 4; n++ {
		if _, err := rw.Write(StatusQuery(n)); err != nil {
			return Status{}, fmt.Errorf("escpos: status query: %w", err)
		}
		for skipped := 0; ; skipped++ {
			if _, err := io.ReadFull(rw, b[:]); err != nil {
				return Status{}, fmt.Errorf("escpos: status reply %d: %w", n, err)
			}
			if b[0]&eotFixedMask == eotFixedBits {
				break
			}
			if skipped >= 32 || (b[0]&0x93 != 0x10 && b[0]&0x90 != 0) {
				return Status{}, fmt.Errorf("escpos: DLE EOT %d reply %#02x: %w", n, b[0], ErrStatus)
			}
		}
		if err := ParseStatusByte(&s, n, b[0]); err != nil {
			return Status{}, err
		}
	}
	return s, nil
}
