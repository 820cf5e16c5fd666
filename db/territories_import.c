#include "db/territories_import.h"

#include <stdio.h>

int cmd_import_territories(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rbmap import-territories: not implemented yet\n");
    return 1;
}
