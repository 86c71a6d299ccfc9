#!/usr/bin/env bash
# Sink outputs against a real PipeWire and PulseAudio (issue 20): keep-alive efficacy over 10 minutes,
# API-to-first-frame latency against paplay and pw-play, idle cost of the sink subscription.
# One command: bash bench/audioserver/run.sh [efficacy MINUTES] [latency] [idle]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/setup.sh
swift build -c release --product routines >/dev/null
swift build -c release --product routines-daemon >/dev/null
exec /usr/bin/python3 bench/audioserver/bench.py "$(swift build -c release --show-bin-path)/routines" "$@"
