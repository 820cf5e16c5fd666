#include "server/trusted_proxies.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest textual address we accept, with brackets: "[ffff:...:255.255.255.255]". */
#define ADDR_TEXT_MAX 64

/* Parses "1.2.3.4", "::1", "[::1]" or an IPv4-mapped IPv6 address into net (prefix set
 * to the full length). */
static bool parse_addr(const char *text, size_t len, struct ip_network *net)
{
    char buf[ADDR_TEXT_MAX];
    if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
        text++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    memset(net, 0, sizeof *net);
    if (inet_pton(AF_INET, buf, net->addr) == 1) {
        net->v4 = true;
        net->prefix = 32;
        return true;
    }
    if (inet_pton(AF_INET6, buf, net->addr) != 1)
        return false;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(net->addr, mapped, sizeof mapped)) {
        memmove(net->addr, net->addr + 12, 4);
        memset(net->addr + 4, 0, 12);
        net->v4 = true;
        net->prefix = 32;
        return true;
    }
    net->prefix = 128;
    return true;
}

static bool network_contains(const struct ip_network *net, const struct ip_network *addr)
{
    if (net->v4 != addr->v4)
        return false;
    size_t whole = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->addr, addr->addr, whole))
        return false;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return !rest || (net->addr[whole] & mask) == (addr->addr[whole] & mask);
}

/* "ADDR" or "ADDR/BITS": the host bits must be zero, so that a typo is not silently widened. */
static int parse_network(const char *text, size_t len, struct ip_network *net, char *err, size_t errlen)
{
    const char *slash = memchr(text, '/', len);
    size_t addr_len = slash ? (size_t)(slash - text) : len;
    if (!parse_addr(text, addr_len, net)) {
        snprintf(err, errlen, "trusted_proxies: '%.*s' is not an IPv4 or IPv6 address", (int)addr_len, text);
        return -1;
    }
    if (!slash)
        return 0;
    unsigned max = net->v4 ? 32 : 128, bits = 0;
    size_t digits = len - addr_len - 1;
    for (size_t i = 0; i < digits; i++) {
        char c = slash[1 + i];
        if (!isdigit((unsigned char)c) || i >= 3) {
            digits = 0;
            break;
        }
        bits = bits * 10 + (unsigned)(c - '0');
    }
    if (!digits || bits > max) {
        snprintf(err, errlen, "trusted_proxies: '%.*s' has a bad prefix length (0 to %u)", (int)len, text, max);
        return -1;
    }
    net->prefix = (unsigned char)bits;
    struct ip_network base = *net;
    base.prefix = net->v4 ? 32 : 128;
    for (unsigned b = bits; b < max; b++)
        if (base.addr[b / 8] & (0x80 >> (b % 8))) {
            snprintf(err, errlen, "trusted_proxies: '%.*s' has host bits set after /%u", (int)len, text, bits);
            return -1;
        }
    return 0;
}

static bool is_separator(char c) { return c == ',' || c == ' ' || c == '\t'; }

int trusted_proxies_parse(const char *text, struct trusted_proxies *out, char *err, size_t errlen)
{
    struct trusted_proxies parsed = {0};
    const char *p = text;
    while (*p) {
        while (is_separator(*p))
            p++;
        const char *start = p;
        while (*p && !is_separator(*p))
            p++;
        if (p == start)
            break;
        if (parsed.count == TRUSTED_PROXIES_MAX) {
            snprintf(err, errlen, "trusted_proxies: at most %d entries", TRUSTED_PROXIES_MAX);
            return -1;
        }
        if (parse_network(start, (size_t)(p - start), &parsed.nets[parsed.count], err, errlen) < 0)
            return -1;
        parsed.count++;
    }
    *out = parsed;
    return 0;
}

static bool contains_parsed(const struct trusted_proxies *tp, const struct ip_network *addr)
{
    for (size_t i = 0; i < tp->count; i++)
        if (network_contains(&tp->nets[i], addr))
            return true;
    return false;
}

bool trusted_proxies_contains(const struct trusted_proxies *tp, const char *addr)
{
    struct ip_network parsed;
    return tp->count && parse_addr(addr, strlen(addr), &parsed) && contains_parsed(tp, &parsed);
}

/* The entry ending just before *end in [begin, *end), trimmed; moves *end before its comma.
 * Returns false when nothing is left. */
static bool previous_entry(const char *begin, const char **end, const char **entry, size_t *len)
{
    const char *e = *end;
    while (e > begin && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == ','))
        e--;
    if (e == begin)
        return false;
    const char *s = e;
    while (s > begin && s[-1] != ',' && s[-1] != ' ' && s[-1] != '\t')
        s--;
    *entry = s;
    *len = (size_t)(e - s);
    *end = s;
    return true;
}

void trusted_proxies_client(const struct trusted_proxies *tp, const char *peer, const char *const *forwarded,
                            size_t n_forwarded, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", peer);
    if (!trusted_proxies_contains(tp, peer))
        return;
    for (size_t h = n_forwarded; h-- > 0;) {
        const char *end = forwarded[h] + strlen(forwarded[h]), *entry;
        size_t len;
        while (previous_entry(forwarded[h], &end, &entry, &len)) {
            struct ip_network addr;
            if (!parse_addr(entry, len, &addr))
                return; /* garbage: the last proxy that passed it on is who we know */
            char text[INET6_ADDRSTRLEN];
            inet_ntop(addr.v4 ? AF_INET : AF_INET6, addr.addr, text, sizeof text);
            snprintf(out, outlen, "%s", text);
            if (!contains_parsed(tp, &addr))
                return;
        }
    }
}
