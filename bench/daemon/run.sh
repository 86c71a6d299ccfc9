#!/usr/bin/env bash
# Daemon benchmarks (release build): schedule precision, trigger latency/throughput, idle cost,
# start-up with 10,000 routines, hot-reload latency. Usage: bench/daemon/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
{ swift build -c release --static-swift-stdlib --product routines && swift build -c release --static-swift-stdlib --product routines-daemon; } >bench/out/daemon-build.log 2>&1 || {
    cat bench/out/daemon-build.log
    exit 1
}
/usr/bin/python3 bench/daemon/bench.py "$(swift build -c release --show-bin-path)/routines" "$@" | tee bench/out/daemon.txt
