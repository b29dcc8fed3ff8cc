package layout

import "ticketkiosk/catalog"

// words are the fixed texts of tickets and reports in one language.
type words struct {
	ticketOf  string // "Ticket %d of %d"
	copy      string // "COPY"
	sale      string // "Sale no."
	code      string // "Code"
	period    string
	whole     string
	printedAt string
	outlet    string
	total     string
	pieces    string // unit after a ticket count
	voided    string
	none      string
}

var en = words{
	ticketOf:  "Ticket %d of %d",
	copy:      "COPY",
	sale:      "Sale no.",
	code:      "Code",
	period:    "Period",
	whole:     "whole period",
	printedAt: "Printed",
	outlet:    "Outlet",
	total:     "TOTAL",
	pieces:    "pcs",
	voided:    "voided",
	none:      "No sales in this period.",
}

var bg = words{
	ticketOf:  "Билет %d от %d",
	copy:      "КОПИЕ",
	sale:      "Продажба №",
	code:      "Код",
	period:    "Период",
	whole:     "целия период",
	printedAt: "Отпечатан",
	outlet:    "Обект",
	total:     "ОБЩО",
	pieces:    "бр.",
	voided:    "анулирани",
	none:      "Няма продажби за периода.",
}

func wordsFor(l catalog.Locale) *words {
	if l == catalog.LocaleBG {
		return &bg
	}
	return &en
}
