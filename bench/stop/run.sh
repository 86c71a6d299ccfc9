#!/usr/bin/env bash
# Stop and acknowledgement benchmarks (issue 12): stop latency (player and API), trigger throughput
# with the commit before the reply, acknowledged runs lost to kill -9. Usage: bash bench/stop/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/setup.sh
if ! command -v curl >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends curl </dev/null >/dev/null
fi
mkdir -p bench/out
{ swift build -c release --static-swift-stdlib --product routines && swift build -c release --static-swift-stdlib --product routines-daemon \
    && swift build -c release --static-swift-stdlib --product AudioBench; } >bench/out/stop-build.log 2>&1 || {
    cat bench/out/stop-build.log
    exit 1
}
bin="$(swift build -c release --show-bin-path)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'pcm.benchnull { type file slave.pcm { type null } file "/dev/null" format "raw" }\n' >"$tmp/asound.conf"
sox -n -r 22050 -c 1 -b 16 "$tmp/music.wav" synth 10 sine 440 sine 660 vol 0.3
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"
"$bin/AudioBench" "$tmp/asound.conf" benchnull "$tmp/music.wav" | grep cancel | tee bench/out/stop.txt
/usr/bin/python3 bench/stop/bench.py "$bin/routines" | tee -a bench/out/stop.txt
