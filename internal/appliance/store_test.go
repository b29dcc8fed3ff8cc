package appliance

import (
	"ticketkiosk/kiosk"
	"ticketkiosk/store"
)

// The kiosk core speaks to its store through kiosk.Store; the bbolt store is the one.
var _ kiosk.Store = (*store.Store)(nil)
