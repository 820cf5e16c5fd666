/* Reading sites from PostGIS into immutable, reference-counted records (used by
 * db/site_store.c; not for handlers). */
#ifndef RBMAP_DB_SITE_QUERY_H
#define RBMAP_DB_SITE_QUERY_H
#include "db/site_store.h"

#include <libpq-fe.h>
#include <stdatomic.h>

/* A site and its strings in one allocation, shared by every snapshot that holds it. */
struct site_record {
    atomic_int refs;
    struct site site;
    char strings[]; /* name, address, city name, bailiff, owners: NUL-terminated, back to back */
};

struct site_record_list {
    struct site_record **items;
    size_t count;
};

/* ids NULL: every site. Otherwise the sites among ids that still exist. Records come
 * with one reference each, owned by the list until moved out. */
int site_query_rows(PGconn *conn, const int32_t *ids, size_t n_ids, struct site_record_list *out, char *err,
                    size_t errlen);
void site_record_list_free(struct site_record_list *list);
void record_release(struct site_record *r);

/* Every field type with its colour; malloc'd array of *n. NULL with err on failure. */
struct field_type *site_query_field_types(PGconn *conn, size_t *n, char *err, size_t errlen);

#endif
