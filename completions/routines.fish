function __routines_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __routines_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __routines_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __routines_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __routines_parse_tokens -S
    set -l unparsed_tokens (__routines_tokens -pc)
    switch $unparsed_tokens[1]
    case 'routines'
        __routines_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'daemon'
            __routines_parse_subcommand 0 'routines=' 'audio=+' 'config=' 'state=' 'socket=' 'log-level=' 'version' 'h/help'
        case 'trigger'
            __routines_parse_subcommand 1 'wait' 'force' 'socket=' 'version' 'h/help'
        case 'event'
            __routines_parse_subcommand -r 2 'socket=' 'version' 'h/help'
        case 'list'
            __routines_parse_subcommand 0 'json' 'socket=' 'version' 'h/help'
        case 'next'
            __routines_parse_subcommand 1 'file=' 'trigger=' 'from=' 'timezone=' 'config=' 'count=' 'json' 'socket=' 'version' 'h/help'
        case 'validate'
            __routines_parse_subcommand -r 1 'config=' 'audio=+' 'q/quiet' 'version' 'h/help'
        case 'status'
            __routines_parse_subcommand 0 'json' 'socket=' 'version' 'h/help'
        case 'headphones'
            __routines_parse_subcommand 1 'socket=' 'version' 'h/help'
        case 'history'
            __routines_parse_subcommand 1 'limit=' 'json' 'socket=' 'version' 'h/help'
        case 'outputs'
            __routines_parse_subcommand 0 'json' 'discover' 'socket=' 'version' 'h/help'
        case 'say'
            __routines_parse_subcommand 1 'output=' 'voice=' 'socket=' 'version' 'h/help'
        case 'stop'
            __routines_parse_subcommand 1 'all' 'socket=' 'version' 'h/help'
        case 'enable'
            __routines_parse_subcommand 1 'socket=' 'version' 'h/help'
        case 'disable'
            __routines_parse_subcommand 1 'socket=' 'version' 'h/help'
        case 'service'
            __routines_parse_subcommand 1 'system' 'now' 'root=' 'version' 'h/help'
        case 'help'
            __routines_parse_subcommand -r 1 'version'
        end
    end
end

function __routines_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __routines_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __routines_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __routines_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__routines_tokens -p)
    if test -z "$(__routines_tokens -t)"
        set -l index (count (__routines_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'routines' -f
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'daemon' -d 'Run the routine engine in the foreground (for systemd or a terminal).'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'trigger' -d 'Start a routine now (its conditions are skipped).'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'event' -d 'Raise an event; routines with a matching event trigger start.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'list' -d 'List routines: enabled, valid, last run and next fire.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'next' -d 'Show upcoming fires of routines.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'validate' -d 'Check routine files; exit 0 when all are valid, else print one line per problem.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'status' -d 'Show headphone mode, outputs and their idle clocks, running routines.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'headphones' -d 'Switch headphone mode (all implicit audio to the headphone output) or show it.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'history' -d 'Show past runs, newest first.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'outputs' -d 'Show each output: PCM, whether it opens, its state (active, inactive, unavailable), last audio.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'say' -d 'Speak a text once through the daemon.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'stop' -d 'Stop the runs of a routine (their audio ends at once) and drop its queued runs.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'enable' -d 'Enable a routine: its triggers start it again (kept across restarts and file reloads).'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'disable' -d 'Disable a routine: no schedule, event or idle trigger starts it (kept across restarts and file reloads).'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'service' -d 'Install, remove or inspect the systemd unit that runs the daemon.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines daemon" routines' -l 'routines' -d 'Folder of routine files (default: $ROUTINES_DIR, else $XDG_CONFIG_HOME/routines/routines).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines daemon"' -l 'audio' -d 'Folder of audio files routines may play; repeatable, searched in order before the shipped sounds.' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines daemon" config' -l 'config' -d 'Configuration file (default: $XDG_CONFIG_HOME/routines/config.json; optional).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines daemon" state' -l 'state' -d 'Folder for state and history (default: $XDG_STATE_HOME/routines).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines daemon" socket' -l 'socket' -d 'Control socket path (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines daemon" log-level' -l 'log-level' -d 'Log level: debug, info, notice, warning or error.' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines daemon" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines daemon" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines trigger" wait' -l 'wait' -d 'Wait until the run ends and exit non-zero when it fails.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines trigger" force' -l 'force' -d 'Run it even when it is disabled.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines trigger" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines trigger" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines trigger" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines event" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines event" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines event" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines list" json' -l 'json' -d 'Print the daemon\'s JSON.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines list" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines list" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" file' -l 'file' -d 'A routine file or folder to compute offline.' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" trigger' -l 'trigger' -d 'A trigger as JSON, e.g. \'{"at":"07:00","days":["mon"]}\'.' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" from' -l 'from' -d 'Start instant (ISO 8601, e.g. 2025-03-29T00:00:00+01:00; without an offset: in --timezone).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" timezone' -l 'timezone' -d 'IANA time zone (Area/City) for triggers without their own and for the output.' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" config' -l 'config' -d 'A config.json whose timezone and location apply (location is needed for sun triggers).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" count' -l 'count' -d 'How many fires to show (1–10000).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" json' -l 'json' -d 'Print a JSON array of {routine, trigger, time}.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" socket' -l 'socket' -d 'Control socket, when asking the daemon (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines next" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines validate" config' -l 'config' -d 'A config.json to check as well; output names in routines are checked against it.' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines validate"' -l 'audio' -d 'An audio folder the daemon will search (repeatable, as for \'routines daemon\'); sound files are looked up there.' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines validate" q quiet' -l 'quiet' -s 'q' -d 'Print nothing when all files are valid.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines validate" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines validate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines status" json' -l 'json' -d 'Print the daemon\'s JSON.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines status" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines status" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines headphones" -eq 1' -fka 'on off toggle status'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines headphones" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines headphones" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines headphones" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines history" limit' -l 'limit' -d 'How many runs (1–10000).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines history" json' -l 'json' -d 'Print the daemon\'s JSON.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines history" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines history" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines history" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines outputs" json' -l 'json' -d 'Print the daemon\'s JSON.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines outputs" discover' -l 'discover' -d 'List what could be an output instead: the PipeWire/PulseAudio sinks (name, description, state, Bluetooth address) and ALSA\'s PCMs, each with a config snippet. Needs no daemon.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines outputs" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines outputs" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines outputs" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines say" output' -l 'output' -d 'Output name (default: the active output).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines say" voice' -l 'voice' -d 'Voice: espeak-ng\'s (en, en-us, de) or ENGINE:VOICE of a configured engine (piper:en_US-joe-medium); default: the default engine\'s.' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines say" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines say" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines say" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines stop" all' -l 'all' -d 'Stop every running and queued run of every routine.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines stop" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines stop" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines stop" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines enable" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines enable" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines enable" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines disable" socket' -l 'socket' -d 'Control socket (default: $ROUTINES_SOCKET, else $XDG_RUNTIME_DIR/routines.sock, else /tmp/routines-UID.sock).' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines disable" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines disable" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_positional "routines service" -eq 1' -fka 'install uninstall status'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines service" system' -l 'system' -d 'A system unit for headless machines instead of a user unit (needs root).'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines service" now' -l 'now' -d 'Also run systemctl: enable and start (install), stop and disable (uninstall).'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines service" root' -l 'root' -d 'Install into this root instead of / (for packaging and tests); implies not running systemctl.' -rfka ''
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines service" version' -l 'version' -d 'Show the version.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines service" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'routines' -n '__routines_should_offer_completions_for_flags_or_options "routines help" version' -l 'version' -d 'Show the version.'
