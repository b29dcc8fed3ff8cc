package e2e

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/sys/unix"

	"ticketkiosk/escpos"
	"ticketkiosk/escpos/virtual"
	"ticketkiosk/hub"
	"ticketkiosk/internal/appliance"
	"ticketkiosk/journal"
	"ticketkiosk/ledger"
	"ticketkiosk/mqtt"
)

var (
	chaosDuration = flag.Duration("chaos.duration", 15*time.Second, "how long TestChaos breaks things while the kiosks sell")
	chaosSeed     = flag.Uint64("chaos.seed", 0, "TestChaos's random seed (0: from the clock; the seed is logged)")
	chaosDisk     = flag.String("chaos.disk", "auto", "how TestChaos fills a kiosk's disk: tmpfs (root), fsize (RLIMIT_FSIZE), auto (tmpfs when it can mount)")
)

// counts are what TestChaos did and found.
type counts struct {
	sales, confirmed, tickets, entries           int
	kioskKills, kioskRestarts, stuck             int
	hubKills, brokerRestarts, brokerLongStops    int
	duplicates, reordered                        int
	diskFulls, diskErrors                        int
	printerOffline, printerMidJob                int
	printFailed, printedTickets, copies, refused int
	lost, doubled, doublePrinted, unknownPrinted int
}

func (c counts) String() string {
	return fmt.Sprintf("sales %d (confirmed on screen %d, tickets %d, journal entries %d); kiosk kill -9 %d, kiosk restarts %d (stuck %d); "+
		"hub kill -9 %d; broker restarts %d, long broker stops %d; duplicate batches injected %d, reordered %d; "+
		"disk full %d (store write errors logged %d); printer offline %d, mid-job %d; print failures %d, tickets printed %d (copies %d), refusals %d; "+
		"LOST %d, DOUBLED %d, printed twice without COPY %d, printed but not sold %d",
		c.sales, c.confirmed, c.tickets, c.entries, c.kioskKills, c.kioskRestarts, c.stuck,
		c.hubKills, c.brokerRestarts, c.brokerLongStops, c.duplicates, c.reordered,
		c.diskFulls, c.diskErrors, c.printerOffline, c.printerMidJob, c.printFailed, c.printedTickets, c.copies, c.refused,
		c.lost, c.doubled, c.doublePrinted, c.unknownPrinted)
}

// diskFull fills a kiosk's state directory and frees it again.
type diskFull interface {
	Fill() error
	Free() error
	String() string
}

// tmpfsDisk is a small tmpfs mounted on the state directory (needs root); Fill writes a
// file until the filesystem has no space left.
type tmpfsDisk struct{ dir string }

func mountTmpfs(dir string) (*tmpfsDisk, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("not root")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64m,mode=0700"); err != nil {
		return nil, err
	}
	return &tmpfsDisk{dir: dir}, nil
}

func (d *tmpfsDisk) Fill() error {
	f, err := os.Create(filepath.Join(d.dir, "filler"))
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, unix.ENOSPC) {
				return nil
			}
			return err
		}
	}
}

func (d *tmpfsDisk) Free() error {
	err := os.Remove(filepath.Join(d.dir, "filler"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func (d *tmpfsDisk) String() string {
	return "tmpfs of 64 MiB on the state directory, filled by a file"
}

// fsizeDisk caps the size of the files kioskd writes (RLIMIT_FSIZE, as prlimit --fsize
// does) at 8 KiB: every write past the store's two meta pages fails (EFBIG), as does a
// printout file, which is harsher than a full disk (where rewriting allocated blocks still
// works). It needs no privilege: it lowers the soft limit and raises it back.
type fsizeDisk struct {
	k    *kiosk
	pid  int
	prev unix.Rlimit
}

func (d *fsizeDisk) Fill() error {
	d.pid = d.k.pid()
	if d.pid == 0 {
		return errors.New("kioskd not running")
	}
	if err := unix.Prlimit(d.pid, unix.RLIMIT_FSIZE, nil, &d.prev); err != nil {
		return err
	}
	lim := unix.Rlimit{Cur: 8 << 10, Max: d.prev.Max}
	return unix.Prlimit(d.pid, unix.RLIMIT_FSIZE, &lim, nil)
}

func (d *fsizeDisk) Free() error {
	if d.pid == 0 {
		return nil
	}
	err := unix.Prlimit(d.pid, unix.RLIMIT_FSIZE, &d.prev, nil)
	d.pid = 0
	if errors.Is(err, unix.ESRCH) { // killed meanwhile; its successor has no cap
		return nil
	}
	return err
}

func (d *fsizeDisk) String() string {
	return "RLIMIT_FSIZE of the kioskd process lowered to 8 KiB"
}

// capture keeps the journal batches a spy saw, for replaying them.
type capture struct {
	mu      sync.Mutex
	batches []captured
}

type captured struct {
	topic   string
	payload []byte
}

func (c *capture) add(topic string, payload []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, captured{topic, append([]byte(nil), payload...)})
	if len(c.batches) > 400 {
		c.batches = append(c.batches[:0], c.batches[200:]...)
	}
}

func (c *capture) pick(r *rand.Rand, n int) []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []captured
	for range min(n, len(c.batches)) {
		out = append(out, c.batches[r.IntN(len(c.batches))])
	}
	return out
}

// bot sells at one kiosk until stopped: random orders by the outlet's users, restarting
// the kiosk whenever it exits (the chaos monkey's kill -9) or gets stuck.
type bot struct {
	k         *kiosk
	outlet    string
	rng       *rand.Rand
	stop      atomic.Bool
	confirmed []sold
	refused   int
	restarts  int
	stuck     int
	err       error
}

func (b *bot) run(wg *sync.WaitGroup) {
	defer wg.Done()
	users := sellers[b.outlet]
	u := users[b.rng.IntN(len(users))]
	for !b.stop.Load() {
		if !b.k.Running() {
			time.Sleep(time.Duration(b.rng.IntN(800)) * time.Millisecond) // the power comes back
			if err := b.k.Start(); err != nil {
				b.err = err
				return
			}
			b.restarts++
			u = users[b.rng.IntN(len(users))]
		}
		ev := 1 + b.rng.IntN(len(titles[b.outlet]))
		o := order{event: ev, typ: 1 + b.rng.IntN(2), qty: 1 + b.rng.IntN(4)}
		s, err := b.k.sell(u, titles[b.outlet], o, 150*time.Millisecond)
		switch {
		case err == nil:
			b.confirmed = append(b.confirmed, s)
		case errors.Is(err, errRefused):
			b.refused++
			time.Sleep(200 * time.Millisecond)
		case b.k.Running():
			b.stuck++
			b.k.Kill()
		}
	}
}

// jobTickets reads ESC/POS jobs: the QR payloads of the tickets printed (stored and
// printed), each with whether its ticket (the part up to its cut) says COPY.
func jobTickets(stream []byte) (codes []string, copies []bool) {
	cmds, _ := escpos.Parse(stream)
	var stored string
	var segCodes []string
	isCopy := false
	flush := func() {
		for _, c := range segCodes {
			codes = append(codes, c)
			copies = append(copies, isCopy)
		}
		segCodes, isCopy = nil, false
	}
	for _, c := range cmds {
		switch c.Op {
		case escpos.OpText:
			if strings.Contains(string(c.Data), "COPY") {
				isCopy = true
			}
		case escpos.OpQRStore:
			stored = string(c.Data)
		case escpos.OpQRPrint:
			if stored != "" {
				segCodes = append(segCodes, stored)
			}
		case escpos.OpCut:
			flush()
		}
	}
	flush()
	return codes, copies
}

// TestChaos sells at several kiosks while it kills kiosks (kill -9) and restarts them,
// restarts Mosquitto, kills the hub (kill -9) and restarts it, stops the broker for a long
// stretch, replays captured journal batches duplicated and reordered, fills a kiosk's
// disk, and takes printers offline (a TCP printer mid-job, a file printer's folder). Then
// every sale each kiosk journaled is at the hub exactly once, byte for byte, with no gap
// and an intact chain, every sale a screen confirmed is in the journal, the hub's reports
// equal the kiosks', and no ticket was printed twice without COPY. It logs its counts.
//
// -chaos.duration sets how long it breaks things (default 15s; make chaos runs 30m).
func TestChaos(t *testing.T) {
	t.Parallel()
	seed := *chaosSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("chaos seed %d, duration %v", seed, *chaosDuration)
	rng := rand.New(rand.NewPCG(seed, 1))
	e := newEnv(t)
	e.catalogue()

	// k1: the disk to fill. k2: a TCP printer that fails mid-job. k3: a file printer
	// whose folder goes away.
	var disk diskFull
	k1Dir := filepath.Join(e.dir, "k1", "state")
	if *chaosDisk != "fsize" {
		d, err := mountTmpfs(k1Dir)
		switch {
		case err == nil:
			t.Cleanup(func() { unix.Unmount(k1Dir, unix.MNT_DETACH) })
			disk = d
		case *chaosDisk == "tmpfs":
			t.Fatalf("tmpfs: %v", err)
		}
	}
	k1 := e.newKiosk("k1", kioskConf{StateDir: k1Dir})
	if disk == nil {
		disk = &fsizeDisk{k: k1}
	}
	t.Logf("disk full: %s", disk)
	vp := virtual.NewPrinter()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go vp.ServeListener(ln)
	k2 := e.newKiosk("k2", kioskConf{Printer: []string{`kind = "tcp"`, fmt.Sprintf("address = %q", ln.Addr().String()), "paper_mm = 80"}})
	k3 := e.newKiosk("k3", kioskConf{})
	all := []*kiosk{k1, k2, k3}
	outletOf := map[*kiosk]string{k1: outletBooks, k2: outletBooks, k3: outletFuel}
	for _, k := range all {
		k.register(outletOf[k])
		k.mustStart()
	}
	h := e.serve()
	e.push(len(all))

	// The spy captures journal batches for the replays.
	tp, _ := mqtt.NewTopics("")
	var seen capture
	spyOpts := paho.NewClientOptions().AddBroker(e.broker.URL()).SetClientID("chaos-spy").SetAutoReconnect(true).
		SetConnectRetry(true).SetConnectRetryInterval(200 * time.Millisecond).SetMaxReconnectInterval(time.Second).
		SetCleanSession(true).SetOnConnectHandler(func(c paho.Client) {
		c.Subscribe(tp.All(mqtt.KindJournal), 1, func(_ paho.Client, m paho.Message) { seen.add(m.Topic(), m.Payload()) })
	})
	spy := paho.NewClient(spyOpts)
	if tok := spy.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		t.Fatalf("spy: %v", tok.Error())
	}
	defer spy.Disconnect(100)

	bots := make([]*bot, len(all))
	var wg sync.WaitGroup
	for i, k := range all {
		bots[i] = &bot{k: k, outlet: outletOf[k], rng: rand.New(rand.NewPCG(seed, uint64(i+2)))}
		wg.Add(1)
		go bots[i].run(&wg)
	}

	var c counts
	longStop := min(max(*chaosDuration/12, 4*time.Second), 2*time.Minute)
	pause := func(lo, hi time.Duration) { time.Sleep(lo + time.Duration(rng.Int64N(int64(hi-lo)))) }
	end := time.Now().Add(*chaosDuration)
	for time.Now().Before(end) {
		pause(500*time.Millisecond, 2500*time.Millisecond)
		switch n := rng.IntN(100); {
		case n < 30: // kill -9 a kiosk; its bot starts it again
			if all[rng.IntN(len(all))].kill9() {
				c.kioskKills++
			}
		case n < 38:
			e.broker.Stop()
			pause(100*time.Millisecond, time.Second)
			e.broker.Start()
			c.brokerRestarts++
		case n < 48:
			h.Kill()
			c.hubKills++
			pause(100*time.Millisecond, 2*time.Second)
			h.Start()
		case n < 52:
			e.broker.Stop()
			time.Sleep(longStop)
			e.broker.Start()
			c.brokerLongStops++
		case n < 68: // replay captured batches: each twice, the last first, some split and reversed
			batches := seen.pick(rng, 1+rng.IntN(4))
			for i := len(batches) - 1; i >= 0; i-- {
				for range 2 {
					spy.Publish(batches[i].topic, 1, false, batches[i].payload).WaitTimeout(5 * time.Second)
					c.duplicates++
				}
				if b, err := mqtt.DecodeBatch(batches[i].payload); err == nil && len(b.Entries) > 1 {
					// Split and reversed, sealed again with the kiosk's own key (as only
					// the kiosk can: batches under any other key are refused).
					key, kerr := appliance.LoadKey(k1Dir)
					for j := len(b.Entries) - 1; j >= 0 && kerr == nil && b.Device == "k1"; j-- {
						raw, _ := b.Entries[j].Encode()
						spy.Publish(batches[i].topic, 1, false, mqtt.SealBatch(key, b.Device, b.Entries[j].Seq, [][]byte{raw})).WaitTimeout(5 * time.Second)
						c.reordered++
					}
				}
			}
		case n < 78:
			if err := disk.Fill(); err != nil {
				t.Logf("fill disk: %v", err)
				break
			}
			c.diskFulls++
			pause(time.Second, 4*time.Second)
			if err := disk.Free(); err != nil {
				t.Fatalf("free disk: %v", err)
			}
		case n < 89: // the TCP printer dies part-way through its next job, then comes back
			vp.FailAfter(200+rng.IntN(3000), virtual.StateOffline)
			c.printerMidJob++
			pause(2*time.Second, 5*time.Second)
			vp.SetState(virtual.StateReady)
			vp.FailAfter(-1<<40, virtual.StateReady) // a negative count: cancel a failure no job reached
		default: // the file printer's folder goes away, then comes back
			dir := k3.printerDir
			if err := os.Rename(dir, dir+".away"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			c.printerOffline++
			pause(time.Second, 4*time.Second)
			os.Remove(dir)
			if err := os.Rename(dir+".away", dir); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Calm: the broker and the hub are up; the bots finish their sale and stop.
	for _, b := range bots {
		b.stop.Store(true)
	}
	wg.Wait()
	for i, b := range bots {
		if b.err != nil {
			t.Fatalf("%s: %v", all[i].id, b.err)
		}
		c.kioskRestarts += b.restarts
		c.stuck += b.stuck
		c.refused += b.refused
		c.confirmed += len(b.confirmed)
	}
	syncAll(t, e, all, 3*time.Minute)
	st, err := e.status()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Alarms) != 0 {
		t.Errorf("alarms: %v", st.Alarms)
	}
	h.Stop()

	// Every journaled entry at the hub exactly once; every confirmed sale journaled.
	l, err := ledger.Open(filepath.Join(e.hubDir, hub.LedgerFile), ledger.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	devs, err := l.Devices()
	if err != nil {
		t.Fatal(err)
	}
	atHub := map[string]ledger.Device{}
	for _, d := range devs {
		atHub[d.ID] = d
	}
	printedAt := map[string]int{}
	for i, k := range all {
		s := k.openStore(t)
		var dev []journal.Entry
		if err := s.Each(1, func(en *journal.Entry) bool { dev = append(dev, *en); return true }); err != nil {
			t.Fatalf("%s: journal: %v", k.id, err)
		}
		s.Close()
		if err := journal.VerifyChain(nil, dev); err != nil {
			t.Errorf("%s: the kiosk's own chain: %v", k.id, err)
		}
		sales := map[uint64]*journal.Entry{} // by sale number
		failed := map[uint64]bool{}
		for j := range dev {
			switch en := &dev[j]; en.Kind {
			case journal.KindSale:
				sales[en.Sale.No] = en
				c.tickets += len(en.Sale.Tickets)
			case journal.KindPrintFailed:
				failed[en.Print.Sale] = true
			}
		}
		c.sales += len(sales)
		c.entries += len(dev)
		c.printFailed += len(failed)
		for _, s := range bots[i].confirmed {
			if sales[s.no] == nil {
				c.lost++
				t.Errorf("%s: sale %d confirmed on screen is not in the journal", k.id, s.no)
			}
		}
		stored := 0
		err := l.Each(k.id, 1, func(en *journal.Entry) bool {
			stored++
			if int(en.Seq) > len(dev) {
				c.doubled++
				t.Errorf("%s: the hub has seq %d beyond the kiosk's %d", k.id, en.Seq, len(dev))
				return true
			}
			a, _ := dev[en.Seq-1].Encode()
			b, _ := en.Encode()
			if string(a) != string(b) {
				c.doubled++
				t.Errorf("%s: entry %d differs at the hub", k.id, en.Seq)
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		d := atHub[k.id]
		if stored < len(dev) {
			c.lost += len(dev) - stored
		}
		if d.LastSeq != uint64(len(dev)) || d.Entries != uint64(len(dev)) || d.Alarms != 0 || !d.GapSince.IsZero() {
			t.Errorf("%s: ledger %+v, kiosk journal %d entries", k.id, d, len(dev))
		}
		var hubs []journal.Entry
		l.Each(k.id, 1, func(en *journal.Entry) bool { hubs = append(hubs, *en); return true })
		if err := journal.VerifyChain(nil, hubs); err != nil {
			t.Errorf("%s: hub chain: %v", k.id, err)
		}

		// The printouts: each ticket of a journaled sale, once without COPY.
		var jobs [][]byte
		if k == k2 {
			jobs = append(jobs, vp.Job())
		} else {
			files, _ := filepath.Glob(filepath.Join(k.printerDir, "*.escpos"))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				jobs = append(jobs, b)
			}
		}
		codes := map[string]bool{}
		for _, en := range sales {
			for _, tk := range en.Sale.Tickets {
				codes[tk.Code] = true
			}
		}
		for _, job := range jobs {
			got, copies := jobTickets(job)
			for j, code := range got {
				if copies[j] {
					c.copies++
					continue
				}
				c.printedTickets++
				printedAt[code]++
				if !codes[code] {
					c.unknownPrinted++
					t.Errorf("%s: printed ticket %q is not in the journal", k.id, code)
				}
			}
		}
	}
	l.Close()
	for code, n := range printedAt {
		if n > 1 {
			c.doublePrinted++
			t.Errorf("ticket %s printed %d times without COPY", code, n)
		}
	}
	byOutlet := map[string][]*kiosk{outletBooks: {k1, k2}, outletFuel: {k3}}
	compareReports(t, e, byOutlet)
	hubTotal := e.report().Total
	_, devTotal := deviceReport(t, all)
	if hubTotal != devTotal {
		t.Errorf("hub total %+v, kiosks %+v", hubTotal, devTotal)
		if hubTotal.Tickets > devTotal.Tickets {
			c.doubled += int(hubTotal.Tickets - devTotal.Tickets)
		}
	}
	if log, err := os.ReadFile(k1.log); err == nil {
		for _, l := range strings.Split(string(log), "\n") {
			if strings.Contains(l, "no space left on device") || strings.Contains(l, "file too large") {
				c.diskErrors++
			}
		}
	}
	t.Logf("chaos counts: %s", c)
	if c.sales == 0 || c.confirmed == 0 {
		t.Errorf("no sales were made")
	}
	if c.lost != 0 || c.doubled != 0 || c.doublePrinted != 0 || c.unknownPrinted != 0 {
		t.Errorf("lost %d, doubled %d, printed twice %d, printed unsold %d", c.lost, c.doubled, c.doublePrinted, c.unknownPrinted)
	}
	if t.Failed() {
		for _, k := range all {
			if b, err := exec.Command("tail", "-n", "30", k.log).Output(); err == nil {
				t.Logf("%s log:\n%s", k.id, b)
			}
		}
	}
}
