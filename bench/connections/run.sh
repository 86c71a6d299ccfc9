#!/usr/bin/env bash
# Control API under idle connections (issue 13): 1,100 idle TCP and then 1,100 idle Unix
# connections against a release daemon started under `ulimit -n 1024`; prints `routines status`
# latency while they hang (with the unloaded latency of the same run as the baseline), the daemon's
# CPU while they hang, and its RSS before, during and after. Usage: bash bench/connections/run.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
{ swift build -c release --static-swift-stdlib --product routines && swift build -c release --static-swift-stdlib --product routines-daemon; } >bench/out/connections-build.log 2>&1 || {
    cat bench/out/connections-build.log
    exit 1
}
/usr/bin/python3 bench/connections/bench.py "$(swift build -c release --show-bin-path)/routines" "${1:-1100}" | tee bench/out/connections.txt
