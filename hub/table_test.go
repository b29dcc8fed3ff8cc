package hub

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
)

// TestStoreInUse: while another process holds the catalogue for writing, a command waits
// up to Options.Timeout and then says the store is in use, naming the file; readers share
// the file with each other.
func TestStoreInUse(t *testing.T) {
	h, _ := newHub(t)
	must(t, h.SaveOutlet(catalog.Outlet{ID: "o1", Name: "One", Delivery: catalog.DeliveryPrint, Locale: catalog.LocaleEN, Currency: "EUR", TimeZone: "UTC"}, true))
	path := filepath.Join(h.Dir(), DBFile)

	reader, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	must(t, err)
	if _, err := h.Outlets(); err != nil {
		t.Fatalf("a reader beside another reader: %v", err)
	}
	reader.Close()

	writer, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	must(t, err)
	defer writer.Close()
	short, err := Open(h.Dir(), Options{Logger: quiet, Timeout: 50 * time.Millisecond})
	must(t, err)
	for what, call := range map[string]func() error{
		"read":  func() error { _, err := short.Outlets(); return err },
		"write": func() error { return short.SetSetting(SettingTicketURL, "https://t.example/") },
	} {
		err := call()
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s beside a writer: %v, want ErrLocked naming %s", what, err, path)
		}
	}
}
