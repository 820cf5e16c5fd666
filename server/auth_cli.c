#include "server/auth_cli.h"

#include "server/auth.h"
#include "server/auth_scope.h"
#include "server/config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Defaults, then the file (--config or $RBMAP_CONFIG), then the environment. */
int auth_cli_config(struct config *cfg, int argc, char **argv, const char *cmd)
{
    config_defaults(cfg);
    const char *path = getenv("RBMAP_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
    }
    char err[1024];
    if ((path && *path && config_load_file(cfg, path, err, sizeof err) < 0) ||
        config_load_env(cfg, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap %s: %s\n", cmd, err);
        return -1;
    }
    return 0;
}

/* "a,b,c" split in place into at most max items; -1 on an empty item or too many. */
static int split_commas(char *text, char **items, size_t max, size_t *n)
{
    *n = 0;
    for (char *p = text;; ) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p || *n == max)
            return -1;
        items[(*n)++] = p;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* Checks --scope and --flags (shape only: the server checks that the codes exist). */
int auth_cli_scope_flags(char *scope, char *flags, char **areas, size_t *n_areas, char **flag_names,
                             size_t *n_flags, bool *national, const char *cmd)
{
    char reason[256];
    struct territory_ref ref;
    *national = false;
    if (split_commas(scope, areas, SCOPE_MAX_AREAS, n_areas) < 0) {
        fprintf(stderr, "rbmap %s: --scope: 1 to %d comma-separated areas\n", cmd, SCOPE_MAX_AREAS);
        return -1;
    }
    for (size_t i = 0; i < *n_areas; i++) {
        int rc = auth_area_parse(areas[i], &ref, reason, sizeof reason);
        if (rc < 0) {
            fprintf(stderr, "rbmap %s: --scope: %s\n", cmd, reason);
            return -1;
        }
        *national |= rc == 1;
    }
    *n_flags = 0;
    if (flags && split_commas(flags, flag_names, 3, n_flags) < 0) {
        fprintf(stderr, "rbmap %s: --flags: a comma list of justice, owners, finances\n", cmd);
        return -1;
    }
    for (size_t i = 0; i < *n_flags; i++)
        if (!auth_flag_parse(flag_names[i])) {
            fprintf(stderr, "rbmap %s: --flags: unknown flag '%s' (justice, owners, finances)\n", cmd, flag_names[i]);
            return -1;
        }
    for (size_t i = 0; i < *n_flags; i++)
        if (!*national && !strcmp(flag_names[i], "finances"))
            fprintf(stderr, "rbmap %s: note: finances are national; a territorial scope does not get them\n", cmd);
    return 0;
}

/* "90", "90s", "15m", "1h", "30d": seconds, at most a year. */
static long parse_ttl(const char *text)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    long unit = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600
              : !strcmp(end, "d") ? 86400 : 0;
    if (errno || end == text || v <= 0 || !unit || v > 366L * 86400 / unit)
        return -1;
    return v * unit;
}

static void token_usage(FILE *out)
{
    fprintf(out,
            "usage: rbmap token --scope AREAS [--flags FLAGS] [--ttl 1h] [--sub ID] [--role ROLE] [--config FILE]\n"
            "Prints a token signed with the configured key (jwt_private_key_file, else jwt_secret),\n"
            "for jwt_audience. AREAS: national, or a comma list of region:CODE, departement:CODE,\n"
            "epci:SIREN, city:INSEE. FLAGS: justice, owners, finances. TTL: N[s|m|h|d], at most 366d.\n");
}

int cmd_token(int argc, char **argv)
{
    static const struct option options[] = {
        {"scope", required_argument, NULL, 's'}, {"flags", required_argument, NULL, 'f'},
        {"ttl", required_argument, NULL, 't'},   {"sub", required_argument, NULL, 'u'},
        {"role", required_argument, NULL, 'r'},  {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    char *scope = NULL, *flags = NULL;
    const char *sub = "rbmap-cli", *role = NULL;
    long ttl = 3600;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 's': scope = optarg; break;
        case 'f': flags = optarg; break;
        case 't':
            if ((ttl = parse_ttl(optarg)) < 0) {
                fprintf(stderr, "rbmap token: --ttl: N, Ns, Nm, Nh or Nd up to a year, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'u': sub = optarg; break;
        case 'r': role = optarg; break;
        case 'c': break;
        case 'h': token_usage(stdout); return 0;
        default: token_usage(stderr); return 2;
        }
    }
    if (!scope || optind < argc || !*sub || strlen(sub) > 47) {
        token_usage(stderr);
        return 2;
    }
    char *areas[SCOPE_MAX_AREAS], *flag_names[3];
    size_t n_areas, n_flags;
    bool national;
    struct config cfg;
    if (auth_cli_scope_flags(scope, flags, areas, &n_areas, flag_names, &n_flags, &national, "token") < 0 ||
        auth_cli_config(&cfg, argc, argv, "token") < 0)
        return 2;
    char err[1024];
    struct jwt_keys *keys = auth_load_keys(&cfg, true, err, sizeof err);
    if (!keys) {
        fprintf(stderr, "rbmap token: %s\n", err);
        return 1;
    }
    time_t now = time(NULL);
    json_t *claims = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "iss", "rbmap token", "sub", sub, "aud", cfg.jwt_audience,
                               "iat", (json_int_t)now, "nbf", (json_int_t)now, "exp", (json_int_t)(now + ttl));
    json_t *a = json_array(), *f = json_array();
    for (size_t i = 0; i < n_areas; i++)
        json_array_append_new(a, json_string(areas[i]));
    for (size_t i = 0; i < n_flags; i++)
        json_array_append_new(f, json_string(flag_names[i]));
    json_object_set_new(claims, "areas", a);
    json_object_set_new(claims, "flags", f);
    if (role)
        json_object_set_new(claims, "role", json_string(role));
    char *token = jwt_sign(keys, claims, err, sizeof err);
    json_decref(claims);
    jwt_keys_free(keys);
    if (!token) {
        fprintf(stderr, "rbmap token: %s\n", err);
        return 1;
    }
    printf("%s\n", token);
    free(token);
    return 0;
}
