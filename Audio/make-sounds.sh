#!/usr/bin/env bash
# Makes the shipped sounds with sox, reproducibly: 48 kHz mono 16-bit WAV, each brought to the same
# RMS loudness (-20 dBFS) with peaks below -1 dBFS. Usage: Audio/make-sounds.sh (writes into Audio/).
set -euo pipefail
cd "$(dirname "$0")"
target_rms_db=-20
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# chime: a two-note bell (E6 then A5 with its fifth), exponential decay.
sox -D -n -r 48000 -c 1 -b 16 "$tmp/a.wav" synth 0.5 sine 1318.5 sine 1975.5 fade q 0.005 0.5 0.45 remix - gain -6
sox -D -n -r 48000 -c 1 -b 16 "$tmp/b.wav" synth 0.75 sine 880 sine 1318.5 fade q 0.005 0.75 0.7 remix - gain -6
sox "$tmp/a.wav" "$tmp/b.wav" "$tmp/chime.wav" splice -q 0.3,0.1
# alert: three short 1 kHz beeps.
sox -D -n -r 48000 -c 1 -b 16 "$tmp/beep.wav" synth 0.12 sine 1000 fade q 0.01 0.12 0.02
sox -D -n -r 48000 -c 1 -b 16 "$tmp/gap.wav" trim 0 0.08
sox "$tmp/beep.wav" "$tmp/gap.wav" "$tmp/beep.wav" "$tmp/gap.wav" "$tmp/beep.wav" "$tmp/alert.wav"
# confirm: a soft rising two-note (C5 → G5).
sox -D -n -r 48000 -c 1 -b 16 "$tmp/c1.wav" synth 0.15 sine 523.25 fade q 0.01 0.15 0.05
sox -D -n -r 48000 -c 1 -b 16 "$tmp/c2.wav" synth 0.3 sine 783.99 fade q 0.01 0.3 0.2
sox "$tmp/c1.wav" "$tmp/c2.wav" "$tmp/confirm.wav"

for name in chime alert confirm; do
    rms=$(sox "$tmp/$name.wav" -n stat 2>&1 | awk '/RMS     amplitude/ {print $3}')
    gain=$(python3 -c "import math; print(round($target_rms_db - 20*math.log10($rms), 2))")
    sox -D "$tmp/$name.wav" -r 48000 -c 1 -b 16 "$name.wav" gain "$gain"
    sox "$name.wav" -n stat 2>&1 | awk -v n="$name" '/RMS     amplitude/ {r=$3} /Maximum amplitude/ {p=$3} END {printf "%s.wav: RMS %.1f dBFS, peak %.1f dBFS\n", n, 20*log(r)/log(10), 20*log(p)/log(10)}'
done
