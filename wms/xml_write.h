/* Text into XML and HTML: the five special characters escaped, control characters
 * dropped, invalid UTF-8 replaced, so client text echoed in an answer (an unknown layer
 * name, a bad CRS) can never open markup (MapCache CVE-2017-12808, GEOS-6632). */
#ifndef RBMAP_WMS_XML_WRITE_H
#define RBMAP_WMS_XML_WRITE_H
#include "util/buf.h"

void xml_escape(struct buf *out, const char *text);

#endif
