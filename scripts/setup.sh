#!/usr/bin/env bash
# Installs the system packages routines needs to build, run and test (Debian/Ubuntu).
# Safe to run again: it installs only what is missing. Uses sudo when not root.
set -euo pipefail

packages=(
    libasound2-dev alsa-utils libsndfile1-dev libsamplerate0-dev
    libespeak-ng-dev espeak-ng libsystemd-dev libsqlite3-dev
    python3-dbusmock python3-jsonschema python3-venv dbus libglib2.0-bin sox pkg-config tzdata
    mosquitto mosquitto-clients libmosquitto-dev openssl
    # Sink outputs (libpulse) and the real audio servers the tests start: PipeWire (with its
    # PulseAudio server) and PulseAudio itself. pulseaudio conflicts with pipewire-alsa: nothing
    # here needs ALSA's `pipewire` PCM.
    libpulse-dev pulseaudio-utils pipewire pipewire-pulse wireplumber pulseaudio
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -q
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

if ! command -v swift >/dev/null; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        echo "setup: no Swift toolchain found (need Swift 6.0 or newer on PATH)" >&2
        exit 1
    fi
fi
