/* Quarters and dates in integer calendar arithmetic; Amsterdam local time by the EU summer-time
 * rule. */
#include "core/period.h"

#include <stdbool.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool date_is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int date_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && date_is_leap_year(y) ? 29 : days[m - 1];
}

/* Four digits at s (all checked by the caller to exist) as a number. */
static int four_digits(const char *s)
{
    return (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
}

int period_parse(const char *text, struct period *out)
{
    if (!text)
        return -1;
    for (int i = 0; i < 4; i++)
        if (!is_digit(text[i]))
            return -1;
    const char *q = text + 4;
    if (*q == '-')
        q++;
    if ((q[0] != 'Q' && q[0] != 'q') || q[1] < '1' || q[1] > '4' || q[2] != '\0')
        return -1;
    int year = four_digits(text);
    if (year < 1000)
        return -1;
    out->year = year;
    out->quarter = q[1] - '0';
    return 0;
}

/* Writes n (taken mod 10^width, as digits) with leading zeros. */
static void put_digits(char *out, unsigned n, int width)
{
    for (int i = width - 1; i >= 0; i--, n /= 10)
        out[i] = (char)('0' + n % 10);
}

void period_format(struct period p, char out[8])
{
    put_digits(out, (unsigned)p.year, 4);
    out[4] = '-';
    out[5] = 'Q';
    put_digits(out + 6, (unsigned)p.quarter, 1);
    out[7] = '\0';
}

void period_last_day(struct period p, int *y, int *m, int *d)
{
    *y = p.year;
    *m = p.quarter * 3;
    *d = date_days_in_month(p.year, *m);
}

void period_end_text(struct period p, char out[11])
{
    int y, m, d;
    period_last_day(p, &y, &m, &d);
    put_digits(out, (unsigned)y, 4);
    out[4] = '-';
    put_digits(out + 5, (unsigned)m, 2);
    out[7] = '-';
    put_digits(out + 8, (unsigned)d, 2);
    out[10] = '\0';
}

struct period period_previous(struct period p)
{
    if (p.quarter <= 1)
        return (struct period){p.year - 1, 4};
    return (struct period){p.year, p.quarter - 1};
}

int period_compare(struct period a, struct period b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.quarter != b.quarter)
        return a.quarter < b.quarter ? -1 : 1;
    return 0;
}

int date_parse(const char *text, int *y, int *m, int *d)
{
    if (!text)
        return -1;
    static const char shape[] = "dddd-dd-dd";
    for (int i = 0; i < 10; i++) {
        if (shape[i] == 'd' ? !is_digit(text[i]) : text[i] != '-')
            return -1;
    }
    if (text[10] != '\0')
        return -1;
    int year = four_digits(text);
    int month = (text[5] - '0') * 10 + (text[6] - '0');
    int day = (text[8] - '0') * 10 + (text[9] - '0');
    if (year < 1000 || month < 1 || month > 12 || day < 1 || day > date_days_in_month(year, month))
        return -1;
    *y = year;
    *m = month;
    *d = day;
    return 0;
}

/* Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms). */
long long date_to_days(int y, int m, int d)
{
    long long yy = (long long)y - (m <= 2);
    long long era = (yy >= 0 ? yy : yy - 399) / 400;
    long long yoe = yy - era * 400;
    long long doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    long long dd = doy - (153 * mp + 2) / 5 + 1;
    long long mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Seconds since the epoch of 01:00 UTC on the last Sunday of the month (March or October). */
static long long last_sunday_0100_utc(int year, int month)
{
    long long last = date_to_days(year, month, date_days_in_month(year, month));
    long long weekday = ((last + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday; 0 is Sunday */
    return (last - weekday) * 86400 + 3600;
}

void period_amsterdam_date(time_t t, int *y, int *m, int *d)
{
    long long secs = (long long)t;
    int uy, um, ud;
    civil_from_days(floor_div(secs, 86400), &uy, &um, &ud);
    bool summer = secs >= last_sunday_0100_utc(uy, 3) && secs < last_sunday_0100_utc(uy, 10);
    civil_from_days(floor_div(secs + (summer ? 7200 : 3600), 86400), y, m, d);
}

enum period_validity period_check_submittable(const char *text, time_t now, struct period *out)
{
    struct period p;
    if (period_parse(text, &p) != 0)
        return PERIOD_MALFORMED;
    if (out)
        *out = p;
    if (period_compare(p, (struct period){PERIOD_FIRST_YEAR, PERIOD_FIRST_QUARTER}) < 0)
        return PERIOD_TOO_EARLY;
    int ly, lm, ld, ny, nm, nd;
    period_last_day(p, &ly, &lm, &ld);
    period_amsterdam_date(now, &ny, &nm, &nd);
    if (date_to_days(ny, nm, nd) <= date_to_days(ly, lm, ld))
        return PERIOD_NOT_ENDED;
    return PERIOD_OK;
}
