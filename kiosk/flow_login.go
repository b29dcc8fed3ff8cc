package kiosk

import (
	"context"

	"ticketkiosk/catalog"
)

// credentials are the fields of the credential prompt: the login's, and a supervisor's
// approval's (the two never run at once).
type credentials struct {
	id string // the email or kiosk code typed
}

// maxPasswordLen is the longest password a field takes: what bcrypt reads.
const maxPasswordLen = 72

// prompt is a credential prompt: a screen for the email or kiosk code, then one for the
// password, which check verifies. The login and a supervisor's approval are two prompts.
type prompt struct {
	id, pass           state // its two screens
	idTitle, passTitle msg
	// keepID starts the id field with the id typed before (after a refusal) instead of
	// empty.
	keepID bool
	// cancel answers Cancel on the id screen (the password screen's goes back to it).
	cancel func(f *Flow)
	// check verifies the credentials and moves on; an error is refused back to the id.
	check func(f *Flow, ctx context.Context, id, password string) error
}

// define defines the prompt's two screens.
func (p prompt) define(s *[numStates]screen) {
	s[p.id] = screen{
		kind:  kindField,
		title: title(p.idTitle),
		enter: func(f *Flow) {
			id := ""
			if p.keepID {
				id = f.cred.id
			}
			f.textField(catalog.MaxEmailLen, false, true, id)
		},
		back: p.cancel,
		submit: func(f *Flow, _ context.Context, v string) {
			if v == "" {
				return
			}
			f.cred.id = v
			f.to(p.pass)
		},
	}
	s[p.pass] = screen{
		kind:  kindField,
		title: title(p.passTitle),
		enter: func(f *Flow) { f.textField(maxPasswordLen, true, false, "") },
		back:  goTo(p.id),
		submit: func(f *Flow, ctx context.Context, v string) {
			f.progress(mChecking)
			if err := p.check(f, ctx, f.cred.id, v); err != nil {
				f.refuse(p.id, err)
			}
		},
	}
}

// loginScreens defines the login: a key on the idle screen starts it (see coreScreens).
func loginScreens(s *[numStates]screen) {
	prompt{
		id: stLoginID, pass: stLoginPass, idTitle: mLoginID, passTitle: mPassword,
		keepID: true,
		cancel: (*Flow).logout,
		check: func(f *Flow, _ context.Context, id, password string) error {
			sess, err := f.k.Login(id, password)
			if err != nil {
				return err
			}
			f.sess, f.sell.last = sess, 0
			f.to(stMenu)
			return nil
		},
	}.define(s)
}
