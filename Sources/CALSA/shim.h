#include <alsa/asoundlib.h>

/* ALSA prints errors to stderr through a variadic handler Swift cannot define; this one drops them
   (the Swift layer reports every failure itself, with snd_strerror). */
static void routines_alsa_silent(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

static inline void routines_alsa_quiet(void) {
    snd_lib_error_set_handler(routines_alsa_silent);
}

/* Loads an ALSA configuration file into a new top-level config (for tests and explicit configs). */
static inline int routines_alsa_load_config(const char *path, snd_config_t **out) {
    snd_config_t *top = NULL;
    snd_input_t *in = NULL;
    int err = snd_config_top(&top);
    if (err < 0) return err;
    err = snd_input_stdio_open(&in, path, "r");
    if (err < 0) { snd_config_delete(top); return err; }
    err = snd_config_load(top, in);
    snd_input_close(in);
    if (err < 0) { snd_config_delete(top); return err; }
    *out = top;
    return 0;
}
