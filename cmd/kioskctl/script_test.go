package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/rogpeppe/go-internal/testscript"

	"ticketkiosk/escpos"
	"ticketkiosk/hub"
	"ticketkiosk/mqtt"
)

// scriptCmds are the test scripts' own commands.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// genkey NAME: a new device key; sets $NAME_B64, $NAME_HEX and $NAME_RE (a regexp) to the public key and
	// writes the private key's seed to $WORK/NAME.seed.
	"genkey": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: genkey NAME")
		}
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		ts.Check(err)
		ts.Setenv(args[0]+"_B64", base64.StdEncoding.EncodeToString(pub))
		ts.Setenv(args[0]+"_HEX", hex.EncodeToString(pub))
		ts.Setenv(args[0]+"_RE", regexp.QuoteMeta(base64.StdEncoding.EncodeToString(pub)))
		ts.Check(os.WriteFile(ts.MkAbs(args[0]+".seed"), priv.Seed(), 0o600))
	},
	// freeport VAR: sets $VAR to a free loopback address.
	"freeport": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: freeport VAR")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		ts.Setenv(args[0], l.Addr().String())
		ts.Check(l.Close())
	},
	// silentport VAR: sets $VAR to a loopback address that accepts connections and never
	// answers (a broker that hangs), until the script ends.
	"silentport": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: silentport VAR")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		ts.Setenv(args[0], l.Addr().String())
		var conns []net.Conn
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c)
			}
		}()
		ts.Defer(func() {
			l.Close()
			for _, c := range conns {
				c.Close()
			}
		})
	},
	// devstate ADDR DEVICE JSON: publishes JSON retained as DEVICE's state on the broker
	// at ADDR, as a kiosk does, logged in as the hub with the password in mqtt-pw.txt.
	"devstate": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 3 {
			ts.Fatalf("usage: devstate ADDR DEVICE JSON")
		}
		topics, err := mqtt.NewTopics(mqtt.DefaultPrefix)
		ts.Check(err)
		pw, err := os.ReadFile(ts.MkAbs("mqtt-pw.txt"))
		ts.Check(err)
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + args[0]).SetClientID("hub-script-" + args[1]).
			SetUsername(mqtt.ReservedID).SetPassword(strings.TrimSpace(string(pw))))
		if t := c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
			ts.Fatalf("devstate: connect: %v", t.Error())
		}
		defer c.Disconnect(100)
		if t := c.Publish(topics.State(args[1]), 1, true, args[2]); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
			ts.Fatalf("devstate: publish: %v", t.Error())
		}
	},
	// waitstatus DEVICE STATUS: waits until the hub's status (through serve) gives DEVICE
	// that STATUS.
	"waitstatus": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: waitstatus DEVICE STATUS")
		}
		h, err := hub.Open(ts.Getenv("KIOSKCTL_DIR"), hub.Options{Logger: slog.New(slog.DiscardHandler)})
		ts.Check(err)
		for range 500 {
			q, err := h.Query()
			ts.Check(err)
			st, err := q.Status()
			q.Close()
			ts.Check(err)
			for _, d := range st.Devices {
				if d.Device == args[0] && d.Status == args[1] {
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		ts.Fatalf("status of %s never became %s", args[0], args[1])
	},
	// waitport ADDR: waits until something listens on ADDR.
	"waitport": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: waitport ADDR")
		}
		for range 500 {
			if c, err := net.Dial("tcp", args[0]); err == nil {
				c.Close()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		ts.Fatalf("nothing listens on %s", args[0])
	},
	// exitcode N PROG ARGS...: runs PROG and checks that its exit status is N.
	"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 2 {
			ts.Fatalf("usage: exitcode N PROG ARGS...")
		}
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		err = ts.Exec(args[1], args[2:]...)
		got := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			got = ee.ExitCode()
		} else if err != nil {
			ts.Fatalf("%v", err)
		}
		if got != want {
			ts.Fatalf("exit status %d, want %d", got, want)
		}
	},
	// ticketprint FILE: writes an ESC/POS ticket with a QR code to FILE.
	"ticketprint": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: ticketprint FILE")
		}
		var buf bytes.Buffer
		b := escpos.NewBuilder(&buf, escpos.Epson)
		b.Init().CodePage("PC866").Line("Концерт").Line("TICKET 1/2").QR("K1-2-1", escpos.QROptions{}).Cut(escpos.FullCut)
		ts.Check(b.Flush())
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o644))
	},
	// sale and void write a device's synced journal into the hub's ledger (ledger_script_test.go).
	"sale": scriptSale,
	"void": scriptVoid,
	// resend DEVICE SEQ: the device sends its own sale at SEQ (ledger_script_test.go).
	"resend": scriptResend,
	// waitfile FILE: waits until FILE exists.
	"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: waitfile FILE")
		}
		for range 500 {
			if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		ts.Fatalf("%s did not appear", args[0])
	},
}
