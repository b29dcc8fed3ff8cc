package catalog

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits the validation enforces.
const (
	MaxPrice     = 100_000_00 // 100,000.00 in minor units: a dearer ticket is a typing mistake
	MaxNameLen   = 120
	MaxIDLen     = 32
	MinCodeLen   = 4
	MaxCodeLen   = 8
	MaxEmailLen  = 254
	MaxAllotment = 1_000_000
)

// Problem is one thing wrong with a catalogue object. Where names the object and field
// ("event e1: type t2: price").
type Problem struct {
	Where string
	What  string
}

func (p Problem) Error() string { return p.Where + ": " + p.What }

// Problems is every problem found; it is an error when not empty.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func (ps *Problems) add(where, format string, args ...any) {
	*ps = append(*ps, Problem{Where: where, What: fmt.Sprintf(format, args...)})
}

// ValidID checks an identifier: 1-32 characters of letters, digits, '-', '_' and '.'.
func ValidID(id string) error {
	if id == "" {
		return fmt.Errorf("id is empty")
	}
	if len(id) > MaxIDLen {
		return fmt.Errorf("id %q is longer than %d characters", id, MaxIDLen)
	}
	for _, r := range id {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("id %q may hold only ASCII letters, digits, '-', '_' and '.'", id)
		}
	}
	return nil
}

// ValidEmail checks an email address: a bare address (no display name) with a dotted domain.
func ValidEmail(email string) error {
	if email == "" {
		return fmt.Errorf("email is empty")
	}
	if len(email) > MaxEmailLen {
		return fmt.Errorf("email is longer than %d characters", MaxEmailLen)
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return fmt.Errorf("%q is not an email address", email)
	}
	at := strings.LastIndexByte(email, '@')
	domain := email[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return fmt.Errorf("%q has no valid domain", email)
	}
	return nil
}

// ValidCode checks a kiosk code: 4 to 8 digits.
func ValidCode(code string) error {
	if len(code) < MinCodeLen || len(code) > MaxCodeLen {
		return fmt.Errorf("kiosk code must have %d to %d digits", MinCodeLen, MaxCodeLen)
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return fmt.Errorf("kiosk code %q may hold only digits", code)
		}
	}
	return nil
}

func validName(ps *Problems, where, field, s string) {
	switch {
	case strings.TrimSpace(s) == "":
		ps.add(where, "%s is empty", field)
	case !utf8.ValidString(s):
		ps.add(where, "%s is not valid UTF-8", field)
	case utf8.RuneCountInString(s) > MaxNameLen:
		ps.add(where, "%s is longer than %d characters", field, MaxNameLen)
	}
}

// Validate returns every problem of the outlet.
func (o *Outlet) Validate() Problems {
	var ps Problems
	where := "outlet " + o.ID
	if err := ValidID(o.ID); err != nil {
		ps.add("outlet", "%v", err)
	}
	validName(&ps, where, "name", o.Name)
	switch o.Delivery {
	case DeliveryPrint, DeliveryEmail:
	default:
		ps.add(where, "delivery %q is neither %q nor %q", o.Delivery, DeliveryPrint, DeliveryEmail)
	}
	switch o.Locale {
	case LocaleBG, LocaleEN:
	default:
		ps.add(where, "locale %q is neither %q nor %q", o.Locale, LocaleBG, LocaleEN)
	}
	if len(o.Currency) != 3 || strings.ToUpper(o.Currency) != o.Currency || strings.IndexFunc(o.Currency, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		ps.add(where, "currency %q is not an ISO 4217 code such as EUR", o.Currency)
	}
	if o.TimeZone == "" {
		ps.add(where, "time zone is empty")
	} else if _, err := LoadLocation(o.TimeZone); err != nil {
		ps.add(where, "time zone %q is unknown", o.TimeZone)
	}
	return ps
}

// Validate returns every problem of the event and its ticket types.
func (e *Event) Validate() Problems {
	var ps Problems
	where := "event " + e.ID
	if err := ValidID(e.ID); err != nil {
		ps.add("event", "%v", err)
	}
	validName(&ps, where, "title", e.Title)
	validName(&ps, where, "venue", e.Venue)
	if e.Start.IsZero() {
		ps.add(where, "start time is missing")
	}
	if !e.SaleFrom.IsZero() && !e.SaleTo.IsZero() && !e.SaleTo.After(e.SaleFrom) {
		ps.add(where, "sale window ends (%s) before it starts (%s)", e.SaleTo.Format(time.RFC3339), e.SaleFrom.Format(time.RFC3339))
	}
	if !e.SaleFrom.IsZero() && !e.Start.IsZero() && e.SaleTo.IsZero() && !e.Start.After(e.SaleFrom) {
		ps.add(where, "sale window starts (%s) after the event starts (%s)", e.SaleFrom.Format(time.RFC3339), e.Start.Format(time.RFC3339))
	}
	if len(e.Types) == 0 {
		ps.add(where, "has no ticket types")
	}
	seen := map[string]bool{}
	for _, t := range e.Types {
		tw := where + ": type " + t.ID
		if err := ValidID(t.ID); err != nil {
			ps.add(where+": type", "%v", err)
		}
		if seen[t.ID] {
			ps.add(tw, "duplicate ticket type id")
		}
		seen[t.ID] = true
		validName(&ps, tw, "name", t.Name)
		if t.Price < 0 {
			ps.add(tw, "price %d is negative", t.Price)
		} else if t.Price > MaxPrice {
			ps.add(tw, "price %d is above the limit of %d minor units", t.Price, MaxPrice)
		}
	}
	return ps
}

// Validate returns every problem of the user.
func (u *User) Validate() Problems {
	var ps Problems
	where := "user " + u.Email
	if err := ValidEmail(u.Email); err != nil {
		ps.add("user", "%v", err)
	}
	if err := ValidCode(u.Code); err != nil {
		ps.add(where, "%v", err)
	}
	switch u.Role {
	case RoleCashier, RoleSupervisor:
	default:
		ps.add(where, "role %q is neither %q nor %q", u.Role, RoleCashier, RoleSupervisor)
	}
	if err := ValidID(u.Outlet); err != nil {
		ps.add(where, "outlet: %v", err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$2a$") && !strings.HasPrefix(u.PasswordHash, "$2b$") && !strings.HasPrefix(u.PasswordHash, "$2y$") {
		ps.add(where, "password hash is not a bcrypt hash")
	}
	if u.Name != "" && utf8.RuneCountInString(u.Name) > MaxNameLen {
		ps.add(where, "name is longer than %d characters", MaxNameLen)
	}
	if u.CreatedBy != "" && u.CreatedBy == u.Email {
		ps.add(where, "cannot be created by itself")
	}
	return ps
}

// ValidateUsers checks users together: each one, then duplicate emails and kiosk codes
// within an outlet, and creators that are unknown, not supervisors of the same outlet, or
// cycles.
func ValidateUsers(users []User) Problems {
	var ps Problems
	byEmail := map[string]*User{}
	codes := map[string]string{}
	for i := range users {
		u := &users[i]
		ps = append(ps, u.Validate()...)
		key := strings.ToLower(u.Email)
		if byEmail[key] != nil {
			ps.add("user "+u.Email, "duplicate email")
		}
		byEmail[key] = u
		ck := u.Outlet + "/" + u.Code
		if other, dup := codes[ck]; dup {
			ps.add("user "+u.Email, "kiosk code %s is already used by %s", u.Code, other)
		} else {
			codes[ck] = u.Email
		}
	}
	for i := range users {
		u := &users[i]
		if u.CreatedBy == "" {
			continue
		}
		c := byEmail[strings.ToLower(u.CreatedBy)]
		switch {
		case c == nil:
			ps.add("user "+u.Email, "created by unknown user %s", u.CreatedBy)
		case c.Role != RoleSupervisor:
			ps.add("user "+u.Email, "created by %s, who is not a supervisor", u.CreatedBy)
		case c.Outlet != u.Outlet:
			ps.add("user "+u.Email, "created by %s of another outlet", u.CreatedBy)
		}
	}
	for i := range users {
		seen := map[string]bool{}
		for u := &users[i]; u != nil && u.CreatedBy != ""; u = byEmail[strings.ToLower(u.CreatedBy)] {
			if seen[u.Email] {
				ps.add("user "+users[i].Email, "its chain of creators is a cycle")
				break
			}
			seen[u.Email] = true
		}
	}
	return ps
}

// Validate returns every problem of the device configuration: its outlet, events, users and
// allotments, and references between them.
func (c *DeviceConfig) Validate() Problems {
	var ps Problems
	if err := ValidID(c.DeviceID); err != nil {
		ps.add("config", "device: %v", err)
	}
	if c.Version == 0 {
		ps.add("config", "version must be at least 1")
	}
	ps = append(ps, c.Outlet.Validate()...)
	events := map[string]*Event{}
	for i := range c.Events {
		e := &c.Events[i]
		ps = append(ps, e.Validate()...)
		if events[e.ID] != nil {
			ps.add("event "+e.ID, "duplicate event id")
		}
		events[e.ID] = e
	}
	for ev, types := range c.Allot {
		e := events[ev]
		if e == nil {
			ps.add("allotment", "unknown event %s", ev)
			continue
		}
		for typ, n := range types {
			if _, ok := e.Type(typ); !ok {
				ps.add("allotment "+ev, "unknown ticket type %s", typ)
			}
			if n < 0 || n > MaxAllotment {
				ps.add("allotment "+ev+"/"+typ, "%d is outside 0..%d", n, MaxAllotment)
			}
		}
	}
	ps = append(ps, ValidateUsers(c.Users)...)
	for _, u := range c.Users {
		if u.Outlet != c.Outlet.ID {
			ps.add("user "+u.Email, "belongs to outlet %s, not %s", u.Outlet, c.Outlet.ID)
		}
	}
	return ps
}
