#include <systemd/sd-bus.h>
#include <stdlib.h>

/* Non-variadic helpers: sd-bus's variadic calls cannot be made from Swift. */

/* Opens the system bus, or the bus at `address` when given (tests use a private bus). */
static inline int routines_bus_open(const char *address, sd_bus **out) {
    if (address == NULL) return sd_bus_open_system(out);
    sd_bus *bus = NULL;
    int r = sd_bus_new(&bus);
    if (r < 0) return r;
    r = sd_bus_set_address(bus, address);
    if (r >= 0) r = sd_bus_set_bus_client(bus, 1);
    if (r >= 0) r = sd_bus_start(bus);
    if (r < 0) { sd_bus_unref(bus); return r; }
    *out = bus;
    return 0;
}

/* Installs a match rule; matching messages come back unhandled from sd_bus_process. */
static inline int routines_bus_add_match(sd_bus *bus, const char *match) {
    return sd_bus_add_match(bus, NULL, match, NULL, NULL);
}

/* Calls a method without arguments and returns the reply. */
static inline int routines_bus_call0(sd_bus *bus, const char *destination, const char *path, const char *interface,
                                     const char *member, sd_bus_message **reply) {
    sd_bus_message *m = NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    int r = sd_bus_message_new_method_call(bus, &m, destination, path, interface, member);
    if (r < 0) return r;
    r = sd_bus_call(bus, m, 2000000, &error, reply);
    sd_bus_error_free(&error);
    sd_bus_message_unref(m);
    return r;
}

/* Reads a string-like basic value (s, o, g); NULL on failure. */
static inline const char *routines_bus_read_string(sd_bus_message *m, char type) {
    const char *value = NULL;
    if (sd_bus_message_read_basic(m, type, &value) < 0) return NULL;
    return value;
}

static inline int routines_bus_read_bool(sd_bus_message *m, int *value) {
    return sd_bus_message_read_basic(m, 'b', value);
}

static inline int routines_bus_read_u32(sd_bus_message *m, unsigned int *value) {
    return sd_bus_message_read_basic(m, 'u', value);
}

/* The contents signature of the variant at the read position (e.g. "s", "as"); NULL if none. */
static inline const char *routines_bus_peek_variant(sd_bus_message *m) {
    char type = 0;
    const char *contents = NULL;
    if (sd_bus_message_peek_type(m, &type, &contents) <= 0 || type != 'v') return NULL;
    return contents;
}
