package kiosk

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ticketkiosk/catalog"
	"ticketkiosk/device"
	"ticketkiosk/device/term"
	"ticketkiosk/escpos"
	"ticketkiosk/journal"
)

// A key script is text: runs of ordinary characters are decoded by term.ParseKeys (so
// "\n" is OK there too), and these glyphs stand for the keys a text cannot type:
//
//	⏎ OK   ⎋ Cancel   ↑ Up   ↓ Down   ⌫ Backspace   ♯ Symbol
//	⏸ a pause: the clock moves 1.5 s and the flow ticks (commits a multi-tap letter)
//
// "3000⏎ann-pass⏎1⏎" logs ann in and chooses the first menu item.
var scriptGlyphs = map[rune]device.Key{
	'⏎': {Kind: device.KeyOK},
	'⎋': {Kind: device.KeyCancel},
	'↑': {Kind: device.KeyUp},
	'↓': {Kind: device.KeyDown},
	'⌫': {Kind: device.KeyBackspace},
	'♯': {Kind: device.KeySymbol},
}

const scriptPause = '⏸'

// flowDriver runs key scripts against a Flow on a rig, checking after every step that the
// screen has exactly the display's size.
type flowDriver struct {
	t        testing.TB
	r        *rig
	f        *Flow
	opt      FlowOptions
	screen   Screen
	progress []Screen
}

func newDriver(t testing.TB, r *rig, opt FlowOptions) *flowDriver {
	t.Helper()
	d := &flowDriver{t: t, r: r, opt: opt}
	opt.Progress = func(s Screen) {
		d.checkSize(s)
		d.progress = append(d.progress, s)
	}
	d.f = NewFlow(r.k, opt)
	d.screen = d.f.Screen()
	d.checkSize(d.screen)
	return d
}

func (d *flowDriver) checkSize(s Screen) {
	d.t.Helper()
	if len(s) != d.opt.Rows {
		d.t.Fatalf("screen has %d rows, want %d:\n%s", len(s), d.opt.Rows, s)
	}
	for i, row := range s {
		if n := utf8.RuneCountInString(row); n != d.opt.Cols {
			d.t.Fatalf("row %d has %d runes, want %d: %q\n%s", i, n, d.opt.Cols, row, s)
		}
	}
}

// run plays a script and returns the last screen.
func (d *flowDriver) run(script string) Screen {
	d.t.Helper()
	var plain []byte
	flush := func() {
		for _, k := range term.ParseKeys(plain) {
			d.key(k)
		}
		plain = plain[:0]
	}
	for _, r := range script {
		if k, ok := scriptGlyphs[r]; ok {
			flush()
			d.key(k)
			continue
		}
		if r == scriptPause {
			flush()
			d.wait(1500 * time.Millisecond)
			continue
		}
		plain = utf8.AppendRune(plain, r)
	}
	flush()
	return d.screen
}

func (d *flowDriver) key(k device.Key) {
	d.t.Helper()
	d.screen = d.f.Key(context.Background(), k)
	d.checkSize(d.screen)
}

// wait moves the clock and ticks; it reports whether the screen changed.
func (d *flowDriver) wait(dt time.Duration) bool {
	d.t.Helper()
	d.r.clock.Add(dt)
	s, changed := d.f.Tick(d.r.clock.Now())
	d.checkSize(s)
	if changed == s.Equal(d.screen) {
		d.t.Fatalf("Tick said changed=%v but the screen went from\n%s\nto\n%s", changed, d.screen, s)
	}
	d.screen = s
	return changed
}

// flat is the screen's text with each row's trailing spaces cut and the rows joined by a
// space, so that a wrapped message reads as one line.
func (d *flowDriver) flat() string {
	rows := make([]string, len(d.screen))
	for i, r := range d.screen {
		rows[i] = strings.TrimRight(r, " ")
	}
	return strings.Join(rows, " ")
}

// shows fails unless the screen holds every one of want.
func (d *flowDriver) shows(want ...string) {
	d.t.Helper()
	text := d.flat()
	for _, w := range want {
		if !strings.Contains(text, w) {
			d.t.Fatalf("screen lacks %q:\n%s", w, text)
		}
	}
}

// showsScrolled fails unless the screen holds every one of want on some page of its
// text: it scrolls down to the end and back to where it was. For text screens only,
// where Up and Down scroll.
func (d *flowDriver) showsScrolled(want ...string) {
	d.t.Helper()
	text, n := d.flat(), 0
	for ; n < 20; n++ {
		before := d.screen
		d.key(device.Key{Kind: device.KeyDown})
		if d.screen.Equal(before) {
			break
		}
		text += "\n" + d.flat()
	}
	for range n {
		d.key(device.Key{Kind: device.KeyUp})
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			d.t.Fatalf("no page of the screen holds %q:\n%s", w, text)
		}
	}
}

// lacks fails if the screen holds any of bad.
func (d *flowDriver) lacks(bad ...string) {
	d.t.Helper()
	text := d.flat()
	for _, b := range bad {
		if strings.Contains(text, b) {
			d.t.Fatalf("screen shows %q:\n%s", b, text)
		}
	}
}

func (d *flowDriver) jobs() []string {
	d.r.printer.mu.Lock()
	defer d.r.printer.mu.Unlock()
	out := make([]string, len(d.r.printer.jobs))
	for i, j := range d.r.printer.jobs {
		out[i] = string(j)
	}
	return out
}

// setLocale applies a new config version in locale l.
func setLocale(t testing.TB, r *rig, l catalog.Locale) {
	t.Helper()
	reconfigure(t, r, func(c *catalog.DeviceConfig) { c.Outlet.Locale = l })
}

// reconfigure applies the next config version: the current one as change leaves it.
func reconfigure(t testing.TB, r *rig, change func(c *catalog.DeviceConfig)) {
	t.Helper()
	cfg, err := r.k.Config()
	if err != nil {
		t.Fatal(err)
	}
	c := *cfg
	c.Version++
	change(&c)
	if _, err := r.st.ApplyConfig(&c, []byte("{}"), r.clock); err != nil {
		t.Fatal(err)
	}
}

func lastEntry(t testing.TB, r *rig) *journal.Entry {
	t.Helper()
	e, err := r.st.Entry(r.st.LastSeq())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestFlowCashierSellsPrintsAndReports(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	d.f.SetStatus(Status{Online: true, Printer: escpos.Status{Online: true}})
	d.screen = d.f.Screen()
	d.shows("Книжарница", "Принтер: готов", "OK за вход")

	d.run("3000⏎ann-pass⏎")
	d.shows("Меню: ann", "1 Продажба", "2 Отчети", "3 Повторен печат")
	if len(d.progress) != 1 || !strings.Contains(d.progress[0].String(), "Проверка...") {
		t.Fatalf("login progress = %v", d.progress)
	}
	if s := d.f.Session(); s == nil || s.User.Email != "ann@example.org" {
		t.Fatalf("session = %+v", s)
	}

	d.run("1⏎")
	d.shows("Събития", ">1 14.03 Концерт", "2 01.01 Мин. минало")
	d.run("⏎")
	d.shows("Концерт", ">1 Стандарт. 12,50 €", "2 Детски (5) 6,00 €")
	d.run("⏎")
	d.shows("Стандартен", "Брой 1", "x 12,50 €")
	d.run("2")
	d.shows("Брой 2_", "25,00 €")
	d.run("⏎")
	d.shows("Концерт", "2 x Стандартен", "Общо", "25,00 €", "OK=печат C=назад")
	if n := len(d.jobs()); n != 0 {
		t.Fatalf("%d jobs before the confirm", n)
	}
	d.progress = nil
	d.run("⏎")
	seq := r.st.LastSeq()
	d.shows("Продажба", "Билети: 2", "25,00 €", "OK=още C=меню")
	if len(d.progress) != 1 || !strings.Contains(d.progress[0].String(), "Печат...") {
		t.Fatalf("sell progress = %v", d.progress)
	}
	jobs := d.jobs()
	if len(jobs) != 1 || strings.Count(jobs[0], "\n") != 2 || !strings.Contains(jobs[0], " e1 1/2 ") {
		t.Fatalf("jobs = %q", jobs)
	}
	e := lastEntry(t, r)
	if e.Kind != journal.KindSale || e.Actor != "ann@example.org" || e.Sale.Total != 2500 {
		t.Fatalf("entry = %+v", e)
	}

	// OK: another order for the same event, straight to its ticket types; the
	// allotment shown has not moved (std is not capped).
	d.run("⏎")
	d.shows("Концерт", "Стандарт.", "(5)")
	d.run("2⏎3⏎⏎")
	d.shows("Билети: 3", "18,00 €")
	if r.st.LastSeq() != seq+1 {
		t.Fatalf("last seq %d, want %d", r.st.LastSeq(), seq+1)
	}
	d.run("⏎")
	d.shows("(2)") // 5 kid tickets allotted, 3 sold

	// Cancel goes back step by step to the menu.
	d.run("⎋⎋")
	d.shows("Меню: ann")

	// Reports: a cashier goes straight to the event, then the period.
	d.run("2⏎")
	d.shows("Отчет: ann@example", "1 Всички събития", "2 Концерт")
	d.run("⏎")
	d.shows("Период", ">1 Целия период", "2 Днес")
	d.run("2⏎")
	d.shows("Отчет: Днес", "ann@example.org")
	d.run("↓")
	d.showsScrolled("Концерт", "Детски", "3 бр. 18,00 €")
	d.showsScrolled("Стандартен", "2 бр. 25,00 €", "Общо", "5 бр. 43,00 €")
	d.run("⏎")
	jobs = d.jobs()
	if got := jobs[len(jobs)-1]; got != "Отчет ann@example.org Днес 5 4300\n" {
		t.Fatalf("report job = %q", got)
	}
	d.shows("Отчетът е отпечатан")
	if d.wait(3 * time.Second) {
		t.Fatal("the note before the report ended by itself") // the report's OK prints
	}
	d.run("⏎")
	d.shows("Отчет: Днес")

	// Log out from the menu.
	d.run("⎋⎋⎋")
	d.shows("Меню: ann")
	d.run("4⏎")
	d.shows("Книжарница", "OK за вход")
	if d.f.Session() != nil {
		t.Fatal("still logged in after log out")
	}
}

func TestFlowSupervisorEmailDelivery(t *testing.T) {
	r := newRig(t, catalog.DeliveryEmail)
	setLocale(t, r, catalog.LocaleEN)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	d.shows("OK to log in")
	d.lacks("Printer")

	d.run("⏎boss@example.org⏎boss-pass⏎")
	d.shows("Menu: boss", "1 Sell", "2 Reports", "3 Print today")
	d.run("1⏎⏎⏎3⏎")
	d.shows("Buyer email")
	// A bad address is refused before the confirm.
	d.run("buyer@example⏎")
	d.shows("Not an email address")
	d.run("⏎")
	d.shows("Buyer email", "[buyer@example]") // offered: Backspace edits it
	d.run("⌫e.org⏎")
	d.shows("Концерт", "3 x Стандартен", "buyer@example.org", "OK=sell C=back")
	d.showsScrolled("Total", "€37.50")
	d.run("⏎")
	d.shows("Sale", "Tickets: 3", "€37.50", "buyer@example.org") // no room for "Email to"
	if n := len(d.jobs()); n != 0 {
		t.Fatalf("an email outlet printed %d jobs", n)
	}
	e := lastEntry(t, r)
	if e.Sale == nil || e.Sale.Buyer != "buyer@example.org" || e.Sale.Delivery != "email" {
		t.Fatalf("entry = %+v", e)
	}
	// Another order asks for the buyer again.
	d.run("⏎⏎⏎")
	d.shows("Buyer email")
	d.lacks("buyer@")
	d.run("⎋⎋⎋⎋")
	d.shows("Menu: boss")

	// Reports: the outlet, then one of boss's users (sup, who created ann).
	d.run("2⏎")
	d.shows("Report for", "1 My sales", "2 The outlet", "3 One user")
	d.run("2⏎2⏎1⏎")
	d.showsScrolled("Report: Whole period", "Книжарница", "3 pcs €37.50")
	d.run("⎋⎋⎋3⏎")
	d.shows("User", "ann@example.org", "sup@example.org")
	d.lacks("carl@") // carl belongs to other
	d.run("2⏎1⏎1⏎")
	d.showsScrolled("sup@example.org", "No sales", "0 pcs €0.00")

	// A cashier of an email outlet has nothing to reprint.
	d.run("⎋⎋⎋⎋⎋")
	d.shows("Menu: boss")
	d.run("↓↓↓↓↓↓⏎3000⏎ann-pass⏎")
	d.shows("Menu: ann", "1 Sell", "2 Reports", "3 Log out")
	d.lacks("Reprint")
}

func TestFlowMultiTapKeypad(t *testing.T) {
	r := newRig(t, catalog.DeliveryEmail)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20, MultiTap: true})
	// The login field starts in digit mode: a code is typed as is. The password is
	// multi-tapped: ann-pass.
	d.run("3000⏎")
	d.shows("Парола", "abc")
	d.run("266⏸66111727777⏸7777")
	d.shows("*******s")
	d.run("⏎")
	d.shows("Меню: ann")
	// Sell one standard ticket to ab@de.eu, typed with multi-tap and the symbol key.
	d.run("1⏎⏎⏎⏎")
	d.shows("Имейл на купувача", "abc")
	d.run("2⏸22♯3⏸33♯♯3388⏎")
	d.shows("ab@de.eu")
	d.showsScrolled("12,50 €")
	d.run("⏎")
	d.shows("Билети: 1")
	if e := lastEntry(t, r); e.Sale.Buyer != "ab@de.eu" {
		t.Fatalf("buyer = %q", e.Sale.Buyer)
	}
	// A pending letter commits by itself after the pause.
	d.run("⏎⏎⏎")
	d.run("2")
	if got, want := d.screen[1], pair("a", "abc", 20); got != want {
		t.Fatalf("pending row = %q, want %q", got, want)
	}
	if !d.wait(1500 * time.Millisecond) {
		t.Fatal("the pending letter did not commit on Tick")
	}
	if got, want := d.screen[1], pair("a_", "abc", 20); got != want {
		t.Fatalf("committed row = %q, want %q", got, want)
	}
}

func TestFlowRefusals(t *testing.T) {
	t.Run("wrong password then locked", func(t *testing.T) {
		r := newRig(t, catalog.DeliveryPrint)
		d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
		d.run("3000⏎nope⏎")
		d.shows("Грешен код или парола")
		d.run("⏎")
		d.shows("Код или имейл", "[3000]")
		for range 3 {
			d.run("⏎nope⏎⏎")
		}
		d.run("⏎nope⏎")
		// Locked for 60 s from 10:00 UTC: 12:01 in Sofia.
		d.shows("Заключен до 12:01")
		d.run("⏎⏎ann-pass⏎")
		d.shows("Заключен до 12:01")
	})
	t.Run("disabled", func(t *testing.T) {
		r := newRig(t, catalog.DeliveryPrint)
		d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
		d.run("6000⏎gone-pass⏎")
		d.shows("Потребителят е спрян")
	})
	t.Run("not on sale", func(t *testing.T) {
		r := newRig(t, catalog.DeliveryPrint)
		d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
		d.run("3000⏎ann-pass⏎1⏎2⏎")
		d.shows("Не се продава в момента")
		d.run("⏎")
		d.shows("Събития", ">2 01.01 Мин. минало")
	})
	t.Run("sold out", func(t *testing.T) {
		r := newRig(t, catalog.DeliveryPrint)
		d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
		d.run("3000⏎ann-pass⏎1⏎⏎2⏎6")
		d.shows("Детски", "Остават 5")
		d.run("⏎⏎")
		d.shows("Няма толкова: остават 5")
		if n := len(d.jobs()); n != 0 {
			t.Fatalf("%d jobs after a refused sale", n)
		}
		d.run("⏎")
		d.shows("Брой 1")
		d.run("5⏎⏎")
		d.shows("Билети: 5")
		// Now the type shows 0 left and cannot be chosen.
		d.run("⏎2⏎")
		d.shows("Няма толкова: остават 0")
	})
	t.Run("quantity", func(t *testing.T) {
		r := newRig(t, catalog.DeliveryPrint)
		d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
		d.run("3000⏎ann-pass⏎1⏎⏎⏎")
		d.run("99⏎")
		d.shows("Брой: от 1 до 50")
		d.run("⏎⌫⌫⏎")
		d.shows("Брой: от 1 до 50")
		d.run("⏎↑↑↓")
		d.shows("Брой 2_")
	})
	t.Run("printer out of paper", func(t *testing.T) {
		for _, l := range []struct {
			loc  catalog.Locale
			want string
		}{{catalog.LocaleBG, "Принтерът не е готов: няма хартия"}, {catalog.LocaleEN, "Printer not ready: paper out"}} {
			r := newRig(t, catalog.DeliveryPrint)
			setLocale(t, r, l.loc)
			r.printer.status = escpos.Status{Online: true, PaperEnd: true}
			d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 40})
			before := r.st.LastSeq()
			d.run("3000⏎ann-pass⏎1⏎⏎⏎⏎⏎")
			d.shows(l.want)
			if r.st.LastSeq() != before { // no sale committed
				t.Fatalf("last seq %d after a refused sale", r.st.LastSeq())
			}
			// Paper back in: OK goes back to the confirm, and OK sells.
			r.printer.status = escpos.Status{Online: true}
			d.run("⏎⏎")
			if e := lastEntry(t, r); e.Kind != journal.KindSale {
				t.Fatalf("last entry %s", e.Kind)
			}
		}
	})
	t.Run("printer silent", func(t *testing.T) {
		r := newRig(t, catalog.DeliveryPrint)
		r.printer.offline = true
		d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 40})
		d.run("3000⏎ann-pass⏎1⏎⏎⏎⏎⏎")
		d.shows("Принтерът не е готов: не отговаря")
	})
	t.Run("print failed after the commit", func(t *testing.T) {
		r := newRig(t, catalog.DeliveryPrint)
		r.printer.failJob = errors.New("cable pulled")
		r.printer.status = escpos.Status{Online: true}
		d := newDriver(t, r, FlowOptions{Rows: 8, Cols: 40})
		d.run("3000⏎ann-pass⏎1⏎⏎⏎2⏎⏎")
		d.shows("Продажба 1", "Билети: 2", "НЕ Е ОТПЕЧАТАНА: грешка при печат. Продажбата е записана; дължи се повторен печат.")
		// The cashier asks a supervisor to approve the reprint; the sale number is
		// already filled in.
		d.run("⎋3⏎")
		d.shows("Повторен печат", "[1]", "Номер на продажба")
		d.run("⏎")
		d.shows("Код на управител")
		d.run("2000⏎wrong⏎")
		d.shows("Грешен код или парола")
		d.run("⏎")
		d.shows("Код на управител")
		d.run("3000⏎ann-pass⏎") // a cashier cannot approve
		d.shows("Само за управител")
		d.run("⏎2000⏎sup-pass⏎")
		d.shows("Продажба 1: копие 1 отпечатано")
		jobs := d.jobs()
		if len(jobs) != 1 || !strings.Contains(jobs[0], "COPY 1") {
			t.Fatalf("jobs = %q", jobs)
		}
		e := lastEntry(t, r)
		if e.Kind != journal.KindReprint || e.Reprint.Approver != "sup@example.org" || e.Actor != "ann@example.org" {
			t.Fatalf("entry = %+v", e)
		}
		d.wait(3 * time.Second)
		d.shows("Меню: ann")
		d.run("3⏎99⏎") // refused before a supervisor is asked
		d.shows("Няма продажба 99")
	})
}

func TestFlowSupervisorVoidReprintAndUsers(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	d.run("2000⏎sup-pass⏎1⏎⏎⏎3⏎⏎")
	d.shows("Билети: 3")
	sale := r.st.LastSeq()
	d.run("⎋")
	// Reprint: a supervisor approves its own reprint.
	d.run("4⏎⏎")
	d.shows("копие 1 отпечатано")
	if e := lastEntry(t, r); e.Reprint == nil || e.Reprint.Approver != "sup@example.org" {
		t.Fatalf("entry = %+v", e)
	}
	d.run("⏎")
	// Void: the sale with its details, then OK.
	d.run("5⏎")
	d.shows("Анулиране", "Номер на продажба")
	d.run("⏎")
	d.shows("Анулиране на 1?", "Концерт", "Билети: 3", "37,50 €")
	d.run("↓")
	d.shows("OK=да C=не")
	d.run("⏎")
	d.shows("Продажба 1 е анулирана")
	if e := lastEntry(t, r); e.Kind != journal.KindVoid || e.Void.Sale != sale {
		t.Fatalf("entry = %+v", e)
	}
	// The outlet's report counts the voided tickets out of the totals.
	d.run("⏎2⏎2⏎1⏎2⏎")
	d.showsScrolled("Отчет: Днес", "Книжарница", "Стандартен")
	d.showsScrolled("Общо", "0 бр. 0,00 €", "Анулирани", "3 бр.")
	d.run("⎋⎋⎋⎋")
	d.shows("Меню: sup")
	d.run("5⏎⏎") // refused at the number, not after the question
	d.shows("Продажба 1 вече е анулирана")
	d.run("⏎⎋")
	d.shows("Меню: sup")
	d.run("5⏎⌫7⏎")
	d.shows("Няма продажба 7")
	d.run("⏎⎋")

	// Create a cashier, with every check on the way.
	d.run("6⏎")
	d.shows("Имейл на потребителя")
	d.run("dan@⏎")
	d.shows("Невалиден имейл")
	d.run("⏎⌫@example.org⏎")
	d.shows("Код за вход")
	d.run("12⏎")
	d.shows("Код: от 4 до 8 цифри")
	d.run("⏎⌫⌫3000⏎")
	d.shows("Роля", "1 Касиер", "2 Управител")
	d.run("⏎")
	d.shows("Парола")
	d.run("short⏎")
	d.shows("Парола: от 6 до 72 знака")
	d.run("⏎dan-pass⏎")
	d.shows("Повторете паролата", "_")
	d.run("dan-pas⏎")
	d.shows("Паролите се различават")
	d.run("⏎dan-pass⏎dan-pass⏎")
	d.shows("Кодът е зает")
	d.run("⏎⏎⌫⌫⌫⌫7000⏎⏎dan-pass⏎dan-pass⏎")
	d.shows("Създаден е dan@example.org")
	d.wait(3 * time.Second)
	d.shows("Меню: sup")

	// Disable ann, whom sup created: she can no longer log in.
	d.run("7⏎")
	d.shows("Спри потребител", "1 ann@example.org", "2 dan@example.org")
	d.run("⏎")
	d.shows("Да се спре ли?", "ann@example.org", "3000 Касиер")
	d.run("⏎")
	d.shows("ann@example.org вече не може да влиза")
	if e := lastEntry(t, r); e.Kind != journal.KindUserDisabled || e.User.Email != "ann@example.org" {
		t.Fatalf("entry = %+v", e)
	}
	d.run("⏎7⏎")
	d.shows("1 dan@example.org")
	d.lacks("ann@")
	d.run("⎋8⏎")
	d.shows("OK за вход")
	d.run("3000⏎ann-pass⏎")
	d.shows("Потребителят е спрян")
	d.run("⏎⎋")
	d.shows("OK за вход")
	d.run("7000⏎dan-pass⏎")
	d.shows("Меню: dan", "3 Повторен печат")
	d.run("↓↓↓")
	d.shows("4 Изход")
	d.lacks("Нов потребител", "Анулиране")
}

func TestFlowReportRange(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	d.run("3000⏎ann-pass⏎1⏎⏎⏎⏎⏎")
	d.shows("Билети: 1")
	r.clock.Add(48 * time.Hour) // sell again two days later
	d.run("⏎2⏎2⏎⏎⎋")
	d.shows("Меню: ann")
	d.run("2⏎2⏎6⏎")
	d.shows("От (ГГГГММДД)")
	d.run("2026113⏎")
	d.shows("Невалидна дата: 2026113")
	d.run("⏎20261130⏎")
	d.shows("До (ГГГГММДД)")
	d.run("20261201⏎")
	d.showsScrolled("Отчет: 30.11-01.12", "Детски", "2 бр. 12,00 €")
	d.lacks("Стандарт") // sold on 29.11
	// The dates may come in either order.
	d.run("⎋6⏎20261201⏎20261129⏎")
	d.shows("Отчет: 29.11-01.12", "Детски")
	d.run("↓↓")
	d.shows("Стандарт")
	d.run("⎋3⏎") // yesterday: nothing
	d.shows("Няма продажби")
	d.run("⎋4⏎") // 7 days: both
	d.shows("Детски")
	d.run("↓↓")
	d.shows("Стандарт")
}

func TestFlowIdleLogout(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	d.run("3000⏎ann-pass⏎1⏎")
	d.shows("Събития")
	if d.wait(119 * time.Second) {
		t.Fatal("screen changed before the idle limit")
	}
	d.run("↓") // a key restarts the count
	if d.wait(119 * time.Second) {
		t.Fatal("screen changed after a key")
	}
	if !d.wait(time.Second) {
		t.Fatal("no logout at the idle limit")
	}
	d.shows("OK за вход")
	if d.f.Session() != nil {
		t.Fatal("session survived the idle logout")
	}
	// A half-typed login also goes back to idle, forgetting what was typed.
	d.run("30")
	d.shows("30_")
	d.wait(120 * time.Second)
	d.shows("OK за вход")
	d.run("⏎")
	d.lacks("30_")
}

func TestFlowScrolls(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	d.run("1000⏎boss-pass⏎")
	// 7 items, 3 rows: the last row marks more below.
	if got := d.screen[3]; got != " 3 Печат за днес   v" {
		t.Fatalf("row 3 = %q", got)
	}
	d.run("↓↓↓")
	d.shows(">4 Повторен печат")
	if d.screen[1][len(d.screen[1])-1] != '^' || !strings.HasSuffix(d.screen[3], "v") {
		t.Fatalf("marks:\n%s", d.screen)
	}
	d.run("↓↓↓↓↓↓") // stops at the last item
	d.shows(">8 Изход")
	if strings.HasSuffix(d.screen[3], "v") {
		t.Fatalf("more below at the end:\n%s", d.screen)
	}
	d.run("1") // a digit jumps
	d.shows(">1 Продажба")
	d.run("9") // past the end: nothing
	d.shows(">1 Продажба")

	// A long message on 2×16 scrolls too.
	r2 := newRig(t, catalog.DeliveryPrint)
	r2.printer.failJob = errors.New("jam")
	d2 := newDriver(t, r2, FlowOptions{Rows: 2, Cols: 16})
	d2.run("3000⏎ann-pass⏎1⏎⏎⏎⏎⏎")
	d2.shows("Продажба 1")
	seen := d2.screen.String()
	for range 12 {
		d2.run("↓")
		seen += "\n" + d2.screen.String()
	}
	for _, w := range []string{"Билети: 1", "НЕ Е", "OK=още C=меню"} {
		if !strings.Contains(seen, w) {
			t.Fatalf("scrolling never showed %q:\n%s", w, seen)
		}
	}
	d2.run("↑↑↑↑↑↑↑↑↑↑↑↑↑↑")
	d2.shows("Продажба 1")
}

func TestFlowIdleStatus(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	cases := []struct {
		st    Status
		glyph rune
		want  []string
	}{
		{Status{Online: true, Printer: escpos.Status{Online: true}}, device.GlyphSynced, []string{"Принтер: готов", "Неизпратени: 0"}},
		{Status{Online: true, Unsynced: 3, Printer: escpos.Status{Online: true, PaperNearEnd: true}}, device.GlyphPending, []string{"Принтер: готов, хар.", "Неизпратени: 3"}},
		{Status{Online: false, Unsynced: 7, Printer: escpos.Status{Online: true, CoverOpen: true}}, device.GlyphOffline, []string{"Принтер: отворен ка.", "Неизпратени: 7"}},
		{Status{Online: true, PrinterErr: errors.New("timeout")}, device.GlyphSynced, []string{"не отговаря"}},
	}
	for _, c := range cases {
		s, changed := d.f.SetStatus(c.st)
		if !changed {
			t.Errorf("%+v: not changed", c.st)
		}
		d.screen = s
		d.checkSize(s)
		d.shows(c.want...)
		if !strings.HasSuffix(s[0], string(c.glyph)) {
			t.Errorf("%+v: row 0 %q lacks glyph %U", c.st, s[0], c.glyph)
		}
	}
	if _, changed := d.f.SetStatus(cases[3].st); changed {
		t.Error("the same status changed the screen")
	}
	// 2×16: the printer and the unsent count share the second row.
	d2 := newDriver(t, r, FlowOptions{Rows: 2, Cols: 16})
	s, _ := d2.f.SetStatus(Status{Online: true, Unsynced: 12, Printer: escpos.Status{Online: true}})
	if s[1] != "готов"+strings.Repeat(" ", 9)+"12" {
		t.Errorf("2×16 row 1 = %q", s[1])
	}
}

// TestRefusalMessages checks that every sentinel error of the core has its own message
// in both languages, and that the typed errors carry their details.
func TestRefusalMessages(t *testing.T) {
	for _, loc := range []catalog.Locale{catalog.LocaleBG, catalog.LocaleEN} {
		r := newRig(t, catalog.DeliveryPrint)
		setLocale(t, r, loc)
		f := NewFlow(r.k, FlowOptions{Rows: 4, Cols: 20})
		f.sale.no = 42
		seen := map[string]error{}
		for _, s := range sentinels {
			m := f.refusal(s.err)
			if m == "" || strings.Contains(m, "%!") || strings.Contains(m, "kiosk:") {
				t.Errorf("%s %v: message %q", loc, s.err, m)
			}
			if prev, dup := seen[m]; dup {
				t.Errorf("%s: %v and %v share %q", loc, prev, s.err, m)
			}
			seen[m] = s.err
			// Wrapped, the sentinel still finds its message.
			if w := f.refusal(fmtErr(s.err)); w != m {
				t.Errorf("%s wrapped %v: %q, want %q", loc, s.err, w, m)
			}
		}
		sofia := time.FixedZone("EET", 2*3600)
		typed := []struct {
			err  error
			want map[catalog.Locale]string
		}{
			{&LockedError{Until: time.Date(2026, 11, 29, 8, 5, 0, 0, time.UTC).In(sofia)}, map[catalog.Locale]string{
				catalog.LocaleBG: "Заключен до 10:05", catalog.LocaleEN: "Locked until 10:05"}},
			{&SoldOutError{Type: "kid", Left: 2}, map[catalog.Locale]string{
				catalog.LocaleBG: "Няма толкова: остават 2", catalog.LocaleEN: "Sold out: only 2 left"}},
			{&PrinterError{Err: ErrPrinterNotReady, Status: escpos.Status{Online: true, CoverOpen: true}}, map[catalog.Locale]string{
				catalog.LocaleBG: "Принтерът не е готов: отворен капак", catalog.LocaleEN: "Printer not ready: cover open"}},
			{&PrinterError{Err: ErrPrintFailed, Status: escpos.Status{Online: true, PaperEnd: true}, Cause: errors.New("x")}, map[catalog.Locale]string{
				catalog.LocaleBG: "Продажба 42 е записана, но НЕ Е ОТПЕЧАТАНА (няма хартия). Дължи се повторен печат.",
				catalog.LocaleEN: "Sale 42 kept but NOT PRINTED (paper out). A reprint is owed."}},
			{errors.New("disk on fire"), map[catalog.Locale]string{
				catalog.LocaleBG: "Грешка: disk on fire", catalog.LocaleEN: "Error: disk on fire"}},
		}
		for _, c := range typed {
			if got := f.refusal(c.err); got != c.want[loc] {
				t.Errorf("%s %v: %q, want %q", loc, c.err, got, c.want[loc])
			}
		}
	}
}

func fmtErr(err error) error { return &wrapped{err} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "context: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

func TestFlowNoConfig(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	k := unconfigured(t, r)
	f := NewFlow(k, FlowOptions{Rows: 2, Cols: 16, Locale: catalog.LocaleBG})
	s := f.Screen()
	if !strings.Contains(s.String(), "Още няма") {
		t.Fatalf("screen:\n%s", s)
	}
	if s2 := f.Key(context.Background(), device.Key{Kind: device.KeyOK}); !s2.Equal(s) {
		t.Fatalf("a key left the idle screen without a config:\n%s", s2)
	}
}

// TestFlowConfigChangesMidSale: a new config that drops the event being sold refuses the
// sale and goes back to the events it still has; one that disables the user ends the
// session.
func TestFlowConfigChangesMidSale(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	d.run("3000⏎ann-pass⏎1⏎⏎⏎⏎")
	d.shows("1 x Стандартен", "OK=печат")
	apply := func(change func(c *catalog.DeviceConfig)) { reconfigure(t, r, change) }
	apply(func(c *catalog.DeviceConfig) { c.Events = c.Events[1:] })
	d.run("⏎")
	d.shows("Събитието не се продава тук")
	d.run("⏎")
	d.shows("Събития", ">1 01.01 Мин. минало")
	d.lacks("Концерт")
	if n := len(d.jobs()); n != 0 {
		t.Fatalf("%d jobs", n)
	}

	apply(func(c *catalog.DeviceConfig) {
		c.Users = append([]catalog.User(nil), c.Users...)
		for i := range c.Users {
			if c.Users[i].Code == "3000" {
				c.Users[i].Disabled = true
			}
		}
	})
	d.run("⎋2⏎⏎1⏎")
	d.shows("Сесията приключи")
	if d.f.Session() != nil {
		t.Fatal("session survived the user's disabling")
	}
	d.run("⏎")
	d.shows("OK за вход")
}

// TestFlowPasswordAsTyped: spaces around a password are part of it.
func TestFlowPasswordAsTyped(t *testing.T) {
	r := newRig(t, catalog.DeliveryPrint)
	d := newDriver(t, r, FlowOptions{Rows: 4, Cols: 20})
	d.run("2000⏎sup-pass⏎6⏎eve@example.org⏎7100⏎⏎ eve pw ⏎ eve pw ⏎")
	d.shows("Създаден е eve@example.org")
	d.run("⏎↓↓↓↓↓↓↓⏎")
	d.shows("OK за вход")
	d.run("7100⏎eve pw⏎")
	d.shows("Грешен код или парола")
	d.run("⏎⏎ eve pw ⏎")
	d.shows("Меню: eve")
}
