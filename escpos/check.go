package escpos

import (
	"errors"
	"fmt"
	"slices"
)

// Supports reports whether the model obeys c, as its database entry says: QR commands
// only with QR, each image command only where listed in Images, cuts only with a cutter,
// ESC t only with a number of the model's pages, status commands only as in Status, and
// no command this package does not know.
func (p Profile) Supports(c Command) bool {
	switch c.Op {
	case OpQRModel, OpQRSize, OpQRLevel, OpQRStore, OpQRPrint:
		return p.QR
	case OpRaster:
		return slices.Contains(p.Images, ImageRaster)
	case OpGraphicsStore, OpGraphicsPrint:
		return slices.Contains(p.Images, ImageGraphics)
	case OpBitImage:
		switch c.N {
		case 33:
			return slices.Contains(p.Images, ImageColumn24)
		case 1:
			return slices.Contains(p.Images, ImageColumn8)
		}
		return false
	case OpCut:
		return p.Cutter
	case OpCodePage:
		for _, n := range p.CodePages {
			if int(n) == c.N {
				return true
			}
		}
		return false
	case OpCancelKanji:
		return p.CancelKanji
	case OpStatusQuery:
		return p.Status&StatusRealTime != 0
	case OpASB:
		return p.Status&StatusASB != 0
	case OpOther, OpUnknown, 0:
		return false
	}
	return true
}

// Check parses stream and returns an error wrapping ErrUnsupported that names every
// command the model does not obey (see Supports), or the parse error, or nil.
func (p Profile) Check(stream []byte) error {
	cmds, err := Parse(stream)
	var errs []error
	for _, c := range cmds {
		if !p.Supports(c) {
			errs = append(errs, fmt.Errorf("escpos: %s at byte %d on %s: %w", c, c.Offset, p.Name, ErrUnsupported))
		}
	}
	return errors.Join(append(errs, err)...)
}
