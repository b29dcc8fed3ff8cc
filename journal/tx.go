package journal

import (
	"time"

	"ticketkiosk/catalog"
)

// Clock tells the time an entry is stamped with and whether the wall clock is
// synchronised (the entry's ClockSynced).
type Clock interface {
	Now() time.Time
	Synced() bool
}

// Tx is what an entry's builder sees of the device's state inside the transaction that
// appends the entry: the store's Append hands one to its fill function. The entry's Seq and
// Time are already set when fill runs.
type Tx interface {
	// Sold returns the tickets of a type of an event this device has sold, net of voids.
	Sold(event, typ string) int64
	// Sale returns a sale entry and its state.
	Sale(seq uint64) (*Entry, SaleState, error)
	// User returns a user by email.
	User(email string) (catalog.User, bool)
	// Users returns the outlet's users.
	Users() []catalog.User
	// Printing marks sale seq (this entry's sale, or the sale a reprint copies) as being
	// printed, in the entry's transaction.
	Printing(sale uint64) error
}

// Filter selects counters for a report.
type Filter struct {
	Period Period
	Users  []string // sellers to include; nil for everyone
	Event  string   // "" for every event
}
