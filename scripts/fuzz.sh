#!/bin/sh
# Runs every fuzz target of the module for FUZZTIME each (default 30s) and prints the
# executions per target. New interesting inputs stay in each package's testdata/fuzz.
set -e
t="${FUZZTIME:-30s}"
status=0
for file in $(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | sort); do
	pkg="./$(dirname "$file")"
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
		out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg" 2>&1) || status=1
		execs=$(printf '%s\n' "$out" | grep -o 'execs: [0-9]*' | tail -1 | sed 's/execs: //')
		printf '%-40s %-28s %12s execs%s\n' "$pkg" "$target" "${execs:-?}" "$( [ $status = 0 ] || echo '  FAILED')"
		[ $status = 0 ] || printf '%s\n' "$out" | tail -20
	done
done
exit $status
