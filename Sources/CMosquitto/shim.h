#ifndef ROUTINES_CMOSQUITTO_SHIM_H
#define ROUTINES_CMOSQUITTO_SHIM_H

// libmosquitto (Debian libmosquitto-dev), imported only by the MQTT module. It is opened when the
// MQTT client first starts (dlopen), not linked: linked, it maps libssl and libcrypto (about 1.5 MB
// resident) into every daemon, with or without MQTT. The header's functions are renamed on the way
// in, and functions of the same names below call through the table `routines_mosquitto_load` fills,
// so the Swift side calls `mosquitto_new(…)` as before, after `routines_mosquitto_load()` succeeded.

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTINES_MOSQUITTO_FUNCTIONS(X)                                                              \
    X(mosquitto_lib_init) X(mosquitto_new) X(mosquitto_destroy) X(mosquitto_will_set)                \
    X(mosquitto_username_pw_set) X(mosquitto_connect_bind_v5) X(mosquitto_disconnect)                \
    X(mosquitto_publish) X(mosquitto_subscribe) X(mosquitto_unsubscribe) X(mosquitto_loop_read)      \
    X(mosquitto_loop_write) X(mosquitto_loop_misc) X(mosquitto_socket) X(mosquitto_want_write)       \
    X(mosquitto_int_option) X(mosquitto_tls_set) X(mosquitto_connect_v5_callback_set)                \
    X(mosquitto_message_v5_callback_set) X(mosquitto_log_callback_set) X(mosquitto_strerror)         \
    X(mosquitto_reason_string) X(mosquitto_property_add_int32) X(mosquitto_property_free_all)

// The header's declarations become routines_linked_NAME (never called: only their types are used).
#define mosquitto_lib_init routines_linked_mosquitto_lib_init
#define mosquitto_new routines_linked_mosquitto_new
#define mosquitto_destroy routines_linked_mosquitto_destroy
#define mosquitto_will_set routines_linked_mosquitto_will_set
#define mosquitto_username_pw_set routines_linked_mosquitto_username_pw_set
#define mosquitto_connect_bind_v5 routines_linked_mosquitto_connect_bind_v5
#define mosquitto_disconnect routines_linked_mosquitto_disconnect
#define mosquitto_publish routines_linked_mosquitto_publish
#define mosquitto_subscribe routines_linked_mosquitto_subscribe
#define mosquitto_unsubscribe routines_linked_mosquitto_unsubscribe
#define mosquitto_loop_read routines_linked_mosquitto_loop_read
#define mosquitto_loop_write routines_linked_mosquitto_loop_write
#define mosquitto_loop_misc routines_linked_mosquitto_loop_misc
#define mosquitto_socket routines_linked_mosquitto_socket
#define mosquitto_want_write routines_linked_mosquitto_want_write
#define mosquitto_int_option routines_linked_mosquitto_int_option
#define mosquitto_tls_set routines_linked_mosquitto_tls_set
#define mosquitto_connect_v5_callback_set routines_linked_mosquitto_connect_v5_callback_set
#define mosquitto_message_v5_callback_set routines_linked_mosquitto_message_v5_callback_set
#define mosquitto_log_callback_set routines_linked_mosquitto_log_callback_set
#define mosquitto_strerror routines_linked_mosquitto_strerror
#define mosquitto_reason_string routines_linked_mosquitto_reason_string
#define mosquitto_property_add_int32 routines_linked_mosquitto_property_add_int32
#define mosquitto_property_free_all routines_linked_mosquitto_property_free_all
#include <mosquitto.h>
#include <mqtt_protocol.h>
#undef mosquitto_lib_init
#undef mosquitto_new
#undef mosquitto_destroy
#undef mosquitto_will_set
#undef mosquitto_username_pw_set
#undef mosquitto_connect_bind_v5
#undef mosquitto_disconnect
#undef mosquitto_publish
#undef mosquitto_subscribe
#undef mosquitto_unsubscribe
#undef mosquitto_loop_read
#undef mosquitto_loop_write
#undef mosquitto_loop_misc
#undef mosquitto_socket
#undef mosquitto_want_write
#undef mosquitto_int_option
#undef mosquitto_tls_set
#undef mosquitto_connect_v5_callback_set
#undef mosquitto_message_v5_callback_set
#undef mosquitto_log_callback_set
#undef mosquitto_strerror
#undef mosquitto_reason_string
#undef mosquitto_property_add_int32
#undef mosquitto_property_free_all

typedef struct routines_mosquitto_api {
#define ROUTINES_MOSQUITTO_FIELD(name) __typeof__(&routines_linked_##name) name;
    ROUTINES_MOSQUITTO_FUNCTIONS(ROUTINES_MOSQUITTO_FIELD)
#undef ROUTINES_MOSQUITTO_FIELD
} routines_mosquitto_api;

// The table and its state live in function-local statics: Swift emits a header's inline functions
// (with their statics), not its file-scope variables.
typedef struct routines_mosquitto_state {
    routines_mosquitto_api api;
    const char *error;
    pthread_once_t once;
} routines_mosquitto_state;

static inline routines_mosquitto_state *routines_mosquitto_shared(void) {
    static routines_mosquitto_state state = {.once = PTHREAD_ONCE_INIT};
    return &state;
}

static inline void routines_mosquitto_open(void) {
    routines_mosquitto_state *state = routines_mosquitto_shared();
    void *handle = dlopen("libmosquitto.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        state->error = dlerror();
        return;
    }
#define ROUTINES_MOSQUITTO_SYMBOL(name)                                           \
    state->api.name = (__typeof__(state->api.name))dlsym(handle, #name);         \
    if (state->api.name == NULL) {                                                \
        state->error = dlerror();                                                 \
        return;                                                                   \
    }
    ROUTINES_MOSQUITTO_FUNCTIONS(ROUTINES_MOSQUITTO_SYMBOL)
#undef ROUTINES_MOSQUITTO_SYMBOL
}

/// Opens libmosquitto.so.1 once per process. Returns NULL, or why it could not be opened. The
/// functions below may be called only after it returned NULL.
static inline const char *routines_mosquitto_load(void) {
    routines_mosquitto_state *state = routines_mosquitto_shared();
    pthread_once(&state->once, routines_mosquitto_open);
    return state->error;
}

#define routines_mosquitto (routines_mosquitto_shared()->api)

static inline int mosquitto_lib_init(void) { return routines_mosquitto.mosquitto_lib_init(); }
static inline struct mosquitto *mosquitto_new(const char *id, bool clean_session, void *obj) {
    return routines_mosquitto.mosquitto_new(id, clean_session, obj);
}
static inline void mosquitto_destroy(struct mosquitto *mosq) { routines_mosquitto.mosquitto_destroy(mosq); }
static inline int mosquitto_will_set(
    struct mosquitto *mosq, const char *topic, int payloadlen, const void *payload, int qos, bool retain) {
    return routines_mosquitto.mosquitto_will_set(mosq, topic, payloadlen, payload, qos, retain);
}
static inline int mosquitto_username_pw_set(struct mosquitto *mosq, const char *username, const char *password) {
    return routines_mosquitto.mosquitto_username_pw_set(mosq, username, password);
}
static inline int mosquitto_connect_bind_v5(
    struct mosquitto *mosq, const char *host, int port, int keepalive, const char *bind_address,
    const mosquitto_property *properties) {
    return routines_mosquitto.mosquitto_connect_bind_v5(mosq, host, port, keepalive, bind_address, properties);
}
static inline int mosquitto_disconnect(struct mosquitto *mosq) { return routines_mosquitto.mosquitto_disconnect(mosq); }
static inline int mosquitto_publish(
    struct mosquitto *mosq, int *mid, const char *topic, int payloadlen, const void *payload, int qos, bool retain) {
    return routines_mosquitto.mosquitto_publish(mosq, mid, topic, payloadlen, payload, qos, retain);
}
static inline int mosquitto_subscribe(struct mosquitto *mosq, int *mid, const char *sub, int qos) {
    return routines_mosquitto.mosquitto_subscribe(mosq, mid, sub, qos);
}
static inline int mosquitto_unsubscribe(struct mosquitto *mosq, int *mid, const char *sub) {
    return routines_mosquitto.mosquitto_unsubscribe(mosq, mid, sub);
}
static inline int mosquitto_loop_read(struct mosquitto *mosq, int max_packets) {
    return routines_mosquitto.mosquitto_loop_read(mosq, max_packets);
}
static inline int mosquitto_loop_write(struct mosquitto *mosq, int max_packets) {
    return routines_mosquitto.mosquitto_loop_write(mosq, max_packets);
}
static inline int mosquitto_loop_misc(struct mosquitto *mosq) { return routines_mosquitto.mosquitto_loop_misc(mosq); }
static inline int mosquitto_socket(struct mosquitto *mosq) { return routines_mosquitto.mosquitto_socket(mosq); }
static inline bool mosquitto_want_write(struct mosquitto *mosq) { return routines_mosquitto.mosquitto_want_write(mosq); }
static inline int mosquitto_int_option(struct mosquitto *mosq, enum mosq_opt_t option, int value) {
    return routines_mosquitto.mosquitto_int_option(mosq, option, value);
}
static inline int mosquitto_tls_set(
    struct mosquitto *mosq, const char *cafile, const char *capath, const char *certfile, const char *keyfile,
    int (*pw_callback)(char *buf, int size, int rwflag, void *userdata)) {
    return routines_mosquitto.mosquitto_tls_set(mosq, cafile, capath, certfile, keyfile, pw_callback);
}
static inline void mosquitto_connect_v5_callback_set(
    struct mosquitto *mosq, void (*on_connect)(struct mosquitto *, void *, int, int, const mosquitto_property *)) {
    routines_mosquitto.mosquitto_connect_v5_callback_set(mosq, on_connect);
}
static inline void mosquitto_message_v5_callback_set(
    struct mosquitto *mosq,
    void (*on_message)(struct mosquitto *, void *, const struct mosquitto_message *, const mosquitto_property *)) {
    routines_mosquitto.mosquitto_message_v5_callback_set(mosq, on_message);
}
static inline void mosquitto_log_callback_set(
    struct mosquitto *mosq, void (*on_log)(struct mosquitto *, void *, int, const char *)) {
    routines_mosquitto.mosquitto_log_callback_set(mosq, on_log);
}
static inline const char *mosquitto_strerror(int mosq_errno) { return routines_mosquitto.mosquitto_strerror(mosq_errno); }
static inline const char *mosquitto_reason_string(int reason_code) {
    return routines_mosquitto.mosquitto_reason_string(reason_code);
}
static inline int mosquitto_property_add_int32(mosquitto_property **proplist, int identifier, uint32_t value) {
    return routines_mosquitto.mosquitto_property_add_int32(proplist, identifier, value);
}
static inline void mosquitto_property_free_all(mosquitto_property **properties) {
    routines_mosquitto.mosquitto_property_free_all(properties);
}

#endif
