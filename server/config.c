#include "server/config.h"
void config_defaults(struct config *cfg) { (void)cfg; }
