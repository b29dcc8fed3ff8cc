package kiosk

import "testing"

// TestScreensComplete checks that every screen sets what its kind uses, so that no key on
// any screen meets a missing function.
func TestScreensComplete(t *testing.T) {
	for st := range numStates {
		s := screens[st]
		if s.keys == nil && s.render == nil {
			switch {
			case s.kind == kindList && (s.title == nil || s.items == nil || s.choose == nil):
				t.Errorf("list screen %d lacks its title, items or choose", st)
			case s.kind == kindField && (s.title == nil || s.submit == nil || s.enter == nil):
				t.Errorf("field screen %d lacks its title, submit or field", st)
			}
		}
		if s.kind == kindText && s.render == nil && s.text == nil {
			t.Errorf("text screen %d has no text", st)
		}
	}
}
