#!/usr/bin/env bash
# routines next to what a user would otherwise use, in one run: prints one Markdown table.
# Builds the release binaries the way users get them (static Swift runtime). Usage:
#   bash bench/compare.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
for tool in cron curl gcc; do
    if ! command -v "$tool" >/dev/null; then
        sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
        $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$tool" </dev/null >/dev/null
    fi
done
mkdir -p bench/out
echo "compare: building the release binaries (static Swift runtime)" >&2
{ swift build -c release --static-swift-stdlib --product routines && swift build -c release --static-swift-stdlib --product routines-daemon; } \
    >bench/out/compare-build.log 2>&1 || { cat bench/out/compare-build.log; exit 1; }
gcc -O2 -o bench/out/trigger-c bench/compare/trigger.c
bin="$(swift build -c release --show-bin-path)"
{
    echo "Measured $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load $(cut -d' ' -f1 /proc/loadavg):"
    echo
    /usr/bin/python3 bench/compare/compare.py "$bin" bench/out/trigger-c "$@"
} | tee bench/out/compare.md
