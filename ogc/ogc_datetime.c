#include "ogc/ogc_datetime.h"

#include "db/site_store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One instant: "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)" (date-time as its day). */
static int parse_instant(const char *text, size_t len, int32_t *day)
{
    char date[11];
    if (len < 10 || len > 40)
        return -1;
    memcpy(date, text, 10);
    date[10] = 0;
    if ((*day = day_from_iso(date)) == DAY_NONE)
        return -1;
    if (len == 10)
        return 0;
    if (text[10] != 'T' && text[10] != 't')
        return -1;
    int h, m, s, n = 0;
    char rest[32];
    snprintf(rest, sizeof rest, "%.*s", (int)(len - 11), text + 11);
    if (sscanf(rest, "%2d:%2d:%2d%n", &h, &m, &s, &n) != 3 || n != 8 || h > 23 || m > 59 || s > 60)
        return -1;
    const char *p = rest + 8;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if ((*p == 'Z' || *p == 'z') && !p[1])
        return 0;
    int oh, om;
    if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5 && !p[6] && oh < 24 &&
        om < 60) {
        /* The UTC day of a date-time with an offset. */
        int minutes = h * 60 + m - (*p == '+' ? 1 : -1) * (oh * 60 + om);
        if (minutes < 0)
            (*day)--;
        else if (minutes >= 24 * 60)
            (*day)++;
        return 0;
    }
    return -1;
}

/* Howard Hinnant's civil calendar conversions (days since 1970-01-01). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* start + an ISO 8601 duration "PnYnMnWnDTnHnMnS" (the test suite's "2018-02-12/P2D"):
 * calendar years and months, whole days; a time part rounds up to the next day. */
static int add_duration(int32_t start, const char *text, int32_t *end)
{
    if (*text != 'P' || !text[1])
        return -1;
    int64_t years = 0, months = 0, days = 0, seconds = 0;
    bool in_time = false;
    for (const char *p = text + 1; *p;) {
        if (*p == 'T' && !in_time) {
            in_time = true;
            p++;
            continue;
        }
        char *after;
        errno = 0;
        long long n = strtoll(p, &after, 10);
        if (after == p || !*after || n < 0 || n > 100000 || errno)
            return -1;
        char unit = *after;
        if (!in_time && unit == 'Y') years += n;
        else if (!in_time && unit == 'M') months += n;
        else if (!in_time && unit == 'W') days += 7 * n;
        else if (!in_time && unit == 'D') days += n;
        else if (in_time && unit == 'H') seconds += 3600 * n;
        else if (in_time && unit == 'M') seconds += 60 * n;
        else if (in_time && unit == 'S') seconds += n;
        else return -1;
        p = after + 1;
    }
    int64_t y;
    int m, d;
    civil_from_days(start, &y, &m, &d);
    int64_t total_months = (int64_t)m - 1 + 12 * years + months;
    y += total_months / 12;
    m = (int)(total_months % 12) + 1;
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int last = month_days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    int64_t day = days_from_civil(y, m, d > last ? last : d) + days + (seconds + 86399) / 86400;
    if (day > INT32_MAX - 1)
        return -1;
    *end = (int32_t)day;
    return 0;
}

int ogc_datetime_parse(const char *text, bool *given, bool *instant, int32_t *start, int32_t *end)
{
    const char *slash = strchr(text, '/');
    *given = true;
    if (!slash) {
        *instant = true;
        if (parse_instant(text, strlen(text), start) < 0)
            return -1;
        *end = *start;
        return 0;
    }
    *instant = false;
    if (strchr(slash + 1, '/'))
        return -1;
    size_t l1 = (size_t)(slash - text), l2 = strlen(slash + 1);
    bool open1 = l1 == 0 || (l1 == 2 && !strncmp(text, "..", 2));
    bool open2 = l2 == 0 || !strcmp(slash + 1, "..");
    if (open1 && open2)
        return -1;
    *start = INT32_MIN;
    *end = INT32_MAX;
    if (!open1 && parse_instant(text, l1, start) < 0)
        return -1;
    if (!open2 && slash[1] == 'P') {
        if (open1 || add_duration(*start, slash + 1, end) < 0)
            return -1;
    } else if (!open2 && parse_instant(slash + 1, l2, end) < 0) {
        return -1;
    }
    return *start <= *end ? 0 : -1;
}

bool ogc_datetime_match(const struct ogc_query *q, int32_t start, int32_t end)
{
    if (!q->has_datetime)
        return true;
    if (start == DAY_NONE || start > q->dt_end)
        return false;
    return end == DAY_NONE || end > q->dt_start;
}

