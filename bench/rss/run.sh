#!/usr/bin/env bash
# Idle RSS of the daemon as installed (issue 18, item 2): builds the release binaries the way users
# get them (scripts/build-products.sh: static Swift runtime), then RUNS times (default 3) installs
# them into a fresh folder, starts the daemon with the shipped routines and reads its RSS 3 s later,
# exactly as bench/compare.sh's first row does, with where the memory is (per mapped file, and per
# section of the daemon's own binary: bench/rss/sections.py). Prints each run's row and the median.
#   bash bench/rss/run.sh [RUNS]         (BIN=DIR: measure the binaries in DIR, build nothing)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
source scripts/setup.sh
if [ -z "${BIN:-}" ]; then
    bash scripts/build-products.sh release >&2
    BIN="$(swift build -c release --show-bin-path)"
fi
echo "rss: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1 /proc/loadavg)," \
    "$(stat -c %s "$BIN/routines-daemon") bytes routines-daemon" >&2
values=()
for ((i = 1; i <= runs; i++)); do
    line=$(/usr/bin/python3 bench/compare/compare.py "$BIN" - --rss-only | grep '^| idle RSS')
    echo "$line"
    values+=("$(sed -E 's/^[^|]*\|[^|]*\| ([0-9.]+) MB.*/\1/' <<<"$line")")
done
printf '%s\n' "${values[@]}" | sort -n | awk '{v[NR] = $1} END {print "rss: median " v[int((NR + 1) / 2)] " MB of " NR " runs"}'
