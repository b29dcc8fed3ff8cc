package kiosk

import (
	"ticketkiosk/catalog"
	"ticketkiosk/journal"
)

// Store is what the core keeps on the device: the applied config, the journal (appended
// one entry per transaction, with its effects), the users created here, failed logins and
// the report counters. *store.Store (bbolt) is the one the appliance runs; kiosk does not
// import it, so the core builds without bbolt and its system calls.
type Store interface {
	// Device returns the device id.
	Device() string
	// Config returns the applied config, or catalog.ErrNoConfig before the first.
	Config() (*catalog.DeviceConfig, error)
	// User and UserByCode find a user of the outlet (config users and users created here).
	User(email string) (catalog.User, bool)
	UserByCode(code string) (catalog.User, bool)
	// Users returns the outlet's users.
	Users() ([]catalog.User, error)
	// Login returns a user's failed-login record; LoginFailed counts a failure (locking the
	// user and journaling it at the policy's limit) and LoginSucceeded clears the record.
	Login(email string) catalog.LoginState
	LoginFailed(at journal.Clock, email string, p catalog.Policy) (catalog.LoginState, *journal.Entry, error)
	LoginSucceeded(email string) error
	// Logins returns every failed-login record by the name it counts (an email, or an id
	// no user has); Unlock clears a locked one and journals login_unlocked by actor.
	Logins() (map[string]catalog.LoginState, error)
	Unlock(at journal.Clock, actor, name string) (*journal.Entry, error)
	// Append writes one journal entry that fill builds inside the transaction; an error
	// from fill refuses it and nothing is written.
	Append(at journal.Clock, actor string, fill func(tx journal.Tx, e *journal.Entry) error) (*journal.Entry, error)
	// Sale returns a sale entry and its state; Sold the tickets of a type of an event sold
	// here, net of voids.
	Sale(seq uint64) (*journal.Entry, journal.SaleState, error)
	// SaleSeq returns the seq of the sale entry numbered no (journal.Sale.No), an error
	// when there is none.
	SaleSeq(no uint64) (uint64, error)
	Sold(event, typ string) int64
	// PrintDone clears the printing mark of a sale; Interrupted lists the sales whose mark
	// was found (a job cut short), Unprinted those whose print failed.
	PrintDone(sale uint64) error
	Interrupted() ([]uint64, error)
	Unprinted() ([]uint64, error)
	// Report sums the counters that match f.
	Report(f journal.Filter) (*journal.Report, error)
}
