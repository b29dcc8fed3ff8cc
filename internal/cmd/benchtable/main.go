// Command benchtable reads `go test -bench` output and prints the figures the issues ask
// for as one table, each beside its baseline measured in the same run and the ratio.
//
//	go test -run '^$' -bench ... ./... > bench.txt && go run ./internal/cmd/benchtable bench.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Results maps a benchmark name (without the -GOMAXPROCS suffix) to its metrics by unit.
type Results map[string]map[string]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

// Parse reads benchmark lines: "BenchmarkX/sub-2  N  v1 unit1  v2 unit2 ...".
func Parse(r io.Reader) Results {
	res := Results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		m := res[name]
		if m == nil {
			m = map[string]float64{}
			res[name] = m
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				m[f[i+1]] = v
			}
		}
	}
	return res
}

// metric is one benchmark's metric, scaled for display.
type metric struct {
	bench, unit string
	scale       float64 // multiply the value by this
	constant    float64 // a fixed baseline (a target) instead of a measured one
}

func (m metric) get(r Results) (float64, bool) {
	if m.bench == "" {
		return m.constant, m.constant != 0
	}
	v, ok := r[m.bench][m.unit]
	if m.scale != 0 {
		v *= m.scale
	}
	return v, ok
}

// Row is one line of the table.
type Row struct {
	What     string
	Value    metric
	Unit     string
	Baseline metric
	BaseWhat string
}

// Rows are the figures of the issues.
var Rows = []Row{
	{"sale commit to first printer byte, p50", metric{bench: "FlowOKToPrint/text", unit: "ok-to-print-p50-µs"}, "µs", metric{bench: "Fsync", unit: "p50-µs"}, "one bare fsync, p50"},
	{"sale commit to first printer byte, p99", metric{bench: "FlowOKToPrint/text", unit: "ok-to-print-p99-µs"}, "µs", metric{bench: "Fsync", unit: "p99-µs"}, "one bare fsync, p99"},
	{"whole printed sale (commit, print, clear mark), p50", metric{bench: "SaleCommit", unit: "p50-µs"}, "µs", metric{bench: "Fsync", unit: "p50-µs"}, "one bare fsync, p50"},
	{"whole printed sale, p99", metric{bench: "SaleCommit", unit: "p99-µs"}, "µs", metric{bench: "Fsync", unit: "p99-µs"}, "one bare fsync, p99"},
	{"bytes written to disk per sale", metric{bench: "SaleCommit", unit: "written-B/sale"}, "B", metric{bench: "SaleCommit", unit: "file-B/sale"}, "store file growth per sale"},
	{"key to screen, menu move", metric{bench: "FlowMenuMove", unit: "ns/op", scale: 1e-3}, "µs", metric{}, ""},
	{"password check (bcrypt cost 10)", metric{bench: "CheckPassword", unit: "ns/op", scale: 1e-6}, "ms", metric{}, ""},
	{"report, 1,000,000 sales / 300 days, outlet", metric{bench: "ReportYear/outlet/whole", unit: "ns/op", scale: 1e-6}, "ms", metric{constant: 10}, "target 10 ms"},
	{"report, same, one user", metric{bench: "ReportYear/user/whole", unit: "ns/op", scale: 1e-6}, "ms", metric{constant: 10}, "target 10 ms"},
	{"report, same, outlet, 300-day range", metric{bench: "ReportYear/outlet/300days-range", unit: "ns/op", scale: 1e-6}, "ms", metric{constant: 10}, "target 10 ms"},
	{"80 mm Bulgarian ticket, native QR", metric{bench: "Ticket80BG", unit: "bytes/ticket"}, "B", metric{bench: "Ticket80BG", unit: "raster-QR-bytes/ticket"}, "QR as raster image"},
	{"  at 9600 baud", metric{bench: "Ticket80BG", unit: "s@9600baud"}, "s", metric{bench: "Ticket80BG", unit: "raster-s@9600baud"}, "raster, 9600 baud"},
	{"  at 19200 baud", metric{bench: "Ticket80BG", unit: "s@19200baud"}, "s", metric{bench: "Ticket80BG", unit: "raster-s@19200baud"}, "raster, 19200 baud"},
	{"  at 115200 baud", metric{bench: "Ticket80BG", unit: "s@115200baud"}, "s", metric{bench: "Ticket80BG", unit: "raster-s@115200baud"}, "raster, 115200 baud"},
	{"encoding one ticket", metric{bench: "Ticket80BG", unit: "ns/op", scale: 1e-3}, "µs", metric{}, ""},
	{"drain 100,000 entries, durable both ends", metric{bench: "DrainMosquitto", unit: "entries/s"}, "entries/s", metric{bench: "DrainMosquitto", unit: "raw-paho-entries/s"}, "raw paho QoS 1, same bytes"},
	{"sealing a batch of 200 entries (device key)", metric{bench: "BatchSeal/sign", unit: "ns/op", scale: 1e-3}, "µs", metric{}, ""},
	{"verifying a batch's seal (hub)", metric{bench: "BatchSeal/verify", unit: "ns/op", scale: 1e-3}, "µs", metric{bench: "BatchSeal/decode", unit: "ns/op", scale: 1e-3}, "decoding the batch"},
	{"device RSS while draining", metric{bench: "DrainMosquitto", unit: "device-RSS-MiB"}, "MiB", metric{}, ""},
	{"hub ingest, 200 devices at once", metric{bench: "Ingest", unit: "entries/s"}, "entries/s", metric{bench: "DrainMosquitto", unit: "raw-paho-entries/s"}, "raw paho QoS 1"},
	{"hub RSS during ingest (peak)", metric{bench: "Ingest", unit: "hub-peak-RSS-MiB"}, "MiB", metric{}, ""},
	{"hub report by outlet over the counters of ~10M sales", metric{bench: "Report/outlet", unit: "ns/op", scale: 1e-9}, "s", metric{}, ""},
	{"hub report by day, same", metric{bench: "Report/day", unit: "ns/op", scale: 1e-9}, "s", metric{}, ""},
	{"kioskd start to READY", metric{bench: "Footprint", unit: "ready-ms"}, "ms", metric{}, ""},
	{"kioskd RSS after 10,000 sales", metric{bench: "Footprint", unit: "RSS-after-sales-MiB"}, "MiB", metric{bench: "Footprint", unit: "idle-RSS-MiB"}, "kioskd idle"},
	{"matrix keypad idle scan", metric{bench: "MatrixIdle/edge/timeout=100ms", unit: "cpu-ms/s"}, "CPU ms/s", metric{bench: "MatrixIdle/baseline/no-keypad", unit: "cpu-ms/s"}, "process without a keypad"},
}

// Write prints the table.
func Write(w io.Writer, r Results) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tVALUE\tBASELINE\tRATIO\tBASELINE IS")
	for _, row := range Rows {
		v, ok := row.Value.get(r)
		if !ok {
			fmt.Fprintf(tw, "%s\t(not measured)\t\t\t\n", row.What)
			continue
		}
		b, hasBase := row.Baseline.get(r)
		base, ratio := "", ""
		if hasBase && b != 0 {
			base = num(b) + " " + row.Unit
			ratio = num(v/b) + "×"
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\n", row.What, num(v), row.Unit, base, ratio, row.BaseWhat)
	}
	tw.Flush()
}

func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func main() {
	in := io.Reader(os.Stdin)
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	Write(os.Stdout, Parse(in))
}
