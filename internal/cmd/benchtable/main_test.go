package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkSaleCommit-2   	    2000	   4279407 ns/op	      2081 file-B/sale	      1651 p50-µs	     33138 p99-µs	     45113 written-B/sale
BenchmarkFsync-2        	    2000	    644111 ns/op	       185.0 p50-µs	      7979 p99-µs
BenchmarkReportYear/outlet/whole-2         	     200	     31251 ns/op	   1000000 tickets
PASS
`

func TestParseAndWrite(t *testing.T) {
	r := Parse(strings.NewReader(sample))
	if r["SaleCommit"]["p50-µs"] != 1651 || r["Fsync"]["p99-µs"] != 7979 || r["ReportYear/outlet/whole"]["ns/op"] != 31251 {
		t.Fatalf("parsed %v", r)
	}
	var b bytes.Buffer
	Write(&b, r)
	out := b.String()
	for _, want := range []string{
		"whole printed sale (commit, print, clear mark), p50", "1651 µs", "185 µs", "8.92×",
		"report, 1,000,000 sales / 300 days, outlet", "0.0313 ms", "0.00313×", "target 10 ms",
		"drain 100,000 entries, durable both ends", "(not measured)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
