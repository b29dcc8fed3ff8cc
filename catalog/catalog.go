// Package catalog is the domain model shared by the kiosk and the hub: outlets, events,
// ticket types, links with allotments, users, roles, devices, the per-device configuration
// and its signed envelope, and the validation rules for all of them.
package catalog

import (
	"crypto/ed25519"
	"sync"
	"time"
)

// Delivery says how an outlet's tickets reach the buyer.
type Delivery string

// Deliveries.
const (
	DeliveryPrint Delivery = "print" // printed at the outlet; no buyer email may be entered
	DeliveryEmail Delivery = "email" // emailed by the hub; the buyer's email is required
)

// Locale is the language of an outlet's screens and tickets.
type Locale string

// Locales.
const (
	LocaleBG Locale = "bg"
	LocaleEN Locale = "en"
)

// Role is what a user may do at the kiosk.
type Role string

// Roles.
const (
	RoleCashier    Role = "cashier"    // sells, sees its own reports
	RoleSupervisor Role = "supervisor" // creates users, sees the outlet's and its users' reports
)

// Outlet is a distribution point: a bookshop, a petrol station, a partner shop.
type Outlet struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Delivery Delivery `json:"delivery"`
	Locale   Locale   `json:"locale"`
	Currency string   `json:"currency"`  // ISO 4217, e.g. "EUR"
	TimeZone string   `json:"time_zone"` // IANA, e.g. "Europe/Sofia"
}

// Location returns the outlet's time zone (UTC when it is empty or unknown).
func (o Outlet) Location() *time.Location {
	if o.TimeZone == "" {
		return time.UTC
	}
	loc, err := LoadLocation(o.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

var zones sync.Map // name → *time.Location

// LoadLocation is time.LoadLocation with a cache: screens, reports and validation ask for
// the outlet's zone often, and each time.LoadLocation reads and parses the zone file.
func LoadLocation(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// TicketType is one kind of ticket of an event, with its price in minor units.
type TicketType struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Price int64  `json:"price"` // minor units of the outlet's currency
}

// Event is something tickets are sold for.
type Event struct {
	ID       string       `json:"id"`
	Title    string       `json:"title"`
	Venue    string       `json:"venue"`
	Start    time.Time    `json:"start"`
	SaleFrom time.Time    `json:"sale_from"` // zero: on sale from the start of distribution
	SaleTo   time.Time    `json:"sale_to"`   // zero: on sale until the event starts
	Types    []TicketType `json:"types"`
}

// Type returns the ticket type with the given id.
func (e *Event) Type(id string) (TicketType, bool) {
	for _, t := range e.Types {
		if t.ID == id {
			return t, true
		}
	}
	return TicketType{}, false
}

// OnSale reports whether the event's tickets may be sold at t.
func (e *Event) OnSale(t time.Time) bool {
	if !e.SaleFrom.IsZero() && t.Before(e.SaleFrom) {
		return false
	}
	end := e.SaleTo
	if end.IsZero() {
		end = e.Start
	}
	return end.IsZero() || t.Before(end)
}

// Link allows an outlet to sell an event. Allot caps the tickets of a type the outlet may
// sell (ticket type id → count); a type not in Allot is not capped.
type Link struct {
	Outlet string           `json:"outlet"`
	Event  string           `json:"event"`
	Allot  map[string]int64 `json:"allot,omitempty"`
}

// User is a person who logs in at an outlet's kiosk.
type User struct {
	Email        string `json:"email"` // the user's identity
	Code         string `json:"code"`  // numeric kiosk code, unique within the outlet
	Name         string `json:"name,omitempty"`
	Role         Role   `json:"role"`
	Outlet       string `json:"outlet"`
	PasswordHash string `json:"password_hash"`        // bcrypt
	CreatedBy    string `json:"created_by,omitempty"` // email of the supervisor; empty for the organiser
	Disabled     bool   `json:"disabled,omitempty"`
}

// Device is one kiosk of an outlet, known by its Ed25519 public key.
type Device struct {
	ID        string            `json:"id"`
	Outlet    string            `json:"outlet"`
	PublicKey ed25519.PublicKey `json:"public_key"`
}

// HubSettings are what a device needs to know about the organiser's side.
type HubSettings struct {
	TicketURL string `json:"ticket_url,omitempty"` // when set, QR codes carry TicketURL + code
}

// Policy are the kiosk's security settings; zero values mean the defaults.
type Policy struct {
	MaxFailedLogins int `json:"max_failed_logins,omitempty"`   // default 5
	LockoutSeconds  int `json:"lockout_seconds,omitempty"`     // first lockout; doubles each time; default 60
	IdleLogoutSec   int `json:"idle_logout_seconds,omitempty"` // default 120
}

// DeviceConfig is everything one device needs: its outlet, the events linked to it with the
// device's allotments, the outlet's users, and hub settings. Version grows with every change
// the hub makes; a device refuses a version not above the one it applied.
type DeviceConfig struct {
	Version  uint64                      `json:"version"`
	DeviceID string                      `json:"device_id"`
	IssuedAt time.Time                   `json:"issued_at"`
	Outlet   Outlet                      `json:"outlet"`
	Events   []Event                     `json:"events"`
	Allot    map[string]map[string]int64 `json:"allot,omitempty"` // event → ticket type → cap for this device
	Users    []User                      `json:"users"`
	Hub      HubSettings                 `json:"hub"`
	Policy   Policy                      `json:"policy"`
}

// Event returns the linked event with the given id.
func (c *DeviceConfig) Event(id string) (*Event, bool) {
	for i := range c.Events {
		if c.Events[i].ID == id {
			return &c.Events[i], true
		}
	}
	return nil, false
}

// Allotment returns the cap on tickets of type typ of event ev for this device, and whether
// there is one.
func (c *DeviceConfig) Allotment(ev, typ string) (int64, bool) {
	n, ok := c.Allot[ev][typ]
	return n, ok
}

// Defaults of Policy.
const (
	DefaultMaxFailedLogins = 5
	DefaultLockoutSeconds  = 60
	DefaultIdleLogoutSec   = 120
)

// WithDefaults returns p with its zero fields set to the defaults.
func (p Policy) WithDefaults() Policy {
	if p.MaxFailedLogins <= 0 {
		p.MaxFailedLogins = DefaultMaxFailedLogins
	}
	if p.LockoutSeconds <= 0 {
		p.LockoutSeconds = DefaultLockoutSeconds
	}
	if p.IdleLogoutSec <= 0 {
		p.IdleLogoutSec = DefaultIdleLogoutSec
	}
	return p
}
