/* Unit tests of the client's output (client/table.c, client/render.c, client/template.c) and of
 * its small pure helpers (log redaction, CSV/JSON sniffing, query strings, idempotency keys). */
#include "client/body.h"
#include "client/commands.h"
#include "client/http.h"
#include "client/render.h"
#include "client/table.h"
#include "client/template.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(client_render, .timeout = 60);

/* Runs fn into a memory stream and returns what it wrote (malloc'd). */
#define CAPTURE(var, call)                                                                         \
    char *var = NULL;                                                                              \
    do {                                                                                           \
        size_t var##_len = 0;                                                                      \
        FILE *out = open_memstream(&var, &var##_len);                                              \
        cr_assert_not_null(out);                                                                   \
        call;                                                                                      \
        fclose(out);                                                                               \
    } while (0)

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "test JSON: %s", e.text);
    return j;
}

/* The n-th line (0-based) of text, copied. */
static char *line_of(const char *text, int n)
{
    const char *p = text;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    cr_assert(p && *p, "no line %d in:\n%s", n, text);
    return strndup(p, strcspn(p, "\n"));
}

Test(client_render, table_columns_are_aligned)
{
    const char *headers[] = {"CODE", "NAME", "COUNT"};
    struct table *t = table_new(3, headers);
    table_align_right(t, 2);
    table_add(t, "VR01");
    table_add(t, "Groningen");
    table_add(t, "7");
    table_add(t, "VR15");
    table_add(t, "Haaglanden");
    table_add(t, "1234");
    table_add(t, "GM0518");
    table_add(t, "'s-Gravenhage");
    table_add(t, "12");
    cr_assert_eq(table_rows(t), 3);
    CAPTURE(text, table_print(t, out));
    table_free(t);
    char *h = line_of(text, 0), *rule = line_of(text, 1), *r1 = line_of(text, 2),
         *r2 = line_of(text, 3);
    cr_assert_str_eq(h, "CODE    NAME           COUNT");
    cr_assert_eq(strlen(rule), strlen(h));
    cr_assert_str_eq(r1, "VR01    Groningen          7");
    cr_assert_str_eq(r2, "VR15    Haaglanden      1234");
    free(h), free(rule), free(r1), free(r2), free(text);
}

Test(client_render, table_width_counts_characters_not_bytes)
{
    cr_assert_eq(text_width("Súdwest-Fryslân"), 15);
    const char *headers[] = {"NAME", "N"};
    struct table *t = table_new(2, headers);
    table_add(t, "Súdwest-Fryslân");
    table_add(t, "1");
    table_add(t, "Ede");
    table_add(t, "2");
    CAPTURE(text, table_print(t, out));
    table_free(t);
    char *r1 = line_of(text, 2), *r2 = line_of(text, 3);
    cr_assert_eq(text_width(r1), text_width(r2), "'%s' vs '%s'", r1, r2);
    free(r1), free(r2), free(text);
}

static const char funnels_doc[] =
    "{\"regionSet\": \"safetyRegion\", \"protected\": true, \"rows\": ["
    " {\"period\": \"2026-Q2\", \"region\": {\"code\": \"VR17\", \"name\": \"Rotterdam-Rijnmond\"},"
    "  \"protected\": true, \"coverage\": {\"reporting\": 12, \"expected\": 13},"
    "  \"stages\": {\"occurred\": {\"state\": \"notKnown\", \"count\": null},"
    "   \"signalled\": {\"state\": \"published\", \"count\": 410, \"reporting\": 12, \"per10k\": "
    "15.6},"
    "   \"reported\": {\"state\": \"published\", \"count\": 300, \"per10k\": 11.5, "
    "\"fromPrevious\": 0.73},"
    "   \"helped\": {\"state\": \"published\", \"count\": 5, \"per10k\": null, \"withheld\": "
    "\"rateMin\"}}},"
    " {\"period\": \"2026-Q2\", \"region\": {\"code\": \"VR01\", \"name\": \"Groningen\"},"
    "  \"protected\": false, \"coverage\": {\"reporting\": 0, \"expected\": 10},"
    "  \"stages\": {\"reported\": {\"state\": \"notSubmitted\", \"count\": null}}}]}";

Test(client_render, funnels_table_shows_the_protection)
{
    json_t *doc = parse(funnels_doc);
    CAPTURE(text, cr_assert_eq(render_rows(out, RENDER_FUNNELS, doc), 0));
    json_decref(doc);
    char *banner = line_of(text, 0);
    cr_assert_str_eq(banner, RENDER_PROTECTED_BANNER);
    char *header = line_of(text, 1);
    cr_assert(strstr(header, "PROTECTED") && strstr(header, "COVERAGE") &&
                  strstr(header, "signalled") && strstr(header, "helped"),
              "%s", header);
    char *vr17 = line_of(text, 3), *vr01 = line_of(text, 4);
    cr_assert(strstr(vr17, "VR17") && strstr(vr17, "Rotterdam-Rijnmond") && strstr(vr17, " yes "),
              "%s", vr17);
    cr_assert(strstr(vr17, "12/13") && strstr(vr17, "410 (15.6)") && strstr(vr17, "300 (11.5)") &&
                  strstr(vr17, "5 (w)"),
              "%s", vr17);
    cr_assert(strstr(vr01, " no ") && strstr(vr01, "n/s"), "%s", vr01);
    /* aligned: the PROTECTED column starts at the same place in both rows */
    cr_assert_eq(strstr(vr17, "yes") - vr17, strstr(vr01, "no ") - vr01, "\n%s\n%s", vr17, vr01);
    free(banner), free(header), free(vr17), free(vr01), free(text);
}

Test(client_render, no_banner_for_raw_figures)
{
    json_t *doc = parse("{\"protected\": false, \"rows\": [{\"period\": \"2026-Q2\", \"region\": "
                        "{\"code\": \"GM0344\", \"name\": \"Utrecht\"}, \"protected\": false, "
                        "\"stages\": {}}]}");
    CAPTURE(text, render_rows(out, RENDER_FUNNELS, doc));
    json_decref(doc);
    cr_assert(strstr(text, "protected (cell-key") == NULL, "%s", text);
    cr_assert(strncmp(text, "PERIOD", 6) == 0, "%s", text);
    free(text);
}

Test(client_render, a_protected_row_alone_raises_the_banner)
{
    json_t *doc = parse("{\"rows\": [{\"region\": \"VR01\", \"protected\": true}]}");
    CAPTURE(text, render_rows(out, RENDER_COMPLETENESS, doc));
    json_decref(doc);
    cr_assert(strncmp(text, RENDER_PROTECTED_BANNER, strlen(RENDER_PROTECTED_BANNER)) == 0);
    free(text);
}

Test(client_render, funnels_with_a_breakdown_are_listed_long)
{
    json_t *doc =
        parse("{\"rows\": [{\"period\": \"2026-Q2\", \"region\": {\"code\": \"NL01\", \"name\": "
              "\"Nederland\"}, \"protected\": true, \"stages\": {\"reported\": {\"state\": "
              "\"published\", \"count\": 30, \"breakdown\": {\"girl\": {\"state\": \"published\", "
              "\"count\": 20}, \"boy\": {\"state\": \"published\", \"count\": 10}}}}}]}");
    CAPTURE(text, render_rows(out, RENDER_FUNNELS, doc));
    json_decref(doc);
    cr_assert(strstr(text, "CATEGORY") != NULL, "%s", text);
    cr_assert(strstr(text, "total") && strstr(text, "girl") && strstr(text, "boy"), "%s", text);
    free(text);
}

Test(client_render, comparisons_table_with_national_value)
{
    json_t *doc = parse(
        "{\"national\": {\"value\": 12.5}, \"rows\": ["
        "{\"rank\": 1, \"region\": {\"code\": \"VR17\", \"name\": \"Rotterdam-Rijnmond\"}, "
        "\"value\": 15.6, \"ratioToNational\": 1.25, \"zScore\": 1.1, \"quartile\": 4, \"state\": "
        "\"published\"},"
        "{\"rank\": null, \"region\": {\"code\": \"VR01\", \"name\": \"Groningen\"}, \"value\": "
        "null, \"ratioToNational\": null, \"zScore\": null, \"quartile\": null, \"state\": "
        "\"notSubmitted\"}]}");
    CAPTURE(text, render_rows(out, RENDER_COMPARISONS, doc));
    json_decref(doc);
    cr_assert(strstr(text, "national value: 12.50"), "%s", text);
    cr_assert(strstr(text, "15.60") && strstr(text, "1.25") && strstr(text, "notSubmitted"), "%s",
              text);
    free(text);
}

Test(client_render, completeness_lists_missing_codes)
{
    json_t *doc = parse("{\"rows\": [{\"region\": {\"code\": \"VR09\", \"name\": \"Utrecht\"}, "
                        "\"expected\": 26, \"funnels\": 24, \"networks\": 25, \"missingFunnels\": "
                        "[\"GM0344\", \"GM0402\"], \"missingNetworks\": []}]}");
    CAPTURE(text, render_rows(out, RENDER_COMPLETENESS, doc));
    json_decref(doc);
    cr_assert(strstr(text, "GM0344, GM0402") && strstr(text, "MISSING FUNNELS"), "%s", text);
    free(text);
}

Test(client_render, networks_table_and_no_rows)
{
    json_t *doc =
        parse("{\"rows\": [{\"region\": {\"code\": \"VR09\", \"name\": \"Utrecht\"}, "
              "\"reporting\": 3, \"expected\": 26, \"stepsMet\": {\"0\": 1, \"8\": 2}}]}");
    CAPTURE(text, render_rows(out, RENDER_NETWORKS, doc));
    json_decref(doc);
    cr_assert(strstr(text, "VR09") && strstr(text, "REPORTING"), "%s", text);
    free(text);
    json_t *empty = parse("{\"rows\": []}");
    CAPTURE(t2, render_rows(out, RENDER_NETWORKS, empty));
    cr_assert_str_eq(t2, "no rows\n");
    free(t2);
    json_decref(empty);
    json_t *bad = parse("{\"stages\": []}");
    CAPTURE(t3, cr_assert_eq(render_rows(out, RENDER_NETWORKS, bad), -1));
    free(t3);
    json_decref(bad);
}

Test(client_render, problem_with_every_kind_of_place)
{
    json_t *p = parse(
        "{\"type\": \"https://trechter.nl/problems/invalid-input\", \"title\": \"Bad Request\", "
        "\"status\": 400, \"detail\": \"The import is invalid.\", \"requestId\": \"r-1\", "
        "\"errors\": ["
        "{\"in\": \"body\", \"pointer\": \"row 14/count\", \"code\": \"not-integer\", \"detail\": "
        "\"a count is a whole number\"},"
        "{\"in\": \"body\", \"pointer\": \"/stages/reported/total\", \"code\": \"negative\", "
        "\"detail\": \"must be 0 or more\"},"
        "{\"in\": \"path\", \"name\": \"period\", \"code\": \"future-period\", \"detail\": "
        "\"2099-Q1 has not ended\"},"
        "{\"in\": \"body\", \"pointer\": \"row 3\", \"code\": \"columns\", \"detail\": \"7 "
        "fields\"}]}");
    CAPTURE(text, render_problem(out, 400, p, NULL, 0, NULL));
    json_decref(p);
    cr_assert_str_eq(text, "error 400 Bad Request: The import is invalid.\n"
                           "  row 14, count: a count is a whole number (not-integer)\n"
                           "  /stages/reported/total: must be 0 or more (negative)\n"
                           "  path period: 2099-Q1 has not ended (future-period)\n"
                           "  row 3: 7 fields (columns)\n"
                           "  request id: r-1\n");
    free(text);
}

Test(client_render, problem_trusts_the_http_status_and_handles_non_problems)
{
    json_t *p = parse("{\"title\": \"Bad Request\", \"status\": \"rejected\", \"detail\": \"x\"}");
    CAPTURE(t1, render_problem(out, 400, p, NULL, 0, "abc"));
    json_decref(p);
    cr_assert_str_eq(t1, "error 400 Bad Request: x\n  request id: abc\n");
    free(t1);
    const char *html = "<html>bad gateway</html>\n<body>...";
    CAPTURE(t2, render_problem(out, 502, NULL, html, strlen(html), NULL));
    cr_assert(strncmp(t2, "error 502 Bad Gateway\n", 22) == 0, "%s", t2);
    cr_assert(strstr(t2, "<html>bad gateway</html>"), "%s", t2);
    free(t2);
}

Test(client_render, singular_summaries)
{
    json_t *f = parse("{\"municipality\": \"GM0344\", \"period\": \"2016-Q1\", \"revision\": 2, "
                      "\"submittedBy\": {\"id\": \"1\", \"label\": \"GM0344 data office\"}, "
                      "\"stages\": {\"signalled\": {\"total\": 41, \"breakdowns\": {\"gender\": "
                      "{\"girl\": 27, \"boy\": 14}}}}, \"unchanged\": true, \"warnings\": "
                      "[{\"code\": \"outlier\", \"pointer\": \"/stages/signalled/total\", "
                      "\"detail\": \"big change\"}]}");
    CAPTURE(text, render_funnel(out, f));
    json_decref(f);
    cr_assert(strstr(text, "funnel GM0344 2016-Q1, revision 2") &&
                  strstr(text, "GM0344 data office"),
              "%s", text);
    cr_assert(strstr(text, "unchanged"), "%s", text);
    cr_assert(strstr(text, "gender: girl 27, boy 14"), "%s", text);
    cr_assert(strstr(text, "occurred") && strstr(text, "not known"), "%s", text);
    cr_assert(strstr(text, "warning /stages/signalled/total: big change (outlier)"), "%s", text);
    free(text);

    json_t *imp = parse("{\"status\": \"validated\", \"dryRun\": true, \"created\": 2, "
                        "\"updated\": 1, \"unchanged\": 0, \"rejected\": 0, \"warnings\": []}");
    CAPTURE(t2, render_import(out, imp));
    json_decref(imp);
    cr_assert_str_eq(t2, "validated (dry run, nothing written): created 2, updated 1, unchanged 0, "
                         "rejected 0\n");
    free(t2);
}

static const char stages_doc[] =
    "{\"stages\": ["
    " {\"key\": \"occurred\", \"dimensions\": [{\"key\": \"gender\", \"categories\": "
    "   [{\"key\": \"girl\"}, {\"key\": \"boy\"}]}]},"
    " {\"key\": \"helped\", \"dimensions\": [{\"key\": \"gender\", \"categories\": "
    "   [{\"key\": \"girl\"}, {\"key\": \"boy\"}]}, {\"key\": \"care\", \"categories\": "
    "   [{\"key\": \"secure\"}]}]}]}";

Test(client_render, template_rows_in_reference_order)
{
    json_t *doc = parse(stages_doc);
    long rows = 0;
    CAPTURE(text, rows = template_write(out, doc, "GM0344", "2016-Q1", 0));
    json_decref(doc);
    cr_assert_eq(rows, 7);
    cr_assert_str_eq(text, "municipality,period,stage,dimension,category,count\n"
                           "GM0344,2016-Q1,occurred,total,,\n"
                           "GM0344,2016-Q1,occurred,gender,girl,\n"
                           "GM0344,2016-Q1,occurred,gender,boy,\n"
                           "GM0344,2016-Q1,helped,total,,\n"
                           "GM0344,2016-Q1,helped,gender,girl,\n"
                           "GM0344,2016-Q1,helped,gender,boy,\n"
                           "GM0344,2016-Q1,helped,care,secure,\n");
    free(text);
}

Test(client_render, template_excel_profile)
{
    json_t *doc = parse(stages_doc);
    CAPTURE(text, template_write(out, doc, "GM0344", "2016-Q1", 1));
    json_decref(doc);
    cr_assert(strncmp(text,
                      "\xEF\xBB\xBFmunicipality;period;stage;dimension;category;count\r\n"
                      "GM0344;2016-Q1;occurred;total;;\r\n",
                      strlen("\xEF\xBB\xBFmunicipality;period;stage;dimension;category;count\r\n"
                             "GM0344;2016-Q1;occurred;total;;\r\n")) == 0,
              "%s", text);
    free(text);
    json_t *bad = parse("{\"stages\": []}");
    CAPTURE(t2, cr_assert_eq(template_write(out, bad, "GM0344", "2016-Q1", 0), -1));
    cr_assert_str_eq(t2, "", "nothing is written for unusable reference data");
    free(t2);
    json_decref(bad);
}

Test(client_render, csv_fields_are_quoted_when_needed)
{
    CAPTURE(text, (csv_field(out, "plain", ','), fputc('|', out), csv_field(out, "a,b", ','),
                   fputc('|', out), csv_field(out, "say \"hi\"", ';'), fputc('|', out),
                   csv_field(out, "a,b", ';')));
    cr_assert_str_eq(text, "plain|\"a,b\"|\"say \"\"hi\"\"\"|a,b");
    free(text);
}

Test(client_render, verbose_log_redacts_the_token)
{
    char out[256];
    const char *line = "Authorization: Bearer s3cr3t-T0KEN";
    http_redact_line(line, strlen(line), out, sizeof out);
    cr_assert_str_eq(out, "Authorization: Bearer [redacted]");
    const char *odd = "authorization:s3cr3t-T0KEN";
    http_redact_line(odd, strlen(odd), out, sizeof out);
    cr_assert(strstr(out, "s3cr3t") == NULL, "%s", out);
    const char *proxy = "Proxy-Authorization: Basic dXNlcjpwYXNz";
    http_redact_line(proxy, strlen(proxy), out, sizeof out);
    cr_assert_str_eq(out, "Proxy-Authorization: Basic [redacted]");
    const char *other = "Content-Type: text/csv";
    http_redact_line(other, strlen(other), out, sizeof out);
    cr_assert_str_eq(out, other);
}

Test(client_render, json_content_types)
{
    cr_assert(http_is_json_type("application/json"));
    cr_assert(http_is_json_type("application/problem+json"));
    cr_assert(http_is_json_type("application/json; charset=utf-8"));
    cr_assert_not(http_is_json_type("text/csv"));
    cr_assert_not(http_is_json_type(NULL));
}

Test(client_render, import_type_by_name_then_content)
{
    cr_assert_eq(import_type_sniff("figures.json", "municipality", 12), IMPORT_JSON);
    cr_assert_eq(import_type_sniff("figures.CSV", "[", 1), IMPORT_CSV);
    cr_assert_eq(import_type_sniff("-", "\xEF\xBB\xBF \r\n[{}]", 9), IMPORT_JSON);
    cr_assert_eq(import_type_sniff(NULL, "municipality;period", 19), IMPORT_CSV);
    cr_assert_eq(import_type_sniff("dir.json/file", "a,b", 3), IMPORT_CSV);
}

Test(client_render, query_strings_are_escaped_and_repeat_regions)
{
    char *q = NULL;
    cr_assert_eq(query_append(&q, "period", "2026-Q2"), 0);
    cr_assert_eq(query_append(&q, "region", "VR01"), 0);
    cr_assert_eq(query_append(&q, "region", "VR17"), 0);
    cr_assert_eq(query_append(&q, "stage", NULL), 0);
    cr_assert_eq(query_append(&q, "x", "a b&c=d/é"), 0);
    cr_assert_str_eq(q, "period=2026-Q2&region=VR01&region=VR17&x=a%20b%26c%3Dd%2F%C3%A9");
    free(q);
}

Test(client_render, idempotency_keys_are_random_uuids)
{
    char a[37], b[37];
    cr_assert_eq(idempotency_key_new(a), 0);
    cr_assert_eq(idempotency_key_new(b), 0);
    cr_assert_eq(strlen(a), 36);
    cr_assert_eq(a[14], '4', "version 4: %s", a);
    cr_assert(strchr("89ab", a[19]) != NULL, "variant: %s", a);
    cr_assert_str_neq(a, b);
}
