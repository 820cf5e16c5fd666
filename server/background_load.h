/* The territory reference points and the boundaries, loaded once in the background
 * after start so that the server answers at once (reading 36,000 polygons takes
 * seconds). Tiles drawn before they arrive are dropped from the cache when they do; a
 * failure leaves the layer empty rather than stopping the server.
 * A stop never waits long for the loader: its query is cancelled, and once
 * background_load_stop has returned the loader never touches the context again (a load
 * still parsing is left to finish alone while the process exits). */
#ifndef RBMAP_SERVER_BACKGROUND_LOAD_H
#define RBMAP_SERVER_BACKGROUND_LOAD_H
#include "server/context.h"

int background_load_start(struct server_ctx *ctx);
/* Waits at most wait_ms for the loader to finish. */
void background_load_stop(struct server_ctx *ctx, int wait_ms);

#endif
