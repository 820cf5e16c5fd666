#include "db/demo_copy.h"

#include "db/demo_random.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int demo_copy_begin(struct demo_copy *c, PGconn *conn, const char *sql, char *err, size_t errlen)
{
    int rc = copy_begin(&c->cs, conn, sql, err, errlen);
    if (rc < 0)
        buf_free(&c->cs.buf);
    return rc;
}

void demo_put_null(struct demo_copy *c) { copy_null(&c->cs); }

void demo_put_text(struct demo_copy *c, const char *s) { copy_text(&c->cs, s); }

/* Hand-rolled because a million wide rows make snprintf the generator's hot spot. */
static size_t format_uint(char *out, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

void demo_put_int(struct demo_copy *c, int64_t v)
{
    if (v == DEMO_NULL_INT) {
        demo_put_null(c);
        return;
    }
    char out[24];
    size_t n = 0;
    if (v < 0) {
        out[n++] = '-';
        n += format_uint(out + n, (uint64_t)(-(v + 1)) + 1);
    } else {
        n = format_uint(out, (uint64_t)v);
    }
    copy_field(&c->cs, out, n);
}

void demo_put_bool(struct demo_copy *c, int v)
{
    if (v == DEMO_NULL_BOOL)
        demo_put_null(c);
    else
        copy_field(&c->cs, v ? "t" : "f", 1);
}

double demo_round_coord(double v) { return round(v * 1e7) / 1e7; }

void demo_put_coord(struct demo_copy *c, double v)
{
    char out[32];
    int64_t scaled = (int64_t)llround(v * 1e7);
    uint64_t mag = scaled < 0 ? (uint64_t)(-scaled) : (uint64_t)scaled;
    size_t n = 0;
    if (scaled < 0)
        out[n++] = '-';
    n += format_uint(out + n, mag / 10000000);
    out[n++] = '.';
    char frac[8];
    size_t fn = format_uint(frac, mag % 10000000);
    for (size_t i = fn; i < 7; i++)
        out[n++] = '0';
    memcpy(out + n, frac, fn);
    n += fn;
    copy_field(&c->cs, out, n);
}

void demo_put_money(struct demo_copy *c, int64_t cents)
{
    if (cents == DEMO_NULL_INT) {
        demo_put_null(c);
        return;
    }
    char out[32];
    int n = snprintf(out, sizeof out, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
    copy_field(&c->cs, out, (size_t)n);
}

static size_t format_ymd(char *out, int day)
{
    int y, m, d;
    demo_ymd_from_day(day, &y, &m, &d);
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    return 10;
}

void demo_put_date(struct demo_copy *c, int day)
{
    if (day == DEMO_NO_DATE) {
        demo_put_null(c);
        return;
    }
    char out[16];
    size_t n = format_ymd(out, day);
    copy_field(&c->cs, out, n);
}

void demo_put_time(struct demo_copy *c, int64_t epoch_s)
{
    if (epoch_s == DEMO_NO_TIME) {
        demo_put_null(c);
        return;
    }
    int64_t day = epoch_s >= 0 ? epoch_s / 86400 : -((-epoch_s + 86399) / 86400);
    int secs = (int)(epoch_s - day * 86400);
    char out[40];
    size_t n = format_ymd(out, (int)day);
    int hh = secs / 3600, mm = secs / 60 % 60, ss = secs % 60;
    const char tail[] = {' ', (char)('0' + hh / 10), (char)('0' + hh % 10), ':', (char)('0' + mm / 10),
                         (char)('0' + mm % 10), ':', (char)('0' + ss / 10), (char)('0' + ss % 10),
                         '+', '0', '0'};
    memcpy(out + n, tail, sizeof tail);
    copy_field(&c->cs, out, n + sizeof tail);
}

void demo_copy_end_row(struct demo_copy *c) { copy_end_row(&c->cs); }

int64_t demo_copy_finish(struct demo_copy *c, char *err, size_t errlen)
{
    int64_t rows = (int64_t)c->cs.rows;
    return copy_finish(&c->cs, err, errlen) == 0 ? rows : -1;
}
