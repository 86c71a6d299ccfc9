#!/usr/bin/env bash
# Speech synthesis benchmark: a 10-word sentence through EspeakSynthesizer (libespeak-ng in process,
# release build; median and p99 uncached and cached) and, in the same run, the whole-process
# baseline `espeak-ng --stdout "…" | aplay -D null`; prints both and the ratio.
# Then Piper through wyoming-piper (bench/speech/wyoming.py).
# Usage: bench/speech/run.sh [--runs N] [--voice V] [--rate R] [TEXT]   (default 100 runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out
mkdir -p "$out"
for tool in espeak-ng aplay; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/setup.sh"; exit 1; }
done

echo "== building SpeechBench (release)"
swift build -c release --static-swift-stdlib --product SpeechBench >"$out/speech-build.log" 2>&1 || {
    cat "$out/speech-build.log"
    exit 1
}
bin="$(swift build -c release --show-bin-path)/SpeechBench"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(espeak-ng --version | cut -d' ' -f1-4)"
"$bin" --runs 100 "$@" | tee "$out/speech.txt"

# Piper through a real wyoming-piper (PyPI, in the virtualenv scripts/piper-venv.sh makes): first
# chunk -> first frame, a plain protocol client and piper's command line, idle wake-ups.
echo "== Wyoming (wyoming-piper) with the release daemon"
swift build -c release --static-swift-stdlib --product routines-daemon >>"$out/speech-build.log" 2>&1
/usr/bin/python3 bench/speech/wyoming.py "$(swift build -c release --show-bin-path)" 10 30 | tee -a "$out/speech.txt"
