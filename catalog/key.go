package catalog

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrBadKey is wrapped by ParsePublicKey's errors.
var ErrBadKey = errors.New("catalog: bad public key")

// keyEncodings are the base64 forms a public key may be pasted in.
var keyEncodings = []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}

// ParsePublicKey reads an Ed25519 public key as `kioskd init` prints it and operators paste
// it: standard or URL base64 (with or without padding) or hex, optionally after an
// "ed25519:" prefix, with white space around it.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "ed25519:"), "ED25519:")
	if s == "" {
		return nil, fmt.Errorf("%w: no key given", ErrBadKey)
	}
	if len(s) == 2*ed25519.PublicKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range keyEncodings {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("%w: %d bytes, an Ed25519 key has %d", ErrBadKey, len(b), ed25519.PublicKeySize)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: neither base64 nor hex of a %d-byte Ed25519 key", ErrBadKey, ed25519.PublicKeySize)
}
