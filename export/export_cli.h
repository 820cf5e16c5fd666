/* `rbmap export`: writes a collection to a file with GDAL/OGR, as GET /export does. */
#ifndef RBMAP_EXPORT_EXPORT_CLI_H
#define RBMAP_EXPORT_EXPORT_CLI_H

int cmd_export(int argc, char **argv);

#endif
