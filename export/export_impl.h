/* Private to export/: the selection export.c makes and export_write.c writes. */
#ifndef RBMAP_EXPORT_EXPORT_IMPL_H
#define RBMAP_EXPORT_EXPORT_IMPL_H
#include "export/export.h"
#include "export/export_gdal.h"
#include "tiles/territory_bubbles.h"

#include <stdint.h>

/* The features an export writes, chosen (and counted against the limit) before GDAL
 * starts; point coordinates already in the output CRS. */
struct selection {
    size_t n, cap;
    const void **items; /* struct site * or struct action_point * */
    struct territory_bubble *bubbles;
    uint32_t *boundaries; /* indexes in the boundary set */
    double *x, *y;
    bool too_many;
    size_t limit;
};

/* Writes every selected feature into l. An enum export_status with a message. */
int export_write_features(const struct export_query *q, const struct export_sources *src,
                          const struct selection *sel, struct export_layer *l, char *err, size_t errlen);

#endif
