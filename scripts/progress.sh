#!/usr/bin/env bash
# Sourced by the set-up commands: step names, and a filter that passes a long command's output
# through (SwiftPM's "[n/m] Compiling …" lines, apt's "Unpacking …") and says it is still working
# when it has printed nothing for a while, so the set-up is never silent for long.

# Prints a step's name: `step "release build"`.
step() {
    printf '\n==> %s\n' "$*" >&2
}

# Copies standard input to standard error; after 5 s without a line it prints how long the current
# step has run (every 5 s, on one line per report). `LOG=FILE` also keeps everything in FILE.
progress() {
    local start=$SECONDS line pending="" rc
    local log=${LOG:-/dev/null}
    while true; do
        if IFS= read -r -t 5 line; then
            line=$pending$line
            pending=""
            case $line in
                *libFoundationEssentials.a*"the use of \`mktemp' is dangerous"*)
                    # The toolchain's static Foundation links glibc's mktemp (its own code; ours never
                    # calls it): the linker's warning about it would only alarm a newcomer.
                    printf '%s\n' "$line" >> "$log"
                    printf '%s\n' "(the linker's warning about mktemp in the toolchain's static Foundation is expected)" >&2
                    continue ;;
            esac
            printf '%s\n' "$line" | tee -a "$log" >&2
        else
            rc=$?
            if ((rc <= 128)); then
                # End of input (a last line without a newline is still printed).
                [ -n "$pending$line" ] && printf '%s\n' "$pending$line" | tee -a "$log" >&2
                return 0
            fi
            pending+=$line
            printf '    ... still working (%ds)\n' $((SECONDS - start)) >&2
        fi
    done
}
