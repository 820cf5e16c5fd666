#include "ogc/ogc_html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool ogc_wants_html(const struct request *req)
{
    const char *f = request_param(req, "f");
    if (f)
        return !strcasecmp(f, "html");
    const char *accept = request_header(req, "Accept");
    if (!accept)
        return false;
    const char *html = strstr(accept, "text/html");
    if (!html)
        return false;
    const char *json = strstr(accept, "json");
    return !json || html < json;
}

static void escape(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '&': buf_puts(b, "&amp;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_putc(b, *s);
        }
    }
}

static void render(struct buf *b, const json_t *v, const char *key, int depth)
{
    if (depth > 12) {
        buf_puts(b, "…");
        return;
    }
    if (json_is_object(v)) {
        const char *href = json_string_value(json_object_get(v, "href"));
        if (href) { /* a link */
            buf_puts(b, "<a href=\"");
            escape(b, href);
            buf_puts(b, "\">");
            const char *title = json_string_value(json_object_get(v, "title"));
            const char *rel = json_string_value(json_object_get(v, "rel"));
            escape(b, title ? title : href);
            buf_puts(b, "</a>");
            if (rel) {
                buf_puts(b, " <small>(");
                escape(b, rel);
                const char *type = json_string_value(json_object_get(v, "type"));
                if (type) {
                    buf_puts(b, ", ");
                    escape(b, type);
                }
                buf_puts(b, ")</small>");
            }
            return;
        }
        buf_puts(b, "<dl>");
        const char *k;
        const json_t *child;
        json_object_foreach((json_t *)v, k, child)
        {
            buf_puts(b, "<dt>");
            escape(b, k);
            buf_puts(b, "</dt><dd>");
            render(b, child, k, depth + 1);
            buf_puts(b, "</dd>");
        }
        buf_puts(b, "</dl>");
    } else if (json_is_array(v)) {
        if (key && !strcmp(key, "coordinates")) {
            char *text = json_dumps(v, JSON_COMPACT);
            if (text)
                escape(b, strlen(text) > 200 ? "[…]" : text);
            free(text);
            return;
        }
        buf_puts(b, "<ul>");
        size_t i;
        const json_t *child;
        json_array_foreach(v, i, child)
        {
            buf_puts(b, "<li>");
            render(b, child, NULL, depth + 1);
            buf_puts(b, "</li>");
        }
        buf_puts(b, "</ul>");
    } else if (json_is_string(v)) {
        escape(b, json_string_value(v));
    } else {
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        if (text)
            escape(b, text);
        free(text);
    }
}

void ogc_html_page(struct response *res, const char *title, const json_t *doc)
{
    struct buf *b = &res->body;
    buf_reset(b);
    buf_puts(b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    escape(b, title);
    buf_puts(b, "</title><style>body{font-family:sans-serif;margin:1em 2em}dt{font-weight:bold}"
                "dd{margin-left:1.5em}</style></head><body><h1>");
    escape(b, title);
    buf_puts(b, "</h1>");
    render(b, doc, NULL, 0);
    buf_puts(b, "</body></html>\n");
    response_set_type(res, "text/html; charset=utf-8");
}

void ogc_html_from_body(struct response *res, const char *title)
{
    json_t *doc = json_loadb(res->body.data ? res->body.data : "", res->body.len, 0, NULL);
    if (!doc) {
        response_error(res, 500, "could not render HTML");
        return;
    }
    ogc_html_page(res, title, doc);
    json_decref(doc);
}
