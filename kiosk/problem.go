package kiosk

// ProblemKind says which link to the hub a Problem is of.
type ProblemKind int

// The kinds of Problem.
const (
	ProblemNone   ProblemKind = iota // nothing is known to be wrong
	ProblemBroker                    // the broker refused the kiosk or cannot be reached
	ProblemConfig                    // the kiosk refused the config the hub sent
)

// Problem is what keeps the kiosk from working with the hub, for the idle screen: its Kind,
// and Reason, a code from a closed set (the mqtt package's connection failures for
// ProblemBroker, its config refusals for ProblemConfig). The flow says both in the
// outlet's language; a code it has no words for is shown as it is.
type Problem struct {
	Kind   ProblemKind
	Reason string
}

// problemHeads name each kind, English and Bulgarian; at most 14 columns (beside the link
// glyph on 16).
var problemHeads = [...][2]string{
	ProblemBroker: {"Broker", "Брокер"},
	ProblemConfig: {"Config refused", "Отказан конфиг"},
}

// problemReasons say each reason of a kind, English and Bulgarian; at most 16 columns (a
// row of its own on 16), the usual ones 14 (beside an unsent count).
var problemReasons = map[ProblemKind]map[string][2]string{
	ProblemBroker: {
		"not_authorised":  {"not authorised", "отказан достъп"},
		"bad_credentials": {"bad password", "грешна парола"},
		"id_rejected":     {"id rejected", "отказан клиент"},
		"unavailable":     {"unavailable", "не обслужва"},
		"bad_protocol":    {"protocol refused", "отказан протокол"},
		"tls":             {"TLS error", "грешка в TLS"},
		"timeout":         {"no answer", "няма отговор"},
		"unreachable":     {"unreachable", "недостъпен"},
		"not_connected":   {"not connected", "няма връзка"},
	},
	ProblemConfig: {
		"too_large":       {"too large", "твърде голям"},
		"malformed":       {"malformed", "повредени данни"},
		"unknown_version": {"unknown version", "непозната версия"},
		"bad_signature":   {"bad signature", "грешен подпис"},
		"wrong_device":    {"wrong device", "за друг киоск"},
		"invalid":         {"invalid", "невалидни данни"},
		"stale":           {"stale", "стара версия"},
		"store":           {"store", "грешка при запис"},
	},
}

// Known reports whether p's kind and reason have words in every language the flow speaks.
func (p Problem) Known() bool {
	_, ok := problemReasons[p.Kind][p.Reason]
	return ok && int(p.Kind) < len(problemHeads) && problemHeads[p.Kind][0] != ""
}

// problem says p in l: the kind's head ("Broker") and the reason ("not authorised"); an
// unknown reason is its code.
func (l lang) problem(p Problem) (head, reason string) {
	reason = p.Reason
	if w, ok := problemReasons[p.Kind][p.Reason]; ok {
		reason = w[l]
	}
	if int(p.Kind) < len(problemHeads) {
		head = problemHeads[p.Kind][l]
	}
	return head, reason
}
