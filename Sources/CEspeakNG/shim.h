#ifndef ROUTINES_CESPEAKNG_SHIM_H
#define ROUTINES_CESPEAKNG_SHIM_H

#include <dlfcn.h>
#include <stddef.h>
#include <espeak-ng/speak_lib.h>
#include <espeak-ng/espeak_ng.h>

// libespeak-ng is opened on the first announcement (dlopen), not linked: linked, it loads its audio
// output stack (pcaudio, PulseAudio, X11, D-Bus: about 1.3 MB resident) into a daemon that may never
// speak and never uses the library's own audio output. The Swift side calls through this table.
typedef struct routines_espeak_api {
    __typeof__(&espeak_Info) espeak_Info;
    __typeof__(&espeak_ListVoices) espeak_ListVoices;
    __typeof__(&espeak_SetSynthCallback) espeak_SetSynthCallback;
    __typeof__(&espeak_ng_ClearErrorContext) espeak_ng_ClearErrorContext;
    __typeof__(&espeak_ng_GetSampleRate) espeak_ng_GetSampleRate;
    __typeof__(&espeak_ng_GetStatusCodeMessage) espeak_ng_GetStatusCodeMessage;
    __typeof__(&espeak_ng_Initialize) espeak_ng_Initialize;
    __typeof__(&espeak_ng_InitializeOutput) espeak_ng_InitializeOutput;
    __typeof__(&espeak_ng_InitializePath) espeak_ng_InitializePath;
    __typeof__(&espeak_ng_PrintStatusCodeMessage) espeak_ng_PrintStatusCodeMessage;
    __typeof__(&espeak_ng_SetParameter) espeak_ng_SetParameter;
    __typeof__(&espeak_ng_SetVoiceByName) espeak_ng_SetVoiceByName;
    __typeof__(&espeak_ng_SetVoiceByProperties) espeak_ng_SetVoiceByProperties;
    __typeof__(&espeak_ng_Synthesize) espeak_ng_Synthesize;
} routines_espeak_api;

/// Opens libespeak-ng.so.1 and fills `api`. Returns NULL, or dlerror()'s message.
static inline const char *routines_espeak_load(routines_espeak_api *api) {
    void *handle = dlopen("libespeak-ng.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) return dlerror();
#define ROUTINES_ESPEAK_SYMBOL(name)                                  \
    api->name = (__typeof__(api->name))dlsym(handle, #name);         \
    if (api->name == NULL) return dlerror();
    ROUTINES_ESPEAK_SYMBOL(espeak_Info)
    ROUTINES_ESPEAK_SYMBOL(espeak_ListVoices)
    ROUTINES_ESPEAK_SYMBOL(espeak_SetSynthCallback)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_ClearErrorContext)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_GetSampleRate)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_GetStatusCodeMessage)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_Initialize)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_InitializeOutput)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_InitializePath)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_PrintStatusCodeMessage)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_SetParameter)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_SetVoiceByName)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_SetVoiceByProperties)
    ROUTINES_ESPEAK_SYMBOL(espeak_ng_Synthesize)
#undef ROUTINES_ESPEAK_SYMBOL
    return NULL;
}

#endif
