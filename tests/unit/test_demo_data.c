/* Unit tests of the pieces of `rbmap demo-data` that need no database: COPY text
 * escaping and value formatting (db/demo_copy.h), the calendar and the random streams
 * (db/demo_random.h), and the text generators' limits (db/demo_words.h). */
#include "db/demo_copy.h"
#include "db/demo_random.h"
#include "db/demo_words.h"
#include "tests/unit/unit.h"

static const char *row_of(struct demo_copy *c)
{
    demo_copy_end_row(c);
    return c->cs.buf.data;
}

static void test_escape_covers_copy_specials(void)
{
    struct buf b;
    buf_init(&b, 0);
    copy_escape(&b, "a\\b\tc\nd\re'\"é");
    CHECK_STR(b.data, "a\\\\b\\tc\\nd\\re'\"é");
    buf_reset(&b);
    copy_escape(&b, "");
    CHECK_STR(b.data, "");
    buf_reset(&b);
    copy_escape(&b, "\\N");
    CHECK_STR(b.data, "\\\\N"); /* the text "\N", not NULL */
    buf_free(&b);
}

static void test_fields_and_nulls(void)
{
    struct demo_copy c;
    copy_stream_init(&c.cs, NULL);
    demo_put_int(&c, 42);
    demo_put_int(&c, -7);
    demo_put_int(&c, INT64_MIN + 1);
    demo_put_int(&c, DEMO_NULL_INT);
    demo_put_text(&c, NULL);
    demo_put_text(&c, "x\ty");
    demo_put_bool(&c, 1);
    demo_put_bool(&c, 0);
    demo_put_bool(&c, DEMO_NULL_BOOL);
    CHECK_STR(row_of(&c), "42\t-7\t-9223372036854775807\t\\N\t\\N\tx\\ty\tt\tf\t\\N\n");
    CHECK(c.cs.rows == 1);
    buf_reset(&c.cs.buf);
    demo_put_coord(&c, 2.3522219);
    demo_put_coord(&c, -61.55555555);
    demo_put_coord(&c, -0.00000004);
    demo_put_coord(&c, 45.0);
    demo_put_money(&c, 1234567);
    demo_put_money(&c, DEMO_NULL_INT);
    CHECK_STR(row_of(&c), "2.3522219\t-61.5555556\t0.0000000\t45.0000000\t12345.67\t\\N\n");
    buf_reset(&c.cs.buf);
    demo_put_date(&c, demo_day_from_ymd(2024, 2, 29));
    demo_put_date(&c, DEMO_NO_DATE);
    demo_put_time(&c, (int64_t)demo_day_from_ymd(2018, 1, 1) * 86400 + 9 * 3600 + 5 * 60 + 7);
    demo_put_time(&c, DEMO_NO_TIME);
    CHECK_STR(row_of(&c), "2024-02-29\t\\N\t2018-01-01 09:05:07+00\t\\N\n");
    CHECK(demo_round_coord(1.23456789) == 1.2345679);
    buf_free(&c.cs.buf);
}

static void test_calendar_round_trips(void)
{
    CHECK(demo_day_from_ymd(1970, 1, 1) == 0);
    CHECK(demo_day_from_ymd(2018, 1, 1) == 17532);
    int y, m, d, ok = 1;
    for (int day = demo_day_from_ymd(1999, 12, 1); day < demo_day_from_ymd(2101, 3, 1); day++) {
        demo_ymd_from_day(day, &y, &m, &d);
        ok &= demo_day_from_ymd(y, m, d) == day && m >= 1 && m <= 12 && d >= 1 && d <= 31;
    }
    CHECK(ok);
    demo_ymd_from_day(demo_day_from_ymd(2100, 2, 28) + 1, &y, &m, &d);
    CHECK(y == 2100 && m == 3 && d == 1); /* 2100 is not a leap year */
    CHECK(demo_year_of_day(demo_day_from_ymd(2025, 12, 31)) == 2025);
}

static void test_streams_are_reproducible_and_independent(void)
{
    struct demo_rng a, b, c, d;
    demo_rng_init(&a, 7, 1, 12);
    demo_rng_init(&b, 7, 1, 12);
    demo_rng_init(&c, 7, 1, 13);
    demo_rng_init(&d, 7, 2, 12);
    int same = 1, differ_index = 0, differ_stream = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = demo_rng_next(&a);
        same &= x == demo_rng_next(&b);
        differ_index += x != demo_rng_next(&c);
        differ_stream += x != demo_rng_next(&d);
    }
    CHECK(same);
    CHECK(differ_index == 100 && differ_stream == 100);
    /* A known value pins the generator: a change would silently change every demo. */
    demo_rng_init(&a, 2018, 1, 0);
    CHECK(demo_rng_next(&a) == 0xf6e582c13cb52bcbULL);
    int in_range = 1, hits = 0;
    for (int i = 0; i < 100000; i++) {
        uint32_t v = demo_below(&a, 6);
        in_range &= v < 6;
        hits += v == 0;
        double u = demo_unit(&a);
        in_range &= u >= 0 && u < 1;
    }
    CHECK(in_range);
    CHECK(hits > 15500 && hits < 17800); /* 1/6 of 100,000 */
}

static void test_words_fit_their_limits(void)
{
    struct demo_rng r;
    demo_rng_init(&r, 1, 99, 0);
    int ok = 1;
    for (int i = 0; i < 20000; i++) {
        char name[128];
        demo_site_name(&r, i % 2, name, sizeof name);
        size_t chars = 0;
        for (const char *p = name; *p; p++)
            chars += ((unsigned char)*p & 0xC0) != 0x80;
        ok &= chars >= 4 && chars <= 35;
    }
    CHECK(ok);
    char out[128];
    demo_of("Maire", "Arles", out, sizeof out);
    CHECK_STR(out, "Maire d'Arles");
    demo_of("Maire", "Le Havre", out, sizeof out);
    CHECK_STR(out, "Maire du Havre");
    demo_of("Maire", "Les Mureaux", out, sizeof out);
    CHECK_STR(out, "Maire des Mureaux");
    demo_of("Maire", "Évry-Courcouronnes", out, sizeof out);
    CHECK_STR(out, "Maire d'Évry-Courcouronnes");
    demo_of("Maire", "Saint-Denis", out, sizeof out);
    CHECK_STR(out, "Maire de Saint-Denis");
    demo_address(&r, "93066", "93", "Saint-Denis", 1, out, sizeof out);
    CHECK(strstr(out, " 93") && strstr(out, " Saint-Denis") && out[0] >= '1' && out[0] <= '9');
    demo_address(&r, "97611", "976", "Mamoudzou", 0, out, sizeof out);
    CHECK(strstr(out, " 976") != NULL);
    demo_address(&r, "2A004", "2A", "Ajaccio", 0, out, sizeof out);
    CHECK(strstr(out, " 20") != NULL && strstr(out, "2A") == NULL);
}

int main(void)
{
    RUN(test_escape_covers_copy_specials);
    RUN(test_fields_and_nulls);
    RUN(test_calendar_round_trips);
    RUN(test_streams_are_reproducible_and_independent);
    RUN(test_words_fit_their_limits);
    return UNIT_REPORT();
}
