#!/usr/bin/env bash
# Installs built binaries and the shipped files: `bash scripts/install.sh PREFIX [BUILD_DIR]`
# (DESTDIR honoured). Used by `make install` and `scripts/run.sh`; it does not build.
#   PREFIX/bin                              routines, routines-daemon
#   PREFIX/share/routines/{Routines,Audio}  the shipped routines and sounds
#   PREFIX/share/man/man1/routines.1        the man page (docs/man/, generated, kept current by a test)
#   bash, zsh and fish completions          (completions/, generated, kept current by a test)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:?usage: install.sh PREFIX [BUILD_DIR]}
build=${2:-.build/release}
root=${DESTDIR:-}$prefix
for binary in routines routines-daemon; do
    if [ ! -x "$build/$binary" ]; then
        echo "install: $build/$binary is missing; build first (bash scripts/run.sh or make)" >&2
        exit 1
    fi
done
install -d "$root/bin" "$root/share/routines/Routines" "$root/share/routines/Audio" "$root/share/man/man1" \
    "$root/share/bash-completion/completions" "$root/share/zsh/site-functions" "$root/share/fish/vendor_completions.d"
install -m 0755 "$build/routines" "$build/routines-daemon" "$root/bin/"
install -m 0644 Routines/*.json "$root/share/routines/Routines/"
install -m 0644 Audio/*.wav "$root/share/routines/Audio/"
install -m 0644 docs/man/routines.1 "$root/share/man/man1/routines.1"
install -m 0644 completions/routines.bash "$root/share/bash-completion/completions/routines"
install -m 0644 completions/_routines "$root/share/zsh/site-functions/_routines"
install -m 0644 completions/routines.fish "$root/share/fish/vendor_completions.d/routines.fish"
echo "installed routines and routines-daemon into $root/bin (shipped files in $root/share/routines)" >&2
