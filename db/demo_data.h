/* `rbmap demo-data`: a deterministic synthetic history of sites and actions. */
#ifndef RBMAP_DB_DEMO_DATA_H
#define RBMAP_DB_DEMO_DATA_H
int cmd_demo_data(int argc, char **argv);
#endif
