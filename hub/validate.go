package hub

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// bPrices holds, per device, the price table of every config version signed for it:
// device \x00 version (u64) \x00 first 8 bytes of the table's SHA-256 → priceTable JSON. A
// version signed again with other content (after a push that may have reached the
// device) keeps both tables. Made by the first SignConfigs that records one.
var bPrices = []byte("prices")

// priceTable is what a signed config allowed a device to sell: its outlet, the outlet's
// currency, and each linked event's ticket types with their prices.
type priceTable struct {
	Version  uint64                      `json:"version"`
	Outlet   string                      `json:"outlet"`
	Currency string                      `json:"currency"`
	Delivery string                      `json:"delivery"`
	Prices   map[string]map[string]int64 `json:"prices"` // event → ticket type → unit price
}

// recordPrices keeps the price table of a config signed for its device.
func recordPrices(tx *bolt.Tx, cfg *catalog.DeviceConfig) error {
	t := priceTable{Version: cfg.Version, Outlet: cfg.Outlet.ID, Currency: cfg.Outlet.Currency, Delivery: string(cfg.Outlet.Delivery), Prices: map[string]map[string]int64{}}
	for _, ev := range cfg.Events {
		m := map[string]int64{}
		for _, ty := range ev.Types {
			m[ty.ID] = ty.Price
		}
		t.Prices[ev.ID] = m
	}
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	b, err := tx.CreateBucketIfNotExists(bPrices)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(v)
	k := append(append(append([]byte(cfg.DeviceID), 0), boltutil.U64(cfg.Version)...), 0)
	return b.Put(append(k, sum[:8]...), v)
}

// Validator returns the check of entries at ingest (ledger.Options.Validate) against the
// catalogue: see docs/protocol.md, "Validation at ingest". It reads the catalogue once per
// device and batch.
func (h *Hub) Validator() ledger.Validator {
	return func(device string, batch []*journal.Entry, past ledger.Past) (func(*journal.Entry) error, error) {
		v := &validation{device: device, past: past, grants: map[[2]string]int64{}}
		err := h.view(func(tx *bolt.Tx) error { return v.load(tx) })
		if err != nil {
			return nil, err
		}
		if v.known {
			v.codes = verifyCodes(device, v.dev.PublicKey, batch)
		}
		return v.check, nil
	}
}

// verified is what journal.VerifyCode said of a code.
type verified struct {
	facts journal.TicketFacts
	err   error
}

// verifyCodes verifies the ticket codes of a batch's sales with the device's key, on every
// core: the signatures are most of the cost of validation.
func verifyCodes(device string, key ed25519.PublicKey, batch []*journal.Entry) map[string]verified {
	var codes []string
	for _, e := range batch {
		if e.Kind == journal.KindSale && e.Sale != nil && e.Device == device {
			for _, t := range e.Sale.Tickets {
				codes = append(codes, t.Code)
			}
		}
	}
	out := make([]verified, len(codes))
	keys := func(id string) (ed25519.PublicKey, bool) { return key, id == device }
	workers := min(runtime.GOMAXPROCS(0), (len(codes)+15)/16)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(codes); i += workers {
				out[i].facts, out[i].err = journal.VerifyCode(codes[i], keys)
			}
		}()
	}
	wg.Wait()
	m := make(map[string]verified, len(codes))
	for i, c := range codes {
		m[c] = out[i]
	}
	return m
}

// validation is what one device's batch is checked against.
type validation struct {
	device string
	past   ledger.Past
	known  bool
	dev    catalog.Device
	tables []priceTable
	grants map[[2]string]int64 // {event, type} → cap granted; absent: uncapped
	users  []catalog.User      // the outlet's users in the catalogue
	codes  map[string]verified // the batch's ticket codes, verified
	// the outlet's users with those created and disabled in the device's accepted entries
	// (made on the first user entry)
	all []catalog.User
}

func (v *validation) load(tx *bolt.Tx) error {
	d, ok, err := devices.get(tx, v.device)
	if err != nil || !ok {
		return err
	}
	v.known, v.dev = true, d
	prefix := append([]byte(v.device), 0)
	if b := tx.Bucket(bPrices); b != nil {
		c := b.Cursor()
		for k, val := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, val = c.Next() {
			var t priceTable
			if err := json.Unmarshal(val, &t); err != nil {
				return fmt.Errorf("hub: price table %q: %w", k, err)
			}
			v.tables = append(v.tables, t)
		}
	}
	c := tx.Bucket(bGrants).Cursor()
	for k, val := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, val = c.Next() {
		parts := strings.Split(string(k[len(prefix):]), "\x00")
		if len(parts) == 2 {
			v.grants[[2]string{parts[0], parts[1]}] = int64(boltutil.GetU64(val))
		}
	}
	v.users, err = outletUsers(tx, d.Outlet)
	return err
}

// check returns why e is rejected, or nil.
func (v *validation) check(e *journal.Entry) error {
	if !v.known {
		return fmt.Errorf("device %s is not registered", v.device)
	}
	switch e.Kind {
	case journal.KindSale:
		return v.sale(e)
	case journal.KindUserCreated, journal.KindUserDisabled:
		return v.user(e)
	}
	return nil
}

func (v *validation) sale(e *journal.Entry) error {
	s := e.Sale
	if s.Outlet != v.dev.Outlet {
		return fmt.Errorf("sale for outlet %s by a device of outlet %s", s.Outlet, v.dev.Outlet)
	}
	if len(v.tables) == 0 {
		return fmt.Errorf("no config was signed for device %s", v.device)
	}
	// The prices of a config version signed for the device; the reason is the newest's.
	var why error
	newest := uint64(0)
	for _, t := range v.tables {
		err := t.allows(s)
		if err == nil {
			why = nil
			break
		}
		if why == nil || t.Version >= newest {
			why, newest = err, t.Version
		}
	}
	if why != nil {
		return why
	}
	var total int64
	qty := map[string]int{}
	for _, l := range s.Lines {
		if l.Qty < 1 {
			return fmt.Errorf("line of %s has quantity %d", l.Type, l.Qty)
		}
		total += int64(l.Qty) * l.Price
		qty[l.Type] += l.Qty
	}
	if total != s.Total {
		return fmt.Errorf("total %d is not the sum of the lines (%d)", s.Total, total)
	}
	for typ, n := range qty {
		g, capped := v.grants[[2]string{s.Event, typ}]
		if !capped {
			continue
		}
		if sold := v.past.Sold(s.Event, typ); sold+int64(n) > g {
			return fmt.Errorf("%d %s tickets beyond the device's grant of %d for %s (%d sold before)", n, typ, g, s.Event, sold)
		}
	}
	return v.tickets(e, qty)
}

// allows reports why the table does not allow the sale's outlet, event, currency, delivery
// and prices.
func (t priceTable) allows(s *journal.Sale) error {
	if t.Outlet != s.Outlet {
		return fmt.Errorf("sale for outlet %s under a config of outlet %s", s.Outlet, t.Outlet)
	}
	prices, ok := t.Prices[s.Event]
	if !ok {
		return fmt.Errorf("event %s is not linked to outlet %s in a config signed for the device", s.Event, s.Outlet)
	}
	if s.Currency != t.Currency {
		return fmt.Errorf("currency %s is not the outlet's (%s)", s.Currency, t.Currency)
	}
	for _, l := range s.Lines {
		p, ok := prices[l.Type]
		if !ok {
			return fmt.Errorf("ticket type %s is not a type of event %s in a config signed for the device", l.Type, s.Event)
		}
		if p != l.Price {
			return fmt.Errorf("price %d of %s is not its price in a config signed for the device (%d in version %d)", l.Price, l.Type, p, t.Version)
		}
	}
	if s.Delivery != t.Delivery {
		return fmt.Errorf("delivery %s is not the outlet's (%s)", s.Delivery, t.Delivery)
	}
	return nil
}

// tickets checks that the sale's tickets are its lines' and that every code is the
// device's own signed code of that ticket.
func (v *validation) tickets(e *journal.Entry, qty map[string]int) error {
	s := e.Sale
	n := map[string]int{}
	keys := func(id string) (ed25519.PublicKey, bool) { return v.dev.PublicKey, id == v.device }
	for i, t := range s.Tickets {
		n[t.Type]++
		if t.N != i+1 {
			return fmt.Errorf("ticket %d is numbered %d", i+1, t.N)
		}
		r, ok := v.codes[t.Code]
		if !ok {
			r.facts, r.err = journal.VerifyCode(t.Code, keys)
		}
		f, err := r.facts, r.err
		if err != nil {
			return fmt.Errorf("ticket %d: %v", t.N, err)
		}
		want := journal.TicketFacts{Device: v.device, Sale: e.Seq, N: t.N, Of: len(s.Tickets), Event: s.Event, Type: t.Type}
		if f != want {
			return fmt.Errorf("ticket %d: its code is of %s seq %d ticket %d of %d, %s %s", t.N, f.Device, f.Sale, f.N, f.Of, f.Event, f.Type)
		}
	}
	for typ, q := range qty {
		if n[typ] != q {
			return fmt.Errorf("%d %s tickets for a line of %d", n[typ], typ, q)
		}
	}
	if len(n) != len(qty) {
		return fmt.Errorf("tickets of a type no line sells")
	}
	return nil
}

// user checks a user created or disabled on the device: by a supervisor of the device's
// outlet, for that outlet, and (disabled) over a user of the supervisor's subtree.
func (v *validation) user(e *journal.Entry) error {
	all, err := v.allUsers()
	if err != nil {
		return err
	}
	me, ok := find(all, e.Actor)
	switch {
	case !ok:
		return fmt.Errorf("actor %s is not a user of outlet %s", e.Actor, v.dev.Outlet)
	case me.Role != catalog.RoleSupervisor:
		return fmt.Errorf("actor %s is not a supervisor", e.Actor)
	case me.Disabled:
		return fmt.Errorf("actor %s is disabled", e.Actor)
	}
	f := e.User
	if e.Kind == journal.KindUserCreated {
		switch {
		case f.Outlet != v.dev.Outlet:
			return fmt.Errorf("user %s created for outlet %s on a device of outlet %s", f.Email, f.Outlet, v.dev.Outlet)
		case f.Role != string(catalog.RoleCashier) && f.Role != string(catalog.RoleSupervisor):
			return fmt.Errorf("user %s created with role %q", f.Email, f.Role)
		case f.CreatedBy != "" && !strings.EqualFold(f.CreatedBy, e.Actor):
			return fmt.Errorf("user %s created by %s says it was created by %s", f.Email, e.Actor, f.CreatedBy)
		}
		if old, ok := find(all, f.Email); ok && old.CreatedBy != "" && !strings.EqualFold(old.CreatedBy, e.Actor) {
			return fmt.Errorf("user %s exists, created by %s", f.Email, old.CreatedBy)
		}
		v.all = append(v.all, catalog.User{Email: f.Email, Role: catalog.Role(f.Role), Outlet: f.Outlet, CreatedBy: e.Actor})
		return nil
	}
	if strings.EqualFold(f.Email, e.Actor) {
		return fmt.Errorf("supervisor %s disabled itself", e.Actor)
	}
	if _, ok := find(catalog.Subtree(all, me.Email), f.Email); !ok {
		return fmt.Errorf("user %s is not in the subtree of supervisor %s", f.Email, e.Actor)
	}
	for i := range v.all {
		if strings.EqualFold(v.all[i].Email, f.Email) {
			v.all[i].Disabled = true
		}
	}
	return nil
}

// allUsers returns the outlet's users as the device's accepted entries left them.
func (v *validation) allUsers() ([]catalog.User, error) {
	if v.all != nil {
		return v.all, nil
	}
	all := append([]catalog.User{}, v.users...)
	err := v.past.Each(journal.KindUserCreated, func(e *journal.Entry) bool {
		if _, ok := find(all, e.User.Email); !ok {
			all = append(all, catalog.User{Email: e.User.Email, Role: catalog.Role(e.User.Role), Outlet: e.User.Outlet, CreatedBy: e.Actor})
		}
		return true
	})
	if err == nil {
		err = v.past.Each(journal.KindUserDisabled, func(e *journal.Entry) bool {
			for i := range all {
				if strings.EqualFold(all[i].Email, e.User.Email) {
					all[i].Disabled = true
				}
			}
			return true
		})
	}
	v.all = all
	return all, err
}

func find(us []catalog.User, email string) (catalog.User, bool) {
	for _, u := range us {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return catalog.User{}, false
}
