#!/usr/bin/env bash
# The quick start: installs the missing system packages, builds in release mode (Swift runtime
# linked statically), installs the binaries into ~/.local/bin (or PREFIX/bin), creates your
# folders with the shipped routines and sounds (never overwriting a file), and runs the daemon as
# the user service does, on those folders. Extra arguments go to `routines daemon`.
#   PREFIX=/opt/routines bash scripts/run.sh      install elsewhere
#   CONFIGURATION=debug bash scripts/run.sh       a debug build (what the README test uses)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/progress.sh
prefix=${PREFIX:-$HOME/.local}
configuration=${CONFIGURATION:-release}
started=$SECONDS

step "system packages (apt-get, only what is missing)"
source scripts/setup.sh

step "$configuration build of routines and routines-daemon (the first one takes minutes)"
bash scripts/build-products.sh "$configuration"
bin=$(swift build -c "$configuration" --show-bin-path)

step "install into $prefix"
bash scripts/install.sh "$prefix" "$bin"
if [ "$(command -v routines || true)" != "$prefix/bin/routines" ]; then
    echo "note: $prefix/bin is not on your PATH, so 'routines' is not found in a new terminal. Add it:" >&2
    echo "    echo 'export PATH=\"$prefix/bin:\$PATH\"' >> ~/.bashrc && export PATH=\"$prefix/bin:\$PATH\"" >&2
    echo "  (Debian's ~/.profile adds ~/.local/bin by itself at your next login when the folder exists.)" >&2
fi

step "your folders"
config_home=${XDG_CONFIG_HOME:-$HOME/.config}
[[ $config_home == /* ]] || config_home=$HOME/.config
state_home=${XDG_STATE_HOME:-$HOME/.local/state}
[[ $state_home == /* ]] || state_home=$HOME/.local/state
routines_dir=$config_home/routines/routines
audio_dir=$config_home/routines/audio
mkdir -p "$routines_dir" "$audio_dir"
copied=0
kept=0
for file in Routines/*.json Audio/*.wav; do
    case $file in
        Routines/*) target=$routines_dir/${file#Routines/} ;;
        *) target=$audio_dir/${file#Audio/} ;;
    esac
    if [ -e "$target" ]; then
        kept=$((kept + 1))
    else
        cp "$file" "$target"
        echo "copied $target" >&2
        copied=$((copied + 1))
    fi
done
echo "$copied shipped files copied, $kept already there (never overwritten)" >&2
if [ -n "${XDG_RUNTIME_DIR:-}" ]; then socket=$XDG_RUNTIME_DIR/routines.sock; else socket=/tmp/routines-$(id -u).sock; fi
config=$config_home/routines/config.json
[ -e "$config" ] || config="$config (none yet: the defaults, see docs/routines.md)"
cat >&2 <<TEXT
  routines:  $routines_dir  (edit or add *.json files: changes apply at once)
  sounds:    $audio_dir, then $prefix/share/routines/Audio
  config:    $config
  socket:    ${ROUTINES_SOCKET:-$socket}
  state:     $state_home/routines
  binaries:  $prefix/bin/routines, $prefix/bin/routines-daemon
TEXT

step "routines daemon (set-up took $((SECONDS - started)) s; Ctrl-C stops it; talk to it from another terminal: routines list)"
exec "$prefix/bin/routines" daemon "$@"
