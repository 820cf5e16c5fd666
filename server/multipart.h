/* multipart/form-data (RFC 7578) decoding of a request body already held in memory
 * (and already capped by max_body_bytes). Parts point into the body: nothing is copied
 * but the names, so a part's data may hold any bytes, NUL included. */
#ifndef RBMAP_SERVER_MULTIPART_H
#define RBMAP_SERVER_MULTIPART_H
#include <stddef.h>

#define MULTIPART_MAX_PARTS 64
#define MULTIPART_NAME_MAX 128

struct mp_part {
    char name[MULTIPART_NAME_MAX];     /* Content-Disposition name="" */
    char filename[MULTIPART_NAME_MAX]; /* filename="", may be empty */
    const char *data;
    size_t len;
};

/* Splits body by the boundary of content_type ("multipart/form-data; boundary=...").
 * Returns the number of parts (at most max), or -1 with a client-facing message in err
 * when the Content-Type is not multipart or the body is malformed. */
int multipart_parse(const char *content_type, const char *body, size_t len, struct mp_part *parts, int max,
                    char *err, size_t errlen);
/* The first part called name, or NULL. */
const struct mp_part *multipart_get(const struct mp_part *parts, int n, const char *name);

#endif
