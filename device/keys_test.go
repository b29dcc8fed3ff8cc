package device

import (
	"context"
	"testing"
	"time"
)

// readAll reads keys until an error and returns them with the error.
func readAll(t *testing.T, k Keypad) ([]Key, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var keys []Key
	for {
		key, err := k.ReadKey(ctx)
		if err != nil {
			return keys, err
		}
		keys = append(keys, key)
	}
}
