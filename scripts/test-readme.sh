#!/usr/bin/env bash
# The README's quick start and first routine, and the guide's first routine, run verbatim in a
# temporary HOME against a daemon started the README's way (`bash scripts/run.sh`, with
# CONFIGURATION=debug so it reuses the test build). Shell blocks are found by the
# `<!-- test: NAME -->` comment before them; `<!-- sample: NAME -->` blocks must match what the
# real commands print (`...` stands for any text, a date like 2025-06-02T16:00:02+02:00 for any
# such date, /home/you for $HOME, /run/user/1000 for $XDG_RUNTIME_DIR). ALSA's default and
# bluealsa PCMs are ALSA `file` plugins here (no sound card).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
T=$(mktemp -d /tmp/routines-readme.XXXXXX)
daemon_pid=""
cleanup() {
    if [ -n "$daemon_pid" ]; then
        # SIGTERM: a background job of a script ignores SIGINT (until run.sh has exec'd the daemon,
        # which handles both); SIGKILL when it has not ended within 10 s.
        kill -TERM "$daemon_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "README test: $*" >&2
    [ -f "$T/run.log" ] && { echo "--- scripts/run.sh output:" >&2; tail -n 30 "$T/run.log" >&2; }
    exit 1
}

# The fenced block after the line `<!-- KIND: NAME -->` in FILE: block FILE "KIND: NAME".
block() {
    local text
    text=$(awk -v marker="<!-- $2 -->" '$0 == marker {found = 1; next}
        found && /^```/ {if (inside) exit; inside = 1; next}
        found && inside {print}' "$1")
    [ -n "$text" ] || fail "$1 has no block marked <!-- $2 -->"
    printf '%s\n' "$text"
}

# Each line of the sample block must match a line of the real output (trailing blanks aside).
matches_sample() { # FILE "sample: NAME" OUTPUT_FILE
    local line pattern
    while IFS= read -r line; do
        line=${line//\/home\/you/$HOME}
        line=${line//\/run\/user\/1000/$XDG_RUNTIME_DIR}
        pattern=$(printf '%s' "$line" | sed -e 's/[][\.*^$/]/\\&/g' -e 's/\\\.\\\.\\\./.*/g' \
            -e 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9][+-][0-9][0-9]:[0-9][0-9]/[0-9T:+-]\\{25\\}/g')
        # grep reads to the end (-q would stop early and, with pipefail, fail the pipeline).
        sed 's/[[:space:]]*$//' "$3" | grep -x -- "$pattern" > /dev/null || fail "$1's sample '$2' line is not what the command prints: $line
--- the command printed:
$(cat "$3")"
    done < <(block "$1" "$2")
}

# A fresh account: new HOME, private runtime folder, nothing of the caller's routines set-up.
export HOME=$T/home
export XDG_RUNTIME_DIR=$T/run
mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_DATA_HOME ROUTINES_SOCKET ROUTINES_DIR ROUTINES_SHARE
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-system-bus
cat > "$T/asound.conf" <<CONF
pcm.!default { type file slave.pcm "null" file "$T/default.raw" format "raw" }
pcm.bluealsa { type file slave.pcm "null" file "$T/bluealsa.raw" format "raw" }
CONF
export ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$T/asound.conf
export CONFIGURATION=${CONFIGURATION:-debug}

# Quick start: the README's run command, verbatim, in the background.
run_line=$(block README.md "test: quick-start" | grep '^bash scripts/run.sh')
[ -n "$run_line" ] || fail "the quick start has no 'bash scripts/run.sh' line"
echo "README test: $run_line   (HOME=$HOME, CONFIGURATION=$CONFIGURATION)" >&2
bash -c "$run_line" > "$T/run.log" 2>&1 < /dev/null &
daemon_pid=$!
socket=$XDG_RUNTIME_DIR/routines.sock
# The build is done already in the test command; with another CONFIGURATION it may take long.
until [ -S "$socket" ] && grep -q "control API listening" "$T/run.log"; do
    kill -0 "$daemon_pid" 2>/dev/null || fail "scripts/run.sh ended before the daemon served"
    ((SECONDS < 3600)) || fail "the daemon did not serve $socket within an hour"
    sleep 0.2
done
grep -q "is not on your PATH" "$T/run.log" || fail "run.sh did not say that ~/.local/bin is not on PATH"
matches_sample README.md "sample: run-paths" "$T/run.log"
for file in Routines/*.json; do
    [ -f "$HOME/.config/routines/routines/${file#Routines/}" ] || fail "run.sh did not copy $file"
done

# The PATH line, then the "talk to it" commands, each of which must succeed.
eval "$(block README.md "test: path")"
[ "$(command -v routines)" = "$HOME/.local/bin/routines" ] || fail "routines is not on PATH after the README's export"
if ldd "$HOME/.local/bin/routines-daemon" | grep libswiftCore > /dev/null; then fail "the installed daemon links the Swift runtime dynamically"; fi
run_block() { # FILE TAG OUTPUT
    (cd "$repo" && bash -e -x -c "$(block "$1" "test: $2")") > "$3" 2>&1 || fail "$1's '$2' commands failed:
$(cat "$3")"
}
run_block README.md talk "$T/talk.out"
grep -q "door.opened: no routine listens to it" "$T/talk.out" || fail "routines event did not say that nothing listens"

# First routine (README): tea.json, picked up at once, started by its event.
block README.md "test: tea.json" > "$HOME/.config/routines/routines/tea.json"
loaded() { routines list | grep "^$1 " > /dev/null; }
for _ in $(seq 1 100); do loaded tea && break; sleep 0.1; done
loaded tea || fail "the daemon did not pick up tea.json: $(routines list)"
run_block README.md tea-event "$T/tea.out"
matches_sample README.md "sample: tea-event" "$T/tea.out"
run_block README.md offline "$T/offline.out"
if grep -q warning "$T/offline.out"; then fail "validate warned on the walkthrough's files: $(cat "$T/offline.out")"; fi

# validate's sample lines: each from a real broken tea.json.
mkdir -p "$T/bad"
write_bad() { mkdir -p "$T/bad/$1" && cat > "$T/bad/$1/tea.json"; }
write_bad syntax <<'JSON'
{
  "triggers": [ { "event": "tea.started" } ],
  "actions": [ { "wait": "4m" } ]
    "description": "x"
}
JSON
write_bad tone <<'JSON'
{ "triggers": [ { "event": "tea.started" } ], "actions": [ { "wait": "4m" }, { "tone": { "frequency": 40000, "duration": "1s" } } ] }
JSON
write_bad key <<'JSON'
{ "triggers": [ { "evnt": "tea.started" } ], "actions": [ { "wait": "4m" } ] }
JSON
write_bad sound <<'JSON'
{ "triggers": [ { "event": "tea.started" } ], "actions": [ { "wait": "4m" }, { "play": "chmie.wav" } ] }
JSON
: > "$T/validate.out"
for case in syntax tone key sound; do
    (cd "$T/bad/$case" && routines validate tea.json >> "$T/validate.out" 2>&1) || true
done
matches_sample README.md "sample: validate" "$T/validate.out"

# The guide's first routine.
block docs/guide.md "test: tea-time.json" > "$HOME/.config/routines/routines/tea-time.json"
for _ in $(seq 1 100); do loaded tea-time && break; sleep 0.1; done
loaded tea-time || fail "the daemon did not pick up tea-time.json: $(routines list)"
run_block docs/guide.md first-routine "$T/guide.out"
matches_sample docs/guide.md "sample: history" "$T/guide.out"

echo "README test: the quick start, the README's first routine and the guide's first routine work as written" >&2
