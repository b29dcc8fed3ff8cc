package kiosk

import (
	"context"
)

// unlockFlow is a supervisor ending locks: the names locked when it started.
type unlockFlow struct {
	list []Locked
}

// anyLocked reports whether the menu offers the locked users: to a supervisor, while
// someone is locked (so the menu of a kiosk where no one is locked stays as it was).
func (f *Flow) anyLocked() bool {
	if !f.isSupervisor() {
		return false
	}
	l, err := f.k.LockedUsers(f.sess)
	return err == nil && len(l) > 0
}

func (f *Flow) startUnlock(context.Context) {
	l, err := f.k.LockedUsers(f.sess)
	if err != nil {
		f.refuse(stMenu, err)
		return
	}
	if len(l) == 0 {
		f.refuse(stMenu, ErrNotLocked)
		return
	}
	f.unlock.list = l
	f.to(stUnlock)
}

// unlockScreens defines the list of locked names: OK on one ends its lock (journaled). An
// id no user has is marked so; the time is when the lock would end by itself.
func unlockScreens(s *[numStates]screen) {
	s[stUnlock] = screen{
		kind:  kindList,
		title: title(mUnlock),
		back:  goTo(stMenu),
		items: func(f *Flow) []item {
			l := f.lang()
			loc := f.config().Outlet.Location()
			out := make([]item, len(f.unlock.list))
			for i, u := range f.unlock.list {
				detail := u.Until.In(loc).Format("15:04")
				if !u.Known {
					detail = l.tr(mNoSuchUser) + " " + detail
				}
				out[i] = item{name: u.Name, detail: detail}
			}
			return out
		},
		choose: func(f *Flow, _ context.Context, i int) {
			name := f.unlock.list[i].Name
			if err := f.k.Unlock(f.sess, name); err != nil {
				f.refuse(stMenu, err)
				return
			}
			f.unlock.list = nil
			f.say(stMenu, true, f.tr(mUnlocked, name))
		},
	}
}
