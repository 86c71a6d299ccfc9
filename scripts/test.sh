#!/usr/bin/env bash
# The test command (CI runs exactly this): installs what is missing, builds once (debug, with the
# tests), fails on warnings, relinks routines and routines-daemon with the Swift runtime linked
# statically (like every binary we install or run; the tests run these) and checks that with ldd,
# runs every test suite with fd-guard (scripts/fd-guard.c) catching double closes (one suite keeps
# the committed man page and completions current), the fuzz targets
# for 10 s each (fuzz/run.sh), then the README's walkthrough (scripts/test-readme.sh).
# Arguments go to `swift test` (e.g. --filter ScheduleTests; the README walkthrough then is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/progress.sh
started=$SECONDS

step "system packages (apt-get, only what is missing)"
source scripts/setup.sh

step "debug build with the tests (the first one takes minutes)"
log=/tmp/routines-build-$$.log
: > "$log"
swift build --build-tests 2>&1 | LOG=$log progress
if grep -E "^/.*(Sources|Tests|bench)/.*warning:" "$log" | grep -v "/.build/"; then
    echo "test: the build has warnings (Swift 6 language mode, no warnings)" >&2
    exit 1
fi
rm -f "$log"

step "formatting (swift format lint --strict, the toolchain's, with .swift-format)"
if ! swift format lint --strict -r Sources Tests bench fuzz; then
    echo "test: formatting differs from .swift-format; run: swift format format -i -r Sources Tests bench fuzz" >&2
    exit 1
fi

step "routines and routines-daemon with the Swift runtime linked statically (relinks only)"
bash scripts/build-products.sh debug
bin=$(swift build --show-bin-path)
for binary in routines routines-daemon; do
    if ldd "$bin/$binary" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime'; then
        echo "test: $bin/$binary links the Swift runtime dynamically (build with --static-swift-stdlib)" >&2
        exit 1
    fi
done
echo "test: routines and routines-daemon link no Swift runtime (ldd)" >&2
# Linked as Package.swift's productLinking says: no exported symbols, and packed relative
# relocations where glibc applies them (2.36 and later).
glibc=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
relr=no
if [ "$(printf '%s\n2.36\n' "$glibc" | sort -V | head -1)" = "2.36" ]; then relr=yes; fi
for binary in routines routines-daemon; do
    if { [ $relr = yes ] && ! readelf -d "$bin/$binary" | grep -q '(RELR)'; } ||
        (($(readelf -sD "$bin/$binary" | wc -l) > 2000)); then
        echo "test: $bin/$binary is not linked with productLinking (lld, --no-export-dynamic, -z pack-relative-relocs with glibc $glibc)" >&2
        exit 1
    fi
done
# Opened with dlopen on first use (their shims): an idle daemon maps none of them, nor their
# dependencies (libssl and libcrypto for libmosquitto; D-Bus, X11 and codecs for libpulse).
if ldd "$bin/routines-daemon" | grep -E 'libmosquitto|libespeak|libpulse'; then
    echo "test: routines-daemon links a library its shim should open on first use (dlopen)" >&2
    exit 1
fi

step "fd-guard: the double-close detector the test processes run with (scripts/fd-guard.c)"
# A part of a process that closes a descriptor twice closes whichever file has been given that number
# meanwhile (libsndfile did, under SQLite, timerfds, eventfds, ALSA and SwiftNIO's epoll): the victim
# fails later, sporadically, far from the cause. Every `swift test` below runs with fd-guard
# preloaded, which keeps closed numbers from being reused for a while and reports a second close
# with both closing stacks (in the test process and the routines programs it starts); any report
# fails the tests. First it must catch a program that closes a descriptor twice.
guard_dir=$(mktemp -d /tmp/routines-fd-guard.XXXXXX)
trap 'rm -rf "$guard_dir"' EXIT
guard_library=$PWD/.build/fd-guard.so
compiler=$(command -v clang || command -v cc)  # the Swift toolchain's clang
"$compiler" -O1 -g -Wall -Wextra -shared -fPIC -o "$guard_library" scripts/fd-guard.c -ldl -lpthread
printf '%s\n' '#include <fcntl.h>' '#include <unistd.h>' \
    'int main(void) { int fd = open("/dev/null", O_RDONLY); close(fd); close(fd); return 0; }' \
    > "$guard_dir/check.c"
"$compiler" -o "$guard_dir/routines-fd-guard-check" "$guard_dir/check.c"
FD_GUARD_LOG=$guard_dir/check LD_PRELOAD=$guard_library "$guard_dir/routines-fd-guard-check"
if ! grep -qs "DOUBLE CLOSE" "$guard_dir"/check.*; then
    echo "test: fd-guard did not report a program that closes a descriptor twice" >&2
    exit 1
fi
echo "test: fd-guard reports a double close" >&2

# Prints fd-guard's reports with each frame's function and line (addr2line, swift demangle).
show_guard_reports() {
    local line binary offset
    while IFS= read -r line; do
        if [[ $line =~ ^(/[^\(]+)\((\+0x[0-9a-f]+)\) ]] && command -v addr2line > /dev/null; then
            binary=${BASH_REMATCH[1]}
            offset=${BASH_REMATCH[2]#+}
            printf '    %s\n' "$(addr2line -f -e "$binary" "$offset" | paste -sd ' ' | swift demangle --simplified)"
        else
            printf '%s\n' "$line"
        fi
    done < <(cat "$@")
}

# `swift test --skip-build ARGS` with fd-guard preloaded; fails on any report (shown also when a
# test failed: the double close may be why).
guarded_swift_test() {
    local status=0
    FD_GUARD_LOG=$guard_dir/report LD_PRELOAD=$guard_library swift test --skip-build "$@" 2>&1 | progress || status=$?
    if compgen -G "$guard_dir/report.*" > /dev/null; then
        echo "test: a process closed a file descriptor twice (fd-guard, swift test $*):" >&2
        show_guard_reports "$guard_dir"/report.* >&2
        exit 1
    fi
    return $status
}

step "the tests (swift test)"
if (($# == 0)); then
    # Six test processes:
    # - the unit suites (async, with time limits) apart from the end-to-end ones, whose synchronous
    #   tests wait in real time on threads of the test process's small cooperative pool (two threads
    #   on two cores): beside them, async suites were starved into their time limits;
    # - the end-to-end suites (IntegrationTests), which run the built binaries;
    # - the suite that runs SwiftNIO's event loops inside the test process: once in three full runs
    #   here a loop died with "illegal state: runningAndAcceptingNewRegistrations" (its epoll wait
    #   failed, as when another part of the process closes a descriptor that is not its own: the
    #   unit suites' libsndfile double close, fixed since and caught by fd-guard), taking every
    #   other suite with it;
    # - the real Piper server's suite, whose tests hold a pool thread for a minute or more while
    #   the server loads its voice model;
    # - the real PipeWire's sink-player suite, whose tests wait for the server's reports on a pool
    #   thread, and the built daemon against a real PipeWire (SinkOutputEndToEndTests), timed
    #   against the server's real-time clock (a machine busy with other suites plays with gaps).
    guarded_swift_test --skip IntegrationTests --skip ControlServerLimitsTests --skip AudioServerTests
    guarded_swift_test --filter AudioServerTests
    guarded_swift_test --filter IntegrationTests --skip SpeechEngineEndToEndTests --skip SinkOutputEndToEndTests
    guarded_swift_test --filter SinkOutputEndToEndTests
    guarded_swift_test --filter ControlServerLimitsTests
    guarded_swift_test --filter SpeechEngineEndToEndTests
else
    guarded_swift_test "$@"
fi

if (($# == 0)); then
    step "fuzzing: the regression inputs, then each libFuzzer target for 10 s (fuzz/run.sh)"
    bash fuzz/run.sh "${ROUTINES_FUZZ_SECONDS:-10}"

    step "the README's walkthrough in a temporary HOME"
    bash scripts/test-readme.sh
fi
echo "test: everything passed in $((SECONDS - started)) s" >&2
