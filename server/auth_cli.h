/* `rbmap token` (a signed token for a scope, for administrators and tests) and
 * `rbmap keys create|list|revoke` (API keys for GIS clients, server/auth_keys_cli.c).
 * Both read the same configuration as `rbmap serve`: --config FILE or $RBMAP_CONFIG,
 * then RBMAP_* variables (RBMAP_JWT_SECRET, RBMAP_DB, ...). */
#ifndef RBMAP_SERVER_AUTH_CLI_H
#define RBMAP_SERVER_AUTH_CLI_H
#include "server/config.h"

#include <stdbool.h>
#include <stddef.h>

int cmd_token(int argc, char **argv);
int cmd_keys(int argc, char **argv);

/* Shared by the two commands. Defaults, then the file, then the environment; prints
 * the error and returns -1. */
int auth_cli_config(struct config *cfg, int argc, char **argv, const char *cmd);
/* Splits --scope and --flags in place and checks their shape (not that codes exist). */
int auth_cli_scope_flags(char *scope, char *flags, char **areas, size_t *n_areas, char **flag_names,
                         size_t *n_flags, bool *national, const char *cmd);
#endif
