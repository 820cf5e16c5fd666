/* A small HTTP/1.1 load client for the tile benchmark: N threads, one keep-alive
 * connection each, taking paths from a shared list in order, timing every request with
 * a monotonic clock. Prints one line per request, "index status bytes microseconds",
 * then "# elapsed_us N requests N".
 *
 *   tileclient [-c CONCURRENCY] [-s SECONDS] [-E] [-H "Header: value"] HOST PORT PATHFILE
 *
 * Without -s every path is asked exactly once (a cold pass on a fresh server); with -s
 * the list is cycled until SECONDS have passed (a warm throughput run). With -E the
 * client remembers each path's ETag and sends it back in If-None-Match (revalidation:
 * the server answers 304 without a body).
 * Built by bench/run.sh with `cc -O2 -pthread`. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct result {
    uint32_t index;
    int status;
    uint32_t bytes;
    uint32_t usec;
};

static char **paths;
static size_t npaths;
static const char *host, *port, *extra_header = "";
static atomic_size_t next_request;
static double stop_after; /* seconds; 0 = one pass */
static int revalidate;    /* -E */
static char **etags;      /* per path, with -E */
static pthread_mutex_t etag_lock = PTHREAD_MUTEX_INITIALIZER;
static double t_start;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int connect_to(void)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, port, &hints, &ai))
        return -1;
    int fd = socket(ai->ai_family, ai->ai_socktype, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

struct conn {
    int fd;
    char *buf;
    size_t cap, len, pos; /* buffered bytes [pos, len) */
};

static int fill(struct conn *c)
{
    if (c->pos == c->len)
        c->pos = c->len = 0;
    if (c->len == c->cap) {
        if (c->pos) {
            memmove(c->buf, c->buf + c->pos, c->len - c->pos);
            c->len -= c->pos;
            c->pos = 0;
        } else {
            c->cap *= 2;
            c->buf = realloc(c->buf, c->cap);
            if (!c->buf)
                return -1;
        }
    }
    ssize_t n;
    do
        n = read(c->fd, c->buf + c->len, c->cap - c->len);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -1;
    c->len += (size_t)n;
    return 0;
}

/* Reads one line (up to CRLF) into out; returns its length or -1. */
static long read_line(struct conn *c, char *out, size_t outlen)
{
    for (;;) {
        char *p = memchr(c->buf + c->pos, '\n', c->len - c->pos);
        if (p) {
            size_t n = (size_t)(p - (c->buf + c->pos));
            size_t keep = n && c->buf[c->pos + n - 1] == '\r' ? n - 1 : n;
            if (keep >= outlen)
                keep = outlen - 1;
            memcpy(out, c->buf + c->pos, keep);
            out[keep] = 0;
            c->pos += n + 1;
            return (long)keep;
        }
        if (fill(c) < 0)
            return -1;
    }
}

static int skip_bytes(struct conn *c, size_t n)
{
    while (n) {
        if (c->pos == c->len && fill(c) < 0)
            return -1;
        size_t take = c->len - c->pos < n ? c->len - c->pos : n;
        c->pos += take;
        n -= take;
    }
    return 0;
}

/* One request on the connection; returns status or -1 (connection to be reopened). */
static int do_request(struct conn *c, size_t index, uint32_t *bytes, int *close_after)
{
    char req[2048], inm[300] = "";
    if (revalidate) {
        pthread_mutex_lock(&etag_lock);
        if (etags[index])
            snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etags[index]);
        pthread_mutex_unlock(&etag_lock);
    }
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n%s%s\r\n", paths[index], host, port,
                     extra_header, inm);
    for (int off = 0; off < n;) {
        ssize_t w = write(c->fd, req + off, (size_t)(n - off));
        if (w <= 0)
            return -1;
        off += (int)w;
    }
    char line[8192];
    if (read_line(c, line, sizeof line) < 0)
        return -1;
    int status = 0;
    if (sscanf(line, "HTTP/%*s %d", &status) != 1)
        return -1;
    long long length = -1;
    int chunked = 0;
    *close_after = 0;
    for (;;) {
        long l = read_line(c, line, sizeof line);
        if (l < 0)
            return -1;
        if (l == 0)
            break;
        if (!strncasecmp(line, "Content-Length:", 15))
            length = atoll(line + 15);
        else if (!strncasecmp(line, "Transfer-Encoding:", 18) && strcasestr(line, "chunked"))
            chunked = 1;
        else if (!strncasecmp(line, "Connection:", 11) && strcasestr(line, "close"))
            *close_after = 1;
        else if (revalidate && !strncasecmp(line, "ETag:", 5)) {
            const char *v = line + 5;
            while (*v == ' ')
                v++;
            pthread_mutex_lock(&etag_lock);
            if (!etags[index])
                etags[index] = strdup(v);
            pthread_mutex_unlock(&etag_lock);
        }
    }
    size_t total = 0;
    if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
        total = 0;
    } else if (chunked) {
        for (;;) {
            if (read_line(c, line, sizeof line) < 0)
                return -1;
            size_t sz = strtoul(line, NULL, 16);
            if (sz == 0) {
                if (read_line(c, line, sizeof line) < 0) /* trailing CRLF */
                    return -1;
                break;
            }
            if (skip_bytes(c, sz) < 0 || read_line(c, line, sizeof line) < 0)
                return -1;
            total += sz;
        }
    } else if (length >= 0) {
        if (skip_bytes(c, (size_t)length) < 0)
            return -1;
        total = (size_t)length;
    } else {
        return -1; /* body until close: not expected from the servers measured */
    }
    *bytes = (uint32_t)total;
    return status;
}

struct worker {
    pthread_t thread;
    struct result *results;
    size_t count, cap;
    int failed;
};

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    struct conn c = {.fd = -1, .cap = 1 << 16};
    c.buf = malloc(c.cap);
    for (;;) {
        size_t i = atomic_fetch_add(&next_request, 1);
        if (stop_after > 0) {
            if (now() - t_start >= stop_after)
                break;
        } else if (i >= npaths) {
            break;
        }
        struct result r = {.index = (uint32_t)(i % npaths)};
        double t0 = 0;
        int status = -1;
        for (int attempt = 0; attempt < 2 && status < 0; attempt++) {
            if (c.fd < 0) {
                c.fd = connect_to();
                c.pos = c.len = 0;
                if (c.fd < 0)
                    break;
            }
            int close_after = 0;
            t0 = now();
            status = do_request(&c, i % npaths, &r.bytes, &close_after);
            if (status < 0 || close_after) {
                close(c.fd);
                c.fd = -1;
            }
        }
        r.usec = (uint32_t)((now() - t0) * 1e6 + 0.5);
        r.status = status;
        if (status < 0)
            w->failed++;
        if (w->count == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 1024;
            w->results = realloc(w->results, w->cap * sizeof *w->results);
        }
        w->results[w->count++] = r;
    }
    if (c.fd >= 0)
        close(c.fd);
    free(c.buf);
    return NULL;
}

int main(int argc, char **argv)
{
    int concurrency = 1, opt;
    static char header_buf[4096];
    size_t hlen = 0;
    while ((opt = getopt(argc, argv, "c:s:EH:")) != -1) {
        if (opt == 'c')
            concurrency = atoi(optarg);
        else if (opt == 's')
            stop_after = atof(optarg);
        else if (opt == 'E')
            revalidate = 1;
        else if (opt == 'H')
            hlen += (size_t)snprintf(header_buf + hlen, sizeof header_buf - hlen, "%s\r\n", optarg);
        else
            return 2;
    }
    extra_header = header_buf;
    if (argc - optind != 3 || concurrency < 1) {
        fprintf(stderr, "usage: tileclient [-c N] [-s SECONDS] [-E] [-H header] HOST PORT PATHFILE\n");
        return 2;
    }
    host = argv[optind];
    port = argv[optind + 1];
    FILE *f = fopen(argv[optind + 2], "r");
    if (!f) {
        perror(argv[optind + 2]);
        return 1;
    }
    char line[4096];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!*line)
            continue;
        if (npaths == cap) {
            cap = cap ? cap * 2 : 256;
            paths = realloc(paths, cap * sizeof *paths);
        }
        paths[npaths++] = strdup(line);
    }
    fclose(f);
    if (!npaths)
        return 1;
    etags = calloc(npaths, sizeof *etags);
    struct worker *w = calloc((size_t)concurrency, sizeof *w);
    t_start = now();
    for (int i = 0; i < concurrency; i++)
        pthread_create(&w[i].thread, NULL, run_worker, &w[i]);
    for (int i = 0; i < concurrency; i++)
        pthread_join(w[i].thread, NULL);
    double elapsed = now() - t_start;
    size_t total = 0;
    int failed = 0;
    for (int i = 0; i < concurrency; i++) {
        for (size_t k = 0; k < w[i].count; k++)
            printf("%u %d %u %u\n", w[i].results[k].index, w[i].results[k].status, w[i].results[k].bytes,
                   w[i].results[k].usec);
        total += w[i].count;
        failed += w[i].failed;
    }
    printf("# elapsed_us %.0f requests %zu failed %d\n", elapsed * 1e6, total, failed);
    return 0;
}
