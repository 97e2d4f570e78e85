#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a fixed time each.
# Usage: scripts/fuzz.sh [DURATION]   (default 60s; `make test` uses a short budget, `make fuzz` a long one)
# New crashers are written by `go test -fuzz` under the package's testdata/fuzz/<Target>/ and then run as
# regression seeds by every plain `go test`; commit them.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-60s}
status=0
while IFS=: read -r file target; do
	pkg="./$(dirname "$file")"
	echo "fuzz $pkg $target for $dur"
	if ! out=$(go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$dur" -fuzzminimizetime 1s 2>&1); then
		echo "$out"
		status=1
	else
		echo "$out" | tail -3
	fi
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's#^\./##; s#:func #:#' | sort)
exit $status
