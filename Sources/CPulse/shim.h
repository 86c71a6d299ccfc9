// libpulse (PulseAudio's client library; PipeWire serves it through pipewire-pulse).
// Imported only by the AudioServer module.
#include <pulse/pulseaudio.h>
