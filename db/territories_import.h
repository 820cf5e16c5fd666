/* `rbmap import-territories`: régions, départements, EPCI and communes (COG) with
 * their boundary polygons, into the platform's territory tables. */
#ifndef RBMAP_DB_TERRITORIES_IMPORT_H
#define RBMAP_DB_TERRITORIES_IMPORT_H
int cmd_import_territories(int argc, char **argv);
#endif
