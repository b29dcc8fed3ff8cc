#!/bin/sh
# make bench: runs the benchmarks behind the issues' figures (about 10 minutes on 2 cores)
# and prints one table, each figure beside its baseline from the same run.
# BENCH_OUT keeps the raw output (default bench.out).
set -e
out="${BENCH_OUT:-bench.out}"
: > "$out"
run() { echo "== go test $*" >&2; go test -run '^$' -benchmem "$@" | tee -a "$out" >&2; }
run -bench 'SaleCommit|Fsync' -benchtime 2000x ./kiosk
run -bench 'FlowOKToPrint|FlowMenuMove' -benchtime 2000x ./kiosk
run -bench 'CheckPassword' -benchtime 20x ./catalog
run -bench 'ReportYear' -benchtime 200x ./store
run -bench 'Ticket80BG' ./layout
run -bench 'MatrixIdle' ./device/matrix
run -bench 'DrainMosquitto' -benchtime 1x ./mqtt
run -bench 'BatchSeal' ./mqtt
run -bench 'Ingest' -benchtime 1x ./hub
run -bench 'Report' -benchtime 3x ./hub
run -bench 'Footprint' -benchtime 1x ./cmd/kioskd
echo
go run ./internal/cmd/benchtable "$out"
