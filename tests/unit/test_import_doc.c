/* Unit tests of core/import_doc: JSON and CSV imports, their pointers, grouping, caps and the
 * template round trip. */
#include "core/import_doc.h"
#include "tests/support/import_template.h"

#include <criterion/criterion.h>
#include <time.h>

#include "tests/unit/fixtures/unit_support.h"

static struct catalog *cat;
static time_t now; /* 2026-05-01 12:00 UTC: 2026-Q1 has ended, 2026-Q2 has not */

static void setup(void)
{
    cat = load_catalog();
    struct tm tm = {.tm_year = 126, .tm_mon = 4, .tm_mday = 1, .tm_hour = 12};
    now = timegm(&tm);
}

static void teardown(void)
{
    catalog_free(cat);
}

TestSuite(import_doc, .init = setup, .fini = teardown, .timeout = 60);

static int decode(const char *body, size_t len, bool is_csv, struct import_doc *doc,
                  struct violations *v)
{
    violations_init(v);
    return import_decode(body, len, is_csv, cat, now, doc, v);
}

#define DECODE_OK(body, is_csv, doc, v)                                                            \
    do {                                                                                           \
        char dump_[4096];                                                                          \
        cr_assert_eq(decode((body), strlen(body), (is_csv), (doc), (v)), 0, "%s",                  \
                     vio_dump((v), dump_, sizeof dump_));                                          \
    } while (0)

Test(import_doc, json_array_of_funnels)
{
    const char *body =
        "[{\"municipality\":\"GM0599\",\"period\":\"2026Q1\",\"stages\":{\"reported\":"
        "{\"total\":30}}},"
        "{\"period\":\"2025-Q4\",\"municipality\":\"GM0014\",\"stages\":{}}]";
    struct import_doc doc;
    struct violations v;
    DECODE_OK(body, false, &doc, &v);
    cr_assert_eq(doc.count, 2);
    cr_assert_str_eq(doc.items[0].code, "GM0599");
    cr_assert_str_eq(doc.items[0].period, "2026-Q1", "the period is canonical");
    cr_assert(doc.items[0].funnel.stages[3].known);
    cr_assert_eq(doc.items[0].funnel.stages[3].total, 30);
    cr_assert_eq(doc.items[1].index, 1);
    cr_assert_str_eq(doc.items[1].code, "GM0014");
    import_doc_free(&doc);
    violations_clear(&v);
}

Test(import_doc, json_violations_point_into_the_array)
{
    const char *body =
        "[{\"municipality\":\"GM0599\",\"period\":\"2026-Q1\",\"stages\":{}},"
        "{\"municipality\":\"GM0599\",\"period\":\"2026-Q1\",\"stages\":{}},"
        "{\"municipality\":\"Rotterdam\",\"period\":\"2026-Q2\",\"stages\":{}},"
        "{\"municipality\":\"GM0014\",\"period\":\"2026-Q1\",\"stages\":{\"reported\":"
        "{\"total\":2.0}},\"contact\":\"x\"},"
        "{\"municipality\":\"GM0014\",\"period\":\"Q1\"},"
        "{\"municipality\":\"GM0014\",\"period\":\"2014-Q4\",\"stages\":{}},"
        "7]";
    struct import_doc doc;
    struct violations v;
    char dump[4096];
    cr_assert_eq(decode(body, strlen(body), false, &doc, &v), -1);
    assert_violation(&v, "/1", "duplicate-item");
    assert_violation(&v, "/2/municipality", "invalid-code");
    assert_violation(&v, "/2/period", "period-not-ended");
    assert_violation(&v, "/3/stages/reported/total", "not-integer");
    assert_violation(&v, "/3/contact", "unknown-field");
    assert_violation(&v, "/4/period", "malformed-period");
    assert_violation(&v, "/4/stages", "required");
    assert_violation(&v, "/5/period", "period-too-early");
    assert_violation(&v, "/6", "type");
    cr_assert_eq(violations_count(&v), 9, "%s", vio_dump(&v, dump, sizeof dump));
    cr_assert_null(doc.items, "nothing is returned on failure");
    cr_assert_eq(doc.count, 7, "but the summary can say how many funnels were refused");
    import_doc_free(&doc);
    violations_clear(&v);
}

Test(import_doc, json_malformed_and_duplicate_keys)
{
    struct import_doc doc;
    struct violations v;
    cr_assert_eq(
        decode("[{\"municipality\":\"GM0599\",\"municipality\":\"GM0014\"}]", 50, false, &doc, &v),
        -1);
    assert_violation(&v, "/0/municipality", "duplicate-key");
    violations_clear(&v);
    cr_assert_eq(decode("{\"municipality\":\"GM0599\"}", 25, false, &doc, &v), -1);
    assert_violation(&v, "", "type");
    violations_clear(&v);
    cr_assert_eq(decode("[", 1, false, &doc, &v), -1);
    assert_violation(&v, "", "malformed-json");
    violations_clear(&v);
    import_doc_free(&doc);
}

Test(import_doc, json_more_than_10000_items_is_too_many)
{
    size_t cap = 10001 * 4 + 8, o = 0;
    char *body = malloc(cap);
    body[o++] = '[';
    for (int i = 0; i <= 10000; i++)
        o += (size_t)snprintf(body + o, cap - o, "%s{}", i ? "," : "");
    body[o++] = ']';
    struct import_doc doc;
    struct violations v;
    cr_assert_eq(decode(body, o, false, &doc, &v), -1);
    cr_assert_eq(violations_count(&v), 1);
    assert_violation(&v, "", "too-many");
    violations_clear(&v);
    free(body);
}

Test(import_doc, csv_as_dutch_excel_writes_it)
{
    /* BOM, ';', CRLF, a quoted field, "2026Q1" and "2026-Q1" grouped together, an empty count. */
    const char *body = "\xEF\xBB\xBFmunicipality;period;stage;dimension;category;count\r\n"
                       "GM0599;2026-Q1;signalled;total;;41\r\n"
                       "GM0599;2026Q1;signalled;gender;\"girl\";27\r\n"
                       "GM0599;2026-Q1;signalled;gender;boy;13\r\n"
                       "GM0599;2026-Q1;signalled;gender;unknown;1\r\n"
                       "GM0599;2026-Q1;signalled;gender;other;\r\n"
                       "GM0599;2026-Q1;reported;total;;\r\n"
                       "GM0014;2025-Q4;helped;total;;3\r\n";
    struct import_doc doc;
    struct violations v;
    DECODE_OK(body, true, &doc, &v);
    cr_assert_eq(doc.count, 2);
    const struct import_item *a = &doc.items[0];
    cr_assert_str_eq(a->code, "GM0599");
    cr_assert_str_eq(a->period, "2026-Q1");
    cr_assert_eq(a->first_row, 2);
    int s = catalog_stage_index(cat, "signalled");
    cr_assert(a->funnel.stages[s].known);
    cr_assert_eq(a->funnel.stages[s].total, 41);
    cr_assert_eq(a->funnel.stages[s].breakdowns[0].counts[0], 27);
    cr_assert_not(a->funnel.stages[catalog_stage_index(cat, "reported")].known,
                  "an empty count is not given");
    cr_assert_eq(doc.items[1].first_row, 8);
    cr_assert(doc.items[1].funnel.stages[5].known);
    /* The CSV and the equivalent PUT body give the same canonical content. */
    struct funnel f;
    struct violations pv;
    violations_init(&pv);
    const char *put = "{\"stages\":{\"signalled\":{\"total\":41,\"breakdowns\":{\"gender\":{"
                      "\"girl\":27,\"boy\":13,\"unknown\":1}}}}}";
    cr_assert_eq(funnel_decode(put, strlen(put), cat, &f, &pv), 0);
    char *x = funnel_canonical_json(&a->funnel, cat), *y = funnel_canonical_json(&f, cat);
    cr_assert_str_eq(x, y);
    free(x);
    free(y);
    violations_clear(&pv);
    import_doc_free(&doc);
    violations_clear(&v);
}

Test(import_doc, csv_rows_of_one_item_need_not_be_adjacent)
{
    const char *body = "municipality,period,stage,dimension,category,count\n"
                       "GM0014,2026-Q1,reported,total,,5\n"
                       "GM0599,2026-Q1,reported,total,,7\n"
                       "GM0014,2026-Q1,helped,total,,2\n";
    struct import_doc doc;
    struct violations v;
    DECODE_OK(body, true, &doc, &v);
    cr_assert_eq(doc.count, 2);
    cr_assert_str_eq(doc.items[0].code, "GM0014", "first appearance order");
    cr_assert(doc.items[0].funnel.stages[5].known);
    cr_assert_eq(doc.items[1].first_row, 3);
    import_doc_free(&doc);
    violations_clear(&v);
}

Test(import_doc, a_500_row_csv_with_one_bad_row_names_that_row)
{
    size_t cap = 501 * 64, o = 0;
    char *body = malloc(cap);
    o +=
        (size_t)snprintf(body + o, cap - o, "municipality,period,stage,dimension,category,count\n");
    for (int i = 0; i < 500; i++) {
        /* Row i+2: municipality GM1000+i, one total each; row 14 has a bad count. */
        o += (size_t)snprintf(body + o, cap - o, "GM%04d,2026-Q1,reported,total,,%s\n", 1000 + i,
                              i + 2 == 14 ? "12a" : "3");
    }
    struct import_doc doc;
    struct violations v;
    cr_assert_eq(decode(body, o, true, &doc, &v), -1);
    cr_assert_eq(violations_count(&v), 1);
    assert_violation(&v, "row 14/count", "not-integer");
    violations_clear(&v);
    import_doc_free(&doc);
    free(body);
}

Test(import_doc, csv_cell_violations)
{
    const char *body = "municipality,period,stage,dimension,category,count\n"
                       "GM0599,2026-Q1,reported,total,,30\n"        /* 2 */
                       "GM0599,2026-Q1,reported,total,,31\n"        /* 3 duplicate */
                       "GM0599,2026-Q1,reported,gender,girl,30\n"   /* 4 */
                       "GM0599,2026-Q1,reported,gender,girl,\n"     /* 5 duplicate (empty) */
                       "GM0599,2026-Q1,reported,care,secure,1\n"    /* 6 not allowed */
                       "GM0599,2026-Q1,gemeld,total,,1\n"           /* 7 unknown stage */
                       "GM0599,2026-Q1,reported,hair,red,1\n"       /* 8 unknown dimension */
                       "GM0599,2026-Q1,reported,ageBand,18+,1\n"    /* 9 unknown category */
                       "GM0599,2026-Q1,reported,total,girl,1\n"     /* 10 category on a total */
                       "GM0599,2026-Q1,helped,total,,-1\n"          /* 11 negative */
                       "GM0599,2026-Q1,helped,total,,1000001\n"     /* 12 too large */
                       "GM0599,2026-Q1,helped,total,,2.0\n"         /* 13 not integer */
                       "GM599,2026-Q1,helped,total,,1\n"            /* 14 invalid code */
                       "GM0599,2026-Q5,helped,total,,1\n"           /* 15 malformed period */
                       "GM0599,2026-Q1,helped,total\n"              /* 16 field count */
                       "GM0599,2026-Q2,helped,total,,1\n"           /* 17 not ended */
                       "GM0599,2014-Q4,helped,total,,1\n"           /* 18 too early */
                       "GM0014,2026-Q1,investigated,gender,boy,4\n" /* 19 no total */
                       "GM0014,2026-Q1,helped,total,,5\n"           /* 20 */
                       "GM0014,2026-Q1,helped,offence,handsOn,4\n"  /* 21 sum 4 != 5 */
                       "GM0014,2026-Q1,disclosed,total,,\n"         /* 22 empty total */
                       "GM0014,2026-Q1,disclosed,ageBand,0-5,1\n";  /* 23 breakdown, no total */
    struct import_doc doc;
    struct violations v;
    char dump[8192];
    cr_assert_eq(decode(body, strlen(body), true, &doc, &v), -1);
    assert_violation(&v, "row 3", "duplicate-cell");
    assert_violation(&v, "row 5", "duplicate-cell");
    assert_violation(&v, "row 6/dimension", "dimension-not-allowed");
    assert_violation(&v, "row 7/stage", "unknown-stage");
    assert_violation(&v, "row 8/dimension", "unknown-dimension");
    assert_violation(&v, "row 9/category", "unknown-category");
    assert_violation(&v, "row 10/category", "unknown-category");
    assert_violation(&v, "row 11/count", "negative");
    assert_violation(&v, "row 12/count", "too-large");
    assert_violation(&v, "row 13/count", "not-integer");
    assert_violation(&v, "row 14/municipality", "invalid-code");
    assert_violation(&v, "row 15/period", "malformed-period");
    assert_violation(&v, "row 16", "field-count");
    assert_violation(&v, "row 17/period", "period-not-ended");
    assert_violation(&v, "row 18/period", "period-too-early");
    assert_violation(&v, "row 19/dimension", "required");
    assert_violation(&v, "row 20/count", "sum-mismatch");
    assert_violation(&v, "row 22/count", "required");
    cr_assert_eq(violations_count(&v), 18, "%s", vio_dump(&v, dump, sizeof dump));
    violations_clear(&v);
    import_doc_free(&doc);
}

Test(import_doc, csv_header_is_required_and_exact)
{
    struct import_doc doc;
    struct violations v;
    const char *wrong = "gemeente,period,stage,dimension,category,count\nGM0599,2026-Q1,reported,"
                        "total,,1\n";
    cr_assert_eq(decode(wrong, strlen(wrong), true, &doc, &v), -1);
    cr_assert_eq(violations_count(&v), 1);
    assert_violation(&v, "row 1", "invalid-header");
    violations_clear(&v);
    cr_assert_eq(decode("", 0, true, &doc, &v), -1);
    assert_violation(&v, "row 1", "required");
    violations_clear(&v);
    const char *reordered = "count,municipality,period,stage,dimension,category\n"
                            "7,GM0599,2026-Q1,reported,total,\n";
    DECODE_OK(reordered, true, &doc, &v);
    cr_assert_eq(doc.items[0].funnel.stages[3].total, 7, "columns are found by name");
    import_doc_free(&doc);
    violations_clear(&v);
    const char *broken = "municipality,period,stage,dimension,category,count\n"
                         "GM0599,2026-Q1,\"reported,total,,1\n";
    cr_assert_eq(decode(broken, strlen(broken), true, &doc, &v), -1);
    assert_violation(&v, "", "malformed-csv");
    violations_clear(&v);
}

Test(import_doc, csv_violations_stop_at_the_cap)
{
    size_t cap = 1600 * 48, o = 0;
    char *body = malloc(cap);
    o +=
        (size_t)snprintf(body + o, cap - o, "municipality,period,stage,dimension,category,count\n");
    for (int i = 0; i < 1500; i++)
        o += (size_t)snprintf(body + o, cap - o, "GM0599,2026-Q1,reported,total,,x\n");
    struct import_doc doc;
    struct violations v;
    cr_assert_eq(decode(body, o, true, &doc, &v), -1);
    cr_assert_eq(violations_count(&v), DOC_MAX_VIOLATIONS + 1);
    cr_assert_str_eq(vio_field(&v, DOC_MAX_VIOLATIONS, "code"), "too-many-errors");
    violations_clear(&v);
    free(body);
}

Test(import_doc, csv_more_than_10000_funnels_is_too_many)
{
    size_t cap = 10002 * 40, o = 0;
    char *body = malloc(cap);
    o +=
        (size_t)snprintf(body + o, cap - o, "municipality,period,stage,dimension,category,count\n");
    /* 10001 distinct (municipality, period) pairs: 2501 codes x 4 quarters of 2025. */
    for (int i = 0; i <= 10000; i++)
        o += (size_t)snprintf(body + o, cap - o, "GM%04d,2025-Q%d,reported,total,,1\n", i / 4,
                              i % 4 + 1);
    struct import_doc doc;
    struct violations v;
    cr_assert_eq(decode(body, o, true, &doc, &v), -1);
    cr_assert_eq(violations_count(&v), 1);
    assert_violation(&v, "", "too-many");
    violations_clear(&v);
    free(body);
}

Test(import_doc, template_round_trips)
{
    char *t = import_template_csv(cat, "GM0599", "2026q1");
    cr_assert_not_null(t);
    cr_assert(strncmp(t,
                      "municipality,period,stage,dimension,category,count\n"
                      "GM0599,2026-Q1,occurred,total,,\n"
                      "GM0599,2026-Q1,occurred,gender,girl,\n",
                      strlen("municipality,period,stage,dimension,category,count\n"
                             "GM0599,2026-Q1,occurred,total,,\n"
                             "GM0599,2026-Q1,occurred,gender,girl,\n")) == 0,
              "%.200s", t);
    cr_assert(strstr(t, "GM0599,2026-Q1,helped,care,secure,\n") != NULL);
    cr_assert_null(strstr(t, "signalled,care"), "care only for helped");
    size_t rows = 0;
    for (const char *c = t; *c; c++)
        rows += *c == '\n';
    /* 6 totals + 6 x (4 + 5 + 3 + 3) + 4 care categories, plus the header. */
    cr_assert_eq(rows, 1 + 6 + 6 * 15 + 4);

    struct import_doc doc;
    struct violations v;
    DECODE_OK(t, true, &doc, &v);
    cr_assert_eq(doc.count, 1, "an untouched template is one item");
    for (size_t s = 0; s < cat->nstages; s++)
        cr_assert_not(doc.items[0].funnel.stages[s].known, "with no stage known");
    import_doc_free(&doc);
    violations_clear(&v);

    /* Filled in: the helped total and its care breakdown. */
    size_t len = strlen(t);
    char *filled = malloc(len + 16);
    const char *total = strstr(t, "helped,total,,\n");
    const char *secure = strstr(t, "helped,care,secure,\n");
    size_t a = (size_t)(total - t) + strlen("helped,total,,"),
           b = (size_t)(secure - t) + strlen("helped,care,secure,");
    snprintf(filled, len + 16, "%.*s7%.*s7%s", (int)a, t, (int)(b - a), t + a, t + b);
    DECODE_OK(filled, true, &doc, &v);
    cr_assert(doc.items[0].funnel.stages[5].known);
    cr_assert_eq(doc.items[0].funnel.stages[5].total, 7);
    cr_assert(doc.items[0].funnel.stages[5].breakdowns[4].given);
    cr_assert_eq(doc.items[0].funnel.stages[5].breakdowns[4].counts[2], 7);
    import_doc_free(&doc);
    violations_clear(&v);
    free(filled);
    free(t);

    cr_assert_null(import_template_csv(cat, "GM59", "2026-Q1"));
    cr_assert_null(import_template_csv(cat, "GM0599", "2026-Q9"));
}

/* ---- NUL bytes (issue 20 item 6) ------------------------------------------------------------ */

/* "GM0599\0Jan Jansen" used to be imported as GM0599 with the rest of the field gone. */
Test(import_doc, csv_nul_byte_refuses_the_import_naming_the_row)
{
    static const char body[] = "municipality,period,stage,dimension,category,count\n"
                               "GM0599\0Jan Jansen,2021-Q3,reported,total,,5\n"
                               "GM0014,2021-Q3,reported,total,,7\n";
    struct import_doc doc;
    struct violations v;
    char dump[1024];
    cr_assert_eq(decode(body, sizeof body - 1, true, &doc, &v), -1);
    cr_assert_eq(violations_count(&v), 1, "%s", vio_dump(&v, dump, sizeof dump));
    assert_violation(&v, "row 2", "nul-byte");
    cr_assert_str_eq(vio_field(&v, 0, "detail"), "the CSV holds a NUL byte (0x00) in row 2");
    cr_assert_null(doc.items, "nothing is returned on failure");
    import_doc_free(&doc);
    violations_clear(&v);
}

Test(import_doc, csv_nul_byte_anywhere_is_refused)
{
#define NUL_CASE(text, pointer)                                                                    \
    {                                                                                              \
        text, sizeof text - 1, pointer                                                             \
    }
    static const struct {
        const char *body;
        size_t len;
        const char *pointer;
    } cases[] = {
        /* In the header. */
        NUL_CASE("municipality\0,period,stage,dimension,category,count\n"
                 "GM0599,2021-Q3,reported,total,,5\n",
                 "row 1"),
        /* In a quoted count ("5\0" would have read as 5). */
        NUL_CASE("municipality,period,stage,dimension,category,count\n"
                 "GM0599,2021-Q3,reported,total,,5\n"
                 "GM0599,2021-Q3,helped,total,,\"5\0\"\n",
                 "row 3"),
        /* In an empty category, the row otherwise valid. */
        NUL_CASE("municipality,period,stage,dimension,category,count\n"
                 "GM0599,2021-Q3,reported,total,\0,5\n",
                 "row 2"),
        /* In a row with too many fields, and in the last row without a line end. */
        NUL_CASE("municipality,period,stage,dimension,category,count\n"
                 "GM0599,2021-Q3,reported,total,,5,\0\n",
                 "row 2"),
        NUL_CASE("municipality;period;stage;dimension;category;count\r\n"
                 "GM0599;2021-Q3;reported;total;;5\r\n"
                 "GM0599;2021-Q3;helped;total;;3\0",
                 "row 3"),
    };
#undef NUL_CASE
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct import_doc doc;
        struct violations v;
        char dump[1024];
        cr_assert_eq(decode(cases[i].body, cases[i].len, true, &doc, &v), -1, "case %zu", i);
        cr_assert_eq(violations_count(&v), 1, "case %zu: %s", i, vio_dump(&v, dump, sizeof dump));
        assert_violation(&v, cases[i].pointer, "nul-byte");
        import_doc_free(&doc);
        violations_clear(&v);
    }
}

Test(import_doc, csv_nul_byte_keeps_the_violations_found_before_it)
{
    static const char body[] = "municipality,period,stage,dimension,category,count\n"
                               "GM599,2021-Q3,reported,total,,5\n"
                               "GM0599,2021-Q3,reported,total,,5\0\n"
                               "GM0599,2021-Q3,gemeld,total,,5\n";
    struct import_doc doc;
    struct violations v;
    char dump[1024];
    cr_assert_eq(decode(body, sizeof body - 1, true, &doc, &v), -1);
    assert_violation(&v, "row 2/municipality", "invalid-code");
    assert_violation(&v, "row 3", "nul-byte");
    cr_assert_eq(violations_count(&v), 2, "reading stops at the NUL: %s",
                 vio_dump(&v, dump, sizeof dump));
    import_doc_free(&doc);
    violations_clear(&v);
}

Test(import_doc, json_nul_byte_is_malformed_json)
{
    static const char escaped[] =
        "[{\"municipality\":\"GM0599\\u0000Jan Jansen\",\"period\":\"2021-Q3\",\"stages\":{}}]";
    static const char escaped_key[] =
        "[{\"municipality\":\"GM0599\",\"period\":\"2021-Q3\",\"stages\\u0000\":{}}]";
    static const char raw[] =
        "[{\"municipality\":\"GM0599\0Jan Jansen\",\"period\":\"2021-Q3\",\"stages\":{}}]";
    static const char raw_after[] =
        "[{\"municipality\":\"GM0599\",\"period\":\"2021-Q3\",\"stages\":{}}]\0junk";
    const struct {
        const char *body;
        size_t len;
    } cases[] = {{escaped, sizeof escaped - 1},
                 {escaped_key, sizeof escaped_key - 1},
                 {raw, sizeof raw - 1},
                 {raw_after, sizeof raw_after - 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct import_doc doc;
        struct violations v;
        char dump[1024];
        cr_assert_eq(decode(cases[i].body, cases[i].len, false, &doc, &v), -1, "case %zu", i);
        cr_assert_eq(violations_count(&v), 1, "case %zu: %s", i, vio_dump(&v, dump, sizeof dump));
        assert_violation(&v, "", "malformed-json");
        import_doc_free(&doc);
        violations_clear(&v);
    }
}
