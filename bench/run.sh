#!/usr/bin/env bash
# Runs every benchmark and prints its figures (release builds). One command: bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
for b in model schedule speech daemon audio keepalive devices stop connections mqtt audioserver; do
    if [ -x "bench/$b/run.sh" ]; then
        echo "################ $b"
        bash "bench/$b/run.sh"
    fi
done
