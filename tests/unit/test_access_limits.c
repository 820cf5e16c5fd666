/* Token buckets (server/rate_limit.h) with an explicit clock and their reconfiguration,
 * trusted proxies and the client address behind them (server/trusted_proxies.h), CORS decisions
 * (server/cors.h) and open connections per address (server/conn_limit.h). */
#include "server/audit_log.h"
#include "server/conn_limit.h"
#include "server/cors.h"
#include "server/rate_limit.h"
#include "server/trusted_proxies.h"
#include "tests/unit/unit.h"

static void test_bucket_refills_at_its_rate(void)
{
    struct rate_limiter *rl = rate_limiter_new(2, 5, 64); /* 2/s, bursts of 5 */
    CHECK(rl);
    double t = 1000;
    for (int i = 0; i < 5; i++)
        CHECK(rate_limiter_take(rl, "a", t) == 0);
    CHECK(rate_limiter_take(rl, "a", t) == 1);        /* half a second: rounded up to 1 */
    CHECK(rate_limiter_peek(rl, "a", t + 0.4) == 1);
    CHECK(rate_limiter_peek(rl, "a", t + 0.5) == 0);   /* one token back */
    CHECK(rate_limiter_take(rl, "a", t + 0.5) == 0);
    CHECK(rate_limiter_take(rl, "a", t + 0.5) == 1);
    CHECK(rate_limiter_take(rl, "b", t + 0.5) == 0);   /* another key: its own bucket */
    /* a long idle period refills to the burst, not beyond */
    for (int i = 0; i < 5; i++)
        CHECK(rate_limiter_take(rl, "a", t + 3600) == 0);
    CHECK(rate_limiter_take(rl, "a", t + 3600) != 0);
    /* peek never takes */
    for (int i = 0; i < 100; i++)
        CHECK(rate_limiter_peek(rl, "c", t) == 0);
    CHECK(rate_limiter_take(rl, "c", t) == 0);
    rate_limiter_free(rl);
}

static void test_slow_rate_gives_long_retry_after(void)
{
    struct rate_limiter *rl = rate_limiter_new(10 / 60.0, 10, 64); /* 10 per minute */
    for (int i = 0; i < 10; i++)
        CHECK(rate_limiter_take(rl, "127.0.0.1", 50) == 0);
    CHECK(rate_limiter_peek(rl, "127.0.0.1", 50) == 6);   /* one failure back every 6 s */
    CHECK(rate_limiter_peek(rl, "127.0.0.1", 55.9) == 1);
    CHECK(rate_limiter_peek(rl, "127.0.0.1", 56) == 0);
    rate_limiter_free(rl);
}

static void test_table_is_bounded_and_evicts_the_idle(void)
{
    struct rate_limiter *rl = rate_limiter_new(1, 3, 1024);
    /* A hot key in use stays while 10,000 other keys (ten times the table) come and go... */
    char key[32];
    double t = 0;
    int hot_refused = 0;
    for (int i = 0; i < 10000; i++) {
        t += 0.001;
        snprintf(key, sizeof key, "k%d", i);
        CHECK(rate_limiter_take(rl, key, t) == 0); /* every newcomer gets its burst */
        if (i % 50 == 0)
            hot_refused += rate_limiter_take(rl, "hot", t) != 0;
    }
    /* ...the hot key was seen often, so it was never the least recently seen in its
     * slots: it stayed limited (200 takes in 10 s at 1/s with bursts of 3). */
    CHECK(hot_refused > 150);
    /* An idle key is forgotten once others need its slots: it comes back with a full
     * bucket, exactly what refilling would have given it. */
    CHECK(rate_limiter_take(rl, "k0", t) == 0);
    CHECK(!rate_limiter_new(1, 1, 2));
    CHECK(rate_limiter_take(NULL, "x", 0) == 0); /* off */
    rate_limiter_free(rl);
}

/* SIGHUP: a limiter created off can be turned on, tightened, loosened and turned off. */
static void test_reconfigure(void)
{
    struct rate_limiter *rl = rate_limiter_new(0, 5, 64);
    CHECK(rl != NULL);
    for (int i = 0; i < 100; i++)
        CHECK(rate_limiter_take(rl, "a", 1) == 0); /* off: everything passes */
    rate_limiter_configure(rl, 1, 3);
    for (int i = 0; i < 3; i++)
        CHECK(rate_limiter_take(rl, "a", 2) == 0);
    CHECK(rate_limiter_take(rl, "a", 2) == 1);
    rate_limiter_configure(rl, 0.1, 2); /* slower: the wait grows */
    CHECK(rate_limiter_take(rl, "a", 2) == 10);
    rate_limiter_configure(rl, 1, 100);
    CHECK(rate_limiter_take(rl, "b", 2) == 0);
    for (int i = 0; i < 98; i++)
        CHECK(rate_limiter_take(rl, "b", 2) == 0); /* a fresh bucket has the new burst */
    rate_limiter_configure(rl, 1, 2); /* smaller burst: tokens are capped at once */
    CHECK(rate_limiter_take(rl, "b", 2) == 0);
    CHECK(rate_limiter_take(rl, "b", 2) == 1);
    rate_limiter_configure(rl, 0, 0);
    CHECK(rate_limiter_take(rl, "b", 2) == 0);
    rate_limiter_free(rl);
}

static void test_trusted_proxies_parse(void)
{
    struct trusted_proxies tp;
    char err[256];
    CHECK(trusted_proxies_parse("", &tp, err, sizeof err) == 0 && tp.count == 0);
    CHECK(!trusted_proxies_contains(&tp, "127.0.0.1")); /* default: nobody */
    CHECK(trusted_proxies_parse("10.0.0.0/8, 192.168.1.7 2001:db8::/32,[::1],fe80::/10", &tp, err, sizeof err) == 0);
    CHECK(tp.count == 5);
    CHECK(trusted_proxies_contains(&tp, "10.255.3.4"));
    CHECK(!trusted_proxies_contains(&tp, "11.0.0.1"));
    CHECK(trusted_proxies_contains(&tp, "192.168.1.7"));
    CHECK(!trusted_proxies_contains(&tp, "192.168.1.8"));
    CHECK(trusted_proxies_contains(&tp, "2001:db8:ffff::1"));
    CHECK(!trusted_proxies_contains(&tp, "2001:db9::1"));
    CHECK(trusted_proxies_contains(&tp, "::1"));
    CHECK(trusted_proxies_contains(&tp, "febf::1") && !trusted_proxies_contains(&tp, "fec0::1"));
    CHECK(trusted_proxies_contains(&tp, "::ffff:10.1.2.3")); /* IPv4-mapped */
    CHECK(!trusted_proxies_contains(&tp, "::ffff:11.1.2.3"));
    CHECK(!trusted_proxies_contains(&tp, "not-an-address") && !trusted_proxies_contains(&tp, ""));
    CHECK(trusted_proxies_parse("0.0.0.0/0", &tp, err, sizeof err) == 0 && trusted_proxies_contains(&tp, "8.8.8.8"));
    CHECK(!trusted_proxies_contains(&tp, "::1")); /* an IPv4 block holds no IPv6 address */
    CHECK(trusted_proxies_parse("172.16.0.0/12", &tp, err, sizeof err) == 0);
    CHECK(trusted_proxies_contains(&tp, "172.31.255.255") && !trusted_proxies_contains(&tp, "172.32.0.0"));
    /* Mistakes are named, and the previous list stays. */
    tp.count = 7;
    CHECK(trusted_proxies_parse("10.0.0.0/8, proxy.example", &tp, err, sizeof err) < 0 && tp.count == 7);
    CHECK(strstr(err, "'proxy.example'") != NULL);
    CHECK(trusted_proxies_parse("10.0.0.0/33", &tp, err, sizeof err) < 0 && strstr(err, "prefix") != NULL);
    CHECK(trusted_proxies_parse("10.0.0.0/", &tp, err, sizeof err) < 0);
    CHECK(trusted_proxies_parse("10.0.0.0/8x", &tp, err, sizeof err) < 0);
    CHECK(trusted_proxies_parse("::/129", &tp, err, sizeof err) < 0);
    CHECK(trusted_proxies_parse("10.0.0.1/8", &tp, err, sizeof err) < 0 && strstr(err, "host bits") != NULL);
    CHECK(trusted_proxies_parse("1.2.3.4/32 ::/0", &tp, err, sizeof err) == 0 && tp.count == 2);
    char many[1024] = "";
    for (int i = 0; i <= TRUSTED_PROXIES_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "10.0.0.%d,", i);
    CHECK(trusted_proxies_parse(many, &tp, err, sizeof err) < 0 && strstr(err, "at most") != NULL);
}

static void test_trusted_proxies_client(void)
{
    struct trusted_proxies tp;
    char err[256], out[64];
    CHECK(trusted_proxies_parse("10.0.0.0/8, ::1", &tp, err, sizeof err) == 0);
    const char *one[] = {"203.0.113.9"};
    trusted_proxies_client(&tp, "198.51.100.1", one, 1, out, sizeof out); /* untrusted peer */
    CHECK_STR(out, "198.51.100.1");
    trusted_proxies_client(&tp, "10.0.0.2", one, 1, out, sizeof out);
    CHECK_STR(out, "203.0.113.9");
    trusted_proxies_client(&tp, "10.0.0.2", NULL, 0, out, sizeof out); /* no header */
    CHECK_STR(out, "10.0.0.2");
    /* A client's own X-Forwarded-For is kept by the proxy and appended to: the
     * right-most untrusted entry is the one our proxy saw. */
    const char *spoofed[] = {"1.1.1.1, 203.0.113.9, 10.0.0.7"};
    trusted_proxies_client(&tp, "::1", spoofed, 1, out, sizeof out);
    CHECK_STR(out, "203.0.113.9");
    /* Several headers read as one list, the last one nearest to us. */
    static const struct {
        const char *headers[3]; /* X-Forwarded-For values in the order they came */
        const char *client;
    } cases[] = {
        {{"1.1.1.1", "203.0.113.10 ,10.0.0.7", " 10.0.0.8 "}, "203.0.113.10"}, /* read as one list */
        {{"10.1.1.1, 10.0.0.7"}, "10.1.1.1"},             /* every hop trusted: the first */
        {{"203.0.113.9, unknown, 10.0.0.7"}, "10.0.0.7"}, /* garbage stops the walk */
        {{"[2001:db8::5], ::ffff:203.0.113.4"}, "203.0.113.4"},
        {{"2001:DB8::5"}, "2001:db8::5"},
        {{" , ,"}, "10.0.0.2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = 0;
        while (n < 3 && cases[i].headers[n])
            n++;
        trusted_proxies_client(&tp, "10.0.0.2", cases[i].headers, n, out, sizeof out);
        CHECK_STR(out, cases[i].client);
    }
}

static void test_cors(void)
{
    struct cors_decision d;
    cors_decide("*", "https://evil.example", &d);
    CHECK(d.allowed && !strcmp(d.allow_origin, "*") && !d.credentials && !d.vary_origin);
    cors_decide("*", NULL, &d);
    CHECK(d.allowed && !strcmp(d.allow_origin, "*") && !d.credentials);
    const char *list = "https://a.fr, https://B.fr ,http://localhost:8080";
    cors_decide(list, "https://a.fr", &d);
    CHECK(d.allowed && !strcmp(d.allow_origin, "https://a.fr") && d.credentials && d.vary_origin);
    cors_decide(list, "https://b.fr", &d);
    CHECK(d.allowed && !strcmp(d.allow_origin, "https://B.fr")); /* the configured spelling */
    cors_decide(list, "http://localhost:8080", &d);
    CHECK(d.allowed);
    cors_decide(list, "http://localhost", &d);
    CHECK(!d.allowed && !d.allow_origin[0] && !d.credentials && d.vary_origin);
    cors_decide(list, "https://a.fr.evil.example", &d);
    CHECK(!d.allowed);
    cors_decide(list, "https://a.f", &d);
    CHECK(!d.allowed);
    cors_decide(list, "null", &d);
    CHECK(!d.allowed);
    cors_decide(list, NULL, &d);
    CHECK(d.allowed && !d.allow_origin[0] && d.vary_origin);
    cors_decide("https://a.fr,*", "https://evil.example", &d); /* `*` inside a list is no wildcard */
    CHECK(!d.allowed);
}

static bool audited(enum scope_kind kind, const char *route, const char *path, const char *wms_request,
                    int status)
{
    struct request req;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = path;
    req.scope.kind = kind;
    if (wms_request) {
        req.params[0].key = (char *)"request";
        req.params[0].value = (char *)wms_request;
        req.n_params = 1;
    }
    return audit_log_applies(&req, route, status);
}

/* Which requests are site-level reads (the OGC and WMS routes are exercised here before
 * their handlers exist). */
static void test_audit_selection(void)
{
    enum scope_kind T = SCOPE_TERRITORIAL, P = SCOPE_PUBLIC;
    CHECK(audited(T, "tiles", "/tiles/sites/3/4/2.mvt", NULL, 200));
    CHECK(audited(T, "tiles", "/tiles/boundaries,actions/3/4/2.mvt", NULL, 200));
    CHECK(audited(T, "tiles", "/tiles/clusters/0/0/0.mvt", NULL, 304));
    CHECK(!audited(T, "tiles", "/tiles/boundaries,territories/3/4/2.mvt", NULL, 200));
    CHECK(!audited(T, "tiles", "/tiles/sites.json", NULL, 200));          /* TileJSON */
    CHECK(!audited(T, "tiles", "/tiles/sites/3/4/2.mvt", NULL, 404));
    CHECK(!audited(P, "tiles", "/tiles/sites/3/4/2.mvt", NULL, 200));    /* public: no site */
    CHECK(audited(T, "clusters", "/clusters/sites/123/leaves", NULL, 200));
    CHECK(audited(T, "clusters", "/clusters/sites/123/children", NULL, 200));
    CHECK(audited(T, "clusters", "/clusters/sites.geojson", NULL, 200));
    CHECK(!audited(T, "clusters", "/clusters/sites/123/expansion-zoom", NULL, 200));
    CHECK(audited(T, "ogc", "/ogc/collections/sites/items", NULL, 200));
    CHECK(audited(T, "ogc", "/ogc/collections/actions/items/42", NULL, 200));
    CHECK(!audited(T, "ogc", "/ogc/collections/sites", NULL, 200));
    CHECK(!audited(T, "ogc", "/ogc/collections/boundaries/items", NULL, 200));
    CHECK(!audited(T, "ogc", "/ogc/collections/sites/queryables", NULL, 200));
    CHECK(audited(T, "wms", "/wms", "GetMap", 200) && audited(T, "wms", "/wms", "getfeatureinfo", 200));
    CHECK(!audited(T, "wms", "/wms", "GetCapabilities", 200));
    CHECK(audited(P, "export", "/export/sites.csv", NULL, 200));   /* exports: always */
    CHECK(audited(P, "export", "/export/sites.gpkg", NULL, 403));
    CHECK(!audited(T, NULL, "/nowhere", NULL, 404));
    CHECK(!audited(T, "health", "/health", NULL, 200));
}

static void test_connections_per_address(void)
{
    struct conn_limit *cl = conn_limit_create(2);
    CHECK(cl);
    CHECK(conn_limit_opened(cl, "127.0.0.1"));
    CHECK(conn_limit_opened(cl, "127.0.0.1"));
    CHECK(!conn_limit_opened(cl, "127.0.0.1")); /* the third is one too many */
    CHECK(conn_limit_opened(cl, "127.0.0.2"));  /* another address has its own count */
    CHECK(conn_limit_open_count(cl, "127.0.0.1") == 3 && conn_limit_open_count(cl, "127.0.0.2") == 1);
    conn_limit_closed(cl, "127.0.0.1");
    conn_limit_closed(cl, "127.0.0.1");
    CHECK(conn_limit_opened(cl, "127.0.0.1")); /* two open again (one over + this one) */
    CHECK(!conn_limit_opened(cl, "127.0.0.1"));
    for (int i = 0; i < 3; i++)
        conn_limit_closed(cl, "127.0.0.1");
    conn_limit_closed(cl, "127.0.0.2");
    CHECK(conn_limit_open_count(cl, "127.0.0.1") == 0 && conn_limit_open_count(cl, "127.0.0.2") == 0);
    conn_limit_closed(cl, "10.0.0.9"); /* never opened: ignored */
    /* Many addresses at once land in shared buckets and are told apart. */
    char addr[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(addr, sizeof addr, "10.0.%d.%d", i / 250, i % 250);
        CHECK(conn_limit_opened(cl, addr) && conn_limit_opened(cl, addr) && !conn_limit_opened(cl, addr));
    }
    CHECK(conn_limit_open_count(cl, "10.0.3.249") == 3);
    conn_limit_destroy(cl); /* frees what is still counted (LeakSanitizer checks) */
    struct conn_limit *unlimited = conn_limit_create(0);
    for (int i = 0; i < 100; i++)
        CHECK(conn_limit_opened(unlimited, "::1"));
    conn_limit_destroy(unlimited);
    CHECK(conn_limit_opened(NULL, "x")); /* no table: nothing refused */
}

int main(void)
{
    RUN(test_audit_selection);
    RUN(test_bucket_refills_at_its_rate);
    RUN(test_slow_rate_gives_long_retry_after);
    RUN(test_table_is_bounded_and_evicts_the_idle);
    RUN(test_cors);
    RUN(test_connections_per_address);
    RUN(test_reconfigure);
    RUN(test_trusted_proxies_parse);
    RUN(test_trusted_proxies_client);
    return UNIT_REPORT();
}
