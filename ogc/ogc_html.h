/* HTML pages of /ogc (the `html` conformance class): the JSON document of a resource
 * shown as nested lists, links as anchors, every string escaped. */
#ifndef RBMAP_OGC_HTML_H
#define RBMAP_OGC_HTML_H
#include "server/http.h"

#include <jansson.h>
#include <stdbool.h>

/* Does the request ask for HTML (f=html, or an Accept header preferring text/html
 * over JSON, as browsers send)? f=json wins over Accept. */
bool ogc_wants_html(const struct request *req);

/* Replaces the response body with an HTML page of doc. */
void ogc_html_page(struct response *res, const char *title, const json_t *doc);
/* The same from the JSON already in the response body. */
void ogc_html_from_body(struct response *res, const char *title);

#endif
