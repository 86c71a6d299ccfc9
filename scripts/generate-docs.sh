#!/usr/bin/env bash
# Regenerates the committed man page (docs/man/routines.1), the snapshot of the command line it is
# made from (docs/man/routines.dump-help.json) and the shell completions (completions/). Run it
# after changing the command line; scripts/test.sh fails while they are out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/progress.sh
step "generate-manual (SwiftPM plugin: builds every product in debug mode, then writes the page)"
swift package generate-manual --configuration debug 2>&1 | progress
page=$(find .build/plugins -path '*/outputs/routines/routines.1' -newer Package.swift | head -n 1)
[ -n "$page" ] || { echo "generate-docs: the plugin wrote no routines.1 under .build/plugins" >&2; exit 1; }
mkdir -p docs/man completions
# The page's date line changes every day; keep the committed one unless the rest changed.
if ! diff -q <(grep -v '^\.Dd ' "$page") <(grep -v '^\.Dd ' docs/man/routines.1 2>/dev/null) >/dev/null; then
    cp "$page" docs/man/routines.1
fi
bin=$(swift build --show-bin-path)
"$bin/routines" --experimental-dump-help > docs/man/routines.dump-help.json
for shell in bash zsh fish; do
    case $shell in bash) out=completions/routines.bash ;; zsh) out=completions/_routines ;; fish) out=completions/routines.fish ;; esac
    "$bin/routines" --generate-completion-script "$shell" > "$out"
done
echo "generate-docs: docs/man/routines.1, docs/man/routines.dump-help.json, completions/ written" >&2
