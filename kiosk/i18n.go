package kiosk

import (
	"fmt"
	"strings"
	"time"

	"ticketkiosk/catalog"
	"ticketkiosk/escpos"
)

// msg names one text of the screen flow; text holds it in every language.
type msg int

// The screen flow's texts. Keep every string the screens show in the table below.
const (
	mNone msg = iota
	mIdleLogin
	mUnsent
	mPrinter
	mPrinterNoAnswer
	mPrintError
	mNoConfig
	mLoginID
	mPassword
	mChecking
	mMenu
	mSell
	mReports
	mPrintReport
	mReprint
	mVoid
	mNewUser
	mLogout
	mEvents
	mNoEvents
	mQty
	mLeft
	mBuyer
	mTotal
	mHintSell
	mHintPrint
	mHintBack
	mHintQty
	mHintYesNo
	mPrinting
	mSaving
	mSaleNo
	mTickets
	mEmailTo
	mNotPrinted
	mHintDone
	mScope
	mScopeMe
	mScopeOutlet
	mScopeUser
	mUser
	mNoUsers
	mAllEvents
	mPeriod
	mWhole
	mToday
	mYesterday
	m7Days
	mThisMonth
	mRange
	mFrom
	mTo
	mBadDate
	mReport
	mNoSales
	mVoidedCount
	mReportPrinted
	mReportNotPrinted
	mSaleNumber
	mApproveID
	mApprovePass
	mVoidAsk
	mVoided
	mReprinted
	mNewEmail
	mNewCode
	mRole
	mCashier
	mSupervisor
	mNewPass
	mNewPass2
	mPassMismatch
	mPassShort
	mCodeBad
	mUserCreated
	mDisableUser
	mDisableAsk
	mUserDisabled
	mBadCredentials
	mLocked
	mDisabled
	mNotSupervisor
	mUnknownEvent
	mNotOnSale
	mSalePast
	mPieces
	mSaleEnded
	mSaleFrom
	mUnknownType
	mBadQuantity
	mSoldOut
	mEmailRequired
	mEmailNotAllowed
	mBadEmail
	mPrinterNotReady
	mPrintFailed
	mNotYourUser
	mUserExists
	mCodeExists
	mInvalidUser
	mAlreadyVoided
	mNoSuchSale
	mScopeRefused
	mNotPrintedOutlet
	mSessionEnded
	mSelfDisable
	mError
	mOffline
	mCoverOpen
	mPaperOut
	mCutterError
	mUnrecoverable
	mAutoRecoverable
	mPrinterError
	mReady
	mPaperNearEnd
	mFeeding
	mDrawerOpen
	mUnlock
	mUnlocked
	mNotLocked
	mNoSuchUser
	mCount // the number of texts
)

// text is the string table: text[m] is {English, Bulgarian}. Texts with verbs are formats.
var text = [mCount][2]string{
	mIdleLogin:        {"OK to log in", "OK за вход"},
	mUnsent:           {"Unsent: %d", "Неизпратени: %d"},
	mPrinter:          {"Printer: %s", "Принтер: %s"},
	mPrinterNoAnswer:  {"no answer", "не отговаря"},
	mPrintError:       {"print error", "грешка при печат"},
	mNoConfig:         {"Not configured yet", "Още няма настройки"},
	mLoginID:          {"Code or email", "Код или имейл"},
	mPassword:         {"Password", "Парола"},
	mChecking:         {"Checking...", "Проверка..."},
	mMenu:             {"Menu", "Меню"},
	mSell:             {"Sell", "Продажба"},
	mReports:          {"Reports", "Отчети"},
	mPrintReport:      {"Print today", "Печат за днес"},
	mReprint:          {"Reprint", "Повторен печат"},
	mVoid:             {"Void sale", "Анулиране"},
	mNewUser:          {"New user", "Нов потребител"},
	mLogout:           {"Log out", "Изход"},
	mEvents:           {"Events", "Събития"},
	mNoEvents:         {"No events to sell", "Няма събития"},
	mQty:              {"Qty %d", "Брой %d"},
	mLeft:             {"%d left", "Остават %d"},
	mBuyer:            {"Buyer email", "Имейл на купувача"},
	mTotal:            {"Total", "Общо"},
	mHintSell:         {"OK=sell C=back", "OK=продай C=не"},
	mHintPrint:        {"OK=print C=back", "OK=печат C=назад"},
	mHintBack:         {"C=back", "C=назад"},
	mHintQty:          {"Up/Down, OK", "Горе/Долу, OK"},
	mHintYesNo:        {"OK=yes C=no", "OK=да C=не"},
	mPrinting:         {"Printing...", "Печат..."},
	mSaving:           {"Saving...", "Записване..."},
	mSaleNo:           {"Sale %d", "Продажба %d"},
	mTickets:          {"Tickets: %d", "Билети: %d"},
	mEmailTo:          {"Email to %s", "Имейл до %s"},
	mNotPrinted:       {"NOT PRINTED: %s. The sale is kept; a reprint is owed.", "НЕ Е ОТПЕЧАТАНА: %s. Продажбата е записана; дължи се повторен печат."},
	mHintDone:         {"OK=again C=menu", "OK=още C=меню"},
	mScope:            {"Report for", "Отчет за"},
	mScopeMe:          {"My sales", "Моите продажби"},
	mScopeOutlet:      {"The outlet", "Целия обект"},
	mScopeUser:        {"One user", "Потребител"},
	mUser:             {"User", "Потребител"},
	mNoUsers:          {"You created no users", "Нямате създадени потребители"},
	mAllEvents:        {"All events", "Всички събития"},
	mPeriod:           {"Period", "Период"},
	mWhole:            {"Whole period", "Целия период"},
	mToday:            {"Today", "Днес"},
	mYesterday:        {"Yesterday", "Вчера"},
	m7Days:            {"Last 7 days", "Последни 7 дни"},
	mThisMonth:        {"This month", "Този месец"},
	mRange:            {"From - to", "От - до"},
	mFrom:             {"From (YYYYMMDD)", "От (ГГГГММДД)"},
	mTo:               {"To (YYYYMMDD)", "До (ГГГГММДД)"},
	mBadDate:          {"Not a date: %s", "Невалидна дата: %s"},
	mReport:           {"Report", "Отчет"},
	mNoSales:          {"No sales", "Няма продажби"},
	mVoidedCount:      {"Voided", "Анулирани"},
	mReportPrinted:    {"Report printed", "Отчетът е отпечатан"},
	mReportNotPrinted: {"Report not printed: %s", "Отчетът не е отпечатан: %s"},
	mSaleNumber:       {"Sale number", "Номер на продажба"},
	mApproveID:        {"Supervisor code", "Код на управител"},
	mApprovePass:      {"Supervisor password", "Парола на управител"},
	mVoidAsk:          {"Void sale %d?", "Анулиране на %d?"},
	mVoided:           {"Sale %d voided", "Продажба %d е анулирана"},
	mReprinted:        {"Sale %d: copy %d printed", "Продажба %d: копие %d отпечатано"},
	mNewEmail:         {"New user email", "Имейл на потребителя"},
	mNewCode:          {"Kiosk code", "Код за вход"},
	mRole:             {"Role", "Роля"},
	mCashier:          {"Cashier", "Касиер"},
	mSupervisor:       {"Supervisor", "Управител"},
	mNewPass:          {"Password", "Парола"},
	mNewPass2:         {"Repeat password", "Повторете паролата"},
	mPassMismatch:     {"The passwords differ", "Паролите се различават"},
	mPassShort:        {"Password: %d to 72 characters", "Парола: от %d до 72 знака"},
	mCodeBad:          {"Code: %d to %d digits", "Код: от %d до %d цифри"},
	mUserCreated:      {"Created %s", "Създаден е %s"},
	mDisableUser:      {"Disable user", "Спри потребител"},
	mDisableAsk:       {"Disable this user?", "Да се спре ли?"},
	mUserDisabled:     {"%s can no longer log in", "%s вече не може да влиза"},
	mBadCredentials:   {"Wrong code or password", "Грешен код или парола"},
	mLocked:           {"Locked until %s", "Заключен до %s"},
	mDisabled:         {"This user is disabled", "Потребителят е спрян"},
	mNotSupervisor:    {"A supervisor must do this", "Само за управител"},
	mUnknownEvent:     {"Event not sold here", "Събитието не се продава тук"},
	mNotOnSale:        {"Not on sale now", "Не се продава в момента"},
	mSalePast:         {"past", "минало"},
	mPieces:           {"%d pcs", "%d бр."},
	mSaleEnded:        {"closed", "спряно"},
	mSaleFrom:         {"from %s", "от %s"},
	mUnknownType:      {"Unknown ticket type", "Непознат вид билет"},
	mBadQuantity:      {"Quantity: 1 to %d", "Брой: от 1 до %d"},
	mSoldOut:          {"Sold out: only %d left", "Няма толкова: остават %d"},
	mEmailRequired:    {"Buyer email required", "Нужен е имейл на купувача"},
	mEmailNotAllowed:  {"This outlet prints tickets", "Тук билетите се печатат"},
	mBadEmail:         {"Not an email address", "Невалиден имейл"},
	mPrinterNotReady:  {"Printer not ready: %s", "Принтерът не е готов: %s"},
	mPrintFailed:      {"Sale %d kept but NOT PRINTED (%s). A reprint is owed.", "Продажба %d е записана, но НЕ Е ОТПЕЧАТАНА (%s). Дължи се повторен печат."},
	mNotYourUser:      {"Not a user of yours", "Не е ваш потребител"},
	mUserExists:       {"Email already in use", "Имейлът е зает"},
	mCodeExists:       {"Code already in use", "Кодът е зает"},
	mInvalidUser:      {"Invalid user details", "Невалидни данни"},
	mAlreadyVoided:    {"Sale %d is already void", "Продажба %d вече е анулирана"},
	mNoSuchSale:       {"No sale %d", "Няма продажба %d"},
	mScopeRefused:     {"Report not allowed", "Нямате достъп до отчета"},
	mNotPrintedOutlet: {"This outlet does not print tickets", "Тук билетите не се печатат"},
	mSessionEnded:     {"Session ended", "Сесията приключи"},
	mSelfDisable:      {"You cannot disable yourself", "Не можете да спрете себе си"},
	mError:            {"Error: %s", "Грешка: %s"},
	mOffline:          {"offline", "изключен"},
	mCoverOpen:        {"cover open", "отворен капак"},
	mPaperOut:         {"paper out", "няма хартия"},
	mCutterError:      {"cutter error", "грешка в ножа"},
	mUnrecoverable:    {"unrecoverable error", "фатална грешка"},
	mAutoRecoverable:  {"auto-recoverable error", "временна грешка"},
	mPrinterError:     {"error", "грешка"},
	mReady:            {"ready", "готов"},
	mPaperNearEnd:     {"paper near end", "хартията свършва"},
	mFeeding:          {"feeding", "подава хартия"},
	mDrawerOpen:       {"drawer open", "отворено чекмедже"},
	mUnlock:           {"Locked users", "Заключени"},
	mUnlocked:         {"%s unlocked", "%s е отключен"},
	mNotLocked:        {"Not locked any more", "Вече не е заключен"},
	mNoSuchUser:       {"no such user", "няма такъв"},
}

// lang is the index of a locale in text: 0 English, 1 Bulgarian.
type lang int

func langOf(l catalog.Locale) lang {
	if l == catalog.LocaleBG {
		return 1
	}
	return 0
}

// tr returns text m in language l, formatted with args when it has any.
func (l lang) tr(m msg, args ...any) string {
	s := text[m][l]
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// locale is the catalogue's name of language l.
func (l lang) locale() catalog.Locale {
	if l == 1 {
		return catalog.LocaleBG
	}
	return catalog.LocaleEN
}

// money formats an amount in minor units as tickets do (catalog.FormatMoney): "12,50 €" in
// Bulgarian, "€12.50" in English.
func (l lang) money(minor int64, currency string) string {
	return catalog.FormatMoney(minor, currency, l.locale())
}

// date formats a day as the outlet's people write it (catalog.FormatDayMonth): 14.03 in
// Bulgarian, 14/03 in English; with year, 14.03.2027 and 14/03/2027.
func (l lang) date(t time.Time, year bool) string {
	return catalog.FormatDayMonth(t, l.locale(), year)
}

// printerWords describes a printer's state in words: escpos.Status.String in English and
// the same words, in the same order, in Bulgarian.
func (l lang) printerWords(s escpos.Status) string {
	if l == 0 {
		return s.String()
	}
	var parts []string
	add := func(on bool, m msg) {
		if on {
			parts = append(parts, l.tr(m))
		}
	}
	add(s.CoverOpen, mCoverOpen)
	add(s.PaperEnd, mPaperOut)
	add(s.CutterError, mCutterError)
	add(s.Unrecoverable, mUnrecoverable)
	add(s.AutoRecoverable, mAutoRecoverable)
	add(s.Error && !s.CutterError && !s.Unrecoverable && !s.AutoRecoverable, mPrinterError)
	if !s.Online && len(parts) == 0 {
		parts = append(parts, l.tr(mOffline))
	}
	add(s.Ready(), mReady)
	add(s.PaperNearEnd && !s.PaperEnd, mPaperNearEnd)
	add(s.FeedButton, mFeeding)
	add(s.DrawerOpen, mDrawerOpen)
	return strings.Join(parts, ", ")
}
