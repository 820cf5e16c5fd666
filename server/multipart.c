#include "server/multipart.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* boundary=... (RFC 2046: 1-70 characters, possibly quoted) from the Content-Type. */
static int boundary_of(const char *ct, char *out, size_t outlen)
{
    if (!ct) return -1;
    while (isspace((unsigned char)*ct)) ct++;
    if (strncasecmp(ct, "multipart/form-data", 19) || (ct[19] && ct[19] != ';' && !isspace((unsigned char)ct[19])))
        return -1;
    for (const char *p = ct + 19; (p = strchr(p, ';'));) {
        p++;
        while (isspace((unsigned char)*p)) p++;
        if (strncasecmp(p, "boundary=", 9)) continue;
        p += 9;
        size_t n = *p == '"' ? strcspn(++p, "\"") : strcspn(p, "; \t");
        if (n == 0 || n > 70 || n >= outlen) return -1;
        memcpy(out, p, n);
        out[n] = '\0';
        return 0;
    }
    return -1;
}

/* A parameter (name="..." or filename="...") of a Content-Disposition header line of
 * length n; quoted or bare. The "name=" match must not be the tail of "filename=". */
static void disposition_param(const char *h, size_t n, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    out[0] = '\0';
    for (size_t i = 0; i + kl + 1 <= n; i++) {
        if ((i && h[i - 1] != ' ' && h[i - 1] != ';' && h[i - 1] != '\t') || strncasecmp(h + i, key, kl) ||
            h[i + kl] != '=')
            continue;
        const char *v = h + i + kl + 1, *end = h + n;
        bool quoted = v < end && *v == '"';
        v += quoted;
        size_t k = 0;
        for (; v < end && k + 1 < outlen; v++) {
            if (quoted && *v == '\\' && v + 1 < end) v++; /* quoted-pair, as browsers send it */
            else if (quoted ? *v == '"' : (*v == ';' || *v == ' ')) break;
            out[k++] = *v;
        }
        out[k] = '\0';
        return;
    }
}

int multipart_parse(const char *content_type, const char *body, size_t len, struct mp_part *parts, int max,
                    char *err, size_t errlen)
{
    char b[80], delim[84];
    if (boundary_of(content_type, b, sizeof b) < 0) {
        snprintf(err, errlen, "the body must be multipart/form-data with a boundary");
        return -1;
    }
    int dl = snprintf(delim, sizeof delim, "\r\n--%s", b);
    if (!body) body = "", len = 0;
    /* The first delimiter may start the body (no preceding CRLF): treat it as if preceded by one. */
    const char *p;
    if (len >= (size_t)dl - 2 && !memcmp(body, delim + 2, (size_t)dl - 2)) p = body + dl - 2;
    else if ((p = memmem(body, len, delim, (size_t)dl))) p += dl;
    else {
        snprintf(err, errlen, "multipart body without its boundary");
        return -1;
    }
    const char *end = body + len;
    int n = 0;
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') return n; /* close delimiter */
        while (p < end && (*p == ' ' || *p == '\t')) p++;      /* transport padding */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') break;
        p += 2;
        const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        const char *next = memmem(p, (size_t)(end - p), delim, (size_t)dl);
        if (!next) break;
        if (n == max) {
            snprintf(err, errlen, "more than %d multipart parts", max);
            return -1;
        }
        struct mp_part *part = &parts[n];
        part->name[0] = part->filename[0] = '\0';
        const char *data = p;
        if (next - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            data = p + 2; /* no headers at all */
        } else if (hend && hend + 4 <= next) { /* headers: only Content-Disposition matters here */
            for (const char *h = p; h < hend + 2;) {
                const char *eol = memmem(h, (size_t)(hend + 2 - h), "\r\n", 2);
                size_t hl = (size_t)(eol - h);
                if (hl > 20 && !strncasecmp(h, "content-disposition:", 20)) {
                    disposition_param(h + 20, hl - 20, "name", part->name, sizeof part->name);
                    disposition_param(h + 20, hl - 20, "filename", part->filename, sizeof part->filename);
                }
                h = eol + 2;
            }
            data = hend + 4;
        } else {
            break; /* no blank line ending the headers */
        }
        part->data = data;
        part->len = (size_t)(next - data);
        if (part->name[0]) n++; /* a part without a name cannot be asked for: dropped */
        p = next + dl;
    }
    snprintf(err, errlen, "malformed or truncated multipart body");
    return -1;
}

const struct mp_part *multipart_get(const struct mp_part *parts, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(parts[i].name, name)) return &parts[i];
    return NULL;
}
