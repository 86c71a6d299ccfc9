#!/usr/bin/env bash
# Next-fire benchmark: Swift (release build) on a mix of cron, `at` and `sun` triggers, and Python's
# croniter on the same cron next-fires in the same run; prints both rates and their ratio.
# Usage: bench/schedule/run.sh [SECONDS per measurement, default 2]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-2}"
out=bench/out
mkdir -p "$out"

echo "== building ScheduleBench (release)"
swift build -c release --static-swift-stdlib --product ScheduleBench >"$out/schedule-build.log" 2>&1 || {
    cat "$out/schedule-build.log"
    exit 1
}
bin="$(swift build -c release --show-bin-path)/ScheduleBench"

echo "== croniter venv ($out/venv)"
if [ ! -x "$out/venv/bin/python" ]; then
    python3 -m venv "$out/venv" || {
        echo "python3 -m venv failed: install python3-venv (apt-get install -y python3-venv)"
        exit 1
    }
fi
"$out/venv/bin/python" -c "import croniter" 2>/dev/null || "$out/venv/bin/pip" install --quiet "croniter==7.0.0"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
"$bin" --seconds "$seconds" --workload "$out/schedule-workload.json" | tee "$out/schedule-swift.txt"
"$out/venv/bin/python" bench/schedule/croniter_bench.py "$out/schedule-workload.json" "$seconds" \
    | tee "$out/schedule-croniter.txt"

mix=$(sed -n 's/^RESULT mix=\([0-9]*\) cron=\([0-9]*\)$/\1/p' "$out/schedule-swift.txt")
cron=$(sed -n 's/^RESULT mix=\([0-9]*\) cron=\([0-9]*\)$/\2/p' "$out/schedule-swift.txt")
py=$(sed -n 's/^RESULT croniter=\([0-9]*\)$/\1/p' "$out/schedule-croniter.txt")
echo "== summary"
echo "swift mix (cron+at+sun): $mix next-fires/s (target >= 200000: $([ "$mix" -ge 200000 ] && echo met || echo MISSED))"
echo "swift cron:              $cron next-fires/s"
echo "python croniter cron:    $py next-fires/s"
awk -v a="$cron" -v b="$py" 'BEGIN { printf "ratio swift cron / croniter: %.0fx\n", a / b }'
