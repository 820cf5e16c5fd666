#include "server/serve.h"
#include <stdio.h>
int cmd_serve(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "todo\n"); return 1; }
