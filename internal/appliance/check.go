package appliance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"ticketkiosk/escpos"
	"ticketkiosk/mqtt"
	"ticketkiosk/store"
)

// QRTestPayload is what both QR codes of the QR test ticket hold: as long as a ticket's
// signed code, in the same alphanumeric characters.
const QRTestPayload = "QR-TEST-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

// ModelKnown reports whether [printer] model names a printer of the capability database
// (escpos.Models), so that its QR command is known; without one (no model, or a generic
// profile's name such as "epson") the profile's is a guess, which the QR test ticket
// settles.
func ModelKnown(cfg *Config) bool {
	return cfg.Printer.Model != "" && slices.Contains(modelNames(), strings.ToLower(cfg.Printer.Model))
}

// QRTestTicket returns the job of kioskd check --test-ticket (layout.QRTest: the QR code
// with the printer's QR command, then the same QR code as an image) and how to read the
// paper: which [printer] settings of kioskd.toml to set for what it shows.
func QRTestTicket(cfg *Config) (job []byte, advice string, err error) {
	lay, err := cfg.Layout()
	if err != nil {
		return nil, "", err
	}
	if job, err = lay.QRTest(QRTestPayload); err != nil {
		return nil, "", err
	}
	uses := "its QR command (native)"
	if lay.QRMode() != "native" {
		uses = "QR codes as images (" + lay.QRMode() + ")"
	}
	advice = fmt.Sprintf(`A QR test ticket was printed: the QR code under "1" is drawn by the printer's own QR
command, the one under "2" is the same code sent as an image. Tickets now use %s.
  Two QR codes:  the printer draws QR codes itself. Nothing to change; to keep it from
                 guessing, set [printer] model = "..." to its model if kioskd check lists
                 it (models: %s).
  Only under 2:  the printer has no QR command: tickets would print without a QR code.
                 Set [printer] raster_qr = true (or a model without a QR command, such as
                 model = "pos-5890").
  None:          the printer prints neither: check [printer] profile or model, dots and
                 paper_mm; tickets still carry the short code.
Both codes must scan as %s.`, uses, strings.Join(modelNames(), ", "), QRTestPayload)
	return job, advice, nil
}

// ErrStoreBusy means the store is open in the running kioskd.
var ErrStoreBusy = errors.New("store in use by the running kioskd")

// ErrNoStore means the device has no store yet: kioskd has not run, so no config from the
// hub has been applied (a new device's state, not a fault).
var ErrNoStore = errors.New("no store yet")

// StoredConfigVersion returns the config version applied in the device's store: 0 when
// none was, ErrNoStore when kioskd has never run.
func StoredConfigVersion(cfg *Config) (uint64, error) {
	path := filepath.Join(cfg.StateDir, StoreFile)
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("%w at %s: no configuration applied (start kioskd and push its config)", ErrNoStore, path)
	}
	st, err := store.Open(path, store.Options{Device: cfg.DeviceID, Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		return 0, ErrStoreBusy
	}
	if err != nil {
		return 0, err
	}
	defer st.Close()
	return st.ConfigVersion(), nil
}

// LoginBroker logs in to the broker as the device would (CONNECT with the configured
// credentials and TLS and the device's id as client id, which a broker may bind to the
// login, then the broker's CONNACK). A running kioskd would lose its session to it: kioskd
// check does not call it then. Its error is in mqtt.Reason's terms.
func LoginBroker(cfg *Config, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return mqtt.Login(ctx, cfg.MQTTOptions(), cfg.DeviceID)
}

// modelNames returns the names [printer] model takes: the capability database's.
func modelNames() []string {
	var names []string
	for _, p := range escpos.Models() {
		names = append(names, p.Name)
	}
	return names
}
