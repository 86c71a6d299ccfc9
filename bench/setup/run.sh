#!/usr/bin/env bash
# Set-up times from a fresh clone, as a newcomer meets them (issue 17): clones this repository's
# HEAD into a temporary folder and, in a temporary HOME, times
#   1. `bash scripts/run.sh` until the daemon serves (release build, install, folders),
#   2. `make install PREFIX=…` right after it (must not build again),
#   3. `bash scripts/test.sh` in a second fresh clone (debug build, tests, README walkthrough),
# and prints the daemon's idle RSS and whether the installed binaries link the Swift runtime.
# The Debian packages must already be installed (scripts/setup.sh). Takes 15–30 minutes.
#   bash bench/setup/run.sh [run|test|all]      (default all)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
what=${1:-all}
T=$(mktemp -d /tmp/routines-setup-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD); $(date -u +%FT%TZ)"

fresh_home() {
    export HOME=$T/home-$1 XDG_RUNTIME_DIR=$T/run-$1
    mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
    unset XDG_CONFIG_HOME XDG_STATE_HOME ROUTINES_SOCKET ROUTINES_DIR
}

if [ "$what" = run ] || [ "$what" = all ]; then
    git clone -q "$repo" "$T/clone-run"
    (
        fresh_home run
        cd "$T/clone-run"
        echo "run: start, load $(load)"
        start=$SECONDS
        bash scripts/run.sh > "$T/run.log" 2>&1 < /dev/null &
        daemon=$!
        # SIGTERM: a script's background job ignores SIGINT until run.sh has exec'd the daemon.
        trap 'kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null' EXIT
        until grep -q "control API listening" "$T/run.log"; do
            kill -0 "$daemon" 2>/dev/null || { tail -n 20 "$T/run.log"; exit 1; }
            sleep 1
        done
        echo "run: serving after $((SECONDS - start)) s (load $(load))"
        sleep 30
        # run.sh ends in exec, and `routines daemon` execs routines-daemon: the same process.
        echo "run: idle RSS after 30 s: $(awk '/VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$daemon/status")"
        for binary in routines routines-daemon; do
            if ldd "$HOME/.local/bin/$binary" | grep libswiftCore > /dev/null; then echo "run: $binary links the Swift runtime"; else echo "run: $binary: no Swift runtime (ldd)"; fi
        done
        start=$SECONDS
        make install PREFIX="$T/prefix" > "$T/install.log" 2>&1
        echo "make install after it: $((SECONDS - start)) s"
    )
fi

if [ "$what" = test ] || [ "$what" = all ]; then
    git clone -q "$repo" "$T/clone-test"
    (
        fresh_home test
        cd "$T/clone-test"
        echo "test: start, load $(load)"
        start=$SECONDS
        bash scripts/test.sh > "$T/test.log" 2>&1 < /dev/null || { tail -n 30 "$T/test.log"; exit 1; }
        echo "test: passed after $((SECONDS - start)) s (load $(load))"
    )
fi
