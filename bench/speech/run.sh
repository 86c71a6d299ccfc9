#!/usr/bin/env bash
# Speech synthesis benchmark: a 10-word sentence through EspeakSynthesizer (libespeak-ng in
# process; median and p99, uncached and cached) against `espeak-ng --stdout … | aplay -D null`
# (whole processes), with the ratio. Results also go to bench/out/speech.txt.
#
#   bench/speech/run.sh [--runs N] [--voice V] [--rate R] [TEXT]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/setup.sh
swift build -c release --product SpeechBench 2>&1 | grep -E "error|warning:|Compiling|Build complete" || true
mkdir -p bench/out
{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -m), $(nproc) cores, espeak-ng $(espeak-ng --version | awk '{print $4}')"
    .build/release/SpeechBench --runs 100 "$@"
} | tee bench/out/speech.txt
