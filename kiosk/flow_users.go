package kiosk

import (
	"context"
	"unicode/utf8"

	"ticketkiosk/catalog"
)

// usersFlow are the fields of creating and disabling users.
type usersFlow struct {
	nu     NewUser
	list   []catalog.User // the users a supervisor may disable
	target catalog.User   // the user to disable
}

var roles = []struct {
	m msg
	r catalog.Role
}{{mCashier, catalog.RoleCashier}, {mSupervisor, catalog.RoleSupervisor}}

func roleName(r catalog.Role) msg {
	if r == catalog.RoleSupervisor {
		return mSupervisor
	}
	return mCashier
}

// startNewUser starts creating a user, from the main menu.
func (f *Flow) startNewUser(context.Context) {
	f.users.nu = NewUser{}
	f.to(stNewEmail)
}

// startDisable starts disabling a user, from the main menu: the enabled users of the
// supervisor's subtree.
func (f *Flow) startDisable(context.Context) {
	users, err := f.k.Subtree(f.sess)
	if err != nil {
		f.refuse(stMenu, err)
		return
	}
	f.users.list = f.users.list[:0]
	for _, u := range users {
		if !u.Disabled {
			f.users.list = append(f.users.list, u)
		}
	}
	if len(f.users.list) == 0 {
		f.say(stMenu, false, f.tr(mNoUsers))
		return
	}
	f.to(stDisable)
}

// newPassword is a screen of a new user's password (typed twice: two such screens).
func newPassword(m msg, back state, submit func(f *Flow, ctx context.Context, v string)) screen {
	return screen{
		kind:   kindField,
		title:  title(m),
		enter:  func(f *Flow) { f.textField(maxPasswordLen, true, false, "") },
		back:   goTo(back),
		submit: submit,
	}
}

// userScreens defines creating a user (email, kiosk code, role, password twice) and
// disabling one (the user, then a confirmation).
func userScreens(s *[numStates]screen) {
	s[stNewEmail] = screen{
		kind:  kindField,
		title: title(mNewEmail),
		enter: func(f *Flow) { f.textField(catalog.MaxEmailLen, false, false, f.users.nu.Email) },
		back:  goTo(stMenu),
		submit: func(f *Flow, _ context.Context, v string) {
			f.users.nu.Email = v
			if err := catalog.ValidEmail(v); err != nil {
				f.say(stNewEmail, false, f.tr(mBadEmail))
				return
			}
			f.to(stNewCode)
		},
	}
	s[stNewCode] = screen{
		kind:  kindField,
		title: title(mNewCode),
		enter: func(f *Flow) { f.digitsField(catalog.MaxCodeLen, f.users.nu.Code) },
		back:  goTo(stNewEmail),
		submit: func(f *Flow, _ context.Context, v string) {
			f.users.nu.Code = v
			if err := catalog.ValidCode(v); err != nil {
				f.say(stNewCode, false, f.tr(mCodeBad, catalog.MinCodeLen, catalog.MaxCodeLen))
				return
			}
			f.to(stRole)
		},
	}
	s[stRole] = screen{
		kind:  kindList,
		title: title(mRole),
		back:  goTo(stNewCode),
		items: func(f *Flow) []item {
			out := make([]item, len(roles))
			for i, r := range roles {
				out[i] = item{name: f.tr(r.m)}
			}
			return out
		},
		choose: func(f *Flow, _ context.Context, i int) {
			f.users.nu.Role = roles[i].r
			f.to(stNewPass)
		},
	}
	s[stNewPass] = newPassword(mNewPass, stRole, func(f *Flow, _ context.Context, v string) {
		if utf8.RuneCountInString(v) < catalog.MinPasswordLen || len(v) > maxPasswordLen {
			f.say(stNewPass, false, f.tr(mPassShort, catalog.MinPasswordLen))
			return
		}
		f.users.nu.Password = v
		f.to(stNewPass2)
	})
	s[stNewPass2] = newPassword(mNewPass2, stNewPass, func(f *Flow, _ context.Context, v string) {
		if v != f.users.nu.Password {
			f.say(stNewPass, false, f.tr(mPassMismatch))
			return
		}
		f.progress(mSaving)
		u, err := f.k.CreateUser(f.sess, f.users.nu)
		if err != nil {
			f.refuse(stNewEmail, err)
			return
		}
		f.users.nu = NewUser{}
		f.say(stMenu, true, f.tr(mUserCreated, u.Email))
	})
	s[stDisable] = screen{
		kind:  kindList,
		title: title(mDisableUser),
		back:  goTo(stMenu),
		items: func(f *Flow) []item { return emails(f.users.list) },
		choose: func(f *Flow, _ context.Context, i int) {
			f.users.target = f.users.list[i]
			f.to(stDisableAsk)
		},
	}
	s[stDisableAsk] = screen{
		kind: kindText,
		back: goTo(stDisable),
		text: func(f *Flow) (string, []item, string) {
			l := f.lang()
			u := f.users.target
			lines := []item{{name: u.Email}, {name: u.Code + " " + l.tr(roleName(u.Role))}}
			return l.tr(mDisableAsk), lines, l.tr(mHintYesNo)
		},
		proceed: func(f *Flow, _ context.Context) {
			if err := f.k.DisableUser(f.sess, f.users.target.Email); err != nil {
				f.refuse(stMenu, err)
				return
			}
			f.say(stMenu, true, f.tr(mUserDisabled, f.users.target.Email))
		},
	}
}
