#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build --build-tests 2>&1 | tee /tmp/routines-build.log | grep -E "warning:|error:|Compiling|Build complete" | grep -v "^\[" || true
if grep -E "^/.*(Sources|Tests)/.*warning:" /tmp/routines-build.log | grep -v "/.build" ; then
    echo "test: the build has warnings (Swift 6 language mode, no warnings)" >&2
    exit 1
fi
swift test --skip-build "$@"
