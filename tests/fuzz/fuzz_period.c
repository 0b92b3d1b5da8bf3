/* libFuzzer harness: quarters and dates (core/period.h). The input is tried as a period and as a
 * date; what parses must format back and parse to the same value, and the calendar arithmetic is
 * checked against glibc: date_to_days() against timegm(), period_amsterdam_date() against
 * localtime_r() in TZ=Europe/Amsterdam (for instants from 1996, when the EU rule began, to 2199).
 */
#include "core/period.h"

#include "tests/fuzz/fuzz_support.h"

static bool have_zoneinfo;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Amsterdam", "rb");
    if (f) {
        fclose(f);
        setenv("TZ", "Europe/Amsterdam", 1);
        tzset();
        have_zoneinfo = true;
    }
    return 0;
}

static long long days_by_libc(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    time_t t = timegm(&tm);
    return ((long long)t - 43200) / 86400;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64)
        return 0;
    char *text = fuzz_strdup(data, size);

    struct period p = {-1, -1};
    if (period_parse(text, &p) == 0) {
        FUZZ_CHECK(p.year >= 1000 && p.year <= 9999 && p.quarter >= 1 && p.quarter <= 4,
                   "parsed %d-Q%d", p.year, p.quarter);
        FUZZ_CHECK(strlen(text) == 6 || strlen(text) == 7, "'%s' accepted", text);
        char canon[8];
        period_format(p, canon);
        struct period q;
        FUZZ_CHECK(period_parse(canon, &q) == 0 && period_compare(p, q) == 0, "'%s' -> '%s'", text,
                   canon);
        char end[11];
        period_end_text(p, end);
        int y, m, d, ly, lm, ld;
        FUZZ_CHECK(date_parse(end, &y, &m, &d) == 0, "end '%s' does not parse", end);
        period_last_day(p, &ly, &lm, &ld);
        FUZZ_CHECK(y == ly && m == lm && d == ld, "end text and last day differ");
        /* The day after the last day is the first day of the next quarter. */
        long long next = date_to_days(ly, lm, ld) + 1;
        struct period prev_of_next =
            period_previous(p.quarter == 4 ? (struct period){p.year + 1, 1}
                                           : (struct period){p.year, p.quarter + 1});
        FUZZ_CHECK(period_compare(prev_of_next, p) == 0, "period_previous");
        int ny = lm == 12 ? ly + 1 : ly, nm = lm == 12 ? 1 : lm + 1;
        FUZZ_CHECK(next == date_to_days(ny, nm, 1), "day after %s", end);
    } else {
        FUZZ_CHECK(p.year == -1 && p.quarter == -1, "refused but out written");
    }

    /* Verdict against the fixed "now" and an instant from the input. */
    time_t now = FUZZ_NOW;
    if (size >= 4) {
        uint32_t x;
        memcpy(&x, data, 4);
        now = (time_t)820454400 + (time_t)(x % 6311433600u); /* 1996-01-01 .. 2196 */
    }
    struct period out = {-1, -1};
    enum period_validity pv = period_check_submittable(text, now, &out);
    FUZZ_CHECK((pv == PERIOD_MALFORMED) == (period_parse(text, &p) != 0), "malformed verdict");
    if (pv != PERIOD_MALFORMED)
        FUZZ_CHECK(out.year == p.year && out.quarter == p.quarter, "out not filled");

    int ay, am, ad;
    period_amsterdam_date(now, &ay, &am, &ad);
    if (have_zoneinfo) {
        struct tm tm;
        FUZZ_CHECK(localtime_r(&now, &tm) != NULL);
        FUZZ_CHECK(ay == tm.tm_year + 1900 && am == tm.tm_mon + 1 && ad == tm.tm_mday,
                   "at %lld: %04d-%02d-%02d, libc says %04d-%02d-%02d", (long long)now, ay, am, ad,
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    }
    if (pv == PERIOD_OK || pv == PERIOD_NOT_ENDED) {
        int ly, lm, ld;
        period_last_day(p, &ly, &lm, &ld);
        bool ended = date_to_days(ay, am, ad) > date_to_days(ly, lm, ld);
        FUZZ_CHECK(ended == (pv == PERIOD_OK), "ended verdict");
    }

    int y = -1, m = -1, d = -1;
    if (date_parse(text, &y, &m, &d) == 0) {
        FUZZ_CHECK(strlen(text) == 10, "'%s' accepted as a date", text);
        FUZZ_CHECK(date_to_days(y, m, d) == days_by_libc(y, m, d), "date_to_days(%04d-%02d-%02d)",
                   y, m, d);
        char back[16];
        snprintf(back, sizeof back, "%04d-%02d-%02d", y, m, d);
        FUZZ_CHECK(strcmp(back, text) == 0, "'%s' read as %s", text, back);
        /* libc agrees the day exists: normalising it changes nothing. */
        struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
        timegm(&tm);
        FUZZ_CHECK(tm.tm_mday == d && tm.tm_mon == m - 1, "%s is no real day", text);
    } else {
        FUZZ_CHECK(y == -1 && m == -1 && d == -1, "refused but outputs written");
        /* Ten characters of the form dddd-dd-dd that libc calls a real day must be accepted. */
        static const char shape[] = "dddd-dd-dd";
        bool shaped = strlen(text) == 10;
        for (int i = 0; shaped && i < 10; i++)
            shaped = shape[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == '-';
        if (shaped) {
            int yy = atoi(text), mm = atoi(text + 5), dd = atoi(text + 8);
            if (yy >= 1000 && mm >= 1 && mm <= 12 && dd >= 1) {
                struct tm tm = {
                    .tm_year = yy - 1900, .tm_mon = mm - 1, .tm_mday = dd, .tm_hour = 12};
                timegm(&tm);
                FUZZ_CHECK(tm.tm_mday != dd, "'%s' is a real day but refused", text);
            }
        }
    }
    free(text);
    return 0;
}
