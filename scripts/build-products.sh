#!/usr/bin/env bash
# Builds the two binaries users run, `routines` and `routines-daemon`, with the Swift runtime and
# FoundationEssentials linked statically (`--static-swift-stdlib`), showing the build's progress:
#   bash scripts/build-products.sh [release|debug]      (default release)
# Used by scripts/run.sh, scripts/test.sh and `make`. Expects scripts/setup.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/progress.sh
configuration=${1:-release}
flags=(-c "$configuration" --static-swift-stdlib)
if [ "$configuration" = debug ]; then
    # Swift 6.3's static Foundation does not name its own dependencies when a debug build links
    # (release builds drop the references): name them, in one group so their order does not matter.
    flags+=(-Xlinker --start-group)
    for library in Foundation CoreFoundation FoundationEssentials FoundationInternationalization _FoundationCollections \
        _FoundationCShims _FoundationICU swiftDispatch dispatch BlocksRuntime; do
        flags+=(-Xlinker "-l$library")
    done
    flags+=(-Xlinker --end-group)
fi
for product in routines routines-daemon; do
    swift build "${flags[@]}" --product "$product" 2>&1 | progress
done
