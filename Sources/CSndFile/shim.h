#ifndef ROUTINES_CSNDFILE_SHIM_H
#define ROUTINES_CSNDFILE_SHIM_H

#include <dlfcn.h>
#include <stddef.h>
#include <sndfile.h>

// libsndfile is opened when the first sound file plays (dlopen), not linked: linked, it loads its
// codecs (FLAC, Vorbis, Opus, MPEG: about 0.8 MB resident) into a daemon that may not play a file
// for hours. The Swift side calls through this table.
typedef struct routines_sndfile_api {
    __typeof__(&sf_open) sf_open;
    __typeof__(&sf_open_fd) sf_open_fd;
    __typeof__(&sf_close) sf_close;
    __typeof__(&sf_readf_float) sf_readf_float;
    __typeof__(&sf_strerror) sf_strerror;
} routines_sndfile_api;

/// Opens libsndfile.so.1 and fills `api`. Returns NULL, or dlerror()'s message.
static inline const char *routines_sndfile_load(routines_sndfile_api *api) {
    void *handle = dlopen("libsndfile.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) return dlerror();
#define ROUTINES_SNDFILE_SYMBOL(name)                                 \
    api->name = (__typeof__(api->name))dlsym(handle, #name);         \
    if (api->name == NULL) return dlerror();
    ROUTINES_SNDFILE_SYMBOL(sf_open)
    ROUTINES_SNDFILE_SYMBOL(sf_open_fd)
    ROUTINES_SNDFILE_SYMBOL(sf_close)
    ROUTINES_SNDFILE_SYMBOL(sf_readf_float)
    ROUTINES_SNDFILE_SYMBOL(sf_strerror)
#undef ROUTINES_SNDFILE_SYMBOL
    return NULL;
}

#endif
