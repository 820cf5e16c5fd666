#include "server/http_server.h"

#include "server/access_log.h"
#include "server/admission.h"
#include "server/audit_log.h"
#include "server/auth.h"
#include "server/context.h"
#include "server/conn_limit.h"
#include "server/cors.h"
#include "server/metrics.h"
#include "server/rate_limit.h"
#include "server/routes.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct http_server {
    struct MHD_Daemon *daemon;
    struct server_ctx *ctx;
    struct admission *admission;
    struct conn_limit *conn_limit; /* per_ip_connection_limit, answered with 503s */
    atomic_int in_flight; /* requests begun and not yet fully sent: what a stop drains */
};

/* What accumulates between libmicrohttpd's calls for one request. */
struct pending_request {
    struct buf body;
    int body_too_large;
    struct timespec started;
};

static double seconds_since(struct timespec start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
}

int http_dispatch(struct request *req, struct response *res)
{
    int index = routes_match(req->method, req->path);
    if (index == -2)
        response_error(res, 405, "method %s is not allowed on %s", req->method, req->path);
    else if (index < 0)
        response_error(res, 404, "no such endpoint: %s", req->path);
    else
        routes[index].handler(req, res);
    return index;
}

/* The credential's bucket (its subject) or, without one, the client address's. */
static bool within_rate_limit(struct server_ctx *ctx, struct request *req, struct response *res)
{
    char key[96];
    if (req->scope.subject[0])
        snprintf(key, sizeof key, "s:%s", req->scope.subject);
    else
        snprintf(key, sizeof key, "a:%s", req->remote_addr);
    int wait = rate_limiter_take(ctx->rate_limit, key, rate_limiter_now());
    if (!wait)
        return true;
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%d", wait);
    metrics_count_rejection(ctx->metrics, METRICS_REJECT_RATE_LIMIT);
    response_error(res, 429, "rate limit exceeded (%d requests per second, bursts of %d, per %s); retry in %d s",
                   ctx->cfg->rate_limit_per_s, ctx->cfg->rate_limit_burst,
                   req->scope.subject[0] ? "credential" : "address", wait);
    response_set_header(res, "Retry-After", seconds);
    return false;
}

struct collect_state {
    struct kv *items;
    size_t max;
    size_t n;
    int overflow;
};

static enum MHD_Result collect_value(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct collect_state *st = cls;
    if (st->n == st->max) {
        st->overflow = 1;
        return MHD_NO;
    }
    /* Pointers stay valid for the life of the request: libmicrohttpd owns them. */
    st->items[st->n].key = (char *)key;
    st->items[st->n].value = (char *)(value ? value : "");
    st->n++;
    return MHD_YES;
}

static void fill_remote_addr(struct MHD_Connection *conn, char *out, size_t outlen)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, outlen, "-");
    if (!info || !info->client_addr)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)outlen);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)outlen);
}

/* What rbmap keeps per TCP connection: its client address and whether it was opened
 * past per_ip_connection_limit (then every request on it gets a 503 and it is closed). */
struct connection_state {
    char addr[48];
    bool over_limit;
};

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *server = cls;
    struct connection_state *cs = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        cs = calloc(1, sizeof(*cs));
        if (!cs)
            return;
        fill_remote_addr(conn, cs->addr, sizeof cs->addr);
        cs->over_limit = !conn_limit_opened(server->conn_limit, cs->addr);
        *socket_context = cs;
    } else if (cs) {
        conn_limit_closed(server->conn_limit, cs->addr);
        free(cs);
        *socket_context = NULL;
    }
}

static const struct connection_state *connection_state_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* The address rate limits, failure counts and logs use: the peer's (formatted once per
 * connection when it opened), or the client's behind one of our trusted proxies
 * (server/trusted_proxies.h). */
static void resolve_client_addr(struct MHD_Connection *conn, const struct connection_state *cs,
                                struct request *req)
{
    const struct trusted_proxies *tp = &req->ctx->cfg->trusted_proxies;
    char formatted[sizeof req->remote_addr];
    const char *peer = cs ? cs->addr : formatted;
    if (!cs)
        fill_remote_addr(conn, formatted, sizeof formatted);
    const char *forwarded[REQUEST_MAX_HEADERS];
    size_t n = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        if (!strcasecmp(req->headers[i].key, "X-Forwarded-For"))
            forwarded[n++] = req->headers[i].value;
    trusted_proxies_client(tp, peer, forwarded, n, req->remote_addr, sizeof req->remote_addr);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct response *res,
                                      const struct cors_decision *cors)
{
    size_t len;
    char *data = buf_detach(&res->body, &len);
    struct MHD_Response *mhd = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!mhd) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(mhd, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    /* Maps on other origins embed our layers: which origins may read is cors_origins. */
    if (cors->allow_origin[0]) {
        MHD_add_response_header(mhd, "Access-Control-Allow-Origin", cors->allow_origin);
        MHD_add_response_header(mhd, "Access-Control-Expose-Headers",
                                "ETag, Content-Crs, Link, WWW-Authenticate, Retry-After, Content-Disposition, "
                                "X-Feature-Count");
        if (cors->credentials)
            MHD_add_response_header(mhd, "Access-Control-Allow-Credentials", "true");
    }
    if (cors->vary_origin) {
        /* One Vary header: a handler's (Accept-Encoding) gets Origin appended. */
        size_t i = 0;
        while (i < res->n_headers && strcasecmp(res->headers[i].key, "Vary"))
            i++;
        if (i < res->n_headers) {
            char merged[256];
            snprintf(merged, sizeof merged, "%s, Origin", res->headers[i].value);
            response_set_header(res, "Vary", merged);
        } else {
            MHD_add_response_header(mhd, "Vary", "Origin");
        }
    }
    bool has_retry_after = false;
    for (size_t i = 0; i < res->n_headers; i++) {
        MHD_add_response_header(mhd, res->headers[i].key, res->headers[i].value);
        has_retry_after |= !strcasecmp(res->headers[i].key, "Retry-After");
    }
    if (res->status == 503 && !has_retry_after) /* every 503 says when to come back */
        MHD_add_response_header(mhd, "Retry-After", "1");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned int)res->status, mhd);
    MHD_destroy_response(mhd);
    return ret;
}

/* Monitoring answers even when every worker is busy: it is how overload is seen. */
static bool bypasses_admission(const char *path) { return !strcmp(path, "/health") || !strcmp(path, "/metrics"); }

static int admitted_dispatch(struct http_server *server, struct request *req, struct response *res)
{
    if (bypasses_admission(req->path))
        return http_dispatch(req, res);
    if (admission_enter(server->admission, server->ctx->cfg->queue_wait_ms) < 0) {
        response_error(res, 503, "server busy: every worker is taken and the queue is full; retry shortly");
        response_set_header(res, "Retry-After", "1");
        return routes_match(req->method, req->path); /* counted under its route */
    }
    int index = http_dispatch(req, res);
    admission_leave(server->admission);
    return index;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct http_server *server = cls;
    struct pending_request *pending = *con_cls;
    if (!pending) {
        pending = calloc(1, sizeof(*pending));
        if (!pending)
            return MHD_NO;
        buf_init(&pending->body, server->ctx->cfg->max_body_bytes);
        clock_gettime(CLOCK_MONOTONIC, &pending->started);
        *con_cls = pending;
        atomic_fetch_add(&server->in_flight, 1);
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* Past the limit the rest of the upload is read and dropped, so the client
         * gets a clean 413 instead of a reset connection. */
        if (!pending->body_too_large && !buf_append(&pending->body, upload_data, *upload_data_size))
            pending->body_too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }

    struct request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.ctx = server->ctx;
    req.body = pending->body.data;
    req.body_len = pending->body.len;
    const struct connection_state *cs = connection_state_of(conn);
    struct collect_state params = {req.params, REQUEST_MAX_PARAMS, 0, 0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_value, &params);
    req.n_params = params.n;
    struct collect_state headers = {req.headers, REQUEST_MAX_HEADERS, 0, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_value, &headers);
    req.n_headers = headers.n;
    resolve_client_addr(conn, cs, &req);

    struct response res;
    response_init(&res);
    int index = -1;
    struct cors_decision cors;
    cors_decide(server->ctx->cfg->cors_origins, request_header(&req, "Origin"), &cors);
    if (cs && cs->over_limit) {
        metrics_count_rejection(server->ctx->metrics, METRICS_REJECT_CONNECTIONS);
        response_error(&res, 503, "too many open connections from %s (per_ip_connection_limit = %d); reuse one",
                       cs->addr, server->ctx->cfg->per_ip_connection_limit);
        response_set_header(&res, "Retry-After", "1");
        response_set_header(&res, "Connection", "close");
    } else if (pending->body_too_large)
        response_error(&res, 413, "request body larger than %zu bytes", server->ctx->cfg->max_body_bytes);
    else if (params.overflow)
        response_error(&res, 400, "too many query parameters (at most %d)", REQUEST_MAX_PARAMS);
    else if (headers.overflow)
        response_error(&res, 431, "too many request headers (at most %d)", REQUEST_MAX_HEADERS);
    else if (!strcmp(method, "OPTIONS") && !cors.allowed) {
        metrics_count_rejection(server->ctx->metrics, METRICS_REJECT_CORS);
        response_error(&res, 403, "origin %.200s is not allowed (cors_origins)", request_header(&req, "Origin"));
    } else if (!strcmp(method, "OPTIONS")) {
        /* CORS preflight: what a browser must know before sending Authorization. */
        res.status = 204;
        response_set_header(&res, "Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
        response_set_header(&res, "Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match");
        response_set_header(&res, "Access-Control-Max-Age", "600");
    } else if (auth_resolve(server->ctx, &req, &res) == 0 && /* sets req.scope, or writes the 401 */
               within_rate_limit(server->ctx, &req, &res))
        index = admitted_dispatch(server, &req, &res);

    int status = res.status;
    size_t bytes = res.body.len;
    const char *route_name = index >= 0 ? routes[index].name : NULL;
    if (audit_log_applies(&req, route_name, status))
        audit_log_write(&req, route_name, &res);
    enum MHD_Result ret = send_response(conn, &res, &cors);
    double elapsed = seconds_since(pending->started);
    metrics_observe(server->ctx->metrics, index >= 0 ? routes_name_index(&routes[index]) : route_name_count,
                    status, elapsed);
    access_log_write(&req, route_name, status, bytes, elapsed);
    response_free(&res);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct http_server *server = cls;
    struct pending_request *pending = *con_cls;
    if (pending) {
        buf_free(&pending->body);
        free(pending);
        *con_cls = NULL;
        atomic_fetch_sub(&server->in_flight, 1);
    }
}

struct http_server *http_server_start(struct server_ctx *ctx, char *err, size_t errlen)
{
    const struct config *cfg = ctx->cfg;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->listen_port);
    if (inet_pton(AF_INET, cfg->listen_host, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "listen address '%s' is not an IPv4 address", cfg->listen_host);
        return NULL;
    }
    struct http_server *server = calloc(1, sizeof(*server));
    if (!server) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    server->ctx = ctx;
    /* cfg->threads run handlers; queue_max more threads may wait for one (admission.h). */
    server->admission = admission_create(cfg->threads, cfg->queue_max);
    server->conn_limit = conn_limit_create(cfg->per_ip_connection_limit);
    if (!server->admission || !server->conn_limit) {
        snprintf(err, errlen, "out of memory");
        admission_destroy(server->admission);
        conn_limit_destroy(server->conn_limit);
        free(server);
        return NULL;
    }
    /* Connections past per_ip_connection_limit get a 503 (conn_limit.h); libmicrohttpd
     * only drops, on accept, those past twice the limit: a flood of idle connections
     * from one address still cannot take every slot. */
    unsigned int hard_per_ip = cfg->per_ip_connection_limit > 0 ? 2u * (unsigned int)cfg->per_ip_connection_limit : 0;
    server->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG, (uint16_t)cfg->listen_port, NULL, NULL,
        on_request, server, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)(cfg->threads + cfg->queue_max), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->connection_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        hard_per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, server, MHD_OPTION_END);
    if (!server->daemon) {
        snprintf(err, errlen, "cannot listen on %s:%d (address in use or not permitted)", cfg->listen_host,
                 cfg->listen_port);
        admission_destroy(server->admission);
        conn_limit_destroy(server->conn_limit);
        free(server);
        return NULL;
    }
    metrics_attach_admission(ctx->metrics, server->admission);
    return server;
}

void http_server_stop(struct http_server *server, int drain_seconds)
{
    if (!server)
        return;
    MHD_quiesce_daemon(server->daemon);
    /* Requests in flight finish; idle keep-alive connections (a proxy keeps some
     * open for ever) are not waited for: MHD_stop_daemon closes them. */
    for (int waited = 0; waited < drain_seconds * 10 && atomic_load(&server->in_flight) > 0; waited++)
        usleep(100000);
    MHD_stop_daemon(server->daemon);
    metrics_attach_admission(server->ctx->metrics, NULL);
    admission_destroy(server->admission);
    conn_limit_destroy(server->conn_limit); /* after MHD_stop_daemon: every connection closed */
    free(server);
}
