/* Black-box tests of the funnel resource (design §3.1, §3, §4, §5.1, §6):
 * PUT/GET/DELETE /v1/municipalities/{code}/funnels/{period} and .../revisions, against the daemon
 * and database started by tests/harness/env-up (CTest fixture "main").
 *
 * Criterion runs these tests in parallel processes against ONE daemon and database, and other test
 * binaries share it too: every test owns its (municipality, period) resources, listed beside each
 * test. Tests that look at outlier warnings own the neighbouring quarters as well. */
#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------- */

#define BODY(r) ((r)->body_len > 1500 ? 1500 : (int)(r)->body_len), (r)->body

static const char *token(const char *key)
{
    const char *t = getenv(key);
    cr_assert(t != NULL && *t != '\0',
              "%s is empty: tests/harness/env-up could not create this token (see its output)",
              key);
    return t;
}

#define RAPPORTEUR token("TOKEN_RAPPORTEUR")

/* http_do, retried a few times when the shared daemon rate-limits the shared token (429). */
static struct http_response *req(const char *method, const char *path, const char *tok,
                                 const char *ctype, const char *body, const char *const *hdrs)
{
    for (int attempt = 0;; attempt++) {
        struct http_response *r =
            http_do(method, path, tok, ctype, body, body ? strlen(body) : 0, hdrs);
        if (r->status != 429 || attempt >= 20)
            return r;
        http_response_free(r);
        usleep(300 * 1000);
    }
}

static char *funnel_path(const char *code, const char *period, const char *suffix)
{
    char *p = NULL;
    cr_assert(
        asprintf(&p, "/v1/municipalities/%s/funnels/%s%s", code, period, suffix ? suffix : "") > 0);
    return p;
}

static struct http_response *put_funnel(const char *tok, const char *code, const char *period,
                                        const char *query, const char *body,
                                        const char *const *hdrs)
{
    char *path = funnel_path(code, period, query);
    struct http_response *r = req("PUT", path, tok, "application/json", body, hdrs);
    free(path);
    return r;
}

static struct http_response *get_funnel(const char *tok, const char *code, const char *period,
                                        const char *suffix)
{
    char *path = funnel_path(code, period, suffix);
    struct http_response *r = req("GET", path, tok, NULL, NULL, NULL);
    free(path);
    return r;
}

static void expect_status(struct http_response *r, long status, const char *what)
{
    cr_assert_eq(r->status, status, "%s: expected HTTP %ld, got %ld (curl code %d); body: %.*s",
                 what, status, r->status, r->curl_code, BODY(r));
    cr_assert(http_header(r, "X-Request-Id") != NULL, "%s: no X-Request-Id", what);
}

static void expect_problem(struct http_response *r, long status, const char *what)
{
    expect_status(r, status, what);
    cr_assert(http_is_problem(r), "%s: expected a problem+json %ld; Content-Type %s, body %.*s",
              what, status,
              http_header(r, "Content-Type") ? http_header(r, "Content-Type") : "(none)", BODY(r));
}

/* A stage's total, -1 when the stage is absent. */
static long long stage_total(json_t *doc, const char *stage)
{
    json_t *s = json_object_get(json_object_get(doc, "stages"), stage);
    if (s == NULL)
        return -1;
    json_t *t = json_object_get(s, "total");
    cr_assert(json_is_integer(t), "stage %s has no integer total", stage);
    return json_integer_value(t);
}

/* A breakdown count; a category left out counts 0 (-1 when the dimension is absent). */
static long long cat_count(json_t *doc, const char *stage, const char *dim, const char *cat)
{
    json_t *d = json_object_get(
        json_object_get(json_object_get(json_object_get(doc, "stages"), stage), "breakdowns"), dim);
    if (d == NULL)
        return -1;
    json_t *c = json_object_get(d, cat);
    return c == NULL ? 0 : json_integer_value(c);
}

/* The number of stages in the document's `stages`. */
static size_t stage_count(json_t *doc)
{
    json_t *s = json_object_get(doc, "stages");
    cr_assert(json_is_object(s), "document has no stages object");
    return json_object_size(s);
}

/* Checks the fields of a 200/201 funnel answer (or a GET). */
static void expect_document(struct http_response *r, const char *code, const char *period,
                            int revision, const char *label, const char *what)
{
    json_t *d = r->json;
    cr_assert(json_is_object(d), "%s: body is not a JSON object: %.*s", what, BODY(r));
    cr_assert_str_eq(itest_str_of(d, "municipality") ? itest_str_of(d, "municipality") : "(none)",
                     code, "%s: municipality", what);
    cr_assert_str_eq(itest_str_of(d, "period") ? itest_str_of(d, "period") : "(none)", period,
                     "%s: period", what);
    cr_assert_eq(itest_int_of(d, "revision"), revision, "%s: revision %lld, expected %d; %.*s",
                 what, itest_int_of(d, "revision"), revision, BODY(r));
    const char *at = itest_str_of(d, "submittedAt");
    cr_assert(at != NULL && strlen(at) >= 20 && at[4] == '-' && at[10] == 'T',
              "%s: submittedAt is not an RFC 3339 time: %s", what, at ? at : "(none)");
    json_t *by = json_object_get(d, "submittedBy");
    cr_assert(json_is_object(by), "%s: submittedBy is not an object", what);
    cr_assert(json_object_get(by, "id") != NULL && !json_is_null(json_object_get(by, "id")),
              "%s: submittedBy.id missing", what);
    if (label != NULL)
        cr_assert_str_eq(itest_str_of(by, "label") ? itest_str_of(by, "label") : "(none)", label,
                         "%s: submittedBy.label", what);
    cr_assert(json_is_array(json_object_get(d, "warnings")), "%s: warnings is not an array", what);
    cr_assert(json_is_object(json_object_get(d, "stages")), "%s: stages is not an object", what);
    itest_expect_etag(r, revision, what);
}

/* Finds an error in a 400 problem: in, pointer (body) or name, code. */
static json_t *find_error(json_t *problem, const char *in, const char *where, const char *code)
{
    json_t *errors = json_object_get(problem, "errors");
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        const char *ein = itest_str_of(e, "in"), *ecode = itest_str_of(e, "code");
        const char *ewhere = itest_str_of(e, strcmp(in, "body") == 0 ? "pointer" : "name");
        if (ein && ecode && strcmp(ein, in) == 0 && (code == NULL || strcmp(ecode, code) == 0) &&
            (where == NULL || (ewhere && strcmp(ewhere, where) == 0)))
            return e;
    }
    return NULL;
}

static void expect_error(struct http_response *r, const char *in, const char *where,
                         const char *code, const char *what)
{
    expect_problem(r, 400, what);
    json_t *errors = json_object_get(r->json, "errors");
    cr_assert(json_is_array(errors) && json_array_size(errors) > 0, "%s: no errors array: %.*s",
              what, BODY(r));
    json_t *e = find_error(r->json, in, where, code);
    cr_assert(e != NULL, "%s: expected an error {in: %s, %s: %s, code: %s}; got %.*s", what, in,
              strcmp(in, "body") == 0 ? "pointer" : "name", where ? where : "*", code ? code : "*",
              BODY(r));
    cr_assert(itest_str_of(e, "detail") && *itest_str_of(e, "detail"), "%s: error without detail",
              what);
}

static void expect_absent(const char *code, const char *period, const char *what)
{
    struct http_response *r = get_funnel(RAPPORTEUR, code, period, NULL);
    expect_problem(r, 404, what);
    http_response_free(r);
}

static json_t *revisions_of(const char *tok, const char *code, const char *period, long status)
{
    struct http_response *r = get_funnel(tok, code, period, "/revisions");
    if (status != 200) {
        expect_problem(r, status, "GET .../revisions");
        http_response_free(r);
        return NULL;
    }
    expect_status(r, 200, "GET .../revisions");
    json_t *list = json_object_get(r->json, "revisions");
    cr_assert(json_is_array(list), "revisions: no array: %.*s", BODY(r));
    json_incref(list);
    http_response_free(r);
    return list;
}

/* One warning of `code` at `pointer` in an array of warnings. */
static int has_warning(json_t *warnings, const char *code, const char *pointer)
{
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w)
    {
        if (itest_str_of(w, "code") && strcmp(itest_str_of(w, "code"), code) == 0 &&
            itest_str_of(w, "pointer") && strcmp(itest_str_of(w, "pointer"), pointer) == 0 &&
            itest_str_of(w, "detail"))
            return 1;
    }
    return 0;
}

static PGconn *db_connect(void)
{
    PGconn *c = PQconnectdb(itest_env("TRECHTER_DB"));
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect to TRECHTER_DB: %s", PQerrorMessage(c));
    return c;
}

static PGresult *db_query(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    return res;
}

/* The current quarter (Europe/Amsterdam is close enough to local/UTC away from quarter ends),
 * as "YYYY-Qn". */
static void current_quarter(char out[16], int add_quarters)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int q = tm.tm_year * 4 + tm.tm_mon / 3 + add_quarters;
    snprintf(out, 16, "%04d-Q%d", 1900 + q / 4, q % 4 + 1);
}

/* ---- create, unchanged, revisions, snapshot ------------------------------------------------ */

static const char BODY_A[] =
    "{\"stages\": {\"signalled\": {\"total\": 41, \"breakdowns\": {\"gender\": {\"girl\": 27, "
    "\"boy\": 13, \"unknown\": 1}}}, \"reported\": {\"total\": 30}}}";

/* GM0037 2024-Q1 */
Test(funnels, create_201_etag_and_echo, .timeout = 60)
{
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0037", "2024-Q1", NULL, BODY_A, NULL);
    expect_status(r, 201, "first PUT");
    expect_document(r, "GM0037", "2024-Q1", 1, "itest rapporteur", "first PUT");
    const char *ct = http_header(r, "Content-Type");
    cr_assert(ct && strncmp(ct, "application/json", 16) == 0, "Content-Type %s",
              ct ? ct : "(none)");
    cr_assert_eq(stage_count(r->json), 2, "echo has %zu stages: %.*s", stage_count(r->json),
                 BODY(r));
    cr_assert_eq(stage_total(r->json, "signalled"), 41);
    cr_assert_eq(stage_total(r->json, "reported"), 30);
    cr_assert_eq(cat_count(r->json, "signalled", "gender", "girl"), 27);
    cr_assert_eq(cat_count(r->json, "signalled", "gender", "boy"), 13);
    cr_assert_eq(cat_count(r->json, "signalled", "gender", "other"), 0);
    cr_assert_eq(cat_count(r->json, "signalled", "gender", "unknown"), 1);
    cr_assert(json_array_size(json_object_get(r->json, "warnings")) == 0,
              "unexpected warnings: %.*s", BODY(r));
    cr_assert(!json_is_true(json_object_get(r->json, "unchanged")),
              "a new resource is not unchanged");
    http_response_free(r);

    r = get_funnel(RAPPORTEUR, "GM0037", "2024-Q1", NULL);
    expect_status(r, 200, "GET after create");
    expect_document(r, "GM0037", "2024-Q1", 1, "itest rapporteur", "GET after create");
    cr_assert_eq(stage_total(r->json, "signalled"), 41);
    cr_assert_eq(cat_count(r->json, "signalled", "gender", "unknown"), 1);
    const char *cc = http_header(r, "Cache-Control");
    cr_assert(cc && strstr(cc, "no-store"), "GET Cache-Control: %s", cc ? cc : "(none)");
    http_response_free(r);
}

/* GM0047 2024-Q1 */
Test(funnels, same_content_is_unchanged, .timeout = 60)
{
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0047", "2024-Q1", NULL, BODY_A, NULL);
    expect_status(r, 201, "first PUT");
    http_response_free(r);

    r = put_funnel(RAPPORTEUR, "GM0047", "2024-Q1", NULL, BODY_A, NULL);
    expect_status(r, 200, "identical PUT");
    cr_assert(json_is_true(json_object_get(r->json, "unchanged")),
              "identical PUT: no unchanged:true: %.*s", BODY(r));
    expect_document(r, "GM0047", "2024-Q1", 1, NULL, "identical PUT");
    http_response_free(r);

    /* The same content: keys reordered, other whitespace, zero categories written out. */
    static const char same[] =
        "{\n  "
        "\"stages\":{\"reported\":{\"total\":30},\n\t\"signalled\":{\"breakdowns\":{\"gender\":"
        "{\"unknown\":1,\"other\":0,\"boy\":13,\"girl\":27}},\"total\":41}}\n}\n";
    r = put_funnel(RAPPORTEUR, "GM0047", "2024-Q1", NULL, same, NULL);
    expect_status(r, 200, "reordered PUT");
    cr_assert(json_is_true(json_object_get(r->json, "unchanged")),
              "reordered/whitespace/zero-category PUT is not unchanged: %.*s", BODY(r));
    itest_expect_etag(r, 1, "reordered PUT");
    http_response_free(r);

    json_t *list = revisions_of(RAPPORTEUR, "GM0047", "2024-Q1", 200);
    cr_assert_eq(json_array_size(list), 1, "unchanged PUTs made revisions: %zu",
                 json_array_size(list));
    json_decref(list);
}

/* GM0050 2024-Q1 */
Test(funnels, new_revision_snapshot_and_history, .timeout = 60)
{
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0050", "2024-Q1", NULL, BODY_A, NULL);
    expect_status(r, 201, "first PUT");
    http_response_free(r);

    /* A changed count, and `reported` left out: gone in revision 2. */
    static const char b2[] = "{\"stages\": {\"signalled\": {\"total\": 42}}}";
    r = put_funnel(RAPPORTEUR, "GM0050", "2024-Q1", NULL, b2, NULL);
    expect_status(r, 200, "changed PUT");
    expect_document(r, "GM0050", "2024-Q1", 2, "itest rapporteur", "changed PUT");
    cr_assert(!json_is_true(json_object_get(r->json, "unchanged")), "changed PUT says unchanged");
    cr_assert_eq(stage_total(r->json, "signalled"), 42);
    cr_assert_eq(stage_total(r->json, "reported"), -1, "snapshot: reported still present: %.*s",
                 BODY(r));
    http_response_free(r);

    r = get_funnel(RAPPORTEUR, "GM0050", "2024-Q1", NULL);
    expect_status(r, 200, "GET current");
    expect_document(r, "GM0050", "2024-Q1", 2, "itest rapporteur", "GET current");
    cr_assert_eq(stage_count(r->json), 1, "current revision has %zu stages: %.*s",
                 stage_count(r->json), BODY(r));
    cr_assert_eq(stage_total(r->json, "reported"), -1, "snapshot: reported still in GET");
    cr_assert_eq(cat_count(r->json, "signalled", "gender", "girl"), -1,
                 "snapshot: signalled's gender breakdown survived");
    http_response_free(r);

    r = get_funnel(RAPPORTEUR, "GM0050", "2024-Q1", "?revision=1");
    expect_status(r, 200, "GET ?revision=1");
    expect_document(r, "GM0050", "2024-Q1", 1, "itest rapporteur", "GET ?revision=1");
    cr_assert_eq(stage_total(r->json, "signalled"), 41);
    cr_assert_eq(stage_total(r->json, "reported"), 30);
    cr_assert_eq(cat_count(r->json, "signalled", "gender", "boy"), 13);
    http_response_free(r);

    r = get_funnel(RAPPORTEUR, "GM0050", "2024-Q1", "?revision=3");
    expect_problem(r, 404, "GET ?revision=3 (never written)");
    http_response_free(r);

    r = get_funnel(RAPPORTEUR, "GM0050", "2024-Q1", "?revision=abc");
    expect_error(r, "query", "revision", NULL, "GET ?revision=abc");
    http_response_free(r);

    json_t *list = revisions_of(RAPPORTEUR, "GM0050", "2024-Q1", 200);
    cr_assert_eq(json_array_size(list), 2, "revisions: %zu entries", json_array_size(list));
    for (size_t i = 0; i < 2; i++) {
        json_t *e = json_array_get(list, i);
        cr_assert_eq(itest_int_of(e, "revision"), (long long)i + 1, "revisions[%zu].revision", i);
        cr_assert(json_is_false(json_object_get(e, "deleted")), "revisions[%zu].deleted", i);
        cr_assert(itest_str_of(e, "submittedAt") != NULL, "revisions[%zu].submittedAt", i);
        json_t *by = json_object_get(e, "submittedBy");
        cr_assert(json_object_get(by, "id") != NULL, "revisions[%zu].submittedBy.id", i);
        cr_assert_str_eq(itest_str_of(by, "label") ? itest_str_of(by, "label") : "(none)",
                         "itest rapporteur");
        cr_assert(json_is_array(json_object_get(e, "warnings")), "revisions[%zu].warnings", i);
    }
    json_decref(list);
}

/* GM0059 2024-Q1 */
Test(funnels, if_match, .timeout = 60)
{
    static const char b1[] = "{\"stages\": {\"reported\": {\"total\": 7}}}";
    static const char b2[] = "{\"stages\": {\"reported\": {\"total\": 8}}}";
    const char *const m1[] = {"If-Match: \"1\"", NULL};
    const char *const m5[] = {"If-Match: \"5\"", NULL};

    /* If-Match on a resource that does not exist. */
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0059", "2024-Q1", NULL, b1, m1);
    expect_problem(r, 412, "If-Match \"1\" on a missing resource");
    http_response_free(r);
    expect_absent("GM0059", "2024-Q1", "GET after a 412 on a missing resource");
    const char *const star[] = {"If-Match: *", NULL};
    r = put_funnel(RAPPORTEUR, "GM0059", "2024-Q1", NULL, b1, star);
    expect_problem(r, 412, "If-Match * on a missing resource");
    http_response_free(r);
    expect_absent("GM0059", "2024-Q1", "GET after a 412 on a missing resource");

    r = put_funnel(RAPPORTEUR, "GM0059", "2024-Q1", NULL, b1, NULL);
    expect_status(r, 201, "create");
    http_response_free(r);

    r = put_funnel(RAPPORTEUR, "GM0059", "2024-Q1", NULL, b2, m5);
    expect_problem(r, 412, "If-Match \"5\" on revision 1");
    http_response_free(r);
    r = get_funnel(RAPPORTEUR, "GM0059", "2024-Q1", NULL);
    expect_status(r, 200, "GET after 412");
    cr_assert_eq(itest_int_of(r->json, "revision"), 1, "a 412 wrote a revision");
    cr_assert_eq(stage_total(r->json, "reported"), 7, "a 412 changed the figures");
    http_response_free(r);

    r = put_funnel(RAPPORTEUR, "GM0059", "2024-Q1", NULL, b2, m1);
    expect_status(r, 200, "If-Match \"1\" on revision 1");
    expect_document(r, "GM0059", "2024-Q1", 2, NULL, "If-Match \"1\"");
    cr_assert_eq(stage_total(r->json, "reported"), 8);
    http_response_free(r);

    /* If-Match: * on an existing resource. */
    r = put_funnel(RAPPORTEUR, "GM0059", "2024-Q1", NULL, b1, star);
    expect_status(r, 200, "If-Match * on revision 2");
    cr_assert_eq(itest_int_of(r->json, "revision"), 3);
    http_response_free(r);
    r = put_funnel(RAPPORTEUR, "GM0059", "2024-Q1", NULL, b2, NULL);
    expect_status(r, 200, "back to b2");
    cr_assert_eq(itest_int_of(r->json, "revision"), 4);
    http_response_free(r);

    /* The ETag of revision 1 is stale now. */
    r = put_funnel(RAPPORTEUR, "GM0059", "2024-Q1", NULL, b1, m1);
    expect_problem(r, 412, "stale If-Match \"1\" on revision 2");
    http_response_free(r);
    json_t *list = revisions_of(RAPPORTEUR, "GM0059", "2024-Q1", 200);
    cr_assert_eq(json_array_size(list), 4, "revisions after 412s: %zu", json_array_size(list));
    json_decref(list);
}

/* GM0060 2024-Q1 */
Test(funnels, dry_run_writes_nothing, .timeout = 60)
{
    static const char b1[] = "{\"stages\": {\"reported\": {\"total\": 7}}}";
    static const char b2[] = "{\"stages\": {\"reported\": {\"total\": 9}}}";
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0060", "2024-Q1", "?dryRun=true", b1, NULL);
    expect_status(r, 201, "dry-run create");
    cr_assert(json_is_true(json_object_get(r->json, "dryRun")), "no dryRun:true: %.*s", BODY(r));
    cr_assert_eq(itest_int_of(r->json, "revision"), 1);
    cr_assert_eq(stage_total(r->json, "reported"), 7);
    http_response_free(r);
    expect_absent("GM0060", "2024-Q1", "GET after a dry-run create");
    json_decref(revisions_of(RAPPORTEUR, "GM0060", "2024-Q1", 404));

    r = put_funnel(RAPPORTEUR, "GM0060", "2024-Q1", NULL, b1, NULL);
    expect_status(r, 201, "real create after a dry run");
    expect_document(r, "GM0060", "2024-Q1", 1, NULL, "real create after a dry run");
    http_response_free(r);

    r = put_funnel(RAPPORTEUR, "GM0060", "2024-Q1", "?dryRun=true", b2, NULL);
    expect_status(r, 200, "dry-run update");
    cr_assert(json_is_true(json_object_get(r->json, "dryRun")), "no dryRun:true: %.*s", BODY(r));
    cr_assert_eq(itest_int_of(r->json, "revision"), 2);
    http_response_free(r);

    r = get_funnel(RAPPORTEUR, "GM0060", "2024-Q1", NULL);
    expect_status(r, 200, "GET after a dry-run update");
    cr_assert_eq(itest_int_of(r->json, "revision"), 1, "a dry run wrote a revision");
    cr_assert_eq(stage_total(r->json, "reported"), 7, "a dry run changed the figures");
    http_response_free(r);
    json_t *list = revisions_of(RAPPORTEUR, "GM0060", "2024-Q1", 200);
    cr_assert_eq(json_array_size(list), 1, "revisions after a dry run: %zu", json_array_size(list));
    json_decref(list);

    /* A real update afterwards gets revision 2: the dry run used no number. */
    r = put_funnel(RAPPORTEUR, "GM0060", "2024-Q1", NULL, b2, NULL);
    expect_status(r, 200, "real update");
    cr_assert_eq(itest_int_of(r->json, "revision"), 2);
    http_response_free(r);
}

/* ---- validation ---------------------------------------------------------------------------- */

struct bad_body {
    const char *body;
    const char *pointer; /* NULL: any */
    const char *code;
};

/* GM0072 2024-Q1 (nothing is ever written) */
Test(validation, every_code_with_its_pointer, .timeout = 60)
{
    static const struct bad_body cases[] = {
        {"{\"stages\": {\"reported\": {\"total\": 5}", NULL, "malformed-json"},
        {"{\"stages\": {\"reported\": {\"total\": 5,}}}", NULL, "malformed-json"},
        {"", NULL, "malformed-json"},
        {"[]", NULL, NULL}, /* any 400 */
        {"{\"stages\":{\"reported\":{\"total\":5,\"total\":50}}}", "/stages/reported/total",
         "duplicate-key"},
        {"{\"stages\":{\"reported\":{\"total\":5}},\"stages\":{}}", "/stages", "duplicate-key"},
        {"{\"stages\":{},\"name\":\"x\"}", "/name", "unknown-field"},
        {"{\"stages\":{\"reported\":{\"total\":5,\"note\":\"Jan de Vries\"}}}",
         "/stages/reported/note", "unknown-field"},
        {"{\"stages\":{\"reported\":{\"total\":5,\"breakdowns\":{\"gender\":{\"girl\":5}},"
         "\"child\":1}}}",
         "/stages/reported/child", "unknown-field"},
        {"{\"stages\":{\"reported\":{}}}", "/stages/reported/total", "required"},
        {"{\"stages\":{\"reported\":{\"breakdowns\":{\"gender\":{\"girl\":1}}}}}",
         "/stages/reported/total", "required"},
        {"{}", "/stages", "required"},
        {"{\"stages\":{\"noticed\":{\"total\":1}}}", "/stages/noticed", "unknown-stage"},
        {"{\"stages\":{\"reported\":{\"total\":1,\"breakdowns\":{\"colour\":{\"unknown\":1}}}}}",
         "/stages/reported/breakdowns/colour", "unknown-dimension"},
        {"{\"stages\":{\"reported\":{\"total\":1,\"breakdowns\":{\"gender\":{\"unknown\":1,"
         "\"alien\":0}}}}}",
         "/stages/reported/breakdowns/gender/alien", "unknown-category"},
        {"{\"stages\":{\"reported\":{\"total\":1,\"breakdowns\":{\"ageBand\":{\"18-25\":0,"
         "\"unknown\":1}}}}}",
         "/stages/reported/breakdowns/ageBand/18-25", "unknown-category"},
        {"{\"stages\":{\"signalled\":{\"total\":2,\"breakdowns\":{\"care\":{\"ambulatory\":2}}}}}",
         "/stages/signalled/breakdowns/care", "dimension-not-allowed"},
        {"{\"stages\":{\"reported\":{\"total\":5,\"breakdowns\":{\"gender\":{\"girl\":2,"
         "\"boy\":2}}}}}",
         "/stages/reported/breakdowns/gender", "sum-mismatch"},
        {"{\"stages\":{\"reported\":{\"total\":5,\"breakdowns\":{\"offence\":{\"handsOn\":4,"
         "\"handsOff\":2}}}}}",
         "/stages/reported/breakdowns/offence", "sum-mismatch"},
        {"{\"stages\":{\"reported\":{\"total\":\"5\"}}}", "/stages/reported/total", "type"},
        {"{\"stages\":{\"reported\":{\"total\":null}}}", "/stages/reported/total", "type"},
        {"{\"stages\":{\"reported\":{\"total\":true}}}", "/stages/reported/total", "type"},
        {"{\"stages\":{\"reported\":{\"total\":1,\"breakdowns\":{\"gender\":{\"girl\":\"1\"}}}}}",
         "/stages/reported/breakdowns/gender/girl", "type"},
        {"{\"stages\":[]}", "/stages", "type"},
        {"{\"stages\":{\"reported\":{\"total\":2.0}}}", "/stages/reported/total", "not-integer"},
        {"{\"stages\":{\"reported\":{\"total\":1.5}}}", "/stages/reported/total", "not-integer"},
        {"{\"stages\":{\"reported\":{\"total\":-1}}}", "/stages/reported/total", "negative"},
        {"{\"stages\":{\"reported\":{\"total\":3,\"breakdowns\":{\"gender\":{\"girl\":4,"
         "\"boy\":-1}}}}}",
         "/stages/reported/breakdowns/gender/boy", "negative"},
        {"{\"stages\":{\"reported\":{\"total\":1000001}}}", "/stages/reported/total", "too-large"},
        {"{\"stages\":{\"reported\":{\"total\":99999999999999999999}}}", "/stages/reported/total",
         NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char what[512];
        snprintf(what, sizeof what, "case %zu, body %s", i, cases[i].body);
        struct http_response *r =
            put_funnel(RAPPORTEUR, "GM0072", "2024-Q1", NULL, cases[i].body, NULL);
        if (cases[i].code == NULL) {
            expect_problem(r, 400, what);
            cr_assert(json_array_size(json_object_get(r->json, "errors")) >= 1, "%s: no errors",
                      what);
        } else {
            expect_error(r, "body", cases[i].pointer, cases[i].code, what);
        }
        http_response_free(r);
    }
    expect_absent("GM0072", "2024-Q1", "GET after only invalid PUTs");
    json_decref(revisions_of(RAPPORTEUR, "GM0072", "2024-Q1", 404));
}

/* GM0074 2024-Q1 */
Test(validation, boundaries_accepted, .timeout = 60)
{
    /* 1000000 is allowed, 0 is allowed, {} knows nothing and is valid, care on helped. */
    static const char body[] =
        "{\"stages\":{\"occurred\":{\"total\":1000000},\"disclosed\":{\"total\":0},"
        "\"helped\":{\"total\":4,\"breakdowns\":{\"care\":{\"ambulatory\":1,\"residential\":1,"
        "\"secure\":1,\"unknown\":1},\"ageBand\":{\"0-5\":1,\"6-11\":1,\"12-15\":1,\"16-17\":1},"
        "\"disability\":{\"yes\":1,\"no\":3},\"offence\":{\"handsOn\":2,\"handsOff\":2}}}}}";
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0074", "2024-Q1", NULL, body, NULL);
    expect_status(r, 201, "boundary values");
    cr_assert_eq(stage_total(r->json, "occurred"), 1000000);
    cr_assert_eq(stage_total(r->json, "disclosed"), 0);
    cr_assert_eq(cat_count(r->json, "helped", "care", "secure"), 1);
    cr_assert_eq(cat_count(r->json, "helped", "ageBand", "16-17"), 1);
    http_response_free(r);

    r = put_funnel(RAPPORTEUR, "GM0074", "2024-Q1", NULL, "{\"stages\": {}}", NULL);
    expect_status(r, 200, "{\"stages\": {}}");
    cr_assert_eq(itest_int_of(r->json, "revision"), 2);
    cr_assert_eq(stage_count(r->json), 0, "empty stages echoed as %.*s", BODY(r));
    http_response_free(r);
}

/* GM0080 2024-Q1 (nothing is ever written) */
Test(validation, three_violations_all_listed, .timeout = 60)
{
    static const char body[] =
        "{\"stages\":{\"reported\":{\"total\":-1},\"helped\":{\"total\":\"x\"}},\"name\":\"x\"}";
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0080", "2024-Q1", NULL, body, NULL);
    expect_problem(r, 400, "three violations");
    json_t *errors = json_object_get(r->json, "errors");
    cr_assert_eq(json_array_size(errors), 3, "expected 3 errors, got %zu: %.*s",
                 json_array_size(errors), BODY(r));
    cr_assert(find_error(r->json, "body", "/stages/reported/total", "negative"), "%.*s", BODY(r));
    cr_assert(find_error(r->json, "body", "/stages/helped/total", "type"), "%.*s", BODY(r));
    cr_assert(find_error(r->json, "body", "/name", "unknown-field"), "%.*s", BODY(r));
    http_response_free(r);

    /* Two breakdowns wrong in two stages, plus a dimension where it does not belong. */
    static const char body2[] =
        "{\"stages\":{\"signalled\":{\"total\":3,\"breakdowns\":{\"gender\":{\"girl\":1},"
        "\"care\":{\"unknown\":3}}},\"helped\":{\"total\":2,\"breakdowns\":{\"ageBand\":"
        "{\"0-5\":5}}}}}";
    r = put_funnel(RAPPORTEUR, "GM0080", "2024-Q1", NULL, body2, NULL);
    expect_problem(r, 400, "three breakdown violations");
    cr_assert(find_error(r->json, "body", "/stages/signalled/breakdowns/gender", "sum-mismatch"),
              "%.*s", BODY(r));
    cr_assert(
        find_error(r->json, "body", "/stages/signalled/breakdowns/care", "dimension-not-allowed"),
        "%.*s", BODY(r));
    cr_assert(find_error(r->json, "body", "/stages/helped/breakdowns/ageBand", "sum-mismatch"),
              "%.*s", BODY(r));
    http_response_free(r);
    expect_absent("GM0080", "2024-Q1", "GET after invalid PUTs");
}

/* GM0085 (only invalid paths), GM0086 2023-Q3 via 2023Q3 */
Test(validation, path_errors, .timeout = 60)
{
    static const char body[] = "{\"stages\": {\"reported\": {\"total\": 3}}}";
    char now[16], next_year[16];
    current_quarter(now, 0);
    current_quarter(next_year, 4);
    struct {
        const char *code, *period, *name, *err;
    } cases[] = {
        {"GM59", "2024-Q1", "code", NULL},
        {"GM00850", "2024-Q1", "code", NULL},
        {"GM0085", "2025-Q5", "period", "malformed-period"},
        {"GM0085", "2025-Q0", "period", "malformed-period"},
        {"GM0085", "25-Q1", "period", "malformed-period"},
        {"GM0085", "2025-Q1x", "period", "malformed-period"},
        {"GM0085", now, "period", "period-not-ended"},
        {"GM0085", next_year, "period", "period-not-ended"},
        {"GM0085", "2014-Q4", "period", "period-too-early"},
        {"GM0085", "1999-Q1", "period", "period-too-early"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char what[128];
        snprintf(what, sizeof what, "PUT %s/%s", cases[i].code, cases[i].period);
        struct http_response *r =
            put_funnel(RAPPORTEUR, cases[i].code, cases[i].period, NULL, body, NULL);
        expect_problem(r, 400, what);
        cr_assert(find_error(r->json, "path", cases[i].name, cases[i].err),
                  "%s: expected {in: path, name: %s, code: %s}: %.*s", what, cases[i].name,
                  cases[i].err ? cases[i].err : "*", BODY(r));
        http_response_free(r);
        snprintf(what, sizeof what, "GET %s/%s", cases[i].code, cases[i].period);
        r = get_funnel(RAPPORTEUR, cases[i].code, cases[i].period, NULL);
        if (cases[i].err && r->status == 404 &&
            (strcmp(cases[i].err, "period-not-ended") == 0 ||
             strcmp(cases[i].err, "period-too-early") == 0)) {
            /* Reading a well-formed quarter outside the accepted range: "nothing is submitted
             * here" is a fair answer too (only writes are refused by design §1.7). */
            expect_problem(r, 404, what);
            http_response_free(r);
            continue;
        }
        expect_problem(r, 400, what);
        cr_assert(find_error(r->json, "path", cases[i].name, cases[i].err), "%s: %.*s", what,
                  BODY(r));
        http_response_free(r);
    }
    /* The earliest period is accepted (nothing else uses GM0085 2015-Q1). */
    struct http_response *r =
        put_funnel(RAPPORTEUR, "GM0085", "2015-Q1", "?dryRun=true", body, NULL);
    expect_status(r, 201, "dry run on 2015-Q1");
    http_response_free(r);
    /* The last ended quarter is accepted. */
    char last[16];
    current_quarter(last, -1);
    r = put_funnel(RAPPORTEUR, "GM0085", last, "?dryRun=true", body, NULL);
    expect_status(r, 201, "dry run on the last ended quarter");
    http_response_free(r);

    /* 2023Q3 is accepted and canonicalised. */
    r = put_funnel(RAPPORTEUR, "GM0086", "2023Q3", NULL, body, NULL);
    expect_status(r, 201, "PUT 2023Q3");
    expect_document(r, "GM0086", "2023-Q3", 1, NULL, "PUT 2023Q3");
    http_response_free(r);
    r = get_funnel(RAPPORTEUR, "GM0086", "2023-Q3", NULL);
    expect_status(r, 200, "GET 2023-Q3 after PUT 2023Q3");
    cr_assert_eq(stage_total(r->json, "reported"), 3);
    http_response_free(r);
    r = get_funnel(RAPPORTEUR, "GM0086", "2023Q3", NULL);
    expect_status(r, 200, "GET 2023Q3");
    cr_assert_str_eq(itest_str_of(r->json, "period"), "2023-Q3");
    http_response_free(r);
    r = put_funnel(RAPPORTEUR, "GM0086", "2023-Q3", NULL, body, NULL);
    expect_status(r, 200, "PUT 2023-Q3 same content");
    cr_assert(json_is_true(json_object_get(r->json, "unchanged")),
              "2023Q3 and 2023-Q3 differ: %.*s", BODY(r));
    http_response_free(r);
}

/* GM0088 2024-Q1 (nothing is ever written) */
Test(validation, content_type_415, .timeout = 60)
{
    static const char body[] = "{\"stages\": {\"reported\": {\"total\": 3}}}";
    char *path = funnel_path("GM0088", "2024-Q1", NULL);
    struct http_response *r = req("PUT", path, RAPPORTEUR, "text/plain", body, NULL);
    expect_problem(r, 415, "PUT text/plain");
    http_response_free(r);
    r = req("PUT", path, RAPPORTEUR, "application/xml", body, NULL);
    expect_problem(r, 415, "PUT application/xml");
    http_response_free(r);
    r = req("PUT", path, RAPPORTEUR, "text/csv", body, NULL);
    expect_problem(r, 415, "PUT text/csv");
    http_response_free(r);
    /* application/json with a charset parameter is still JSON. */
    r = req("PUT", path, RAPPORTEUR, "application/json; charset=utf-8", body, NULL);
    cr_assert(r->status == 201, "PUT application/json; charset=utf-8: %ld %.*s", r->status,
              BODY(r));
    http_response_free(r);
    free(path);
}

/* ---- who may do what ----------------------------------------------------------------------- */

/* GM0599, GM0363, GM0014, GM0034 and GM0090 in 2023-Q2; GM9999 */
Test(access, matrix, .timeout = 60)
{
    static const char body[] = "{\"stages\": {\"reported\": {\"total\": 12}}}";
    struct http_response *r;

    /* A municipality writes and reads its own figures. */
    r = put_funnel(token("TOKEN_GM0599"), "GM0599", "2023-Q2", NULL, body, NULL);
    expect_status(r, 201, "GM0599 token PUT GM0599");
    expect_document(r, "GM0599", "2023-Q2", 1, "GM0599 itest data office",
                    "GM0599 token PUT GM0599");
    http_response_free(r);
    r = get_funnel(token("TOKEN_GM0599"), "GM0599", "2023-Q2", NULL);
    expect_status(r, 200, "GM0599 token GET GM0599");
    http_response_free(r);
    json_t *list = revisions_of(token("TOKEN_GM0599"), "GM0599", "2023-Q2", 200);
    json_decref(list);

    /* ...but not another municipality's, existing or not. */
    r = put_funnel(token("TOKEN_GM0599"), "GM0363", "2023-Q2", NULL, body, NULL);
    expect_problem(r, 403, "GM0599 token PUT GM0363");
    http_response_free(r);
    r = get_funnel(token("TOKEN_GM0599"), "GM0363", "2023-Q2", NULL);
    expect_problem(r, 403, "GM0599 token GET GM0363 (missing)");
    http_response_free(r);
    r = get_funnel(token("TOKEN_GM0363"), "GM0599", "2023-Q2", NULL);
    expect_problem(r, 403, "GM0363 token GET GM0599 (existing)");
    http_response_free(r);
    r = get_funnel(token("TOKEN_GM0363"), "GM0599", "2023-Q2", "/revisions");
    expect_problem(r, 403, "GM0363 token GET GM0599 revisions");
    http_response_free(r);
    r = put_funnel(token("TOKEN_GM0363"), "GM0599", "2023-Q2", NULL, body, NULL);
    expect_problem(r, 403, "GM0363 token PUT GM0599 (existing)");
    http_response_free(r);
    expect_absent("GM0363", "2023-Q2", "GM0363 after a refused PUT");

    /* The analyst reads aggregates only and writes nothing. */
    r = get_funnel(token("TOKEN_ANALYST"), "GM0599", "2023-Q2", NULL);
    expect_problem(r, 403, "analyst GET");
    http_response_free(r);
    r = get_funnel(token("TOKEN_ANALYST"), "GM0599", "2023-Q2", "/revisions");
    expect_problem(r, 403, "analyst GET revisions");
    http_response_free(r);
    r = put_funnel(token("TOKEN_ANALYST"), "GM0090", "2023-Q2", NULL, body, NULL);
    expect_problem(r, 403, "analyst PUT");
    http_response_free(r);
    expect_absent("GM0090", "2023-Q2", "GM0090 after the analyst's PUT");

    /* A centrumgemeente token holds two codes. */
    r = put_funnel(token("TOKEN_MULTI"), "GM0014", "2023-Q2", NULL, body, NULL);
    expect_status(r, 201, "multi token PUT GM0014");
    http_response_free(r);
    r = put_funnel(token("TOKEN_MULTI"), "GM0034", "2023-Q2", NULL, body, NULL);
    expect_status(r, 201, "multi token PUT GM0034");
    expect_document(r, "GM0034", "2023-Q2", 1, "itest centrumgemeente", "multi token PUT GM0034");
    http_response_free(r);
    r = get_funnel(token("TOKEN_MULTI"), "GM0014", "2023-Q2", NULL);
    expect_status(r, 200, "multi token GET GM0014");
    http_response_free(r);
    r = get_funnel(token("TOKEN_MULTI"), "GM0034", "2023-Q2", NULL);
    expect_status(r, 200, "multi token GET GM0034");
    http_response_free(r);
    r = get_funnel(token("TOKEN_MULTI"), "GM0599", "2023-Q2", NULL);
    expect_problem(r, 403, "multi token GET GM0599");
    http_response_free(r);
    r = put_funnel(token("TOKEN_MULTI"), "GM0599", "2023-Q2", NULL, body, NULL);
    expect_problem(r, 403, "multi token PUT GM0599");
    http_response_free(r);

    /* The rapporteur reads everything raw. */
    r = get_funnel(RAPPORTEUR, "GM0014", "2023-Q2", NULL);
    expect_status(r, 200, "rapporteur GET GM0014");
    cr_assert_eq(stage_total(r->json, "reported"), 12);
    http_response_free(r);

    /* An unknown municipality. */
    r = put_funnel(RAPPORTEUR, "GM9999", "2023-Q2", NULL, body, NULL);
    expect_problem(r, 404, "rapporteur PUT GM9999");
    http_response_free(r);
    r = get_funnel(RAPPORTEUR, "GM9999", "2023-Q2", NULL);
    expect_problem(r, 404, "rapporteur GET GM9999");
    http_response_free(r);

    /* No token, a bad token, an expired or revoked one: 401, for reads and writes. */
    const char *bad[] = {NULL, "nonsense-token", token("TOKEN_EXPIRED"), token("TOKEN_REVOKED")};
    const char *names[] = {"no token", "bad token", "expired token", "revoked token"};
    for (size_t i = 0; i < 4; i++) {
        char what[96];
        snprintf(what, sizeof what, "%s PUT", names[i]);
        r = put_funnel(bad[i], "GM0599", "2023-Q2", NULL, "{\"stages\": {}}", NULL);
        expect_problem(r, 401, what);
        http_response_free(r);
        snprintf(what, sizeof what, "%s GET", names[i]);
        r = get_funnel(bad[i], "GM0599", "2023-Q2", NULL);
        expect_problem(r, 401, what);
        http_response_free(r);
        snprintf(what, sizeof what, "%s DELETE", names[i]);
        char *path = funnel_path("GM0599", "2023-Q2", NULL);
        r = req("DELETE", path, bad[i], NULL, NULL, NULL);
        free(path);
        expect_problem(r, 401, what);
        http_response_free(r);
    }
    r = get_funnel(token("TOKEN_GM0599"), "GM0599", "2023-Q2", NULL);
    expect_status(r, 200, "GM0599 after the refused requests");
    cr_assert_eq(itest_int_of(r->json, "revision"), 1, "a refused request changed GM0599 2023-Q2");
    http_response_free(r);
}

/* GM0599 2022-Q2 */
Test(access, delete_tombstone_and_recreate, .timeout = 60)
{
    static const char b1[] = "{\"stages\": {\"reported\": {\"total\": 5}}}";
    char *path = funnel_path("GM0599", "2022-Q2", NULL);
    struct http_response *r;

    r = req("DELETE", path, RAPPORTEUR, NULL, NULL, NULL);
    expect_problem(r, 404, "DELETE before anything was written");
    http_response_free(r);

    r = put_funnel(token("TOKEN_GM0599"), "GM0599", "2022-Q2", NULL, b1, NULL);
    expect_status(r, 201, "create");
    http_response_free(r);

    r = req("DELETE", path, token("TOKEN_GM0599"), NULL, NULL, NULL);
    expect_problem(r, 403, "DELETE by the municipality");
    http_response_free(r);
    r = req("DELETE", path, token("TOKEN_ANALYST"), NULL, NULL, NULL);
    expect_problem(r, 403, "DELETE by the analyst");
    http_response_free(r);
    r = get_funnel(RAPPORTEUR, "GM0599", "2022-Q2", NULL);
    expect_status(r, 200, "GET after refused DELETEs");
    http_response_free(r);

    r = req("DELETE", path, RAPPORTEUR, NULL, NULL, NULL);
    expect_status(r, 204, "DELETE by the rapporteur");
    cr_assert_eq(r->body_len, 0, "204 with a body: %.*s", BODY(r));
    http_response_free(r);

    r = get_funnel(RAPPORTEUR, "GM0599", "2022-Q2", NULL);
    expect_problem(r, 404, "GET after DELETE (rapporteur)");
    http_response_free(r);
    r = get_funnel(token("TOKEN_GM0599"), "GM0599", "2022-Q2", NULL);
    expect_problem(r, 404, "GET after DELETE (municipality)");
    http_response_free(r);
    r = get_funnel(RAPPORTEUR, "GM0599", "2022-Q2", "?revision=2");
    expect_problem(r, 404, "GET ?revision=2 (the tombstone)");
    http_response_free(r);
    r = get_funnel(RAPPORTEUR, "GM0599", "2022-Q2", "?revision=1");
    expect_status(r, 200, "GET ?revision=1 after DELETE (history is kept)");
    cr_assert_eq(stage_total(r->json, "reported"), 5);
    http_response_free(r);

    r = req("DELETE", path, RAPPORTEUR, NULL, NULL, NULL);
    expect_problem(r, 404, "second DELETE");
    http_response_free(r);

    json_t *list = revisions_of(RAPPORTEUR, "GM0599", "2022-Q2", 200);
    cr_assert_eq(json_array_size(list), 2, "revisions after DELETE: %zu", json_array_size(list));
    cr_assert(json_is_false(json_object_get(json_array_get(list, 0), "deleted")));
    json_t *tomb = json_array_get(list, 1);
    cr_assert_eq(itest_int_of(tomb, "revision"), 2);
    cr_assert(json_is_true(json_object_get(tomb, "deleted")), "tombstone not deleted:true");
    cr_assert_str_eq(itest_str_of(json_object_get(tomb, "submittedBy"), "label"),
                     "itest rapporteur");
    json_decref(list);

    /* If-Match on the deleted resource: it does not exist. */
    const char *const m2[] = {"If-Match: \"2\"", NULL};
    r = put_funnel(RAPPORTEUR, "GM0599", "2022-Q2", NULL, b1, m2);
    expect_problem(r, 412, "If-Match on a deleted resource");
    http_response_free(r);

    /* The same figures again: a new resource, with the next number. */
    r = put_funnel(token("TOKEN_GM0599"), "GM0599", "2022-Q2", NULL, b1, NULL);
    expect_status(r, 201, "PUT after DELETE");
    expect_document(r, "GM0599", "2022-Q2", 3, "GM0599 itest data office", "PUT after DELETE");
    cr_assert(!json_is_true(json_object_get(r->json, "unchanged")),
              "PUT after DELETE is unchanged");
    http_response_free(r);
    r = get_funnel(RAPPORTEUR, "GM0599", "2022-Q2", NULL);
    expect_status(r, 200, "GET after re-create");
    itest_expect_etag(r, 3, "GET after re-create");
    http_response_free(r);
    list = revisions_of(RAPPORTEUR, "GM0599", "2022-Q2", 200);
    cr_assert_eq(json_array_size(list), 3);
    json_decref(list);
    free(path);
}

/* ---- warnings ------------------------------------------------------------------------------ */

/* GM0093 2024-Q1 */
Test(warnings, stage_order, .timeout = 60)
{
    /* signalled > disclosed (the nearest earlier stage given); helped > investigated; reported
     * is left out, so investigated compares with signalled and is fine. */
    static const char body[] =
        "{\"stages\":{\"occurred\":{\"total\":100},\"disclosed\":{\"total\":30},"
        "\"signalled\":{\"total\":40},\"investigated\":{\"total\":20},\"helped\":{\"total\":25}}}";
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0093", "2024-Q1", NULL, body, NULL);
    expect_status(r, 201, "PUT with stage-order problems (warnings never block)");
    json_t *w = json_object_get(r->json, "warnings");
    cr_assert_eq(json_array_size(w), 2, "expected 2 warnings: %.*s", BODY(r));
    cr_assert(has_warning(w, "stage-order", "/stages/signalled/total"), "%.*s", BODY(r));
    cr_assert(has_warning(w, "stage-order", "/stages/helped/total"), "%.*s", BODY(r));
    http_response_free(r);

    r = get_funnel(RAPPORTEUR, "GM0093", "2024-Q1", NULL);
    expect_status(r, 200, "GET");
    cr_assert(
        has_warning(json_object_get(r->json, "warnings"), "stage-order", "/stages/helped/total"),
        "GET lacks the stored warning: %.*s", BODY(r));
    http_response_free(r);
    json_t *list = revisions_of(RAPPORTEUR, "GM0093", "2024-Q1", 200);
    json_t *lw = json_object_get(json_array_get(list, 0), "warnings");
    cr_assert(has_warning(lw, "stage-order", "/stages/signalled/total") &&
                  has_warning(lw, "stage-order", "/stages/helped/total"),
              "revisions list lacks the warnings");
    json_decref(list);

    /* Equal stages are no warning; a later stage given without an earlier one is none either. */
    static const char ok[] =
        "{\"stages\":{\"signalled\":{\"total\":20},\"reported\":{\"total\":20},"
        "\"helped\":{\"total\":3}}}";
    r = put_funnel(RAPPORTEUR, "GM0093", "2024-Q1", NULL, ok, NULL);
    expect_status(r, 200, "PUT in order");
    cr_assert_eq(json_array_size(json_object_get(r->json, "warnings")), 0, "warnings: %.*s",
                 BODY(r));
    http_response_free(r);
}

/* GM0096 2023-Q4 .. 2024-Q4 (2023-Q4 is never written) */
Test(warnings, outlier_against_previous_quarter, .timeout = 60)
{
    struct http_response *r;
    r = put_funnel(RAPPORTEUR, "GM0096", "2024-Q1", NULL,
                   "{\"stages\":{\"reported\":{\"total\":20}}}", NULL);
    expect_status(r, 201, "2024-Q1 reported 20");
    cr_assert_eq(json_array_size(json_object_get(r->json, "warnings")), 0,
                 "no previous quarter, yet warnings: %.*s", BODY(r));
    http_response_free(r);

    r = put_funnel(RAPPORTEUR, "GM0096", "2024-Q2", NULL,
                   "{\"stages\":{\"reported\":{\"total\":40}}}", NULL);
    expect_status(r, 201, "2024-Q2 reported 40 (+20, +100%)");
    json_t *w = json_object_get(r->json, "warnings");
    cr_assert_eq(json_array_size(w), 1, "expected one outlier warning: %.*s", BODY(r));
    cr_assert(has_warning(w, "outlier", "/stages/reported/total"), "%.*s", BODY(r));
    http_response_free(r);
    json_t *list = revisions_of(RAPPORTEUR, "GM0096", "2024-Q2", 200);
    cr_assert(has_warning(json_object_get(json_array_get(list, 0), "warnings"), "outlier",
                          "/stages/reported/total"),
              "the outlier warning is not stored with the revision");
    json_decref(list);

    r = put_funnel(RAPPORTEUR, "GM0096", "2024-Q3", NULL,
                   "{\"stages\":{\"reported\":{\"total\":45}}}", NULL);
    expect_status(r, 201, "2024-Q3 reported 45 (+5)");
    cr_assert_eq(json_array_size(json_object_get(r->json, "warnings")), 0, "warnings: %.*s",
                 BODY(r));
    http_response_free(r);

    /* +11 but only 24%: no warning. */
    r = put_funnel(RAPPORTEUR, "GM0096", "2024-Q4", NULL,
                   "{\"stages\":{\"reported\":{\"total\":56}}}", NULL);
    expect_status(r, 201, "2024-Q4 reported 56 (+11, +24%)");
    cr_assert_eq(json_array_size(json_object_get(r->json, "warnings")), 0, "warnings: %.*s",
                 BODY(r));
    http_response_free(r);

    /* A correction of 2024-Q4 that drops to 5: -51, -91%. */
    r = put_funnel(RAPPORTEUR, "GM0096", "2024-Q4", NULL,
                   "{\"stages\":{\"reported\":{\"total\":5}}}", NULL);
    expect_status(r, 200, "2024-Q4 corrected to 5");
    cr_assert(
        has_warning(json_object_get(r->json, "warnings"), "outlier", "/stages/reported/total"),
        "a drop from 45 to 5 gave no outlier warning: %.*s", BODY(r));
    http_response_free(r);

    /* A small previous value: +10 exactly is not more than 10. */
    r = put_funnel(RAPPORTEUR, "GM0096", "2024-Q3", NULL,
                   "{\"stages\":{\"reported\":{\"total\":50},\"signalled\":{\"total\":60}}}", NULL);
    expect_status(r, 200, "2024-Q3 corrected to 50 (+10 from 40)");
    cr_assert_eq(json_array_size(json_object_get(r->json, "warnings")), 0, "warnings: %.*s",
                 BODY(r));
    http_response_free(r);
}

/* ---- audit trail and cell keys ------------------------------------------------------------- */

static void expect_audit(PGconn *db, const char *request_id, const char *method, const char *path,
                         int status, const char *principal_id)
{
    const char *params[] = {request_id};
    PGresult *res = NULL;
    /* The audit event is written with the change, in its transaction: no waiting needed, but a
     * refused authentication may be logged after the answer. Give it a moment. */
    for (int i = 0; i < 20; i++) {
        PQclear(res);
        res = db_query(
            db,
            "SELECT coalesce(principal_id::text, ''), method, path, status FROM audit_events "
            "WHERE request_id = $1",
            1, params);
        if (PQntuples(res) > 0)
            break;
        usleep(100 * 1000);
    }
    cr_assert_eq(PQntuples(res), 1, "audit_events rows for request %s (%s %s): %d", request_id,
                 method, path, PQntuples(res));
    cr_assert_str_eq(PQgetvalue(res, 0, 0), principal_id ? principal_id : "", "audit principal_id");
    cr_assert_str_eq(PQgetvalue(res, 0, 1), method, "audit method");
    cr_assert_str_eq(PQgetvalue(res, 0, 2), path, "audit path");
    cr_assert_eq(atoi(PQgetvalue(res, 0, 3)), status, "audit status %s, expected %d",
                 PQgetvalue(res, 0, 3), status);
    PQclear(res);
}

static char *principal_id_of(const char *tok)
{
    struct http_response *r = req("GET", "/v1/me", tok, NULL, NULL, NULL);
    expect_status(r, 200, "GET /v1/me");
    json_t *id = json_object_get(r->json, "id");
    char *out = NULL;
    if (json_is_integer(id))
        cr_assert(asprintf(&out, "%lld", (long long)json_integer_value(id)) > 0);
    else
        out = strdup(json_string_value(id));
    http_response_free(r);
    return out;
}

/* GM0098 2024-Q1 */
Test(audit, writes_and_deletes_leave_events, .timeout = 60)
{
    PGconn *db = db_connect();
    char *rap = principal_id_of(RAPPORTEUR);
    char *path = funnel_path("GM0098", "2024-Q1", NULL);
    char rid[64], hdr[96];
    struct http_response *r;

    /* The daemon's own request id, as answered. */
    r = put_funnel(RAPPORTEUR, "GM0098", "2024-Q1", NULL,
                   "{\"stages\":{\"reported\":{\"total\":5}}}", NULL);
    expect_status(r, 201, "create");
    snprintf(rid, sizeof rid, "%s", http_header(r, "X-Request-Id"));
    http_response_free(r);
    expect_audit(db, rid, "PUT", path, 201, rap);

    /* A request id chosen by the client. */
    snprintf(rid, sizeof rid, "itest-audit-put-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    const char *const h1[] = {hdr, NULL};
    r = put_funnel(RAPPORTEUR, "GM0098", "2024-Q1", NULL,
                   "{\"stages\":{\"reported\":{\"total\":6}}}", h1);
    expect_status(r, 200, "update");
    cr_assert_str_eq(http_header(r, "X-Request-Id"), rid);
    http_response_free(r);
    expect_audit(db, rid, "PUT", path, 200, rap);

    snprintf(rid, sizeof rid, "itest-audit-del-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    r = req("DELETE", path, RAPPORTEUR, NULL, NULL, h1);
    expect_status(r, 204, "delete");
    http_response_free(r);
    expect_audit(db, rid, "DELETE", path, 204, rap);

    free(rap);
    free(path);
    PQfinish(db);
}

/* GM0098 2024-Q2 (never written) */
Test(audit, refused_writes_leave_events, .timeout = 60)
{
    PGconn *db = db_connect();
    char *path = funnel_path("GM0098", "2024-Q2", NULL);
    char rid[64], hdr[96];
    snprintf(rid, sizeof rid, "itest-audit-401-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    const char *const h[] = {hdr, NULL};
    struct http_response *r =
        put_funnel("nonsense-token", "GM0098", "2024-Q2", NULL, "{\"stages\":{}}", h);
    expect_problem(r, 401, "PUT with a bad token");
    http_response_free(r);
    /* design §6: a refused authentication leaves an audit event. */
    expect_audit(db, rid, "PUT", path, 401, NULL);
    free(path);
    PQfinish(db);
}

static char *read_secret(size_t *len)
{
    FILE *f = fopen(itest_env("TRECHTER_SECRET_FILE"), "rb");
    cr_assert(f != NULL, "cannot read TRECHTER_SECRET_FILE");
    char *buf = calloc(1, 4096);
    size_t n = fread(buf, 1, 4095, f);
    fclose(f);
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
        if (n > 0 && buf[n - 1] == '\r')
            n--;
    }
    *len = n;
    return buf;
}

static uint32_t cell_key(const char *secret, size_t slen, const char *text)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    cr_assert(HMAC(EVP_sha256(), secret, (int)slen, (const unsigned char *)text, strlen(text), md,
                   &mdlen) != NULL);
    return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
}

/* GM0599 2019-Q2 */
Test(cells, stored_counts_and_keys, .timeout = 60)
{
    struct http_response *r = put_funnel(token("TOKEN_GM0599"), "GM0599", "2019-Q2", NULL,
                                         "{\"stages\":{\"signalled\":{\"total\":41,\"breakdowns\":{"
                                         "\"gender\":{\"girl\":27,\"boy\":13,"
                                         "\"unknown\":1}}},\"reported\":{\"total\":30}}}",
                                         NULL);
    expect_status(r, 201, "create");
    http_response_free(r);

    size_t slen;
    char *secret = read_secret(&slen);
    PGconn *db = db_connect();
    struct {
        const char *stage, *dim, *cat;
        int count;
    } cells[] = {
        {"signalled", "total", "", 41},        {"signalled", "gender", "girl", 27},
        {"signalled", "gender", "boy", 13},    {"signalled", "gender", "other", 0},
        {"signalled", "gender", "unknown", 1}, {"reported", "total", "", 30},
    };
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++) {
        const char *params[] = {"GM0599",       "2019-Q2",    "1",
                                cells[i].stage, cells[i].dim, cells[i].cat};
        PGresult *res =
            db_query(db,
                     "SELECT c.count, c.cell_key FROM funnel_cells c JOIN submissions s ON s.id = "
                     "c.submission_id WHERE s.municipality_code=$1 AND s.period=$2 AND "
                     "c.revision=$3::int AND "
                     "c.stage=$4 AND c.dimension=$5 AND c.category=$6",
                     6, params);
        cr_assert_eq(PQntuples(res), 1, "no funnel_cells row for %s/%s/%s", cells[i].stage,
                     cells[i].dim, cells[i].cat);
        cr_assert_eq(atoi(PQgetvalue(res, 0, 0)), cells[i].count, "%s/%s/%s count %s",
                     cells[i].stage, cells[i].dim, cells[i].cat, PQgetvalue(res, 0, 0));
        unsigned long long got = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
        unsigned long long want = 0;
        if (cells[i].count > 0) {
            char text[128];
            snprintf(text, sizeof text, "GM0599|2019-Q2|%s|%s|%s|%d", cells[i].stage, cells[i].dim,
                     cells[i].cat, cells[i].count);
            want = cell_key(secret, slen, text);
            cr_assert_neq(want, 0);
        }
        cr_assert_eq(got, want, "cell key of %s/%s/%s: stored %llu, expected %llu", cells[i].stage,
                     cells[i].dim, cells[i].cat, got, want);
        PQclear(res);
    }
    /* No other dimension was stored for these stages. */
    const char *params[] = {"GM0599", "2019-Q2"};
    PGresult *res = db_query(db,
                             "SELECT count(*) FROM funnel_cells c JOIN submissions s ON s.id = "
                             "c.submission_id WHERE s.municipality_code=$1 AND s.period=$2",
                             2, params);
    cr_assert_eq(atoi(PQgetvalue(res, 0, 0)), 6, "funnel_cells rows: %s", PQgetvalue(res, 0, 0));
    PQclear(res);
    free(secret);
    PQfinish(db);
}

/* ---- Idempotency-Key (issue 20 item 11) ---------------------------------------------------- */

/* A key no other run or test uses. */
static void unique_key(char *out, size_t cap, const char *tag)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, cap, "funnels-%s-%ld-%ld-%ld", tag, (long)getpid(), (long)ts.tv_sec, ts.tv_nsec);
}

static void expect_conflict(struct http_response *r, const char *what)
{
    expect_problem(r, 409, what);
    const char *type = itest_str_of(r->json, "type");
    cr_assert(type && strstr(type, "/idempotency-conflict"), "%s: problem type %s", what,
              type ? type : "(none)");
    cr_assert_null(http_header(r, "Idempotent-Replayed"), "%s: a 409 says it was replayed", what);
}

static void expect_replayed(struct http_response *r, bool replayed, const char *what)
{
    const char *h = http_header(r, "Idempotent-Replayed");
    if (replayed)
        cr_assert(h && strcmp(h, "true") == 0, "%s: no Idempotent-Replayed: true (got %s)", what,
                  h ? h : "(none)");
    else
        cr_assert_null(h, "%s: the first answer says it was replayed", what);
}

static size_t revision_count(const char *code, const char *period)
{
    json_t *list = revisions_of(RAPPORTEUR, code, period, 200);
    size_t n = json_array_size(list);
    json_decref(list);
    return n;
}

/* GM0599 2019-Q1; GM0599 2022-Q4 (never written). A PUT whose answer was lost is retried after
 * another writer came in between: with its Idempotency-Key the retry gets the first answer and
 * writes nothing, where a bare retry would have written the old figures over the new ones. */
Test(idempotency, a_retried_put_gets_its_first_answer_and_writes_nothing, .timeout = 60)
{
    static const char first_body[] = "{\"stages\": {\"reported\": {\"total\": 21}}}";
    static const char other_body[] = "{\"stages\": {\"reported\": {\"total\": 34}}}";
    char key[128], hdr[160];
    unique_key(key, sizeof key, "put");
    snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", key);
    const char *const keyed[] = {hdr, NULL};
    const char *gm0599 = token("TOKEN_GM0599");

    struct http_response *first = put_funnel(gm0599, "GM0599", "2019-Q1", NULL, first_body, keyed);
    expect_status(first, 201, "keyed PUT");
    expect_document(first, "GM0599", "2019-Q1", 1, "GM0599 itest data office", "keyed PUT");
    expect_replayed(first, false, "keyed PUT");

    /* Another writer (another principal) stores other figures. */
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0599", "2019-Q1", NULL, other_body, NULL);
    expect_status(r, 200, "the other writer");
    itest_expect_etag(r, 2, "the other writer");
    http_response_free(r);

    /* The retry: the first answer — 201, its ETag, Location and document — and no revision. */
    struct http_response *again = put_funnel(gm0599, "GM0599", "2019-Q1", NULL, first_body, keyed);
    expect_status(again, 201, "keyed retry");
    expect_replayed(again, true, "keyed retry");
    itest_expect_etag(again, 1, "keyed retry");
    cr_assert_str_eq(http_header(again, "Location") ? http_header(again, "Location") : "(none)",
                     "/v1/municipalities/GM0599/funnels/2019-Q1");
    cr_assert(json_equal(first->json, again->json),
              "the replayed answer differs:\nfirst %.*s\nretry %.*s", BODY(first), BODY(again));
    http_response_free(again);
    http_response_free(first);
    cr_assert_eq(revision_count("GM0599", "2019-Q1"), 2, "the keyed retry wrote a revision");
    r = get_funnel(RAPPORTEUR, "GM0599", "2019-Q1", NULL);
    expect_status(r, 200, "GET after the retry");
    cr_assert_eq(stage_total(r->json, "reported"), 34, "the retry overwrote the other writer");
    http_response_free(r);

    /* The same key with another body, or on another resource: 409, nothing written. */
    r = put_funnel(gm0599, "GM0599", "2019-Q1", NULL, "{\"stages\": {}}", keyed);
    expect_conflict(r, "same key, another body");
    http_response_free(r);
    r = put_funnel(gm0599, "GM0599", "2022-Q4", NULL, first_body, keyed);
    expect_conflict(r, "same key, another path");
    http_response_free(r);
    expect_absent("GM0599", "2022-Q4", "the other path after a 409");
    char *path = funnel_path("GM0599", "2019-Q1", NULL);
    r = req("DELETE", path, RAPPORTEUR, NULL, NULL, NULL);
    http_response_free(r); /* revision 3, a tombstone */
    r = req("PUT", path, gm0599, "application/json", first_body, keyed);
    expect_status(r, 201, "the keyed PUT again after a delete");
    expect_replayed(r, true, "the keyed PUT again after a delete");
    itest_expect_etag(r, 1, "the keyed PUT again after a delete: still the first answer");
    http_response_free(r);
    cr_assert_eq(revision_count("GM0599", "2019-Q1"), 3, "a 409 or a replay wrote a revision");
    expect_absent("GM0599", "2019-Q1", "the replay re-created the deleted funnel");

    /* Keys belong to their principal: the rapporteur's request with GM0599's key is its own. */
    r = req("PUT", path, RAPPORTEUR, "application/json", first_body, keyed);
    expect_status(r, 201, "another principal with the same key");
    expect_replayed(r, false, "another principal with the same key");
    itest_expect_etag(r, 4, "another principal with the same key");
    http_response_free(r);
    cr_assert_eq(revision_count("GM0599", "2019-Q1"), 4);

    /* A malformed key is invalid input, and nothing is written. */
    const char *const bad[] = {"Idempotency-Key: two words", NULL};
    r = put_funnel(gm0599, "GM0599", "2019-Q1", NULL, other_body, bad);
    expect_error(r, "header", "Idempotency-Key", "invalid", "a key with a space");
    http_response_free(r);
    cr_assert_eq(revision_count("GM0599", "2019-Q1"), 4);
    free(path);
}

/* GM0106 2019-Q1; GM0106 2022-Q4 (never written). A DELETE whose answer was lost is retried after
 * the funnel was submitted again: with its key the retry answers 204 again and deletes nothing. */
Test(idempotency, a_retried_delete_gets_its_first_answer_and_deletes_nothing, .timeout = 60)
{
    static const char body[] = "{\"stages\": {\"reported\": {\"total\": 8}}}";
    char key[128], hdr[160];
    unique_key(key, sizeof key, "delete");
    snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", key);
    const char *const keyed[] = {hdr, NULL};
    char *path = funnel_path("GM0106", "2019-Q1", NULL);

    struct http_response *r = put_funnel(RAPPORTEUR, "GM0106", "2019-Q1", NULL, body, NULL);
    expect_status(r, 201, "create");
    http_response_free(r);
    r = req("DELETE", path, RAPPORTEUR, NULL, NULL, keyed);
    expect_status(r, 204, "keyed DELETE");
    expect_replayed(r, false, "keyed DELETE");
    http_response_free(r);
    r = put_funnel(RAPPORTEUR, "GM0106", "2019-Q1", NULL, body, NULL);
    expect_status(r, 201, "submitted again");
    itest_expect_etag(r, 3, "submitted again");
    http_response_free(r);

    r = req("DELETE", path, RAPPORTEUR, NULL, NULL, keyed);
    expect_status(r, 204, "keyed DELETE retried");
    expect_replayed(r, true, "keyed DELETE retried");
    cr_assert_eq(r->body_len, 0);
    http_response_free(r);
    r = get_funnel(RAPPORTEUR, "GM0106", "2019-Q1", NULL);
    expect_status(r, 200, "the retried DELETE deleted the new submission");
    http_response_free(r);
    cr_assert_eq(revision_count("GM0106", "2019-Q1"), 3);

    /* The same key for another request: a PUT on this path, a DELETE elsewhere. */
    r = put_funnel(RAPPORTEUR, "GM0106", "2019-Q1", NULL, body, keyed);
    expect_conflict(r, "the DELETE's key on a PUT");
    http_response_free(r);
    char *other = funnel_path("GM0106", "2022-Q4", NULL);
    r = req("DELETE", other, RAPPORTEUR, NULL, NULL, keyed);
    expect_conflict(r, "the DELETE's key on another path");
    http_response_free(r);
    cr_assert_eq(revision_count("GM0106", "2019-Q1"), 3, "a 409 wrote a revision");
    r = get_funnel(RAPPORTEUR, "GM0106", "2019-Q1", NULL);
    expect_status(r, 200, "after the 409s");
    itest_expect_etag(r, 3, "after the 409s");
    http_response_free(r);
    free(other);
    free(path);
}

/* GM0109 2019-Q1 (written once, at the end). While the first request with a key is still running
 * — its transaction holds the key — a second one gets 409 with Retry-After, writing nothing; once
 * the first is done, the key works. The "first request" here is a transaction holding the key's
 * lock as idempotency_claim() takes it (sql/009). */
Test(idempotency, a_key_still_running_is_409_with_retry_after, .timeout = 60)
{
    char key[128], hdr[160];
    unique_key(key, sizeof key, "running");
    snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", key);
    const char *const keyed[] = {hdr, NULL};
    struct http_response *me = req("GET", "/v1/me", RAPPORTEUR, NULL, NULL, NULL);
    expect_status(me, 200, "GET /v1/me");
    char lock[256];
    snprintf(lock, sizeof lock, "%s|%s", itest_str_of(me->json, "id"), key);
    http_response_free(me);

    PGconn *c = db_connect();
    PQclear(PQexec(c, "BEGIN"));
    const char *params[] = {lock};
    PQclear(db_query(c, "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", 1, params));
    static const char body[] = "{\"stages\": {\"reported\": {\"total\": 3}}}";
    struct http_response *r = put_funnel(RAPPORTEUR, "GM0109", "2019-Q1", NULL, body, keyed);
    expect_conflict(r, "the key while its first request runs");
    const char *ra = http_header(r, "Retry-After");
    cr_assert(ra && strcmp(ra, "1") == 0, "no Retry-After: 1 (got %s)", ra ? ra : "(none)");
    http_response_free(r);
    expect_absent("GM0109", "2019-Q1", "after the 409");
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);

    r = put_funnel(RAPPORTEUR, "GM0109", "2019-Q1", NULL, body, keyed);
    expect_status(r, 201, "the key once the first request is done");
    expect_replayed(r, false, "the key once the first request is done");
    http_response_free(r);
    /* A key used for another request is final: no Retry-After. */
    r = put_funnel(RAPPORTEUR, "GM0109", "2019-Q1", NULL, "{\"stages\": {}}", keyed);
    expect_conflict(r, "the key with another body");
    cr_assert_null(http_header(r, "Retry-After"), "a final 409 with Retry-After");
    http_response_free(r);
}
