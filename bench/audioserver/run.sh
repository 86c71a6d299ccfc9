#!/usr/bin/env bash
# Sink outputs against a real PipeWire and PulseAudio (issue 20): keep-alive efficacy over 10 minutes,
# API-to-first-frame latency against paplay and pw-play, idle cost of the sink subscription.
# One command: bash bench/audioserver/run.sh [efficacy MINUTES] [latency] [idle]
# (release binaries built the way users get them, with the static Swift runtime, like bench/compare.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/setup.sh
mkdir -p bench/out
{ swift build -c release --static-swift-stdlib --product routines && swift build -c release --static-swift-stdlib --product routines-daemon; } \
    >bench/out/audioserver-build.log 2>&1 || { cat bench/out/audioserver-build.log; exit 1; }
echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) at commit $(git rev-parse --short HEAD) (release build) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load $(cut -d' ' -f1 /proc/loadavg)"
exec /usr/bin/python3 bench/audioserver/bench.py "$(swift build -c release --show-bin-path)/routines" "$@"
