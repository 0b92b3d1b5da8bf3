/* Unit tests of core/period: quarter parsing and formatting, ends, Amsterdam dates, submittability.
 */
#include "core/period.h"

#include <criterion/criterion.h>

#include "tests/unit/fixtures/unit_support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return timegm(&tm);
}

static void expect_period(const char *text, int year, int quarter)
{
    struct period p = {0, 0};
    cr_assert_eq(period_parse(text, &p), 0, "\"%s\" should parse", text);
    cr_assert_eq(p.year, year, "%s", text);
    cr_assert_eq(p.quarter, quarter, "%s", text);
}

Test(period, parses_canonical_compact_and_lowercase_forms, .timeout = 60)
{
    expect_period("2026-Q2", 2026, 2);
    expect_period("2026Q2", 2026, 2);
    expect_period("2026-q3", 2026, 3);
    expect_period("2026q4", 2026, 4);
    expect_period("1000-Q1", 1000, 1);
    expect_period("9999-Q4", 9999, 4);
}

Test(period, refuses_junk, .timeout = 60)
{
    static const char *const bad[] = {
        "",         "2026",     "2026-Q",   "2026-Q0",  "2026-Q5",       "2026-Q12", "2026-Q2 ",
        " 2026-Q2", "2026--Q2", "2026-K2",  "26-Q2",    "0999-Q1",       "+202-Q1",  "2026-Q2x",
        "2026-2",   "2026/Q2",  "20266-Q2", "２026-Q2", "2026-Q\xd9\xa2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct period p = {7, 7};
        cr_assert_eq(period_parse(bad[i], &p), -1, "\"%s\" must be refused", bad[i]);
        cr_assert_eq(p.year, 7, "out untouched on failure");
    }
    struct period p;
    cr_assert_eq(period_parse(NULL, &p), -1);
}

Test(period, formats_canonically_and_knows_its_last_day, .timeout = 60)
{
    char text[8], end[11];
    struct period p;
    cr_assert_eq(period_parse("2026q2", &p), 0);
    period_format(p, text);
    cr_assert_str_eq(text, "2026-Q2");
    static const char *const ends[] = {"2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"};
    for (int q = 1; q <= 4; q++) {
        period_end_text((struct period){2024, q}, end);
        cr_assert_str_eq(end, ends[q - 1]);
    }
    int y, m, d;
    period_last_day((struct period){2026, 1}, &y, &m, &d);
    cr_assert(y == 2026 && m == 3 && d == 31);
}

Test(period, previous_and_compare, .timeout = 60)
{
    struct period prev = period_previous((struct period){2026, 1});
    cr_assert(prev.year == 2025 && prev.quarter == 4);
    prev = period_previous((struct period){2026, 3});
    cr_assert(prev.year == 2026 && prev.quarter == 2);
    cr_assert_lt(period_compare((struct period){2025, 4}, (struct period){2026, 1}), 0);
    cr_assert_gt(period_compare((struct period){2026, 2}, (struct period){2026, 1}), 0);
    cr_assert_eq(period_compare((struct period){2026, 2}, (struct period){2026, 2}), 0);
}

Test(period, before_2015_q1_is_too_early, .timeout = 60)
{
    time_t now = utc(2026, 5, 1, 12, 0, 0);
    struct period p;
    cr_assert_eq(period_check_submittable("2014-Q4", now, &p), PERIOD_TOO_EARLY);
    cr_assert(p.year == 2014 && p.quarter == 4, "the parsed period is still returned");
    cr_assert_eq(period_check_submittable("2015-Q1", now, &p), PERIOD_OK);
    cr_assert_eq(period_check_submittable("2015Q1", now, NULL), PERIOD_OK);
    cr_assert_eq(period_check_submittable("2015-Q5", now, &p), PERIOD_MALFORMED);
    cr_assert_eq(period_check_submittable("junk", now, NULL), PERIOD_MALFORMED);
}

Test(period, the_current_quarter_has_not_ended, .timeout = 60)
{
    time_t now = time(NULL);
    int y, m, d;
    period_amsterdam_date(now, &y, &m, &d);
    char text[8];
    struct period current = {y, (m - 1) / 3 + 1};
    period_format(current, text);
    cr_assert_eq(period_check_submittable(text, now, NULL), PERIOD_NOT_ENDED, "%s", text);
    period_format(period_previous(current), text);
    cr_assert_eq(period_check_submittable(text, now, NULL), PERIOD_OK, "%s", text);
    period_format((struct period){y + 1, 1}, text);
    cr_assert_eq(period_check_submittable(text, now, NULL), PERIOD_NOT_ENDED, "a future quarter");
}

Test(period, a_quarter_that_ended_yesterday_in_amsterdam_is_accepted, .timeout = 60)
{
    time_t now = utc(2026, 7, 1, 10, 0, 0);
    cr_assert_eq(period_check_submittable("2026-Q2", now, NULL), PERIOD_OK);
    cr_assert_eq(period_check_submittable("2026-Q3", now, NULL), PERIOD_NOT_ENDED);
    /* On the last day itself (30 June, 23:59 in Amsterdam = 21:59 UTC in summer) it has not. */
    cr_assert_eq(period_check_submittable("2026-Q2", utc(2026, 6, 30, 21, 59, 59), NULL),
                 PERIOD_NOT_ENDED);
    cr_assert_eq(period_check_submittable("2026-Q2", utc(2026, 6, 30, 22, 0, 0), NULL), PERIOD_OK,
                 "midnight in Amsterdam (CEST) is 22:00 UTC");
}

Test(period, summer_time_edge_at_the_end_of_march, .timeout = 60)
{
    /* 2026-03-29 is the last Sunday of March: from 01:00 UTC Amsterdam is UTC+2. */
    cr_assert_eq(period_check_submittable("2026-Q1", utc(2026, 3, 31, 22, 30, 0), NULL), PERIOD_OK,
                 "22:30 UTC on 31 March is 00:30 on 1 April in Amsterdam");
    cr_assert_eq(period_check_submittable("2026-Q1", utc(2026, 3, 31, 21, 30, 0), NULL),
                 PERIOD_NOT_ENDED, "21:30 UTC is 23:30 on 31 March in Amsterdam");
    int y, m, d;
    period_amsterdam_date(utc(2026, 3, 29, 0, 59, 59), &y, &m, &d);
    cr_assert(y == 2026 && m == 3 && d == 29, "01:59:59 CET");
    period_amsterdam_date(utc(2026, 3, 28, 23, 0, 0), &y, &m, &d);
    cr_assert(m == 3 && d == 29, "00:00 CET on the 29th");
    period_amsterdam_date(utc(2026, 3, 28, 22, 59, 59), &y, &m, &d);
    cr_assert(m == 3 && d == 28);
}

Test(period, new_year_in_winter_time, .timeout = 60)
{
    cr_assert_eq(period_check_submittable("2026-Q4", utc(2026, 12, 31, 23, 30, 0), NULL), PERIOD_OK,
                 "23:30 UTC on 31 December is 00:30 on 1 January (CET)");
    cr_assert_eq(period_check_submittable("2026-Q4", utc(2026, 12, 31, 22, 59, 59), NULL),
                 PERIOD_NOT_ENDED, "22:59:59 UTC is 23:59:59 CET");
    cr_assert_eq(period_check_submittable("2026-Q4", utc(2026, 12, 31, 23, 0, 0), NULL), PERIOD_OK);
}

Test(period, summer_time_ends_on_the_last_sunday_of_october, .timeout = 60)
{
    /* 2026-10-25 is the last Sunday of October: until 01:00 UTC it is CEST. */
    int y, m, d;
    period_amsterdam_date(utc(2026, 10, 24, 22, 0, 0), &y, &m, &d);
    cr_assert(m == 10 && d == 25, "00:00 CEST");
    period_amsterdam_date(utc(2026, 10, 24, 21, 59, 59), &y, &m, &d);
    cr_assert(m == 10 && d == 24);
    /* After the switch: 22:59 UTC on 25 October is 23:59 CET, still the 25th. */
    period_amsterdam_date(utc(2026, 10, 25, 22, 59, 0), &y, &m, &d);
    cr_assert(m == 10 && d == 25);
    cr_assert_eq(period_check_submittable("2026-Q3", utc(2026, 9, 30, 22, 0, 0), NULL), PERIOD_OK);
    cr_assert_eq(period_check_submittable("2026-Q3", utc(2026, 9, 30, 21, 59, 59), NULL),
                 PERIOD_NOT_ENDED);
}

Test(period, amsterdam_dates_match_the_tz_database_for_every_half_hour, .timeout = 60)
{
    /* The daemon never touches TZ; this test process may, to check the arithmetic against the
     * system's tz database over 2000-2037 (every half hour, both sides of each switch). */
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Amsterdam", "rb");
    if (!f)
        cr_skip_test("no tz database installed");
    fclose(f);
    setenv("TZ", "Europe/Amsterdam", 1);
    tzset();
    long long checked = 0;
    for (time_t t = utc(2000, 1, 1, 0, 0, 0); t < utc(2038, 1, 1, 0, 0, 0); t += 1800) {
        struct tm tm;
        int y, m, d;
        period_amsterdam_date(t, &y, &m, &d);
        /* One assertion per mismatch only: an assertion per instant would dominate the run. */
        if (!localtime_r(&t, &tm) || y != tm.tm_year + 1900 || m != tm.tm_mon + 1 ||
            d != tm.tm_mday)
            cr_assert_fail("at %lld: %04d-%02d-%02d, tz database says %04d-%02d-%02d", (long long)t,
                           y, m, d, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        checked++;
    }
    cr_assert_gt(checked, 600000);
}

Test(period, dates_are_validated_against_the_calendar, .timeout = 60)
{
    int y = 0, m = 0, d = 0;
    cr_assert_eq(date_parse("2026-03-01", &y, &m, &d), 0);
    cr_assert(y == 2026 && m == 3 && d == 1);
    cr_assert_eq(date_parse("2024-02-29", &y, &m, &d), 0, "2024 is a leap year");
    cr_assert_eq(date_parse("2000-02-29", &y, &m, &d), 0, "2000 is a leap year");
    static const char *const bad[] = {"2023-02-29", "1900-02-29", "2026-13-01", "2026-00-10",
                                      "2026-04-31", "2026-01-00", "2026-1-01",  "2026-01-01x",
                                      "26-01-01",   "2026/01/01", "",           "0999-01-01",
                                      "2026-01-32", " 2026-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(date_parse(bad[i], &y, &m, &d), -1, "\"%s\" must be refused", bad[i]);
    cr_assert_eq(date_to_days(1970, 1, 1), 0);
    cr_assert_eq(date_to_days(2000, 3, 1), 11017);
    cr_assert_eq(date_to_days(1969, 12, 31), -1);
    cr_assert_eq(date_to_days(2025, 3, 31) - date_to_days(2024, 3, 31), 365);
}
