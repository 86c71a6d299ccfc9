#!/usr/bin/env bash
# Decode + validate benchmark: 10,000 generated routine files read from disk and decoded
# (release build); target <= 1 s in total.
# Usage: bench/model/run.sh [FILES, default 10000]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
swift build -c release --static-swift-stdlib --product ModelBench >bench/out/model-build.log 2>&1 || {
    cat bench/out/model-build.log
    exit 1
}
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
"$(swift build -c release --show-bin-path)/ModelBench" "${1:-10000}" | tee bench/out/model.txt
