#ifndef ROUTINES_CPULSE_SHIM_H
#define ROUTINES_CPULSE_SHIM_H

// libpulse (PulseAudio's client library; PipeWire serves it through pipewire-pulse), imported only by
// the AudioServer module. It is opened with dlopen on the first call, not linked: linked, it maps
// libpulse, libpulsecommon, D-Bus, libsndfile with its codecs and X11/xcb (about 1.7 MB resident)
// into every daemon, also the ones without a sink output, which never call it.
//
// The library's own declarations of the functions AudioServer calls are renamed below, so that the
// same names can be the static inline functions at the end: each calls through a table filled on
// the first call (dlopen + dlsym), and Swift calls them by their usual names. Generated from the
// prototypes in <pulse/*.h>; a function AudioServer starts to call needs a line in each of the four
// lists (rename, undo the rename, table, wrapper).

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define pa_context_connect routines_libpulse_pa_context_connect
#define pa_context_disconnect routines_libpulse_pa_context_disconnect
#define pa_context_errno routines_libpulse_pa_context_errno
#define pa_context_get_index routines_libpulse_pa_context_get_index
#define pa_context_get_sink_info_by_index routines_libpulse_pa_context_get_sink_info_by_index
#define pa_context_get_sink_info_list routines_libpulse_pa_context_get_sink_info_list
#define pa_context_get_sink_input_info routines_libpulse_pa_context_get_sink_input_info
#define pa_context_get_sink_input_info_list routines_libpulse_pa_context_get_sink_input_info_list
#define pa_context_get_state routines_libpulse_pa_context_get_state
#define pa_context_new routines_libpulse_pa_context_new
#define pa_context_set_sink_volume_by_name routines_libpulse_pa_context_set_sink_volume_by_name
#define pa_context_set_state_callback routines_libpulse_pa_context_set_state_callback
#define pa_context_set_subscribe_callback routines_libpulse_pa_context_set_subscribe_callback
#define pa_context_subscribe routines_libpulse_pa_context_subscribe
#define pa_context_unref routines_libpulse_pa_context_unref
#define pa_cvolume_set routines_libpulse_pa_cvolume_set
#define pa_mainloop_dispatch routines_libpulse_pa_mainloop_dispatch
#define pa_mainloop_free routines_libpulse_pa_mainloop_free
#define pa_mainloop_get_api routines_libpulse_pa_mainloop_get_api
#define pa_mainloop_new routines_libpulse_pa_mainloop_new
#define pa_mainloop_poll routines_libpulse_pa_mainloop_poll
#define pa_mainloop_prepare routines_libpulse_pa_mainloop_prepare
#define pa_operation_unref routines_libpulse_pa_operation_unref
#define pa_proplist_gets routines_libpulse_pa_proplist_gets
#define pa_stream_connect_playback routines_libpulse_pa_stream_connect_playback
#define pa_stream_cork routines_libpulse_pa_stream_cork
#define pa_stream_disconnect routines_libpulse_pa_stream_disconnect
#define pa_stream_drain routines_libpulse_pa_stream_drain
#define pa_stream_flush routines_libpulse_pa_stream_flush
#define pa_stream_get_state routines_libpulse_pa_stream_get_state
#define pa_stream_new routines_libpulse_pa_stream_new
#define pa_stream_set_state_callback routines_libpulse_pa_stream_set_state_callback
#define pa_stream_set_write_callback routines_libpulse_pa_stream_set_write_callback
#define pa_stream_unref routines_libpulse_pa_stream_unref
#define pa_stream_writable_size routines_libpulse_pa_stream_writable_size
#define pa_stream_write routines_libpulse_pa_stream_write
#define pa_strerror routines_libpulse_pa_strerror
#include <pulse/pulseaudio.h>
#undef pa_context_connect
#undef pa_context_disconnect
#undef pa_context_errno
#undef pa_context_get_index
#undef pa_context_get_sink_info_by_index
#undef pa_context_get_sink_info_list
#undef pa_context_get_sink_input_info
#undef pa_context_get_sink_input_info_list
#undef pa_context_get_state
#undef pa_context_new
#undef pa_context_set_sink_volume_by_name
#undef pa_context_set_state_callback
#undef pa_context_set_subscribe_callback
#undef pa_context_subscribe
#undef pa_context_unref
#undef pa_cvolume_set
#undef pa_mainloop_dispatch
#undef pa_mainloop_free
#undef pa_mainloop_get_api
#undef pa_mainloop_new
#undef pa_mainloop_poll
#undef pa_mainloop_prepare
#undef pa_operation_unref
#undef pa_proplist_gets
#undef pa_stream_connect_playback
#undef pa_stream_cork
#undef pa_stream_disconnect
#undef pa_stream_drain
#undef pa_stream_flush
#undef pa_stream_get_state
#undef pa_stream_new
#undef pa_stream_set_state_callback
#undef pa_stream_set_write_callback
#undef pa_stream_unref
#undef pa_stream_writable_size
#undef pa_stream_write
#undef pa_strerror

#define ROUTINES_PULSE_FUNCTIONS(X) \
    X(pa_context_connect) \
    X(pa_context_disconnect) \
    X(pa_context_errno) \
    X(pa_context_get_index) \
    X(pa_context_get_sink_info_by_index) \
    X(pa_context_get_sink_info_list) \
    X(pa_context_get_sink_input_info) \
    X(pa_context_get_sink_input_info_list) \
    X(pa_context_get_state) \
    X(pa_context_new) \
    X(pa_context_set_sink_volume_by_name) \
    X(pa_context_set_state_callback) \
    X(pa_context_set_subscribe_callback) \
    X(pa_context_subscribe) \
    X(pa_context_unref) \
    X(pa_cvolume_set) \
    X(pa_mainloop_dispatch) \
    X(pa_mainloop_free) \
    X(pa_mainloop_get_api) \
    X(pa_mainloop_new) \
    X(pa_mainloop_poll) \
    X(pa_mainloop_prepare) \
    X(pa_operation_unref) \
    X(pa_proplist_gets) \
    X(pa_stream_connect_playback) \
    X(pa_stream_cork) \
    X(pa_stream_disconnect) \
    X(pa_stream_drain) \
    X(pa_stream_flush) \
    X(pa_stream_get_state) \
    X(pa_stream_new) \
    X(pa_stream_set_state_callback) \
    X(pa_stream_set_write_callback) \
    X(pa_stream_unref) \
    X(pa_stream_writable_size) \
    X(pa_stream_write) \
    X(pa_strerror)

typedef struct routines_pulse_api {
#define ROUTINES_PULSE_FIELD(name) __typeof__(&routines_libpulse_##name) name;
    ROUTINES_PULSE_FUNCTIONS(ROUTINES_PULSE_FIELD)
#undef ROUTINES_PULSE_FIELD
} routines_pulse_api;

// Opens libpulse.so.0 and fills `table`. Without it a sink output cannot work at all (before, the
// daemon did not even start): says so and stops the process.
static inline void routines_pulse_load(routines_pulse_api *table) {
    void *handle = dlopen("libpulse.so.0", RTLD_NOW | RTLD_LOCAL);
    const char *error = handle == NULL ? dlerror() : NULL;
#define ROUTINES_PULSE_SYMBOL(name)                                                 \
    if (error == NULL) {                                                            \
        table->name = (__typeof__(table->name))dlsym(handle, #name);                \
        if (table->name == NULL) error = dlerror();                                 \
    }
    ROUTINES_PULSE_FUNCTIONS(ROUTINES_PULSE_SYMBOL)
#undef ROUTINES_PULSE_SYMBOL
    if (error != NULL) {
        fprintf(stderr, "routines: sink outputs need libpulse (Debian: apt install libpulse0): %s\n", error);
        abort();
    }
}

// The table, filled on the first call (from any thread, once; later calls take no lock). Statics
// local to the function: Swift's importer emits those with it, not a header's static globals.
static inline const routines_pulse_api *routines_pulse(void) {
    static routines_pulse_api table;
    static int loaded;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) return &table;
    pthread_mutex_lock(&lock);
    if (!loaded) {
        routines_pulse_load(&table);
        __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&lock);
    return &table;
}

static inline int pa_context_connect(pa_context *c, const char *server, pa_context_flags_t flags, const pa_spawn_api *api) { return routines_pulse()->pa_context_connect(c, server, flags, api); }
static inline void pa_context_disconnect(pa_context *c) { routines_pulse()->pa_context_disconnect(c); }
static inline int pa_context_errno(const pa_context *c) { return routines_pulse()->pa_context_errno(c); }
static inline uint32_t pa_context_get_index(const pa_context *s) { return routines_pulse()->pa_context_get_index(s); }
static inline pa_operation*pa_context_get_sink_info_by_index(pa_context *c, uint32_t idx, pa_sink_info_cb_t cb, void *userdata) { return routines_pulse()->pa_context_get_sink_info_by_index(c, idx, cb, userdata); }
static inline pa_operation*pa_context_get_sink_info_list(pa_context *c, pa_sink_info_cb_t cb, void *userdata) { return routines_pulse()->pa_context_get_sink_info_list(c, cb, userdata); }
static inline pa_operation*pa_context_get_sink_input_info(pa_context *c, uint32_t idx, pa_sink_input_info_cb_t cb, void *userdata) { return routines_pulse()->pa_context_get_sink_input_info(c, idx, cb, userdata); }
static inline pa_operation*pa_context_get_sink_input_info_list(pa_context *c, pa_sink_input_info_cb_t cb, void *userdata) { return routines_pulse()->pa_context_get_sink_input_info_list(c, cb, userdata); }
static inline pa_context_state_t pa_context_get_state(const pa_context *c) { return routines_pulse()->pa_context_get_state(c); }
static inline pa_context *pa_context_new(pa_mainloop_api *mainloop, const char *name) { return routines_pulse()->pa_context_new(mainloop, name); }
static inline pa_operation*pa_context_set_sink_volume_by_name(pa_context *c, const char *name, const pa_cvolume *volume, pa_context_success_cb_t cb, void *userdata) { return routines_pulse()->pa_context_set_sink_volume_by_name(c, name, volume, cb, userdata); }
static inline void pa_context_set_state_callback(pa_context *c, pa_context_notify_cb_t cb, void *userdata) { routines_pulse()->pa_context_set_state_callback(c, cb, userdata); }
static inline void pa_context_set_subscribe_callback(pa_context *c, pa_context_subscribe_cb_t cb, void *userdata) { routines_pulse()->pa_context_set_subscribe_callback(c, cb, userdata); }
static inline pa_operation*pa_context_subscribe(pa_context *c, pa_subscription_mask_t m, pa_context_success_cb_t cb, void *userdata) { return routines_pulse()->pa_context_subscribe(c, m, cb, userdata); }
static inline void pa_context_unref(pa_context *c) { routines_pulse()->pa_context_unref(c); }
static inline pa_cvolume*pa_cvolume_set(pa_cvolume *a, unsigned channels, pa_volume_t v) { return routines_pulse()->pa_cvolume_set(a, channels, v); }
static inline int pa_mainloop_dispatch(pa_mainloop *m) { return routines_pulse()->pa_mainloop_dispatch(m); }
static inline void pa_mainloop_free(pa_mainloop* m) { routines_pulse()->pa_mainloop_free(m); }
static inline pa_mainloop_api*pa_mainloop_get_api(pa_mainloop*m) { return routines_pulse()->pa_mainloop_get_api(m); }
static inline pa_mainloop *pa_mainloop_new(void) { return routines_pulse()->pa_mainloop_new(); }
static inline int pa_mainloop_poll(pa_mainloop *m) { return routines_pulse()->pa_mainloop_poll(m); }
static inline int pa_mainloop_prepare(pa_mainloop *m, int timeout) { return routines_pulse()->pa_mainloop_prepare(m, timeout); }
static inline void pa_operation_unref(pa_operation *o) { routines_pulse()->pa_operation_unref(o); }
static inline const char *pa_proplist_gets(const pa_proplist *p, const char *key) { return routines_pulse()->pa_proplist_gets(p, key); }
static inline int pa_stream_connect_playback(pa_stream *s, const char *dev, const pa_buffer_attr *attr, pa_stream_flags_t flags, const pa_cvolume *volume, pa_stream *sync_stream) { return routines_pulse()->pa_stream_connect_playback(s, dev, attr, flags, volume, sync_stream); }
static inline pa_operation*pa_stream_cork(pa_stream *s, int b, pa_stream_success_cb_t cb, void *userdata) { return routines_pulse()->pa_stream_cork(s, b, cb, userdata); }
static inline int pa_stream_disconnect(pa_stream *s) { return routines_pulse()->pa_stream_disconnect(s); }
static inline pa_operation*pa_stream_drain(pa_stream *s, pa_stream_success_cb_t cb, void *userdata) { return routines_pulse()->pa_stream_drain(s, cb, userdata); }
static inline pa_operation*pa_stream_flush(pa_stream *s, pa_stream_success_cb_t cb, void *userdata) { return routines_pulse()->pa_stream_flush(s, cb, userdata); }
static inline pa_stream_state_t pa_stream_get_state(const pa_stream *p) { return routines_pulse()->pa_stream_get_state(p); }
static inline pa_stream*pa_stream_new(pa_context *c, const char *name, const pa_sample_spec *ss, const pa_channel_map *map) { return routines_pulse()->pa_stream_new(c, name, ss, map); }
static inline void pa_stream_set_state_callback(pa_stream *s, pa_stream_notify_cb_t cb, void *userdata) { routines_pulse()->pa_stream_set_state_callback(s, cb, userdata); }
static inline void pa_stream_set_write_callback(pa_stream *p, pa_stream_request_cb_t cb, void *userdata) { routines_pulse()->pa_stream_set_write_callback(p, cb, userdata); }
static inline void pa_stream_unref(pa_stream *s) { routines_pulse()->pa_stream_unref(s); }
static inline size_t pa_stream_writable_size(const pa_stream *p) { return routines_pulse()->pa_stream_writable_size(p); }
static inline int pa_stream_write(pa_stream *p, const void *data, size_t nbytes, pa_free_cb_t free_cb, int64_t offset, pa_seek_mode_t seek) { return routines_pulse()->pa_stream_write(p, data, nbytes, free_cb, offset, seek); }
static inline const char*pa_strerror(int error) { return routines_pulse()->pa_strerror(error); }

#endif
