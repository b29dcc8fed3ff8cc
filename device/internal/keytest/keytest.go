// Package keytest holds the test helpers of the keypad drivers.
package keytest

import (
	"context"
	"strings"
	"testing"
	"time"

	"ticketkiosk/device"
)

// ReadAll reads keys until an error and returns them with the error.
func ReadAll(t *testing.T, k device.Keypad) ([]device.Key, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var keys []device.Key
	for {
		key, err := k.ReadKey(ctx)
		if err != nil {
			return keys, err
		}
		keys = append(keys, key)
	}
}

// String renders keys as "1 0 0 1 OK" for compact comparisons.
func String(keys []device.Key) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = k.String()
	}
	return strings.Join(s, " ")
}
