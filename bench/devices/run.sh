#!/usr/bin/env bash
# D-Bus PropertiesChanged -> routine run started, against python-dbusmock's BlueZ on a private bus.
# Usage: bench/devices/run.sh [CYCLES, default 50]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
swift build -c release --static-swift-stdlib --product routines-daemon >bench/out/devices-build.log 2>&1 || {
    cat bench/out/devices-build.log
    exit 1
}
/usr/bin/python3 bench/devices/bench.py "$(swift build -c release --show-bin-path)" "${1:-50}" | tee bench/out/devices.txt
