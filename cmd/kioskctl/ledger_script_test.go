package main

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"ticketkiosk/journal"
	"ticketkiosk/ledger"
)

// synced appends entries to a device's journal in the hub's ledger, as if the device had
// synced them: seq and prev follow what the ledger has, signed codes with the key whose seed
// genkey wrote to $WORK/KEY.seed.
func synced(ts *testscript.TestScript, device string, e *journal.Entry, fill func(seq uint64, key ed25519.PrivateKey)) {
	seed, err := os.ReadFile(ts.MkAbs(strings.ToUpper(device) + ".seed"))
	ts.Check(err)
	l, err := ledger.Open(filepath.Join(ts.Getenv("KIOSKCTL_DIR"), "ledger.db"), ledger.Options{Logger: slog.New(slog.DiscardHandler)})
	ts.Check(err)
	defer l.Close()
	devs, err := l.Devices()
	ts.Check(err)
	e.V, e.Device, e.Seq, e.Time, e.ClockSynced, e.Actor = journal.Version, device, 1, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC).UnixMilli(), true, "boss@example.org"
	for _, d := range devs {
		if d.ID == device {
			e.Seq, e.Prev = d.LastSeq+1, d.LastHash
		}
	}
	if e.Sale != nil { // the device's next sale number
		e.Sale.No = 1
		ts.Check(l.Each(device, 1, func(prev *journal.Entry) bool {
			if prev.Sale != nil {
				e.Sale.No = prev.Sale.No + 1
			}
			return true
		}))
	}
	fill(e.Seq, ed25519.NewKeyFromSeed(seed))
	r, err := l.IngestBatch(device, []*journal.Entry{e})
	ts.Check(err)
	if r.Stored != 1 {
		ts.Fatalf("the ledger did not store the entry: %+v", r)
	}
}

// scriptSale is `sale NAME DEVICE EVENT TYPE:PRICE QTY`: a sale of QTY tickets synced to the
// ledger. It sets $NAME_SEQ, and for each ticket i: $NAME_CODEi, $NAME_SHORTi, and two
// spellings the decoder must refuse, $NAME_LOWERi and $NAME_FLIPi (the last character's
// unused low bit flipped).
func scriptSale(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 {
		ts.Fatalf("usage: sale NAME DEVICE EVENT TYPE:PRICE QTY")
	}
	name, device, event := args[0], args[1], args[2]
	typ, p, _ := strings.Cut(args[3], ":")
	price, err := strconv.ParseInt(p, 10, 64)
	ts.Check(err)
	qty, err := strconv.Atoi(args[4])
	ts.Check(err)
	s := &journal.Sale{Outlet: "books", Event: event, Currency: "EUR", Delivery: "print",
		Lines: []journal.Line{{Type: typ, Qty: qty, Price: price}}, Total: int64(qty) * price}
	synced(ts, device, &journal.Entry{Kind: journal.KindSale, Sale: s}, func(seq uint64, key ed25519.PrivateKey) {
		ts.Setenv(name+"_SEQ", strconv.FormatUint(seq, 10))
		for i := 1; i <= qty; i++ {
			f := journal.TicketFacts{Device: device, Sale: seq, N: i, Of: qty, Event: event, Type: typ}
			code, err := journal.NewCode(f, key)
			ts.Check(err)
			s.Tickets = append(s.Tickets, journal.Ticket{N: i, Type: typ, Code: code})
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
			last := strings.IndexByte(alphabet, code[len(code)-1])
			ts.Setenv(fmt.Sprintf("%s_CODE%d", name, i), code)
			ts.Setenv(fmt.Sprintf("%s_SHORT%d", name, i), f.Short())
			ts.Setenv(fmt.Sprintf("%s_LOWER%d", name, i), strings.ToLower(code))
			ts.Setenv(fmt.Sprintf("%s_FLIP%d", name, i), code[:len(code)-1]+string(alphabet[last^1]))
		}
	})
}

// scriptVoid is `void DEVICE SEQ`: a void of sale SEQ synced to the ledger.
func scriptVoid(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: void DEVICE SEQ")
	}
	seq, err := strconv.ParseUint(args[1], 10, 64)
	ts.Check(err)
	synced(ts, args[0], &journal.Entry{Kind: journal.KindVoid, Void: &journal.Void{Sale: seq, Approver: "boss@example.org"}}, func(uint64, ed25519.PrivateKey) {})
}

// scriptResend is `resend DEVICE SEQ`: the device sends its own sale of one ticket at SEQ
// (chained to the hub's entry SEQ-1), as a device with another journal than the hub's
// would. It sets $UPTO to the seq the hub acknowledges.
func scriptResend(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: resend DEVICE SEQ")
	}
	device := args[0]
	seq, err := strconv.ParseUint(args[1], 10, 64)
	ts.Check(err)
	seed, err := os.ReadFile(ts.MkAbs(strings.ToUpper(device) + ".seed"))
	ts.Check(err)
	l, err := ledger.Open(filepath.Join(ts.Getenv("KIOSKCTL_DIR"), "ledger.db"), ledger.Options{Logger: slog.New(slog.DiscardHandler)})
	ts.Check(err)
	defer l.Close()
	e := &journal.Entry{V: journal.Version, Device: device, Seq: seq, Time: time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC).UnixMilli(), ClockSynced: true,
		Actor: "anna@example.org", Kind: journal.KindSale}
	if seq > 1 {
		prev, err := l.Entry(device, seq-1)
		ts.Check(err)
		e.Prev = prev.Hash()
	}
	code, err := journal.NewCode(journal.TicketFacts{Device: device, Sale: seq, N: 1, Of: 1, Event: "concert", Type: "std"}, ed25519.NewKeyFromSeed(seed))
	ts.Check(err)
	// This device's journal is all sales: sale number seq.
	e.Sale = &journal.Sale{No: seq, Outlet: "books", Event: "concert", Currency: "EUR", Delivery: "print",
		Lines: []journal.Line{{Type: "std", Qty: 1, Price: 1250}}, Total: 1250, Tickets: []journal.Ticket{{N: 1, Type: "std", Code: code}}}
	r, err := l.IngestBatch(device, []*journal.Entry{e})
	ts.Check(err)
	ts.Setenv("UPTO", strconv.FormatUint(r.Upto, 10))
}
