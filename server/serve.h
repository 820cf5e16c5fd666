/* `rbmap serve`: the HTTP server. */
#ifndef RBMAP_SERVER_SERVE_H
#define RBMAP_SERVER_SERVE_H
int cmd_serve(int argc, char **argv);
#endif
