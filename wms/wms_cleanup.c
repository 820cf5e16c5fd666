#include "wms/wms_cleanup.h"

#include "wms/marker_sprites.h"

#include <cairo.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void release(void)
{
    marker_sprites_free();
    cairo_debug_reset_static_data();
    /* fontconfig comes with cairo; rbmap does not link it itself, so look it up. */
    void (*fc_fini)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "FcFini");
    if (fc_fini)
        fc_fini();
}

/* Registered lazily: atexit handlers run in reverse order, so this one runs before the
 * sanitizer's leak check, which registered itself at start-up. */
static void install(void) { atexit(release); }

void wms_cleanup_register(void) { pthread_once(&once, install); }
