/* Black-box tests of POST /v1/imports (design §3.1): JSON and CSV bulk imports of funnels, all or
 * nothing, dry runs, Idempotency-Key replays, and who may import what. Runs against the daemon and
 * database started by tests/harness/env-up (CTest fixture "main").
 *
 * Criterion runs these tests in parallel processes against ONE daemon and database shared with
 * other test binaries: every test owns the (municipality, period) pairs named beside it. Imports
 * use the years 2016 and 2021, which the other funnel tests leave alone. */
#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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
                                 const char *ctype, const char *body, size_t len,
                                 const char *const *hdrs)
{
    for (int attempt = 0;; attempt++) {
        struct http_response *r = http_do(method, path, tok, ctype, body, len, hdrs);
        if (r->status != 429 || attempt >= 20)
            return r;
        http_response_free(r);
        usleep(300 * 1000);
    }
}

static struct http_response *import(const char *tok, const char *query, const char *ctype,
                                    const char *body, const char *const *hdrs)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/imports%s", query ? query : "");
    return req("POST", path, tok, ctype, body, strlen(body), hdrs);
}

static struct http_response *get_funnel(const char *tok, const char *code, const char *period,
                                        const char *suffix)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s%s", code, period,
             suffix ? suffix : "");
    return req("GET", path, tok, NULL, NULL, 0, NULL);
}

static void expect_status(struct http_response *r, long status, const char *what)
{
    cr_assert_eq(r->status, status, "%s: expected HTTP %ld, got %ld (curl code %d); body: %.*s",
                 what, status, r->status, r->curl_code, BODY(r));
}

static void expect_problem(struct http_response *r, long status, const char *what)
{
    expect_status(r, status, what);
    /* Every refusal is an RFC 9457 problem whose `status` is the HTTP status; a refused import
     * carries its summary in the member `import`. */
    cr_assert(http_is_problem(r), "%s: expected a problem+json %ld; Content-Type %s, body %.*s",
              what, status,
              http_header(r, "Content-Type") ? http_header(r, "Content-Type") : "(none)", BODY(r));
    json_t *st = json_object_get(r->json, "status");
    cr_assert(json_is_integer(st) && json_integer_value(st) == status,
              "%s: problem status member is not %ld: %.*s", what, status, BODY(r));
}

/* Checks an import summary: status and the four counters. */
static void expect_summary(struct http_response *r, const char *status, int created, int updated,
                           int unchanged, int rejected, const char *what)
{
    json_t *j = r->json;
    cr_assert(json_is_object(j), "%s: body is not JSON: %.*s", what, BODY(r));
    cr_assert_str_eq(itest_str_of(j, "status") ? itest_str_of(j, "status") : "(none)", status,
                     "%s: status; %.*s", what, BODY(r));
    const char *names[] = {"created", "updated", "unchanged", "rejected"};
    int want[] = {created, updated, unchanged, rejected};
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(j, names[i]);
        cr_assert(json_is_integer(v) && json_integer_value(v) == want[i],
                  "%s: %s should be %d; %.*s", what, names[i], want[i], BODY(r));
    }
    cr_assert(json_is_array(json_object_get(j, "warnings")), "%s: no warnings array", what);
    cr_assert(json_is_array(json_object_get(j, "errors")), "%s: no errors array", what);
    if (strcmp(status, "rejected") != 0)
        cr_assert_eq(json_array_size(json_object_get(j, "errors")), 0, "%s: errors: %.*s", what,
                     BODY(r));
}

/* A rejected import: status "rejected", nothing created, updated or unchanged, and `rejected`
 * counting the funnels refused (all of them: the import is all or nothing; -1: any number > 0). */
static void expect_rejected_summary(struct http_response *r, int rejected, const char *what)
{
    json_t *j = json_object_get(r->json, "import");
    cr_assert(json_is_object(j), "%s: the problem has no import summary; %.*s", what, BODY(r));
    cr_assert_str_eq(itest_str_of(j, "status") ? itest_str_of(j, "status") : "(none)", "rejected",
                     "%s: status; %.*s", what, BODY(r));
    const char *names[] = {"created", "updated", "unchanged"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(j, names[i]);
        cr_assert(json_is_integer(v) && json_integer_value(v) == 0, "%s: %s should be 0; %.*s",
                  what, names[i], BODY(r));
    }
    json_t *v = json_object_get(j, "rejected");
    cr_assert(json_is_integer(v), "%s: no rejected count; %.*s", what, BODY(r));
    /* cr_expect: a wrong count is reported, the rest of the test still runs. */
    if (rejected < 0)
        cr_expect(json_integer_value(v) > 0, "%s: rejected is %lld for a rejected import; %.*s",
                  what, (long long)json_integer_value(v), BODY(r));
    else
        cr_expect_eq(json_integer_value(v), rejected,
                     "%s: rejected is %lld, expected %d (every funnel of the import); %.*s", what,
                     (long long)json_integer_value(v), rejected, BODY(r));
    cr_assert(json_is_array(json_object_get(j, "warnings")), "%s: no warnings array", what);
    cr_assert(json_array_size(json_object_get(r->json, "errors")) > 0, "%s: no errors; %.*s", what,
              BODY(r));
}

static json_t *find_error(json_t *problem, const char *pointer, const char *code)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(problem, "errors"), i, e)
    {
        const char *p = itest_str_of(e, "pointer"), *c = itest_str_of(e, "code");
        if ((pointer == NULL || (p && strcmp(p, pointer) == 0)) &&
            (code == NULL || (c && strcmp(c, code) == 0)))
            return e;
    }
    return NULL;
}

static void expect_absent(const char *code, const char *period, const char *what)
{
    struct http_response *r = get_funnel(RAPPORTEUR, code, period, NULL);
    expect_problem(r, 404, what);
    http_response_free(r);
}

static json_t *get_present(const char *code, const char *period, const char *what)
{
    struct http_response *r = get_funnel(RAPPORTEUR, code, period, NULL);
    expect_status(r, 200, what);
    json_t *j = json_incref(r->json);
    http_response_free(r);
    return j;
}

static long long stage_total(json_t *doc, const char *stage)
{
    json_t *s = json_object_get(json_object_get(doc, "stages"), stage);
    if (s == NULL)
        return -1;
    return json_integer_value(json_object_get(s, "total"));
}

static long long cat_count(json_t *doc, const char *stage, const char *dim, const char *cat)
{
    json_t *d = json_object_get(
        json_object_get(json_object_get(json_object_get(doc, "stages"), stage), "breakdowns"), dim);
    if (d == NULL)
        return -1;
    json_t *c = json_object_get(d, cat);
    return c == NULL ? 0 : json_integer_value(c);
}

static size_t revision_count(const char *code, const char *period)
{
    struct http_response *r = get_funnel(RAPPORTEUR, code, period, "/revisions");
    expect_status(r, 200, "GET revisions");
    size_t n = json_array_size(json_object_get(r->json, "revisions"));
    http_response_free(r);
    return n;
}

/* A key nobody else uses. */
static void unique_key(char *out, size_t cap, const char *tag)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, cap, "itest-%s-%d-%ld-%ld", tag, (int)getpid(), (long)ts.tv_sec, ts.tv_nsec);
}

/* ---- JSON imports ------------------------------------------------------------------------ */

/* GM0098, GM0106, GM0109 in 2021-Q1 */
Test(imports_json, three_funnels_created_then_unchanged_then_updated, .timeout = 60)
{
    static const char body[] =
        "[{\"municipality\":\"GM0098\",\"period\":\"2021-Q1\",\"stages\":{\"signalled\":{\"total\":"
        "41,"
        "\"breakdowns\":{\"gender\":{\"girl\":27,\"boy\":13,\"unknown\":1}}},\"reported\":{"
        "\"total\":30}}},"
        " {\"municipality\":\"GM0106\",\"period\":\"2021-Q1\",\"stages\":{\"reported\":{\"total\":"
        "12}}},"
        " {\"municipality\":\"GM0109\",\"period\":\"2021Q1\",\"stages\":{}}]";
    struct http_response *r = import(RAPPORTEUR, NULL, "application/json", body, NULL);
    expect_status(r, 200, "JSON import of 3");
    expect_summary(r, "imported", 3, 0, 0, 0, "JSON import of 3");
    http_response_free(r);

    json_t *d = get_present("GM0098", "2021-Q1", "GET GM0098");
    cr_assert_eq(json_integer_value(json_object_get(d, "revision")), 1);
    cr_assert_eq(stage_total(d, "signalled"), 41);
    cr_assert_eq(stage_total(d, "reported"), 30);
    cr_assert_eq(cat_count(d, "signalled", "gender", "girl"), 27);
    cr_assert_eq(cat_count(d, "signalled", "gender", "unknown"), 1);
    cr_assert_str_eq(itest_str_of(json_object_get(d, "submittedBy"), "label"), "itest rapporteur");
    json_decref(d);
    d = get_present("GM0106", "2021-Q1", "GET GM0106");
    cr_assert_eq(stage_total(d, "reported"), 12);
    cr_assert_eq(json_object_size(json_object_get(d, "stages")), 1);
    json_decref(d);
    d = get_present("GM0109", "2021-Q1", "GET GM0109 (imported as 2021Q1)");
    cr_assert_eq(json_object_size(json_object_get(d, "stages")), 0);
    json_decref(d);

    /* The same import again changes nothing. */
    r = import(RAPPORTEUR, NULL, "application/json", body, NULL);
    expect_status(r, 200, "JSON re-import");
    expect_summary(r, "imported", 0, 0, 3, 0, "JSON re-import");
    http_response_free(r);
    cr_assert_eq(revision_count("GM0098", "2021-Q1"), 1, "a re-import made a revision");

    /* One funnel changed: one update. */
    static const char body2[] =
        "[{\"municipality\":\"GM0098\",\"period\":\"2021-Q1\",\"stages\":{\"reported\":{\"total\":"
        "30},"
        "\"signalled\":{\"total\":41,\"breakdowns\":{\"gender\":{\"unknown\":1,\"girl\":27,\"boy\":"
        "13}}}}},"
        " {\"municipality\":\"GM0106\",\"period\":\"2021-Q1\",\"stages\":{\"reported\":{\"total\":"
        "13}}},"
        " {\"municipality\":\"GM0109\",\"period\":\"2021-Q1\",\"stages\":{}}]";
    r = import(RAPPORTEUR, NULL, "application/json", body2, NULL);
    expect_status(r, 200, "JSON import with one change");
    expect_summary(r, "imported", 0, 1, 2, 0, "JSON import with one change");
    http_response_free(r);
    d = get_present("GM0106", "2021-Q1", "GET GM0106 after update");
    cr_assert_eq(json_integer_value(json_object_get(d, "revision")), 2);
    cr_assert_eq(stage_total(d, "reported"), 13);
    json_decref(d);
}

/* GM0114, GM0118, GM0119, GM0141 in 2021-Q2 (nothing is ever written) */
Test(imports_json, invalid_item_rejects_all_with_pointer, .timeout = 60)
{
    static const char body[] = "[{\"municipality\":\"GM0114\",\"period\":\"2021-Q2\",\"stages\":{"
                               "\"reported\":{\"total\":1}}},"
                               " {\"municipality\":\"GM0118\",\"period\":\"2021-Q2\",\"stages\":{"
                               "\"reported\":{\"total\":2}}},"
                               " {\"municipality\":\"GM0119\",\"period\":\"2021-Q2\",\"stages\":{"
                               "\"reported\":{\"total\":3}}},"
                               " {\"municipality\":\"GM0141\",\"period\":\"2021-Q2\",\"stages\":{"
                               "\"reported\":{\"total\":-4}}}]";
    struct http_response *r = import(RAPPORTEUR, NULL, "application/json", body, NULL);
    expect_problem(r, 400, "JSON import with a negative count in item 3");
    cr_assert(find_error(r->json, "/3/stages/reported/total", "negative"), "%.*s", BODY(r));
    json_t *e = find_error(r->json, "/3/stages/reported/total", NULL);
    cr_assert_str_eq(itest_str_of(e, "in") ? itest_str_of(e, "in") : "(none)", "body");
    expect_rejected_summary(r, 4, "rejected JSON import");
    http_response_free(r);
    expect_absent("GM0114", "2021-Q2", "GM0114 after a rejected import");
    expect_absent("GM0141", "2021-Q2", "GM0141 after a rejected import");

    /* Several bad items: every violation listed. */
    static const char body2[] =
        "[{\"municipality\":\"GM0114\",\"period\":\"2021-Q2\",\"stages\":{\"reported\":{\"total\":"
        "1}},"
        "\"name\":\"x\"},"
        " {\"municipality\":\"GM0118\",\"period\":\"2021-Q5\",\"stages\":{}},"
        " {\"municipality\":\"GM0119\",\"period\":\"2021-Q2\",\"stages\":{\"reported\":{\"total\":"
        "\"3\"}}},"
        " {\"period\":\"2021-Q2\",\"stages\":{}}]";
    r = import(RAPPORTEUR, NULL, "application/json", body2, NULL);
    expect_problem(r, 400, "JSON import with 4 bad items");
    cr_assert(find_error(r->json, "/0/name", "unknown-field"), "%.*s", BODY(r));
    cr_assert(find_error(r->json, "/1/period", NULL), "%.*s", BODY(r));
    cr_assert(find_error(r->json, "/2/stages/reported/total", "type"), "%.*s", BODY(r));
    cr_assert(find_error(r->json, "/3/municipality", "required"), "%.*s", BODY(r));
    expect_rejected_summary(r, 4, "JSON import with 4 bad items");
    http_response_free(r);

    /* The same funnel twice in one import is ambiguous. */
    static const char body3[] = "[{\"municipality\":\"GM0114\",\"period\":\"2021-Q2\",\"stages\":{"
                                "\"reported\":{\"total\":1}}},"
                                " {\"municipality\":\"GM0114\",\"period\":\"2021-Q2\",\"stages\":{"
                                "\"reported\":{\"total\":2}}}]";
    r = import(RAPPORTEUR, NULL, "application/json", body3, NULL);
    expect_problem(r, 400, "JSON import naming one funnel twice");
    http_response_free(r);
    expect_absent("GM0114", "2021-Q2", "GM0114 after rejected imports");

    r = import(RAPPORTEUR, NULL, "application/json", "{\"municipality\":\"GM0114\"}", NULL);
    expect_problem(r, 400, "JSON import that is not an array");
    http_response_free(r);
    r = import(RAPPORTEUR, NULL, "application/json", "[{", NULL);
    expect_problem(r, 400, "JSON import that is not JSON");
    cr_assert(find_error(r->json, NULL, "malformed-json"), "%.*s", BODY(r));
    http_response_free(r);
}

/* GM0147, GM0148 in 2021-Q3 (nothing is ever written) */
Test(imports_json, unknown_municipality_rejects_all, .timeout = 60)
{
    static const char body[] = "[{\"municipality\":\"GM0147\",\"period\":\"2021-Q3\",\"stages\":{"
                               "\"reported\":{\"total\":1}}},"
                               " {\"municipality\":\"GM9999\",\"period\":\"2021-Q3\",\"stages\":{"
                               "\"reported\":{\"total\":2}}},"
                               " {\"municipality\":\"GM0148\",\"period\":\"2021-Q3\",\"stages\":{"
                               "\"reported\":{\"total\":3}}}]";
    struct http_response *r = import(RAPPORTEUR, NULL, "application/json", body, NULL);
    expect_problem(r, 400, "import naming GM9999");
    json_t *e = find_error(r->json, NULL, "unknown-municipality");
    cr_assert(e != NULL, "no unknown-municipality error: %.*s", BODY(r));
    const char *p = itest_str_of(e, "pointer");
    cr_assert(p && strncmp(p, "/1", 2) == 0, "unknown-municipality pointer %s, expected /1...",
              p ? p : "(none)");
    expect_rejected_summary(r, 3, "import naming GM9999");
    http_response_free(r);
    expect_absent("GM0147", "2021-Q3", "GM0147 after a rejected import");
    expect_absent("GM0148", "2021-Q3", "GM0148 after a rejected import");
}

/* GM0150 2021-Q1 (never written) */
Test(imports_json, dry_run_writes_nothing, .timeout = 60)
{
    static const char body[] = "[{\"municipality\":\"GM0150\",\"period\":\"2021-Q1\",\"stages\":{"
                               "\"reported\":{\"total\":1}}}]";
    struct http_response *r = import(RAPPORTEUR, "?dryRun=true", "application/json", body, NULL);
    expect_status(r, 200, "dry-run import");
    expect_summary(r, "validated", 1, 0, 0, 0, "dry-run import");
    http_response_free(r);
    expect_absent("GM0150", "2021-Q1", "GET after a dry-run import");

    /* A dry run of an invalid import is rejected like the real thing. */
    static const char bad[] = "[{\"municipality\":\"GM0150\",\"period\":\"2021-Q1\",\"stages\":{"
                              "\"reported\":{\"total\":1.5}}}]";
    r = import(RAPPORTEUR, "?dryRun=true", "application/json", bad, NULL);
    expect_problem(r, 400, "invalid dry-run import");
    cr_assert(find_error(r->json, "/0/stages/reported/total", "not-integer"), "%.*s", BODY(r));
    http_response_free(r);
    expect_absent("GM0150", "2021-Q1", "GET after dry-run imports");
}

/* GM0153 2021-Q1; GM0158 2021-Q1 (never written) */
Test(imports_json, idempotency_key_replay_and_conflict, .timeout = 60)
{
    char key[96], hdr[128];
    unique_key(key, sizeof key, "idem");
    snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", key);
    const char *const h[] = {hdr, NULL};
    static const char body[] = "[{\"municipality\":\"GM0153\",\"period\":\"2021-Q1\",\"stages\":{"
                               "\"reported\":{\"total\":7}}}]";
    struct http_response *first = import(RAPPORTEUR, NULL, "application/json", body, h);
    expect_status(first, 200, "keyed import");
    expect_summary(first, "imported", 1, 0, 0, 0, "keyed import");
    const char *rep = http_header(first, "Idempotent-Replayed");
    cr_assert(rep == NULL || strcmp(rep, "true") != 0, "the first answer says it was replayed");

    struct http_response *again = import(RAPPORTEUR, NULL, "application/json", body, h);
    expect_status(again, 200, "keyed retry");
    rep = http_header(again, "Idempotent-Replayed");
    cr_assert(rep && strcmp(rep, "true") == 0, "retry lacks Idempotent-Replayed: true (got %s)",
              rep ? rep : "(none)");
    cr_assert(json_equal(first->json, again->json),
              "replayed answer differs:\nfirst %.*s\nretry %.*s", BODY(first), BODY(again));
    http_response_free(again);
    http_response_free(first);
    cr_assert_eq(revision_count("GM0153", "2021-Q1"), 1, "a keyed retry wrote again");

    /* Without the key the same body is simply unchanged. */
    struct http_response *r = import(RAPPORTEUR, NULL, "application/json", body, NULL);
    expect_status(r, 200, "unkeyed repeat");
    expect_summary(r, "imported", 0, 0, 1, 0, "unkeyed repeat");
    http_response_free(r);

    /* The same key with another body. */
    static const char other[] = "[{\"municipality\":\"GM0158\",\"period\":\"2021-Q1\",\"stages\":{"
                                "\"reported\":{\"total\":8}}}]";
    r = import(RAPPORTEUR, NULL, "application/json", other, h);
    expect_problem(r, 409, "same key, other body");
    http_response_free(r);
    expect_absent("GM0158", "2021-Q1", "GM0158 after a 409");
    cr_assert_eq(revision_count("GM0153", "2021-Q1"), 1);

    /* Keys are per principal: another principal's import with the same key is its own. */
    static const char own[] = "[{\"municipality\":\"GM0014\",\"period\":\"2021-Q1\",\"stages\":{"
                              "\"reported\":{\"total\":9}}}]";
    r = import(token("TOKEN_MULTI"), NULL, "application/json", own, h);
    expect_status(r, 200, "same key, another principal");
    expect_summary(r, "imported", 1, 0, 0, 0, "same key, another principal");
    http_response_free(r);
}

/* GM0599 + GM0363 2021-Q4; GM0160 2021-Q4 (never written) */
Test(imports_access, who_may_import, .timeout = 60)
{
    static const char both[] = "[{\"municipality\":\"GM0599\",\"period\":\"2021-Q4\",\"stages\":{"
                               "\"reported\":{\"total\":1}}},"
                               " {\"municipality\":\"GM0363\",\"period\":\"2021-Q4\",\"stages\":{"
                               "\"reported\":{\"total\":2}}}]";
    struct http_response *r = import(token("TOKEN_GM0599"), NULL, "application/json", both, NULL);
    expect_problem(r, 403, "GM0599 token importing GM0363");
    cr_assert(find_error(r->json, "/1", NULL), "no error for item 1 (GM0363): %.*s", BODY(r));
    expect_rejected_summary(r, 2, "GM0599 token importing GM0363");
    http_response_free(r);
    expect_absent("GM0599", "2021-Q4", "GM0599 after a refused import");
    expect_absent("GM0363", "2021-Q4", "GM0363 after a refused import");

    static const char other[] = "[{\"municipality\":\"GM0160\",\"period\":\"2021-Q4\",\"stages\":{"
                                "\"reported\":{\"total\":1}}}]";
    r = import(token("TOKEN_ANALYST"), NULL, "application/json", other, NULL);
    expect_problem(r, 403, "analyst import");
    http_response_free(r);
    r = import(NULL, NULL, "application/json", other, NULL);
    expect_problem(r, 401, "import without a token");
    http_response_free(r);
    r = import(token("TOKEN_REVOKED"), NULL, "application/json", other, NULL);
    expect_problem(r, 401, "import with a revoked token");
    http_response_free(r);
    expect_absent("GM0160", "2021-Q4", "GM0160 after refused imports");

    r = import(RAPPORTEUR, NULL, "text/plain", other, NULL);
    expect_problem(r, 415, "import as text/plain");
    http_response_free(r);

    static const char own[] = "[{\"municipality\":\"GM0599\",\"period\":\"2021-Q4\",\"stages\":{"
                              "\"reported\":{\"total\":1}}}]";
    r = import(token("TOKEN_GM0599"), NULL, "application/json", own, NULL);
    expect_status(r, 200, "GM0599 token importing GM0599");
    expect_summary(r, "imported", 1, 0, 0, 0, "GM0599 token importing GM0599");
    http_response_free(r);
    json_t *d = get_present("GM0599", "2021-Q4", "GM0599 after its own import");
    cr_assert_str_eq(itest_str_of(json_object_get(d, "submittedBy"), "label"),
                     "GM0599 itest data office");
    json_decref(d);
}

/* ---- CSV imports ------------------------------------------------------------------------- */

/* GM0163 2021-Q1 */
Test(imports_csv, dutch_excel_profile, .timeout = 60)
{
    /* BOM, ';', CRLF, quoted fields, an empty count (not given), the period as 2021Q1. */
    static const char csv[] = "\xEF\xBB\xBFmunicipality;period;stage;dimension;category;count\r\n"
                              "\"GM0163\";2021-Q1;signalled;total;;41\r\n"
                              "GM0163;2021-Q1;signalled;gender;girl;27\r\n"
                              "GM0163;2021-Q1;\"signalled\";gender;boy;\"13\"\r\n"
                              "GM0163;2021-Q1;signalled;gender;unknown;1\r\n"
                              "GM0163;2021Q1;reported;total;\"\";30\r\n"
                              "GM0163;2021-Q1;occurred;total;;\r\n";
    struct http_response *r = import(RAPPORTEUR, NULL, "text/csv; charset=utf-8", csv, NULL);
    expect_status(r, 200, "Dutch Excel CSV");
    expect_summary(r, "imported", 1, 0, 0, 0, "Dutch Excel CSV");
    http_response_free(r);
    json_t *d = get_present("GM0163", "2021-Q1", "GET after CSV import");
    cr_assert_eq(stage_total(d, "signalled"), 41);
    cr_assert_eq(cat_count(d, "signalled", "gender", "girl"), 27);
    cr_assert_eq(cat_count(d, "signalled", "gender", "boy"), 13);
    cr_assert_eq(cat_count(d, "signalled", "gender", "other"), 0);
    cr_assert_eq(cat_count(d, "signalled", "gender", "unknown"), 1);
    cr_assert_eq(stage_total(d, "reported"), 30);
    cr_assert_eq(stage_total(d, "occurred"), -1, "an empty count made occurred known");
    json_decref(d);

    /* The same figures as plain ',' + LF CSV: unchanged. */
    static const char csv2[] = "municipality,period,stage,dimension,category,count\n"
                               "GM0163,2021-Q1,reported,total,,30\n"
                               "GM0163,2021-Q1,signalled,gender,unknown,1\n"
                               "GM0163,2021-Q1,signalled,gender,boy,13\n"
                               "GM0163,2021-Q1,signalled,gender,girl,27\n"
                               "GM0163,2021-Q1,signalled,gender,other,0\n"
                               "GM0163,2021-Q1,signalled,total,,41\n";
    r = import(RAPPORTEUR, NULL, "text/csv", csv2, NULL);
    expect_status(r, 200, "plain CSV, same figures");
    expect_summary(r, "imported", 0, 0, 1, 0, "plain CSV, same figures");
    http_response_free(r);
}

/* GM0164 2021-Q2 (never written) */
Test(imports_csv, bad_rows_named, .timeout = 60)
{
    static const char csv[] = "municipality,period,stage,dimension,category,count\n"
                              "GM0164,2021-Q2,reported,total,,5\n"
                              "GM0164,2021-Q2,reported,gender,girl,3\n"
                              "GM0164,2021-Q2,reported,gender,boy,1\n" /* row 4: sum 4 != 5 */
                              "GM0164,2021-Q2,noticed,total,,1\n"      /* row 5: unknown stage */
                              "GM0164,2021-Q2,signalled,total,,-2\n";  /* row 6: negative */
    struct http_response *r = import(RAPPORTEUR, NULL, "text/csv", csv, NULL);
    expect_problem(r, 400, "CSV with bad rows");
    cr_assert(find_error(r->json, "row 5/stage", "unknown-stage"), "%.*s", BODY(r));
    cr_assert(find_error(r->json, "row 6/count", "negative"), "%.*s", BODY(r));
    cr_assert(find_error(r->json, NULL, "sum-mismatch"), "%.*s", BODY(r));
    expect_rejected_summary(r, -1, "CSV with bad rows");
    http_response_free(r);
    expect_absent("GM0164", "2021-Q2", "GM0164 after a rejected CSV");

    static const char wrong_header[] =
        "gemeente,periode,stage,dimension,category,count\nGM0164,2021-Q2,reported,total,,5\n";
    r = import(RAPPORTEUR, NULL, "text/csv", wrong_header, NULL);
    expect_problem(r, 400, "CSV with a wrong header");
    http_response_free(r);
    expect_absent("GM0164", "2021-Q2", "GM0164 after a rejected CSV");
}

/* GM0177 2021-Q3 (never written). Issue 20 item 6: "GM0177\0Jan Jansen" was imported as GM0177
 * with status 200, the bytes after the NUL gone. */
Test(imports_csv, nul_byte_refused_naming_the_row, .timeout = 60)
{
    static const char csv[] = "municipality,period,stage,dimension,category,count\n"
                              "GM0177\0Jan Jansen,2021-Q3,reported,total,,5\n"
                              "GM0177,2021-Q3,helped,total,,2\n";
    struct http_response *r =
        req("POST", "/v1/imports", RAPPORTEUR, "text/csv", csv, sizeof csv - 1, NULL);
    expect_problem(r, 400, "CSV with a NUL byte in row 2");
    json_t *e = find_error(r->json, "row 2", "nul-byte");
    cr_assert(e, "no nul-byte violation at row 2: %.*s", BODY(r));
    const char *detail = itest_str_of(e, "detail");
    cr_assert(detail && strstr(detail, "row 2") && strstr(detail, "NUL byte (0x00)"), "%.*s",
              BODY(r));
    cr_assert_str_eq(itest_str_of(e, "in") ? itest_str_of(e, "in") : "(none)", "body");
    /* Reading stops at the NUL, so the summary counts the funnels read before it: none. */
    expect_rejected_summary(r, 0, "CSV with a NUL byte");
    http_response_free(r);
    expect_absent("GM0177", "2021-Q3", "GM0177 after a CSV with a NUL byte");
}

/* The codes of the first n municipalities of GET /v1/municipalities. */
static char (*municipality_codes(size_t n))[8]
{
    struct http_response *r = req("GET", "/v1/municipalities", NULL, NULL, NULL, 0, NULL);
    expect_status(r, 200, "GET /v1/municipalities");
    json_t *list = json_object_get(r->json, "municipalities");
    cr_assert(json_array_size(list) >= n, "only %zu municipalities", json_array_size(list));
    char(*codes)[8] = calloc(n, 8);
    for (size_t i = 0; i < n; i++)
        snprintf(codes[i], 8, "%s", itest_str_of(json_array_get(list, i), "code"));
    http_response_free(r);
    return codes;
}

static const char *const FIVE_STAGES[] = {"disclosed", "signalled", "reported", "investigated",
                                          "helped"};

/* 100 municipalities x 5 stage totals for `period` (rows 2..501); bad_row (0: none) gets count x.
 */
static char *csv_500(char (*codes)[8], const char *period, size_t bad_row)
{
    size_t cap = 64 * 520, len = 0;
    char *csv = malloc(cap);
    len += (size_t)snprintf(csv + len, cap - len,
                            "municipality,period,stage,dimension,category,count\n");
    size_t row = 1;
    for (size_t m = 0; m < 100; m++) {
        for (size_t s = 0; s < 5; s++) {
            row++;
            if (row == bad_row)
                len += (size_t)snprintf(csv + len, cap - len, "%s,%s,%s,total,,x\n", codes[m],
                                        period, FIVE_STAGES[s]);
            else
                len += (size_t)snprintf(csv + len, cap - len, "%s,%s,%s,total,,%zu\n", codes[m],
                                        period, FIVE_STAGES[s], 100 - 10 * s + m);
        }
    }
    cr_assert_eq(row, 501);
    return csv;
}

/* The first 100 municipalities in 2016-Q2 (never written) */
Test(imports_csv, five_hundred_rows_one_bad_loads_nothing, .timeout = 60)
{
    char(*codes)[8] = municipality_codes(100);
    char *csv = csv_500(codes, "2016-Q2", 250);
    struct http_response *r = import(RAPPORTEUR, NULL, "text/csv", csv, NULL);
    expect_problem(r, 400, "500-row CSV with count x at row 250");
    json_t *errors = json_object_get(r->json, "errors");
    cr_assert_eq(json_array_size(errors), 1, "expected 1 error: %.*s", BODY(r));
    json_t *e = json_array_get(errors, 0);
    cr_assert_str_eq(itest_str_of(e, "pointer") ? itest_str_of(e, "pointer") : "(none)",
                     "row 250/count", "%.*s", BODY(r));
    cr_assert_str_eq(itest_str_of(e, "in") ? itest_str_of(e, "in") : "(none)", "body");
    cr_assert(itest_str_of(e, "code") && itest_str_of(e, "detail"), "error without code/detail");
    expect_rejected_summary(r, 100, "500-row CSV");
    http_response_free(r);
    /* Row 250 is municipality 49 (rows 247..251); nothing of any is loaded. */
    expect_absent(codes[0], "2016-Q2", "first municipality of the rejected CSV");
    expect_absent(codes[49], "2016-Q2", "the bad row's municipality");
    expect_absent(codes[99], "2016-Q2", "last municipality of the rejected CSV");
    free(csv);
    free(codes);
}

/* The first 100 municipalities in 2016-Q3 */
Test(imports_csv, five_hundred_rows_load, .timeout = 60)
{
    char(*codes)[8] = municipality_codes(100);
    char *csv = csv_500(codes, "2016-Q3", 0);
    struct http_response *r = import(RAPPORTEUR, NULL, "text/csv", csv, NULL);
    expect_status(r, 200, "500-row CSV");
    expect_summary(r, "imported", 100, 0, 0, 0, "500-row CSV");
    http_response_free(r);
    json_t *d = get_present(codes[42], "2016-Q3", "a municipality of the CSV");
    cr_assert_eq(json_object_size(json_object_get(d, "stages")), 5);
    cr_assert_eq(stage_total(d, "disclosed"), 100 + 42);
    cr_assert_eq(stage_total(d, "helped"), 60 + 42);
    json_decref(d);
    free(csv);
    free(codes);
}

/* ---- what an import stores ----------------------------------------------------------------- */

static PGconn *db_connect(void)
{
    PGconn *c = PQconnectdb(itest_env("TRECHTER_DB"));
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect to TRECHTER_DB: %s", PQerrorMessage(c));
    return c;
}

static uint32_t expected_key(const char *text)
{
    FILE *f = fopen(itest_env("TRECHTER_SECRET_FILE"), "rb");
    cr_assert(f != NULL, "cannot read TRECHTER_SECRET_FILE");
    char secret[4096];
    size_t n = fread(secret, 1, sizeof secret, f);
    fclose(f);
    if (n > 0 && secret[n - 1] == '\n') {
        n--;
        if (n > 0 && secret[n - 1] == '\r')
            n--;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    cr_assert(
        HMAC(EVP_sha256(), secret, (int)n, (const unsigned char *)text, strlen(text), md, &mdlen));
    return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
}

/* The stored key of a stage total of revision 1. */
static void expect_total_key(PGconn *db, const char *code, const char *period, const char *stage,
                             int count)
{
    const char *params[] = {code, period, stage};
    PGresult *res =
        PQexecParams(db,
                     "SELECT c.count, c.cell_key FROM funnel_cells c JOIN submissions s ON "
                     "s.id = c.submission_id WHERE s.municipality_code=$1 AND s.period=$2 "
                     "AND c.revision=1 AND c.stage=$3 AND c.dimension='total' AND "
                     "c.category=''",
                     3, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(db));
    cr_assert_eq(PQntuples(res), 1, "no stored total for %s %s %s", code, period, stage);
    cr_assert_eq(atoi(PQgetvalue(res, 0, 0)), count);
    char text[128];
    snprintf(text, sizeof text, "%s|%s|%s|total||%d", code, period, stage, count);
    unsigned long long want = expected_key(text), got = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
    cr_assert_eq(got, want, "cell key of %s: stored %llu, HMAC gives %llu", text, got, want);
    PQclear(res);
}

/* GM0166, GM0168 in 2021-Q2 */
Test(imports_store, cell_keys_and_audit_with_period_written_2021Q2, .timeout = 60)
{
    char rid[96], hdr[128];
    unique_key(rid, sizeof rid, "imp");
    snprintf(hdr, sizeof hdr, "X-Request-Id: %.64s", rid);
    rid[64] = '\0';
    const char *const h[] = {hdr, NULL};
    static const char body[] = "[{\"municipality\":\"GM0166\",\"period\":\"2021Q2\",\"stages\":{"
                               "\"reported\":{\"total\":30}}}]";
    struct http_response *r = import(RAPPORTEUR, NULL, "application/json", body, h);
    expect_status(r, 200, "JSON import with 2021Q2");
    expect_summary(r, "imported", 1, 0, 0, 0, "JSON import with 2021Q2");
    http_response_free(r);
    static const char csv[] = "municipality,period,stage,dimension,category,count\n"
                              "GM0168,2021Q2,signalled,total,,17\n";
    r = import(RAPPORTEUR, NULL, "text/csv", csv, NULL);
    expect_status(r, 200, "CSV import with 2021Q2");
    expect_summary(r, "imported", 1, 0, 0, 0, "CSV import with 2021Q2");
    http_response_free(r);

    json_t *d = get_present("GM0166", "2021-Q2", "GM0166 2021-Q2");
    cr_assert_str_eq(itest_str_of(d, "period"), "2021-Q2");
    json_decref(d);
    PGconn *db = db_connect();
    expect_total_key(db, "GM0166", "2021-Q2", "reported", 30);
    expect_total_key(db, "GM0168", "2021-Q2", "signalled", 17);

    /* The import left an audit event under its request id. */
    const char *params[] = {rid};
    PGresult *res =
        PQexecParams(db, "SELECT method, path, status FROM audit_events WHERE request_id = $1", 1,
                     NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(db));
    cr_assert(PQntuples(res) >= 1, "the import %s left no audit event", rid);
    PQclear(res);
    PQfinish(db);
}

/* GM0175 2021-Q1 and 2021-Q2 */
Test(imports_store, warnings_point_into_the_import, .timeout = 60)
{
    static const char body[] = "[{\"municipality\":\"GM0175\",\"period\":\"2021-Q1\",\"stages\":{"
                               "\"reported\":{\"total\":20}}},"
                               " {\"municipality\":\"GM0175\",\"period\":\"2021-Q2\",\"stages\":{"
                               "\"signalled\":{\"total\":30},"
                               "\"reported\":{\"total\":40}}}]";
    struct http_response *r = import(RAPPORTEUR, NULL, "application/json", body, NULL);
    expect_status(r, 200, "import of two quarters");
    expect_summary(r, "imported", 2, 0, 0, 0, "import of two quarters");
    json_t *w = json_object_get(r->json, "warnings");
    int order = 0, outlier = 0;
    size_t i;
    json_t *it;
    json_array_foreach(w, i, it)
    {
        const char *code = itest_str_of(it, "code"), *ptr = itest_str_of(it, "pointer");
        if (code && ptr && strcmp(ptr, "/1/stages/reported/total") == 0) {
            order += strcmp(code, "stage-order") == 0;
            outlier += strcmp(code, "outlier") == 0;
        }
    }
    cr_assert(order == 1, "no stage-order warning at /1/stages/reported/total: %.*s", BODY(r));
    cr_assert(outlier == 1, "no outlier warning (20 -> 40) at /1/stages/reported/total: %.*s",
              BODY(r));
    http_response_free(r);
    /* ...and stored with the revision, pointing into the funnel. */
    r = get_funnel(RAPPORTEUR, "GM0175", "2021-Q2", NULL);
    expect_status(r, 200, "GET GM0175 2021-Q2");
    int stored = 0;
    json_array_foreach(json_object_get(r->json, "warnings"), i, it)
    {
        const char *ptr = itest_str_of(it, "pointer");
        stored += ptr && strcmp(ptr, "/stages/reported/total") == 0;
    }
    cr_assert_eq(stored, 2, "stored warnings: %.*s", BODY(r));
    http_response_free(r);
}
