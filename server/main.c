/* rbmap: the command-line entry point. Each subcommand lives in its own module. */
#include "db/demo_data.h"
#include "db/migrate.h"
#include "export/export_cli.h"
#include "db/territories_import.h"
#include "geo/geocode_index.h"
#include "server/auth_cli.h"
#include "server/serve.h"
#include "tiles/seed.h"

#include <stdio.h>
#include <string.h>

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"serve", cmd_serve, "serve tiles, GeoJSON, WMS, geocoding and reprojection over HTTP"},
    {"migrate", cmd_migrate, "create or update the database schema"},
    {"import-territories", cmd_import_territories, "load régions, départements, EPCI, communes and boundaries"},
    {"import-ban", cmd_import_ban, "build the geocoder index from BAN address CSV or addok NDJSON files"},
    {"demo-data", cmd_demo_data, "generate a synthetic history of sites and actions"},
    {"seed", cmd_seed, "pre-render tiles for a zoom range and area into an MBTiles file"},
    {"export", cmd_export, "write a layer to GeoPackage, Shapefile, KML, CSV, XLSX, FlatGeobuf or GeoJSON"},
    {"token", cmd_token, "print a signed access token for a scope (administrators, tests)"},
    {"keys", cmd_keys, "create, list or revoke API keys for GIS clients"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: rbmap COMMAND [OPTIONS]   (rbmap COMMAND --help for details)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(out, "  %-20s %s\n", subcommands[i].name, subcommands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "rbmap: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
