package virtual

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"ticketkiosk/escpos"
	"ticketkiosk/testkit"
)

func queries() []byte {
	var q []byte
	for n := 1; n <= 4; n++ {
		q = append(q, escpos.StatusQuery(n)...)
	}
	return q
}

func TestVirtualPrinterStates(t *testing.T) {
	for _, s := range []State{StateReady, StatePaperNearEnd, StatePaperOut, StateCoverOpen} {
		v := NewPrinter()
		v.SetState(s)
		job := encodeTicket(t, escpos.Epson, "en", false)
		if _, err := v.Write(append(queries(), job...)); err != nil {
			t.Fatal(err)
		}
		replies := v.ReadReplies()
		if len(replies) != 4 {
			t.Fatalf("%v: %d reply bytes, want 4", s, len(replies))
		}
		got, err := escpos.ParseStatus([4]byte(replies))
		if err != nil {
			t.Fatal(err)
		}
		if got != s.Status() {
			t.Errorf("%v: status %+v, want %+v", s, got, s.Status())
		}
		printed := v.Job()
		if got.Ready() != bytes.Equal(printed, job) {
			t.Errorf("%v: ready %v but printed %d of %d bytes", s, got.Ready(), len(printed), len(job))
		}
		if !got.Ready() && len(printed) != 0 {
			t.Errorf("%v: a faulty printer printed %d bytes", s, len(printed))
		}
	}
	v := NewPrinter()
	v.SetState(StateOffline)
	v.Write(append(queries(), "lost"...))
	if r := v.ReadReplies(); len(r) != 0 || len(v.Job()) != 0 || v.Queries() != 4 {
		t.Errorf("offline printer replied % x, printed %q, saw %d queries", r, v.Job(), v.Queries())
	}
	if v.String() != "virtual printer (offline, silent)" {
		t.Errorf("String() = %q", v)
	}
	v.SetStatus(escpos.Status{Online: true, DrawerOpen: true})
	if v.String() != "virtual printer (ready, drawer open)" {
		t.Errorf("String() = %q", v)
	}
	v.Write(escpos.StatusQuery(1))
	if r := v.ReadReplies(); !bytes.Equal(r, []byte{0x16}) {
		t.Errorf("scripted status replied % x", r)
	}
}

func TestVirtualPrinterSplitWrites(t *testing.T) {
	// A query split across writes is answered once; DLE EOT bytes inside raster data and
	// a QR payload are data, not queries.
	v := NewPrinter()
	stream := []byte("Hello\n")
	stream = append(stream, 0x1d, 'v', '0', 0, 1, 0, 3, 0, 0x10, 0x04, 0x01) // image rows 10 04 01
	stream = append(stream, 0x1d, '(', 'k', 6, 0, 49, 80, 48, 0x10, 0x04, 0x02)
	stream = append(stream, 0x10, 0x04, 0x04)
	for _, c := range stream {
		v.Write([]byte{c})
	}
	if r := v.ReadReplies(); !bytes.Equal(r, []byte{0x12}) {
		t.Errorf("replies % x, want one 12 for the one real query", r)
	}
	if v.Queries() != 1 {
		t.Errorf("%d queries", v.Queries())
	}
	if want := stream[:len(stream)-3]; !bytes.Equal(v.Job(), want) {
		t.Errorf("job % x, want % x", v.Job(), want)
	}
}

func TestVirtualPrinterFailAfter(t *testing.T) {
	job := encodeTicket(t, escpos.Epson, "bg", false)
	v := NewPrinter()
	v.FailAfter(100, StateOffline)
	v.Write(job)
	v.Write(escpos.StatusQuery(1))
	if r := v.ReadReplies(); len(r) != 0 {
		t.Errorf("a printer gone offline replied % x", r)
	}
	// Commands wholly inside the first 100 bytes printed; nothing after.
	if got := v.Job(); len(got) > 100 || !bytes.HasPrefix(job, got) || len(got) < 50 {
		t.Errorf("job of %d bytes kept %d", len(job), len(got))
	}

	v = NewPrinter()
	v.Write(escpos.StatusQuery(2))
	v.FailAfter(10, StatePaperOut)
	v.Write(job)
	v.Write(escpos.StatusQuery(2))
	v.Write(escpos.StatusQuery(4))
	if r := v.ReadReplies(); !bytes.Equal(r, []byte{0x12, 0x32, 0x7e}) {
		t.Errorf("replies % x, want ready then paper out", r)
	}
	p, err := v.Render(RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Text, "Щурците") {
		t.Errorf("printed past the paper end: %q", p.Text)
	}
}

// host is the printer driver's side in these tests: write a job, ask the status.
func host(t *testing.T, conn io.ReadWriter, job []byte) escpos.Status {
	t.Helper()
	if _, err := conn.Write(job); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(queries()); err != nil {
		t.Fatal(err)
	}
	var r [4]byte
	if _, err := io.ReadFull(conn, r[:]); err != nil {
		t.Fatal(err)
	}
	s, err := escpos.ParseStatus(r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVirtualPrinterServeTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	v := NewPrinter()
	v.SetState(StatePaperNearEnd)
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- v.Serve(c)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	job := encodeTicket(t, escpos.Epson, "bg", true)
	s := host(t, conn, job)
	if !s.Ready() || !s.PaperNearEnd || s.String() != "ready, paper near end" {
		t.Errorf("status %v", s)
	}
	// The printer goes offline: the next query gets no answer, and the host sees EOF
	// when it stops sending (no reply byte ever arrives).
	v.SetState(StateOffline)
	conn.Write(escpos.StatusQuery(1))
	conn.(*net.TCPConn).CloseWrite()
	rest, err := io.ReadAll(conn)
	if err != nil || len(rest) != 0 {
		t.Errorf("offline printer sent % x (%v)", rest, err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	conn.Close()
	p, err := v.Render(RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Text, "Щурците") || p.Images != 1 {
		t.Errorf("printed %q", p.Text)
	}
	if got := testkit.QRCode(t, p.Image); got != ticketCode {
		t.Errorf("QR from the TCP job: %q", got)
	}
}

func TestVirtualPrinterASB(t *testing.T) {
	v := NewPrinter()
	v.Write(escpos.EnableASB(0x0f))
	if r := v.ReadReplies(); !bytes.Equal(r, []byte{0x10, 0, 0, 0}) {
		t.Fatalf("enabling ASB sent % x, want the ready block", r)
	}
	v.SetState(StatePaperNearEnd)
	v.SetState(StatePaperNearEnd) // no change, no block
	v.SetState(StateCoverOpen)
	v.SetState(StateOffline) // a dead printer sends nothing
	v.SetState(StateReady)   // back: it tells
	want := []byte{0x10, 0, 0x03, 0, 0x38, 0, 0, 0, 0x10, 0, 0, 0}
	if r := v.ReadReplies(); !bytes.Equal(r, want) {
		t.Fatalf("ASB blocks % x, want % x", r, want)
	}
	v.Write(escpos.EnableASB(0))
	v.SetState(StatePaperOut)
	if r := v.ReadReplies(); len(r) != 0 {
		t.Errorf("ASB off but sent % x", r)
	}
	v.SetState(StateReady)
	v.Write(escpos.EnableASB(0x0f))
	v.ReadReplies()
	v.FailAfter(5, StatePaperOut)
	v.Write([]byte("0123456789"))
	s, err := escpos.ParseASB(v.ReadReplies())
	if err != nil || !s.PaperEnd || s.Ready() {
		t.Errorf("failing mid-job sent %+v, %v", s, err)
	}
}

func TestVirtualPrinterServeSendsASB(t *testing.T) {
	host, printer := net.Pipe()
	v := NewPrinter()
	done := make(chan error, 1)
	go func() { done <- v.Serve(printer) }()
	var block [4]byte
	if _, err := host.Write(escpos.EnableASB(0x0f)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(host, block[:]); err != nil || block != [4]byte{0x10, 0, 0, 0} {
		t.Fatalf("first block % x, %v", block, err)
	}
	// A change of state reaches the host with no request from it.
	v.SetState(StateCoverOpen)
	if _, err := io.ReadFull(host, block[:]); err != nil {
		t.Fatal(err)
	}
	if s, err := escpos.ParseASB(block[:]); err != nil || s.String() != "cover open" {
		t.Errorf("block % x: %v, %v", block, s, err)
	}
	host.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestQueryStatus(t *testing.T) {
	host, printer := net.Pipe()
	defer host.Close()
	v := NewPrinter()
	go v.Serve(printer)

	s, err := escpos.QueryStatus(host)
	if err != nil || s != (escpos.Status{Online: true}) {
		t.Fatalf("ready printer: %+v, %v", s, err)
	}
	v.SetState(StatePaperNearEnd)
	if s, err := escpos.QueryStatus(host); err != nil || s.String() != "ready, paper near end" {
		t.Errorf("near end: %v, %v", s, err)
	}
	// With ASB on, blocks arrive among the replies and are passed over.
	host.Write(escpos.EnableASB(0x0f))
	v.SetState(StateCoverOpen)
	if s, err := escpos.QueryStatus(host); err != nil || s.String() != "cover open" {
		t.Errorf("cover open with ASB: %v, %v", s, err)
	}
}

func TestQueryStatusErrors(t *testing.T) {
	// Noise on the line is an error, not a status.
	host, far := net.Pipe()
	go func() {
		q := make([]byte, 3)
		io.ReadFull(far, q)
		far.Write([]byte{0xff})
	}()
	if _, err := escpos.QueryStatus(host); !errors.Is(err, escpos.ErrStatus) {
		t.Errorf("noise: %v", err)
	}
	host.Close()

	// A printer that is off: the caller's deadline ends the wait.
	host, printer := net.Pipe()
	defer host.Close()
	v := NewPrinter()
	v.SetState(StateOffline)
	go v.Serve(printer)
	host.SetDeadline(time.Now().Add(50 * time.Millisecond))
	var ne net.Error
	if _, err := escpos.QueryStatus(host); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("offline printer: %v, want a timeout", err)
	}
}

func TestVirtualPrinterServeListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	v := NewPrinter()
	done := make(chan error, 1)
	go func() { done <- v.ServeListener(ln) }()
	// Two jobs on two connections, one after the other, as a kiosk prints two tickets.
	for _, lang := range []string{"en", "bg"} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if s := host(t, conn, encodeTicket(t, escpos.Epson, lang, false)); !s.Ready() {
			t.Errorf("status %v", s)
		}
		conn.Close()
	}
	ln.Close()
	if err := <-done; err != nil {
		t.Errorf("ServeListener: %v", err)
	}
	p, err := v.Render(RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.QRCodes) != 2 || p.Cuts != 2 || !strings.Contains(p.Text, "The Crickets") || !strings.Contains(p.Text, "Щурците") {
		t.Errorf("two tickets printed as %d QR codes, %d cuts:\n%s", len(p.QRCodes), p.Cuts, p.Text)
	}
}
