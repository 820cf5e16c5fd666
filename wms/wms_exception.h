/* WMS errors as the client asked for them (EXCEPTIONS): a ServiceExceptionReport
 * (1.1.1: application/vnd.ogc.se_xml with its DTD; 1.3.0: text/xml in the ogc
 * namespace) with HTTP 400, or an image of the requested size and format: the message
 * drawn in it (INIMAGE) or only the background (BLANK), with HTTP 200 as clients that
 * asked for an image expect. */
#ifndef RBMAP_WMS_EXCEPTION_H
#define RBMAP_WMS_EXCEPTION_H
#include "server/http.h"
#include "wms/wms_request.h"

void wms_exception_xml(struct response *res, enum wms_version v, const struct wms_error *e);

/* The image form; falls back to the XML form when the size is unknown or too large. */
struct wms_exception_image {
    int width, height; /* 0 when not given or invalid */
    enum wms_image_format format;
    bool transparent;
    uint32_t bgcolor;
};
void wms_exception_send(struct response *res, enum wms_version v, enum wms_exceptions how,
                        const struct wms_exception_image *img, const struct wms_error *e);

#endif
