#!/usr/bin/env bash
# MQTT benchmarks (release build) on a Mosquitto broker the benchmark starts: trigger latency against
# the Unix socket, a 2,000-message QoS 1 burst, routines/all/say to three daemons, idle wake-ups and
# RSS with and without MQTT. Usage: bench/mqtt/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
{ swift build -c release --static-swift-stdlib --product routines && swift build -c release --static-swift-stdlib --product routines-daemon; } >bench/out/mqtt-build.log 2>&1 || {
    cat bench/out/mqtt-build.log
    exit 1
}
/usr/bin/python3 bench/mqtt/bench.py "$(swift build -c release --show-bin-path)/routines" "$@" | tee bench/out/mqtt.txt
