package hub

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"ticketkiosk/catalog"
	"ticketkiosk/internal/boltutil"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

var kFeed = []byte("feed") // ledger feed position handled by Collect

// CollectResult says what one Collect did.
type CollectResult struct {
	Entries   int      // ledger entries read
	Queued    int      // emails queued
	Users     int      // users created on devices that entered the catalogue
	Disabled  int      // users disabled on devices
	Cancelled int      // queued emails cancelled by a void
	Regrants  int      // devices given a new config version by grant a config_applied released
	Problems  []string // entries that could not take effect (logged, not retried)
}

// Collect acts once on every ledger entry stored since the last call, in ledger order, up
// to max entries: a sale of an email outlet queues its email, a void cancels a queued email
// not yet sent, a user created on a device enters the catalogue (and the outlet's next
// config), a user disabled on a device is disabled. The feed position is kept in the same
// transaction as these effects, so a restart neither loses nor repeats one.
func (h *Hub) Collect(l *ledger.Ledger, max int) (CollectResult, error) {
	var res CollectResult
	if max <= 0 {
		max = 1000
	}
	pos, err := h.feedPos()
	if err != nil {
		return res, err
	}
	type item struct {
		pos uint64
		e   *journal.Entry
	}
	var items []item
	err = l.Feed(pos, func(p uint64, _ string, e *journal.Entry) bool {
		items = append(items, item{p, e})
		return len(items) < max
	})
	if err != nil {
		return res, fmt.Errorf("hub: collect: %w", err)
	}
	if len(items) == 0 {
		return res, nil
	}
	// What each device that applied a config sold: its grant is not lowered below it.
	sold := map[string]map[[2]string]int64{}
	for _, it := range items {
		if it.e.Kind == journal.KindConfigApplied && sold[it.e.Device] == nil {
			if sold[it.e.Device], err = l.Sold(it.e.Device); err != nil {
				return res, fmt.Errorf("hub: collect: %w", err)
			}
		}
	}
	now := h.opt.Clock.Now()
	err = h.update(func(tx *bolt.Tx) error {
		res = CollectResult{Entries: len(items)}
		for _, it := range items {
			if it.e.Kind == journal.KindConfigApplied {
				n, err := applied(tx, it.e.Device, it.e.Config.Version, sold[it.e.Device])
				if err != nil {
					return err
				}
				res.Regrants += n
				continue
			}
			if err := h.collectOne(tx, it.e, now, &res); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(kFeed, boltutil.U64(items[len(items)-1].pos))
	})
	for _, p := range res.Problems {
		h.opt.Logger.Warn("journal entry without effect at the hub", "problem", p)
	}
	return res, err
}

func (h *Hub) feedPos() (uint64, error) {
	var pos uint64
	err := h.view(func(tx *bolt.Tx) error {
		pos = boltutil.GetU64(tx.Bucket(bMeta).Get(kFeed))
		return nil
	})
	return pos, err
}

func (h *Hub) collectOne(tx *bolt.Tx, e *journal.Entry, now time.Time, res *CollectResult) error {
	where := fmt.Sprintf("%s seq %d", e.Device, e.Seq)
	switch e.Kind {
	case journal.KindSale:
		if e.Sale.Delivery != string(catalog.DeliveryEmail) {
			return nil
		}
		if err := catalog.ValidEmail(e.Sale.Buyer); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: email sale without a valid buyer address: %v", where, err))
			return nil
		}
		if mails.has(tx, mailKey(e.Device, e.Seq)) {
			return nil
		}
		res.Queued++
		return putMail(tx, Mail{Device: e.Device, Seq: e.Seq, To: e.Sale.Buyer, Sale: e, State: MailPending, Next: now, Queued: now})
	case journal.KindVoid:
		m, ok, err := mails.get(tx, mailKey(e.Device, e.Void.Sale))
		if err != nil || !ok || m.State == MailSent {
			return err
		}
		m.State = MailCancelled
		res.Cancelled++
		return putMail(tx, m)
	case journal.KindUserCreated:
		f := e.User
		u := catalog.User{Email: f.Email, Code: f.Code, Name: f.Name, Role: catalog.Role(f.Role), Outlet: f.Outlet,
			PasswordHash: f.PasswordHash, CreatedBy: f.CreatedBy}
		if u.CreatedBy == "" {
			u.CreatedBy = e.Actor
		}
		if old, ok, err := users.get(tx, u.Email); err != nil {
			return err
		} else if ok {
			if old.Outlet != u.Outlet {
				res.Problems = append(res.Problems, fmt.Sprintf("%s: user %s created on a device of %s belongs to %s", where, u.Email, u.Outlet, old.Outlet))
			}
			return nil
		}
		if ok, err := onOutletDevice(tx, where, e.Device, u, "created", res); err != nil || !ok {
			return err
		}
		if ps := u.Validate(); len(ps) > 0 {
			res.Problems = append(res.Problems, where+": "+ps.Error())
			return nil
		}
		if err := addUser(tx, u); err != nil {
			if errors.Is(err, ErrInvalid) {
				res.Problems = append(res.Problems, where+": "+err.Error())
				return nil
			}
			return err
		}
		res.Users++
	case journal.KindUserDisabled:
		u, ok, err := users.get(tx, e.User.Email)
		if err != nil || !ok || u.Disabled {
			return err
		}
		if ok, err := onOutletDevice(tx, where, e.Device, u, "disabled", res); err != nil || !ok {
			return err
		}
		if err := disableUser(tx, u); err != nil {
			return err
		}
		res.Disabled++
	}
	return nil
}

// onOutletDevice reports whether device, on which the entry at where created or disabled u
// (what), is a device of u's outlet; when not, it notes the problem in res.
func onOutletDevice(tx *bolt.Tx, where, device string, u catalog.User, what string, res *CollectResult) (bool, error) {
	d, ok, err := devices.get(tx, device)
	if err != nil {
		return false, err
	}
	if !ok || d.Outlet != u.Outlet {
		res.Problems = append(res.Problems, fmt.Sprintf("%s: user %s of outlet %s %s on a device of another outlet", where, u.Email, u.Outlet, what))
		return false, nil
	}
	return true, nil
}
