package escpos

import "errors"

// Sentinel errors; functions wrap them with context, test with errors.Is.
var (
	ErrUnknownProfile  = errors.New("unknown printer profile")
	ErrUnknownCodePage = errors.New("code page not supported by the profile")
	ErrBarcode         = errors.New("barcode data not encodable")
	ErrQR              = errors.New("QR payload not encodable")
	ErrImage           = errors.New("image not printable")
	ErrTruncated       = errors.New("truncated command")
	ErrStatus          = errors.New("malformed status byte")
	ErrArgument        = errors.New("argument out of range")
	ErrUnsupported     = errors.New("command not supported by the printer")
)
