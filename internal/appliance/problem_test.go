package appliance

import (
	"testing"

	"ticketkiosk/kiosk"
	"ticketkiosk/mqtt"
)

// TestEveryProblemReasonIsTranslated: each code the broker link (mqtt.Reason) and a config
// refusal (mqtt.Refusals) can put into kiosk.Status.Problem has words on the idle screen in
// every language, so none shows as a bare code.
func TestEveryProblemReasonIsTranslated(t *testing.T) {
	for _, c := range []struct {
		kind  kiosk.ProblemKind
		codes []string
	}{
		{kiosk.ProblemBroker, mqtt.Failures},
		{kiosk.ProblemConfig, mqtt.Refusals},
	} {
		for _, code := range c.codes {
			if p := (kiosk.Problem{Kind: c.kind, Reason: code}); !p.Known() {
				t.Errorf("%+v has no words on the idle screen", p)
			}
		}
	}
}
