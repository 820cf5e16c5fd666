/* Placeholder until the exports land. */
#include "export/export_cli.h"

#include <stdio.h>

int cmd_export(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rbmap export: not implemented yet\n");
    return 2;
}
