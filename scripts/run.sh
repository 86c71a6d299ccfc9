#!/usr/bin/env bash
# The main job: installs what is missing, builds in release mode and runs the daemon on the
# shipped Routines/ and Audio/ with default settings. Extra arguments go to `routines daemon`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --static-swift-stdlib --product routines && swift build -c release --static-swift-stdlib --product routines-daemon
exec .build/release/routines daemon --routines Routines --audio Audio "$@"
