#!/usr/bin/env bash
# Audio CPU benchmark: routines' player vs a shell loop spawning aplay on a pre-made burst file,
# both into ALSA's file plugin writing to /dev/null. Usage: bench/audio/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out
mkdir -p "$out"
swift build -c release --static-swift-stdlib --product AudioBench >"$out/audio-build.log" 2>&1 || {
    cat "$out/audio-build.log"
    exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/asound.conf" <<CONF
pcm.benchnull { type file slave.pcm { type null } file "/dev/null" format "raw" }
CONF
sox -n -r 22050 -c 1 -b 16 "$tmp/music.wav" synth 10 sine 440 sine 660 vol 0.3
sox -n -r 48000 -c 2 -b 16 "$tmp/burst.wav" synth 2 sine 20 vol 0.00794 fade q 0.05 2 0.05
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
"$(swift build -c release --show-bin-path)/AudioBench" "$tmp/asound.conf" benchnull "$tmp/music.wav" | tee "$out/audio.txt"
n=50
export ALSA_CONFIG_PATH="/usr/share/alsa/alsa.conf:$tmp/asound.conf"
/usr/bin/python3 - "$tmp/burst.wav" "$n" <<'PY' | tee -a "$out/audio.txt"
import os, resource, subprocess, sys
burst, n = sys.argv[1], int(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(n):
    subprocess.run(["sh", "-c", f"aplay -q -D benchnull {burst}"], check=True)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(f"shell loop spawning aplay on a pre-made 2 s burst file: {cpu / n * 1000:.3f} ms CPU per burst ({n} bursts)")
PY
swift build -c release --static-swift-stdlib --product routines >/dev/null 2>&1 && swift build -c release --static-swift-stdlib --product routines-daemon >/dev/null 2>&1
/usr/bin/python3 bench/audio/latency.py "$(swift build -c release --show-bin-path)" 10 | tee -a "$out/audio.txt"
