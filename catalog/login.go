package catalog

import (
	"errors"
	"time"
)

// ErrNoConfig means no device config has been applied yet.
var ErrNoConfig = errors.New("store: no config applied yet")

// LoginState is a user's failed-login record on a device.
type LoginState struct {
	Failures int   `json:"failures"` // since the last success or lock
	Locks    int   `json:"locks"`    // lockouts since the last success
	Until    int64 `json:"until"`    // locked until (Unix ms); 0 when not locked
}

// Locked reports whether the user is locked at now, and until when.
func (l LoginState) Locked(now time.Time) (bool, time.Time) {
	if l.Until == 0 || now.UnixMilli() >= l.Until {
		return false, time.Time{}
	}
	return true, time.UnixMilli(l.Until)
}
