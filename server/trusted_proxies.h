/* Which peers are our own reverse proxies, and who the client behind them is.
 * This module promises:
 *   - `trusted_proxies = 10.0.0.0/8, 2001:db8::/32, 127.0.0.1` parses into a fixed-size
 *     list (IPv4 and IPv6 addresses or CIDR blocks; an IPv4-mapped IPv6 address counts
 *     as its IPv4 address), with a message naming the bad entry otherwise;
 *   - the client address is the peer's unless the peer is trusted; then it is the
 *     right-most X-Forwarded-For entry that is not itself trusted (entries a client
 *     wrote to the left of it are never believed). An entry that is not an address
 *     stops the walk at the proxy that passed it on. */
#ifndef RBMAP_SERVER_TRUSTED_PROXIES_H
#define RBMAP_SERVER_TRUSTED_PROXIES_H
#include <stdbool.h>
#include <stddef.h>

#define TRUSTED_PROXIES_MAX 32

struct ip_network {
    unsigned char addr[16]; /* IPv4 in the first 4 bytes */
    unsigned char prefix;   /* bits that must match */
    bool v4;
};

struct trusted_proxies {
    size_t count; /* 0: none, X-Forwarded-For is ignored */
    struct ip_network nets[TRUSTED_PROXIES_MAX];
};

/* Comma- or space-separated list; an empty text is an empty list. */
int trusted_proxies_parse(const char *text, struct trusted_proxies *out, char *err, size_t errlen);
/* Whether addr (textual IPv4 or IPv6) is in the list; false for anything unparsable. */
bool trusted_proxies_contains(const struct trusted_proxies *tp, const char *addr);
/* The client address into out: peer, or from the X-Forwarded-For header values (in the
 * order they came; several headers read as one list) when peer is trusted. */
void trusted_proxies_client(const struct trusted_proxies *tp, const char *peer, const char *const *forwarded,
                            size_t n_forwarded, char *out, size_t outlen);

#endif
