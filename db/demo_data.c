#include "db/demo_data.h"

#include <stdio.h>

int cmd_demo_data(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rbmap demo-data: not implemented yet\n");
    return 1;
}
