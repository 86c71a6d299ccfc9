#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer,address) and runs each for SECONDS
# (default 60): routine decoder, config decoder, cron parser + next-fire search, control API request
# parsing. Usage: bash fuzz/run.sh [SECONDS] [TARGET...] (0: no time limit); FUZZ_RUNS=N also stops
# each target after N inputs. The seed corpora (fuzz/corpus/TARGET) stay as they are; what the fuzzer learns goes
# to .build/fuzz/corpus-TARGET. Every file in fuzz/regressions/TARGET (crashes found before) runs
# first. A crash leaves its input in .build/fuzz/artifacts/ and fails the script: copy it into
# fuzz/regressions/TARGET and fix the code.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(routine config cron request); fi

if ! command -v swiftc >/dev/null && [ -x /opt/swift/usr/bin/swiftc ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
out=.build/fuzz
mkdir -p "$out/artifacts"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -wmo)
binary="$out/routines-fuzz"

newest() { find "$@" -name '*.swift' -newer "$binary" 2>/dev/null | head -1; }
if [ ! -x "$binary" ] || [ -n "$(newest Sources/RoutineModel Sources/Schedule Sources/ControlAPI/RequestTarget.swift fuzz/Harness.swift)" ]; then
    echo "fuzz: building $binary" >&2
    start=$(date +%s)
    swiftc "${flags[@]}" -module-name RoutineModel -emit-module -emit-module-path "$out/RoutineModel.swiftmodule" \
        -c Sources/RoutineModel/*.swift -o "$out/RoutineModel.o"
    swiftc "${flags[@]}" -module-name Schedule -I "$out" -emit-module -emit-module-path "$out/Schedule.swiftmodule" \
        -c Sources/Schedule/*.swift -o "$out/Schedule.o"
    swiftc "${flags[@]}" -use-ld=lld -module-name RoutinesFuzz -I "$out" fuzz/Harness.swift Sources/ControlAPI/RequestTarget.swift \
        "$out/RoutineModel.o" "$out/Schedule.o" -o "$binary"
    echo "fuzz: built in $(($(date +%s) - start)) s" >&2
fi

max_len() {
    case "$1" in
        cron) echo 256 ;;
        request) echo 4096 ;;
        *) echo 4096 ;;
    esac
}

failed=0
for target in "${targets[@]}"; do
    regressions=(fuzz/regressions/"$target"/*)
    if [ -e "${regressions[0]}" ]; then
        echo "fuzz: $target: ${#regressions[@]} regression inputs" >&2
        FUZZ_TARGET=$target "$binary" -runs=1 "${regressions[@]}" >"$out/$target-regressions.log" 2>&1 || {
            echo "fuzz: $target: a regression input fails again (see $out/$target-regressions.log)" >&2
            failed=1
            continue
        }
    fi
    mkdir -p "$out/corpus-$target"
    limit=(-max_total_time="$seconds")
    if [ -n "${FUZZ_RUNS:-}" ]; then limit+=(-runs="$FUZZ_RUNS"); fi
    start=$(date +%s)
    if FUZZ_TARGET=$target "$binary" "$out/corpus-$target" "fuzz/corpus/$target" "${limit[@]}" \
        -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$target-" >"$out/$target.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$target.log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz: $target: $runs executions in $(($(date +%s) - start)) s, no crash" >&2
    else
        echo "fuzz: $target: CRASH (input in $out/artifacts/, log $out/$target.log):" >&2
        grep -E "ERROR|Fatal|precondition|panic" "$out/$target.log" | head -5 >&2
        failed=1
    fi
done
exit $failed
