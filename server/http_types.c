#include "server/http.h"
#include "util/text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *request_param(const struct request *req, const char *name)
{
    for (size_t i = 0; i < req->n_params; i++)
        if (!strcmp(req->params[i].key, name))
            return req->params[i].value;
    return NULL;
}

const char *request_param_ci(const struct request *req, const char *name)
{
    for (size_t i = 0; i < req->n_params; i++)
        if (!strcasecmp(req->params[i].key, name))
            return req->params[i].value;
    return NULL;
}

const char *request_header(const struct request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (!strcasecmp(req->headers[i].key, name))
            return req->headers[i].value;
    return NULL;
}

void request_content_type(const struct request *req, char *out, size_t outlen)
{
    const char *ct = request_header(req, "Content-Type");
    size_t n = 0;
    if (ct) {
        while (*ct == ' ')
            ct++;
        for (; ct[n] && ct[n] != ';' && ct[n] != ' ' && n + 1 < outlen; n++)
            out[n] = (char)tolower((unsigned char)ct[n]);
    }
    if (outlen)
        out[n < outlen ? n : outlen - 1] = '\0';
}

void response_init(struct response *res)
{
    memset(res, 0, sizeof(*res));
    res->status = 200;
    res->features = -1;
    buf_init(&res->body, 0);
    snprintf(res->content_type, sizeof res->content_type, "application/octet-stream");
}

void response_free(struct response *res)
{
    buf_free(&res->body);
    for (size_t i = 0; i < res->n_headers; i++) {
        free(res->headers[i].key);
        free(res->headers[i].value);
    }
    res->n_headers = 0;
}

void response_set_header(struct response *res, const char *name, const char *value)
{
    for (size_t i = 0; i < res->n_headers; i++) {
        if (!strcasecmp(res->headers[i].key, name)) {
            free(res->headers[i].value);
            res->headers[i].value = strdup(value);
            return;
        }
    }
    if (res->n_headers == RESPONSE_MAX_HEADERS)
        return;
    res->headers[res->n_headers].key = strdup(name);
    res->headers[res->n_headers].value = strdup(value);
    res->n_headers++;
}

void response_set_type(struct response *res, const char *content_type)
{
    snprintf(res->content_type, sizeof res->content_type, "%s", content_type);
}

void response_json(struct response *res, int status, const json_t *doc)
{
    res->status = status;
    response_set_type(res, "application/json");
    buf_reset(&res->body);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (text) {
        buf_puts(&res->body, text);
        free(text);
    }
}

void response_error(struct response *res, int status, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    /* Messages quote client text, cut to a length that may split a UTF-8 sequence:
     * without the lossy copy jansson refuses the string and the body would be empty. */
    json_t *doc = json_pack("{s:{s:i,s:o}}", "error", "status", status, "message", json_string_lossy(message));
    response_json(res, status, doc);
    json_decref(doc);
}
