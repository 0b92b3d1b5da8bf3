/* The aggregate answers as CSV (design §3.3): funnels in long form, comparisons, completeness and
 * networks; RFC 4180 quoting, or the Dutch Excel profile (`;`, UTF-8 BOM, decimal commas).
 *
 * CSV injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with '=', '+', '-'
 * or '@' as a formula (and skips a leading TAB or CR to find one), so a region name an operator
 * loaded as `=HYPERLINK(...)` would become a live link in the reader's sheet. Every text cell that
 * starts with one of those six characters is written as OWASP says: prefixed with a single quote
 * and quoted, its quotes doubled. In both profiles: a comma-separated file is opened in a
 * spreadsheet as often as the Excel one, and no name, code or key the API itself writes starts
 * so. Numbers are never text cells, so a negative number (a z-score) stays a number. */
#include "core/aggregate_csv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct text {
    char *buf;
    size_t len, cap;
    bool failed;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->buf, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/* True for text a spreadsheet would read as a formula. */
static bool csv_formula_like(const char *s)
{
    return *s != '\0' && strchr("=+-@\t\r", *s) != NULL;
}

/* One field, quoted when it holds the delimiter, a quote or a line break. `number` is for the
 * text of a number this file formatted; anything else is text and defused (see the top). */
static void csv_cell(struct text *t, const char *s, char delim, bool first, bool number)
{
    if (!first)
        text_add(t, &delim, 1);
    if (!s)
        return;
    bool defuse = !number && csv_formula_like(s);
    if (!defuse && !strpbrk(s, delim == ';' ? ";\"\r\n" : ",\"\r\n")) {
        text_add(t, s, strlen(s));
        return;
    }
    text_add(t, defuse ? "\"'" : "\"", defuse ? 2 : 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            text_add(t, "\"", 1);
        text_add(t, p, 1);
    }
    text_add(t, "\"", 1);
}

/* A text field. */
static void csv_field(struct text *t, const char *s, char delim, bool first)
{
    csv_cell(t, s, delim, first, false);
}

/* A JSON scalar as CSV text; reals with a decimal comma in the Excel profile. */
static void csv_value(struct text *t, const json_t *v, char delim, bool excel)
{
    char buf[64] = "";
    if (json_is_integer(v))
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.2f", json_real_value(v));
        /* Trim a trailing zero: 15.60 -> 15.6, 0.70 -> 0.7 (values are rounded already). */
        size_t n = strlen(buf);
        while (n > 1 && buf[n - 1] == '0' && strchr(buf, '.'))
            buf[--n] = '\0';
        if (n && buf[n - 1] == '.')
            buf[--n] = '\0';
        if (excel)
            for (char *p = buf; *p; p++)
                if (*p == '.')
                    *p = ',';
    } else if (json_is_true(v))
        snprintf(buf, sizeof buf, "true");
    else if (json_is_false(v))
        snprintf(buf, sizeof buf, "false");
    else if (json_is_string(v)) {
        csv_field(t, json_string_value(v), delim, false);
        return;
    }
    csv_cell(t, buf, delim, false, true); /* a number, true, false, or empty for null */
}

/* Starts a CSV text: the UTF-8 BOM of the Excel profile, then the header line. */
static void csv_start(struct text *t, const char *const *header, size_t n, char delim, bool excel)
{
    if (excel)
        text_add(t, "\xEF\xBB\xBF", 3);
    for (size_t i = 0; i < n; i++)
        csv_field(t, header[i], delim, i == 0);
    text_add(t, "\r\n", 2);
}

/* The finished text (the caller frees it), or NULL when memory ran out on the way. */
static char *text_take(struct text *t)
{
    if (t->failed) {
        free(t->buf);
        return NULL;
    }
    return t->buf;
}

static void csv_figure_line(struct text *t, const json_t *row, const char *stage,
                            const char *dimension, const char *category, const json_t *fig,
                            char delim, bool excel)
{
    const json_t *region = json_object_get(row, "region");
    const json_t *coverage = json_object_get(row, "coverage");
    csv_field(t, json_string_value(json_object_get(row, "period")), delim, true);
    csv_value(t, json_object_get(region, "code"), delim, excel);
    csv_value(t, json_object_get(region, "name"), delim, excel);
    csv_value(t, json_object_get(row, "protected"), delim, excel);
    csv_value(t, json_object_get(coverage, "reporting"), delim, excel);
    csv_value(t, json_object_get(coverage, "expected"), delim, excel);
    csv_value(t, json_object_get(row, "childPopulation"), delim, excel);
    csv_field(t, stage, delim, false);
    csv_field(t, dimension, delim, false);
    csv_field(t, category, delim, false);
    csv_value(t, json_object_get(fig, "state"), delim, excel);
    csv_value(t, json_object_get(fig, "count"), delim, excel);
    csv_value(t, json_object_get(fig, "per10k"), delim, excel);
    csv_value(t, json_object_get(fig, "fromPrevious"), delim, excel);
    csv_value(t, json_object_get(fig, "withheld"), delim, excel);
    text_add(t, "\r\n", 2);
}

char *aggregate_funnels_csv(const json_t *rows, const char *dimension, bool excel)
{
    struct text t = {0};
    char delim = excel ? ';' : ',';
    static const char *const header[] = {
        "period",           "region_code",   "region_name", "protected", "reporting", "expected",
        "child_population", "stage",         "dimension",   "category",  "state",     "count",
        "per10k",           "from_previous", "withheld"};
    csv_start(&t, header, sizeof header / sizeof header[0], delim, excel);
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *stage;
        const json_t *fig;
        json_object_foreach((json_t *)json_object_get(row, "stages"), stage, fig)
        {
            csv_figure_line(&t, row, stage, "total", "", fig, delim, excel);
            const char *category;
            const json_t *cf;
            json_object_foreach((json_t *)json_object_get(fig, "breakdown"), category, cf)
                csv_figure_line(&t, row, stage, dimension, category, cf, delim, excel);
        }
    }
    return text_take(&t);
}

char *aggregate_compare_csv(const json_t *result, bool excel)
{
    struct text t = {0};
    char delim = excel ? ';' : ',';
    static const char *const header[] = {
        "period", "region_code",       "region_name", "protected", "rank",
        "value",  "ratio_to_national", "z_score",     "quartile",  "state"};
    csv_start(&t, header, sizeof header / sizeof header[0], delim, excel);
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(result, "rows"), i, row)
    {
        const json_t *region = json_object_get(row, "region");
        csv_field(&t, json_string_value(json_object_get(row, "period")), delim, true);
        csv_value(&t, json_object_get(region, "code"), delim, excel);
        csv_value(&t, json_object_get(region, "name"), delim, excel);
        csv_value(&t, json_object_get(row, "protected"), delim, excel);
        csv_value(&t, json_object_get(row, "rank"), delim, excel);
        csv_value(&t, json_object_get(row, "value"), delim, excel);
        csv_value(&t, json_object_get(row, "ratioToNational"), delim, excel);
        csv_value(&t, json_object_get(row, "zScore"), delim, excel);
        csv_value(&t, json_object_get(row, "quartile"), delim, excel);
        csv_value(&t, json_object_get(row, "state"), delim, excel);
        text_add(&t, "\r\n", 2);
    }
    return text_take(&t);
}

/* The codes of a JSON array joined by spaces. */
static void join_codes(struct text *t, const json_t *codes)
{
    size_t i;
    const json_t *code;
    json_array_foreach(codes, i, code)
    {
        if (i)
            text_add(t, " ", 1);
        const char *s = json_string_value(code);
        if (s)
            text_add(t, s, strlen(s));
    }
}

char *aggregate_completeness_csv(const json_t *body, bool excel)
{
    struct text t = {0};
    char delim = excel ? ';' : ',';
    static const char *const header[] = {"period",          "region_code",     "region_name",
                                         "expected",        "funnels",         "networks",
                                         "missing_funnels", "missing_networks"};
    csv_start(&t, header, sizeof header / sizeof header[0], delim, excel);
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(body, "rows"), i, row)
    {
        const json_t *region = json_object_get(row, "region");
        csv_field(&t, json_string_value(json_object_get(body, "period")), delim, true);
        csv_value(&t, json_object_get(region, "code"), delim, excel);
        csv_value(&t, json_object_get(region, "name"), delim, excel);
        csv_value(&t, json_object_get(row, "expected"), delim, excel);
        csv_value(&t, json_object_get(row, "funnels"), delim, excel);
        csv_value(&t, json_object_get(row, "networks"), delim, excel);
        struct text codes = {0};
        join_codes(&codes, json_object_get(row, "missingFunnels"));
        csv_field(&t, codes.buf ? codes.buf : "", delim, false);
        codes.len = 0;
        if (codes.buf)
            codes.buf[0] = '\0';
        join_codes(&codes, json_object_get(row, "missingNetworks"));
        csv_field(&t, codes.buf ? codes.buf : "", delim, false);
        free(codes.buf);
        text_add(&t, "\r\n", 2);
    }
    return text_take(&t);
}

/* One line per member of section[item] (or of section itself when it holds the counts). */
static void csv_network_section(struct text *t, const json_t *body, const json_t *row,
                                const char *section, bool nested, char delim, bool excel)
{
    const json_t *region = json_object_get(row, "region");
    const char *item;
    const json_t *counts;
    json_t *holder = json_object_get(row, section);
    json_t *single = nested ? NULL : json_pack("{s:O}", "", holder);
    json_object_foreach(nested ? holder : single, item, counts)
    {
        const char *category;
        const json_t *count;
        json_object_foreach((json_t *)counts, category, count)
        {
            const json_t *period = json_object_get(row, "period");
            csv_field(t, json_string_value(period ? period : json_object_get(body, "period")),
                      delim, true);
            csv_value(t, json_object_get(region, "code"), delim, excel);
            csv_value(t, json_object_get(region, "name"), delim, excel);
            csv_value(t, json_object_get(row, "reporting"), delim, excel);
            csv_value(t, json_object_get(row, "expected"), delim, excel);
            csv_field(t, section, delim, false);
            csv_field(t, item, delim, false);
            csv_field(t, category, delim, false);
            csv_value(t, count, delim, excel);
            text_add(t, "\r\n", 2);
        }
    }
    json_decref(single);
}

char *aggregate_networks_csv(const json_t *body, bool excel)
{
    struct text t = {0};
    char delim = excel ? ';' : ',';
    static const char *const header[] = {"period",    "region_code", "region_name",
                                         "reporting", "expected",    "section",
                                         "item",      "category",    "count"};
    csv_start(&t, header, sizeof header / sizeof header[0], delim, excel);
    size_t i;
    const json_t *row;
    json_array_foreach(json_object_get(body, "rows"), i, row)
    {
        csv_network_section(&t, body, row, "stepsMet", false, delim, excel);
        csv_network_section(&t, body, row, "steps", true, delim, excel);
        csv_network_section(&t, body, row, "partners", true, delim, excel);
        csv_network_section(&t, body, row, "prevention", true, delim, excel);
    }
    return text_take(&t);
}
