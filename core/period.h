/* Quarters (design §1.7) and calendar dates: parsing, formatting, ends, and whether a quarter may
 * be submitted yet, judged in Europe/Amsterdam without touching the process time zone. Pure. */
#ifndef TRECHTER_PERIOD_H
#define TRECHTER_PERIOD_H
#include <stdbool.h>
#include <time.h>

/* A calendar quarter. Valid values have 1000 <= year <= 9999 and 1 <= quarter <= 4. */
struct period {
    int year;
    int quarter;
};

/* The earliest quarter that may be submitted (design §1.7). */
#define PERIOD_FIRST_YEAR 2015
#define PERIOD_FIRST_QUARTER 1

/* Outcome of period_check_submittable(). */
enum period_validity {
    PERIOD_OK = 0,
    PERIOD_MALFORMED, /* not "YYYY-Qn" / "YYYYQn" */
    PERIOD_NOT_ENDED, /* the quarter has not ended yet in Amsterdam */
    PERIOD_TOO_EARLY, /* before 2015-Q1 */
};

/* Parses "2026-Q2" or "2026Q2" ('q' accepted too); nothing else: no blanks, signs or extra text.
 * Returns 0 and fills out, or -1 (out untouched). */
int period_parse(const char *text, struct period *out);

/* Writes the canonical form "2026-Q2" (7 characters and a NUL). */
void period_format(struct period p, char out[8]);

/* The last calendar day of the quarter (31 March, 30 June, 30 September, 31 December). */
void period_last_day(struct period p, int *y, int *m, int *d);

/* The last day as "2026-06-30" (10 characters and a NUL). */
void period_end_text(struct period p, char out[11]);

/* The quarter before p (2026-Q1 -> 2025-Q4). */
struct period period_previous(struct period p);

/* <0, 0 or >0 as a is before, equal to or after b. */
int period_compare(struct period a, struct period b);

/* Whether `text` names a quarter that may receive figures at `now`: well formed, not before
 * 2015-Q1, and ended, i.e. the Amsterdam calendar date at `now` is after the quarter's last day.
 * Checks in that order and returns the first failure. *out (may be NULL) is filled whenever the
 * text parses, whatever the verdict. */
enum period_validity period_check_submittable(const char *text, time_t now, struct period *out);

/* Parses "YYYY-MM-DD" with year 1000..9999 and a real calendar day (29 February only in leap
 * years). Exactly ten characters. Returns 0 or -1 (outputs untouched). */
int date_parse(const char *text, int *y, int *m, int *d);

/* Gregorian leap years, and the days of month m (1..12) of year y. */
bool date_is_leap_year(int y);
int date_days_in_month(int y, int m);

/* Days since 1970-01-01 of a proleptic Gregorian date (negative before). For date arithmetic such
 * as "within 12 months before the period's end". */
long long date_to_days(int y, int m, int d);

/* The calendar date in Europe/Amsterdam at `t`: CET (UTC+1), or CEST (UTC+2) from the last Sunday
 * of March 01:00 UTC until the last Sunday of October 01:00 UTC (the EU rule in force since 1996).
 */
void period_amsterdam_date(time_t t, int *y, int *m, int *d);

#endif
