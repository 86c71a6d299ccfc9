#!/usr/bin/env bash
# Keep-alive wake-ups between bursts (release build). Usage: bench/keepalive/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
{ swift build -c release --static-swift-stdlib --product routines && swift build -c release --static-swift-stdlib --product routines-daemon; } >bench/out/keepalive-build.log 2>&1 || {
    cat bench/out/keepalive-build.log
    exit 1
}
/usr/bin/python3 bench/keepalive/bench.py "$(swift build -c release --show-bin-path)" "${1:-60}" | tee bench/out/keepalive.txt
