#include "ogc/ogc_items.h"

#include "ogc/ogc_filter.h"
#include "ogc/ogc_html.h"
#include "util/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool u32list_push(struct u32list *l, uint32_t v)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        uint32_t *items = realloc(l->items, cap * sizeof(uint32_t));
        if (!items)
            return false;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->len++] = v;
    return true;
}

void u32list_free(struct u32list *l)
{
    free(l->items);
    memset(l, 0, sizeof(*l));
}

int ogc_check_property_names(const struct ogc_run *r, const struct ogc_collection *c, struct response *res)
{
    for (size_t i = 0; i < r->q.n_props; i++)
        if (!ogc_collection_key(c, r, r->q.props[i])) {
            response_error(res, 400, "properties: '%.60s' is not a property of %s (see its queryables)", r->q.props[i],
                           c->id);
            return -1;
        }
    for (size_t i = 0; i < r->q.n_sort; i++)
        if (!ogc_collection_key(c, r, r->q.sort[i].name)) {
            response_error(res, 400, "sortby: '%.60s' is not a property of %s (see its queryables)", r->q.sort[i].name,
                           c->id);
            return -1;
        }
    return 0;
}

/* --- sortby: the sort keys of every matched item, captured through props() --- */

struct sort_value {
    bool present;
    bool is_text;
    double num;
    char text[48];
};

struct capture {
    const struct ogc_query *q;
    struct sort_value *values; /* n_sort of them */
};

static struct sort_value *slot(struct capture *c, const char *key)
{
    for (size_t i = 0; i < c->q->n_sort; i++)
        if (!strcmp(c->q->sort[i].name, key))
            return &c->values[i];
    return NULL;
}

static void cap_string(void *ctx, const char *key, const char *value)
{
    struct sort_value *v = slot(ctx, key);
    if (v) {
        v->present = v->is_text = true;
        snprintf(v->text, sizeof v->text, "%s", value);
    }
}

static void cap_int(void *ctx, const char *key, int64_t value)
{
    struct sort_value *v = slot(ctx, key);
    if (v) {
        v->present = true;
        v->num = (double)value;
    }
}

static void cap_bool(void *ctx, const char *key, bool value) { cap_int(ctx, key, value); }

struct sort_entry {
    uint32_t item, pos;
    struct sort_value *values;
};

static _Thread_local const struct ogc_query *sort_query;

static int compare_entries(const void *a, const void *b)
{
    const struct sort_entry *x = a, *y = b;
    for (size_t k = 0; k < sort_query->n_sort; k++) {
        const struct sort_value *u = &x->values[k], *v = &y->values[k];
        if (u->present != v->present)
            return u->present ? -1 : 1; /* a missing value comes last, in either direction */
        if (!u->present)
            continue;
        int c;
        if (u->is_text != v->is_text)
            c = u->is_text - v->is_text;
        else if (u->is_text)
            c = strcmp(u->text, v->text);
        else
            c = u->num < v->num ? -1 : u->num > v->num;
        if (c)
            return sort_query->sort[k].descending ? -c : c;
    }
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int sort_items(struct ogc_run *r, const struct ogc_collection *c, struct u32list *items)
{
    size_t n = items->len, k = r->q.n_sort;
    struct sort_entry *e = malloc((n ? n : 1) * sizeof(*e));
    struct sort_value *values = calloc(n * k > 0 ? n * k : 1, sizeof(*values));
    if (!e || !values) {
        free(e);
        free(values);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        e[i] = (struct sort_entry){items->items[i], (uint32_t)i, values + i * k};
        struct capture cap = {&r->q, e[i].values};
        struct prop_sink sink = {&cap, cap_string, cap_int, cap_bool};
        c->props(r, items->items[i], &sink);
    }
    sort_query = &r->q;
    qsort(e, n, sizeof(*e), compare_entries);
    for (size_t i = 0; i < n; i++)
        items->items[i] = e[i].item;
    free(e);
    free(values);
    return 0;
}

/* --- output --- */

static void write_feature(struct ogc_run *r, const struct ogc_collection *c, uint32_t item, struct ogc_writer *w)
{
    c->begin(r, item, w);
    c->geometry(r, item, w);
    ogc_properties_begin(w);
    struct prop_sink sink = ogc_prop_sink(w);
    c->props(r, item, &sink);
    ogc_properties_end(w);
}

/* The request's query string without limit, offset and f, for links. */
static void carry_query(const struct request *req, struct buf *out)
{
    for (size_t i = 0; i < req->n_params; i++) {
        const char *k = req->params[i].key;
        if (!strcmp(k, "limit") || !strcmp(k, "offset") || !strcmp(k, "f"))
            continue;
        url_encode_component(out, k);
        buf_putc(out, '=');
        url_encode_component(out, req->params[i].value);
        buf_putc(out, '&');
    }
}

static void link(struct buf *b, bool *first, const char *href, const char *rel, const char *type, const char *title)
{
    buf_puts(b, *first ? "" : ",");
    *first = false;
    buf_puts(b, "{\"href\":");
    ogc_json_string(b, href);
    buf_printf(b, ",\"rel\":\"%s\",\"type\":\"%s\",\"title\":\"%s\"}", rel, type, title);
}

static void page_link(struct buf *b, bool *first, const char *items_url, const char *carried, long limit, long offset,
                      const char *rel, const char *type, const char *fmt, const char *title)
{
    char href[4096];
    snprintf(href, sizeof href, "%s?%slimit=%ld&offset=%ld%s%s", items_url, carried, limit, offset, fmt ? "&f=" : "",
             fmt ? fmt : "");
    link(b, first, href, rel, type, title);
}

static void timestamp(char out[32])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void set_content_crs(struct response *res, const struct crs_info *crs)
{
    char uri[96], header[100];
    ogc_crs_uri(crs, uri, sizeof uri);
    snprintf(header, sizeof header, "<%s>", uri);
    response_set_header(res, "Content-Crs", header);
}

void ogc_items_respond(struct ogc_run *r, const struct ogc_collection *c, struct ogc_filter *filter, const char *base,
                       bool html, struct response *res)
{
    struct u32list items = {0};
    if (c->match(r, &items) < 0 || (filter && ogc_filter_apply(filter, r, c, &items) < 0) ||
        (r->q.n_sort && sort_items(r, c, &items) < 0)) {
        u32list_free(&items);
        response_error(res, 503, "out of memory");
        return;
    }
    size_t matched = items.len;
    size_t from = (size_t)r->q.offset < matched ? (size_t)r->q.offset : matched;
    size_t to = from + (size_t)r->q.limit < matched ? from + (size_t)r->q.limit : matched;

    struct buf *b = &res->body;
    buf_reset(b);
    struct ogc_writer w;
    ogc_writer_init(&w, b, r->q.crs);
    w.n_selected = r->q.n_props;
    for (size_t i = 0; i < r->q.n_props; i++)
        w.selected[i] = r->q.props[i];
    buf_puts(b, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (size_t i = from; i < to && !w.failed; i++) {
        if (i > from)
            buf_putc(b, ',');
        write_feature(r, c, items.items[i], &w);
        ogc_feature_end(&w);
    }
    u32list_free(&items);
    char ts[32];
    timestamp(ts);
    buf_printf(b, "],\"numberMatched\":%zu,\"numberReturned\":%zu,\"timeStamp\":\"%s\",\"links\":[", matched,
               to - from, ts);
    struct buf carried, url;
    buf_init(&carried, 64 * 1024);
    buf_init(&url, 4096);
    carry_query(r->req, &carried);
    buf_printf(&url, "%s/collections/%s/items", base, c->id);
    const char *cq = carried.data ? carried.data : "";
    bool first = true;
    page_link(b, &first, url.data, cq, r->q.limit, r->q.offset, "self", "application/geo+json", NULL, "this page");
    page_link(b, &first, url.data, cq, r->q.limit, r->q.offset, "alternate", "text/html", "html", "this page as HTML");
    if (to < matched)
        page_link(b, &first, url.data, cq, r->q.limit, (long)to, "next", "application/geo+json", NULL, "next page");
    if (from > 0)
        page_link(b, &first, url.data, cq, r->q.limit, from > (size_t)r->q.limit ? (long)from - r->q.limit : 0,
                  "prev", "application/geo+json", NULL, "previous page");
    buf_reset(&url);
    buf_printf(&url, "%s/collections/%s", base, c->id);
    link(b, &first, url.data, "collection", "application/json", "the collection");
    buf_puts(b, "]}");
    buf_free(&carried);
    buf_free(&url);
    if (w.failed || b->overflow) {
        response_error(res, w.failed && !b->overflow && strncmp(w.error, "response", 8) ? 400 : 413, "%s",
                       w.failed ? w.error : "response too large: lower limit");
        return;
    }
    res->status = 200;
    set_content_crs(res, r->q.crs);
    if (html)
        ogc_html_from_body(res, c->title);
    else
        response_set_type(res, "application/geo+json");
}

void ogc_item_respond(struct ogc_run *r, const struct ogc_collection *c, const char *fid, const char *base, bool html,
                      struct response *res)
{
    uint32_t item;
    if (c->find(r, fid, &item) < 0) {
        response_error(res, 404, "no feature '%.80s' in collection %s", fid, c->id);
        return;
    }
    struct buf *b = &res->body;
    buf_reset(b);
    struct ogc_writer w;
    ogc_writer_init(&w, b, r->q.crs);
    write_feature(r, c, item, &w);
    buf_puts(b, ",\"links\":[");
    struct buf url;
    buf_init(&url, 4096);
    buf_printf(&url, "%s/collections/%s/items/", base, c->id);
    url_encode_component(&url, fid);
    bool first = true;
    link(b, &first, url.data, "self", "application/geo+json", "this feature");
    buf_puts(&url, "?f=html");
    link(b, &first, url.data, "alternate", "text/html", "this feature as HTML");
    buf_reset(&url);
    buf_printf(&url, "%s/collections/%s", base, c->id);
    link(b, &first, url.data, "collection", "application/json", "the collection");
    buf_puts(b, "]}");
    buf_free(&url);
    if (w.failed || b->overflow) {
        response_error(res, 400, "%s", w.failed ? w.error : "response too large");
        return;
    }
    res->status = 200;
    set_content_crs(res, r->q.crs);
    if (html)
        ogc_html_from_body(res, c->title);
    else
        response_set_type(res, "application/geo+json");
}
