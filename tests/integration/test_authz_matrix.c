/* The authorisation matrix (design §4; issue 9 item 6) against the "main" fixture's daemon:
 * every route of api_routes[] (iterated, so a new endpoint is covered the day it is added) × every
 * kind of caller — no token, an expired token, a revoked token, the analyst, a municipality
 * (GM0599; its own code and another's), a centrumgemeente token (GM0014+GM0034) and the rapporteur.
 *
 * And "nothing raw reaches a principal who may not see it" (design §5): the rapporteur pushes
 * small counts (1..4 in many cells) for the municipalities of safety region VR14 (Gooi en
 * Vechtstreek) in 2019-Q3; the analyst's and a foreign municipality's JSON and CSV then hold no
 * count in 1..4 and exactly the cell-key-perturbed values (recomputed here from the SDC secret),
 * the rapporteur's view holds the raw ones, refusals and headers carry no figures, and a cached
 * answer is byte-identical to the first and never the rapporteur's raw answer.
 *
 * Resources owned here: funnels/networks of GM0599, GM0014, GM0363 in 2018-Q1 (written only with
 * ?dryRun=true; DELETEs there find nothing) and funnels of VR14's municipalities (GM0376, GM0402,
 * GM0406, GM0417, GM1696; GM1942 left unsubmitted) in 2019-Q3. */
#include "harness.h"
#include "api/routes.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BODY(r) ((r)->body_len > 500 ? 500 : (int)(r)->body_len), (r)->body

/* An assertion that reports only when it fails: Criterion sends every passed cr_assert to its
 * runner too, and the loops below would send thousands (the runner of Criterion 2.4.1 then leaks
 * under LeakSanitizer when several workers report at once). */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            cr_assert_fail(__VA_ARGS__);                                                           \
    } while (0)

/* Criterion 2.4.1's runner process (libcriterion.so, criterion_run_all_tests) leaks one 48-byte
 * block now and then when this binary's tests run in parallel, and LeakSanitizer then fails the
 * whole binary although every test passed. Suppress leaks allocated inside libcriterion only (the
 * daemon and this file's own allocations stay checked). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}

static const char MATRIX_PERIOD[] = "2018-Q1";
static const char SDC_PERIOD[] = "2019-Q3";

static const char *tok(const char *key)
{
    const char *t = getenv(key);
    CHECK(t && *t, "%s is empty: tests/harness/env-up could not make it (see its output)", key);
    return t;
}

/* http_do, retried when the shared daemon answers 429 (it should not: its limits are very high). */
static struct http_response *req(const char *method, const char *path, const char *token,
                                 const char *ctype, const char *body)
{
    for (int attempt = 0;; attempt++) {
        struct http_response *r =
            http_do(method, path, token, ctype, body, body ? strlen(body) : 0, NULL);
        if (r->status != 429 || attempt >= 10)
            return r;
        http_response_free(r);
        usleep(300 * 1000);
    }
}

/* ---- the matrix ----------------------------------------------------------------------------- */

enum caller { C_NONE, C_EXPIRED, C_REVOKED, C_ANALYST, C_GM0599, C_MULTI, C_RAPPORTEUR, C_COUNT };

static const char *caller_name[] = {
    "no token",  "expired token",       "revoked token",
    "analyst",   "municipality GM0599", "municipality GM0014+GM0034",
    "rapporteur"};

static const char *caller_token(enum caller c)
{
    switch (c) {
    case C_NONE:
        return NULL;
    case C_EXPIRED:
        return tok("TOKEN_EXPIRED");
    case C_REVOKED:
        return tok("TOKEN_REVOKED");
    case C_ANALYST:
        return tok("TOKEN_ANALYST");
    case C_GM0599:
        return tok("TOKEN_GM0599");
    case C_MULTI:
        return tok("TOKEN_MULTI");
    case C_RAPPORTEUR:
        return tok("TOKEN_RAPPORTEUR");
    default:
        return NULL;
    }
}

static const char *own_code(enum caller c)
{
    return c == C_MULTI ? "GM0014" : "GM0599";
}

/* What a route is, from its method, pattern and flags (so unknown future routes get the general
 * rules of design §4). */
enum kind {
    K_PUBLIC,
    K_ME,
    K_WRITE,
    K_DELETE,
    K_SINGULAR_READ,
    K_AUDIT,
    K_AGGREGATE,
    K_RELEASE_MAKE, /* POST /v1/releases: the rapporteur (design §8) */
    K_RELEASE_READ, /* GET /v1/releases...: every authenticated caller */
};

static enum kind kind_of(const struct route *rt)
{
    if (rt->flags & ROUTE_PUBLIC)
        return K_PUBLIC;
    if (strcmp(rt->pattern, "/v1/me") == 0)
        return K_ME;
    if (strstr(rt->pattern, "audit"))
        return K_AUDIT;
    if (strncmp(rt->pattern, "/v1/releases", 12) == 0)
        return rt->method == METHOD_POST ? K_RELEASE_MAKE : K_RELEASE_READ;
    if (rt->method == METHOD_DELETE)
        return K_DELETE;
    if (rt->method == METHOD_PUT || rt->method == METHOD_POST || rt->method == METHOD_PATCH)
        return K_WRITE;
    if (strstr(rt->pattern, "{code}"))
        return K_SINGULAR_READ;
    return K_AGGREGATE;
}

/* A concrete path for a pattern: {code} → code, {period} → period, {key} → safetyRegion,
 * {file} → api.js, anything else → "x"; plus a query that makes the read endpoints valid. */
static char *concrete(const struct route *rt, const char *code, const char *period)
{
    char out[512] = "";
    size_t n = 0;
    for (const char *p = rt->pattern; *p;) {
        if (*p == '{') {
            const char *e = strchr(p, '}');
            CHECK(e, "bad pattern %s", rt->pattern);
            size_t len = (size_t)(e - p - 1);
            const char *v = "x";
            if (len == 4 && strncmp(p + 1, "code", 4) == 0)
                v = code;
            else if (len == 6 && strncmp(p + 1, "period", 6) == 0)
                v = period;
            else if (len == 3 && strncmp(p + 1, "key", 3) == 0)
                v = "safetyRegion";
            else if (len == 4 && strncmp(p + 1, "file", 4) == 0)
                v = "api.js";
            else if (len == 2 && strncmp(p + 1, "id", 2) == 0)
                v = "2018-Q1-r1";
            n += (size_t)snprintf(out + n, sizeof out - n, "%s", v);
            p = e + 1;
        } else {
            out[n++] = *p++;
            out[n] = '\0';
        }
    }
    const char *q = "";
    if (strcmp(rt->name, "comparisons.list") == 0)
        q = "?period=2018-Q1&regionSet=safetyRegion&stage=reported";
    else if (strcmp(rt->name, "auditEvents.list") == 0)
        q = "?limit=2";
    else if (kind_of(rt) == K_RELEASE_MAKE || kind_of(rt) == K_RELEASE_READ)
        q = "";
    else if (rt->method == METHOD_PUT || rt->method == METHOD_POST)
        q = "?dryRun=true";
    else if (kind_of(rt) == K_AGGREGATE)
        q = "?period=2018-Q1&regionSet=safetyRegion";
    char *path = NULL;
    CHECK(asprintf(&path, "%s%s", out, q) > 0);
    return path;
}

static char *write_body(const struct route *rt, const char *code, const char *period)
{
    char *b = NULL;
    if (strstr(rt->pattern, "/networks/"))
        b = strdup(
            "{\"partners\":{\"veiligThuis\":\"committed\"},\"prevention\":{\"problemInsight\":"
            "\"done\"}}");
    else if (strstr(rt->pattern, "/funnels/"))
        b = strdup("{\"stages\":{\"signalled\":{\"total\":9},\"reported\":{\"total\":7}}}");
    else if (strcmp(rt->pattern, "/v1/releases") == 0)
        CHECK(asprintf(&b, "{\"period\":\"%s\",\"status\":\"provisional\"}", period) > 0);
    else if (strstr(rt->pattern, "imports"))
        CHECK(asprintf(&b,
                       "[{\"municipality\":\"%s\",\"period\":\"%s\",\"stages\":{\"reported\":"
                       "{\"total\":7}}}]",
                       code, period) > 0);
    else
        b = strdup("{}");
    return b;
}

/* No refusal may carry a figure: a problem object only, with the usual members. */
static void refusal_is_clean(struct http_response *r, const char *what)
{
    CHECK(http_is_problem(r), "%s: %ld is not problem+json: %.*s", what, r->status, BODY(r));
    const char *k;
    json_t *v;
    json_object_foreach(r->json, k, v)
    {
        CHECK(strcmp(k, "type") == 0 || strcmp(k, "title") == 0 || strcmp(k, "status") == 0 ||
                  strcmp(k, "detail") == 0 || strcmp(k, "instance") == 0 ||
                  strcmp(k, "requestId") == 0 || strcmp(k, "errors") == 0 ||
                  strcmp(k, "import") == 0 /* an import's row counts, design §3.1 */,
              "%s: the %ld problem carries a member \"%s\": %.*s", what, r->status, k, BODY(r));
    }
    CHECK(strstr(r->body, "\"stages\"") == NULL && strstr(r->body, "\"total\"") == NULL &&
              strstr(r->body, "\"count\"") == NULL,
          "%s: the refusal carries figures: %.*s", what, BODY(r));
    CHECK(http_header(r, "ETag") == NULL, "%s: a refusal with an ETag (%s)", what,
          http_header(r, "ETag"));
    const char *cc = http_header(r, "Cache-Control");
    CHECK(cc && strstr(cc, "no-store"), "%s: refusal without Cache-Control: no-store", what);
}

static int cells, failures;
static char report[16384];
static size_t report_len;

static void note(const char *method, const char *path, const char *who, const char *want, long got)
{
    failures++;
    if (report_len < sizeof report - 400)
        report_len +=
            (size_t)snprintf(report + report_len, sizeof report - report_len,
                             "  %s %s as %s: expected %s, got %ld\n", method, path, who, want, got);
}

/* One cell of the matrix: checks the answer against design §4 and records a failure. */
static void check_cell(const struct route *rt, enum caller c, const char *code, bool own)
{
    char *path = concrete(rt, code, MATRIX_PERIOD);
    char *body = NULL;
    const char *ctype = NULL;
    if (rt->method == METHOD_PUT || rt->method == METHOD_POST) {
        body = write_body(rt, code, MATRIX_PERIOD);
        ctype = "application/json";
    }
    const char *mname = method_name(rt->method);
    struct http_response *r = req(mname, path, caller_token(c), ctype, body);
    long s = r->status;
    cells++;
    enum kind k = kind_of(rt);
    bool valid = c == C_ANALYST || c == C_GM0599 || c == C_MULTI || c == C_RAPPORTEUR;
    bool municipality = c == C_GM0599 || c == C_MULTI;
    const char *want = NULL; /* description of the expectation when it failed */
    if (s == 0 || s >= 500) {
        want = "an answer below 500";
    } else if (k == K_PUBLIC) {
        if (s != 200)
            want = "200 (public)";
    } else if (c == C_NONE && (rt->flags & ROUTE_TOKEN_OPTIONAL)) {
        /* open releases (design §8): without a token, the protected view of open releases */
        if (s != 200)
            want = "200 (open releases, no token)";
        else
            CHECK(strstr(r->body, "\"protected\":false") == NULL,
                  "%s %s without a token shows raw figures: %.*s", mname, path, BODY(r));
    } else if (!valid) {
        if (s != 401)
            want = "401";
        else {
            refusal_is_clean(r, path);
            CHECK(http_header(r, "WWW-Authenticate"), "%s %s: 401 without WWW-Authenticate", mname,
                  path);
        }
    } else {
        bool allowed;
        switch (k) {
        case K_ME:
        case K_AGGREGATE:
        case K_RELEASE_READ:
            allowed = true;
            break;
        case K_AUDIT:
        case K_DELETE:
        case K_RELEASE_MAKE:
            allowed = c == C_RAPPORTEUR;
            break;
        case K_WRITE:
        case K_SINGULAR_READ:
            allowed = c == C_RAPPORTEUR || (municipality && own);
            break;
        default:
            allowed = false;
        }
        if (!allowed) {
            if (s != 403)
                want = "403";
            else
                refusal_is_clean(r, path);
        } else if (k == K_ME || k == K_AGGREGATE || k == K_AUDIT) {
            if (s != 200)
                want = "200";
        } else if (k == K_RELEASE_MAKE) {
            if (s != 201)
                want = "201 (the rapporteur makes a release)";
        } else if (k == K_SINGULAR_READ || k == K_DELETE || k == K_RELEASE_READ) {
            if (!((s >= 200 && s < 300) || s == 404))
                want = "2xx or 404 (allowed)";
        } else if (k == K_WRITE) {
            if (!((s >= 200 && s < 300) || s == 400 || s == 404 || s == 409 || s == 412))
                want = "2xx or a validation status (allowed: never 401/403)";
        }
    }
    if (want)
        note(mname, path, caller_name[c], want, s);
    http_response_free(r);
    free(path);
    free(body);
}

Test(authz, every_route_by_every_caller, .timeout = 120)
{
    cr_assert(api_route_count >= 20, "the route table looks empty");
    report_len = 0;
    report[0] = '\0';
    for (size_t i = 0; i < api_route_count; i++) {
        const struct route *rt = &api_routes[i];
        bool has_code = strstr(rt->pattern, "{code}") != NULL;
        for (int c = 0; c < C_COUNT; c++) {
            if (has_code && (c == C_GM0599 || c == C_MULTI)) {
                check_cell(rt, (enum caller)c, own_code((enum caller)c), true);
                check_cell(rt, (enum caller)c, "GM0363", false);
            } else if (rt->method == METHOD_POST && (c == C_GM0599 || c == C_MULTI)) {
                /* an import names its municipalities in the body */
                check_cell(rt, (enum caller)c, own_code((enum caller)c), true);
                check_cell(rt, (enum caller)c, "GM0363", false);
            } else {
                check_cell(rt, (enum caller)c, "GM0599", false);
            }
        }
    }
    fprintf(stderr, "figures: authz matrix: %zu routes, %d requests, %d outside design §4\n",
            api_route_count, cells, failures);
    CHECK(failures == 0, "%d of %d matrix cells differ from design section 4:\n%s", failures, cells,
          report);
}

/* Methods a route does not have get 405 with Allow, authenticated or not, and reach no handler. */
Test(authz, unlisted_methods_are_405, .timeout = 60)
{
    static const char *const methods[] = {"PATCH", "OPTIONS", "TRACE", "PROPFIND"};
    int n = 0;
    for (size_t i = 0; i < api_route_count; i++) {
        const struct route *rt = &api_routes[i];
        if (rt->method != METHOD_GET)
            continue;
        char *path = concrete(rt, "GM0599", MATRIX_PERIOD);
        for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
            struct http_response *r = req(methods[m], path, tok("TOKEN_RAPPORTEUR"), NULL, NULL);
            CHECK(r->status == 405, "%s %s: %ld", methods[m], path, r->status);
            CHECK(http_header(r, "Allow"), "%s %s: 405 without Allow", methods[m], path);
            http_response_free(r);
            n++;
        }
        free(path);
    }
    fprintf(stderr, "figures: authz: %d requests with unlisted methods, all 405\n", n);
}

/* ---- nothing raw reaches a protected caller ------------------------------------------------- */

struct muni {
    const char *code;
    int signalled, girl, boy, unknown, reported; /* -1: stage not given */
};

/* VR14's municipalities (GM1942 does not submit). */
static const struct muni vr14[] = {
    {"GM0376", 3, 2, 1, 0, 1}, {"GM0402", 4, 3, 0, 1, 2}, {"GM0406", 12, 8, 4, 0, 2},
    {"GM0417", 1, 0, 1, 0, 1}, {"GM1696", 2, 2, 0, 0, 0},
};
enum { NMUNI = sizeof vr14 / sizeof vr14[0] };

static char *secret;
static size_t secret_len;

static void load_secret(void)
{
    FILE *f = fopen(itest_env("TRECHTER_SECRET_FILE"), "rb");
    cr_assert(f, "cannot read TRECHTER_SECRET_FILE");
    secret = calloc(1, 4096);
    size_t n = fread(secret, 1, 4095, f);
    fclose(f);
    if (n && secret[n - 1] == '\n')
        n--;
    if (n && secret[n - 1] == '\r')
        n--;
    secret_len = n;
}

/* design §5.1: the first 4 bytes, big-endian, of HMAC-SHA256(secret,
 * "code|period|stage|dim|cat|n"). */
static uint32_t cell_key(const char *code, const char *stage, const char *dim, const char *cat,
                         int n)
{
    if (n == 0)
        return 0;
    char text[200];
    snprintf(text, sizeof text, "%s|%s|%s|%s|%s|%d", code, SDC_PERIOD, stage, dim, cat, n);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    cr_assert(
        HMAC(EVP_sha256(), secret, (int)secret_len, (unsigned char *)text, strlen(text), md, &len));
    return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
}

/* design §5.3 with js = 4, D = 2. */
static long published(long n, uint32_t k)
{
    const uint64_t two32 = 1ull << 32;
    if (n == 0)
        return 0;
    if (n <= 4)
        return (uint64_t)k * 5 < (uint64_t)n * two32 ? 5 : 0;
    long d = n - 5 < 2 ? n - 5 : 2;
    return n + (long)(((uint64_t)k * (uint64_t)(2 * d + 1)) >> 32) - d;
}

/* Raw value and key of one cell summed over municipalities[from..to). */
static void cell_sum(size_t from, size_t to, const char *stage, const char *cat, long *n,
                     uint32_t *k)
{
    *n = 0;
    *k = 0;
    for (size_t i = from; i < to; i++) {
        const struct muni *m = &vr14[i];
        int v;
        const char *dim = cat ? "gender" : "total";
        if (strcmp(stage, "signalled") == 0)
            v = !cat                          ? m->signalled
                : strcmp(cat, "girl") == 0    ? m->girl
                : strcmp(cat, "boy") == 0     ? m->boy
                : strcmp(cat, "unknown") == 0 ? m->unknown
                                              : 0;
        else
            v = m->reported;
        *n += v;
        *k += cell_key(m->code, stage, dim, cat ? cat : "", v);
    }
}

static void push_vr14(void)
{
    for (size_t i = 0; i < NMUNI; i++) {
        const struct muni *m = &vr14[i];
        char body[400], path[128];
        char gender[200] = "";
        size_t g = 0;
        if (m->girl)
            g += (size_t)snprintf(gender + g, sizeof gender - g, "%s\"girl\":%d", g ? "," : "",
                                  m->girl);
        if (m->boy)
            g += (size_t)snprintf(gender + g, sizeof gender - g, "%s\"boy\":%d", g ? "," : "",
                                  m->boy);
        if (m->unknown)
            g += (size_t)snprintf(gender + g, sizeof gender - g, "%s\"unknown\":%d", g ? "," : "",
                                  m->unknown);
        snprintf(body, sizeof body,
                 "{\"stages\":{\"signalled\":{\"total\":%d,\"breakdowns\":{\"gender\":{%s}}},"
                 "\"reported\":{\"total\":%d}}}",
                 m->signalled, gender, m->reported);
        snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", m->code, SDC_PERIOD);
        struct http_response *r =
            req("PUT", path, tok("TOKEN_RAPPORTEUR"), "application/json", body);
        cr_assert(r->status == 201 || r->status == 200, "PUT %s: %ld %.*s", path, r->status,
                  BODY(r));
        http_response_free(r);
    }
    /* Protected callers read releases (design §8): release what was just written. */
    itest_make_release(SDC_PERIOD, NULL, 0);
}

/* Every "count" (and "value") member anywhere in a document: none may lie in 1..4. */
static int small_counts(json_t *j, const char **where)
{
    int bad = 0;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
        {
            if ((strcmp(k, "count") == 0 || strcmp(k, "value") == 0) && json_is_number(v)) {
                double x = json_number_value(v);
                if (x >= 1 && x <= 4) {
                    bad++;
                    *where = k;
                }
            } else {
                bad += small_counts(v, where);
            }
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) bad += small_counts(v, where);
    }
    return bad;
}

/* Derived figures are shown only from published values of at least rateMin (10) (§5.4). */
static int rates_below_rate_min(json_t *j)
{
    int bad = 0;
    if (json_is_object(j)) {
        json_t *count = json_object_get(j, "count");
        json_t *per10k = json_object_get(j, "per10k");
        if (json_is_integer(count) && json_integer_value(count) < 10 && per10k &&
            !json_is_null(per10k))
            bad++;
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) bad += rates_below_rate_min(v);
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) bad += rates_below_rate_min(v);
    }
    return bad;
}

static json_t *row_for(json_t *doc, const char *region)
{
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(doc, "rows"), i, row)
    {
        const char *code =
            json_string_value(json_object_get(json_object_get(row, "region"), "code"));
        if (code && strcmp(code, region) == 0)
            return row;
    }
    return NULL;
}

static long count_in(json_t *row, const char *stage, const char *cat)
{
    json_t *s = json_object_get(json_object_get(row, "stages"), stage);
    if (cat)
        s = json_object_get(json_object_get(s, "breakdown"), cat);
    json_t *c = json_object_get(s, "count");
    CHECK(json_is_integer(c), "no integer count for %s/%s in %s", stage, cat ? cat : "total",
          json_dumps(row, JSON_COMPACT));
    return (long)json_integer_value(c);
}

/* Compares a document's VR14 (or single municipality) row with the raw or published values. */
static int compare_row(json_t *row, size_t from, size_t to, bool raw, const char *who,
                       const char *region, int *differing)
{
    static const char *const cats[] = {NULL, "girl", "boy", "unknown"};
    int cells_checked = 0;
    for (int s = 0; s < 2; s++) {
        const char *stage = s ? "reported" : "signalled";
        for (size_t c = 0; c < (s ? 1 : 4); c++) {
            long n;
            uint32_t k;
            cell_sum(from, to, stage, cats[c], &n, &k);
            long want = raw ? n : published(n, k);
            long got = count_in(row, stage, cats[c]);
            CHECK(got == want, "%s, %s %s/%s: expected %s %ld (raw %ld), got %ld", who, region,
                  stage, cats[c] ? cats[c] : "total", raw ? "raw" : "published", want, n, got);
            if (!raw && want != n)
                (*differing)++;
            cells_checked++;
        }
    }
    return cells_checked;
}

/* CSV: every count in the count column is outside 1..4 for a protected caller; returns lines. */
static int csv_counts_ok(const char *csv, bool protected, const char *who)
{
    const char *nl = strchr(csv, '\n');
    CHECK(nl, "%s: CSV without a header line", who);
    char header[1024];
    snprintf(header, sizeof header, "%.*s", (int)(nl - csv), csv);
    int col = -1, i = 0;
    for (char *save, *f = strtok_r(header, ",\r", &save); f; f = strtok_r(NULL, ",\r", &save), i++)
        if (strcmp(f, "count") == 0)
            col = i;
    CHECK(col >= 0, "%s: CSV header has no count column: %s", who, header);
    int lines = 0;
    for (const char *line = nl + 1; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        /* split on ',' (names here carry no commas or quotes) */
        int field = 0;
        const char *f = line;
        for (size_t p = 0; p <= len; p++) {
            if (p == len || line[p] == ',') {
                if (field == col && protected) {
                    long v = (f < line + p) ? strtol(f, NULL, 10) : 0;
                    CHECK(!(v >= 1 && v <= 4), "%s: CSV count %ld in 1..4: %.*s", who, v, (int)len,
                          line);
                }
                field++;
                f = line + p + 1;
            }
        }
        lines++;
        if (!end)
            break;
        line = end + 1;
    }
    return lines;
}

/* Headers of an aggregate answer: caller-dependent, so no-store; nothing beyond the usual set. */
static void headers_clean(struct http_response *r, const char *who)
{
    const char *cc = http_header(r, "Cache-Control");
    CHECK(cc && strstr(cc, "no-store"), "%s: an aggregate without Cache-Control: no-store (%s)",
          who, cc ? cc : "none");
    static const char *const allowed[] = {"API-Version",
                                          "X-Request-Id",
                                          "Strict-Transport-Security",
                                          "X-Content-Type-Options",
                                          "Content-Type",
                                          "Cache-Control",
                                          "Date",
                                          "Content-Length",
                                          "Content-Disposition",
                                          "Connection",
                                          "Vary",
                                          NULL};
    for (const char *line = strchr(r->headers, '\n'); line && line[1];) {
        line++;
        const char *colon = strchr(line, ':');
        const char *end = strchr(line, '\n');
        if (!colon || (end && colon > end))
            break;
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok |= strlen(*a) == (size_t)(colon - line) && strncasecmp(line, *a, colon - line) == 0;
        CHECK(ok, "%s: unexpected header on an aggregate answer: %.*s", who,
              (int)(end ? end - line : 80), line);
        line = end;
    }
}

static struct http_response *timed_get(const char *path, const char *token, double *ms)
{
    double t0 = itest_now_s();
    struct http_response *r = req("GET", path, token, NULL, NULL);
    *ms = (itest_now_s() - t0) * 1000;
    return r;
}

Test(authz, nothing_raw_reaches_protected_callers, .timeout = 120)
{
    load_secret();
    push_vr14();
    char region_path[200], munis_path[300], csv_path[260];
    snprintf(region_path, sizeof region_path,
             "/v1/funnels?period=%s&regionSet=safetyRegion&region=VR14&breakdown=gender",
             SDC_PERIOD);
    snprintf(munis_path, sizeof munis_path,
             "/v1/funnels?period=%s&regionSet=municipality&region=GM0376,GM0402,GM0406,GM0417,"
             "GM1696&breakdown=gender",
             SDC_PERIOD);
    snprintf(csv_path, sizeof csv_path, "%s&format=csv", region_path);

    /* The rapporteur reads raw (and so fills the raw cache first). */
    struct http_response *raw = req("GET", region_path, tok("TOKEN_RAPPORTEUR"), NULL, NULL);
    cr_assert_eq(raw->status, 200, "rapporteur: %ld %.*s", raw->status, BODY(raw));
    int differing = 0;
    json_t *row = row_for(raw->json, "VR14");
    cr_assert(row, "rapporteur: no VR14 row");
    cr_assert(json_is_false(json_object_get(row, "protected")),
              "the rapporteur's row is protected");
    compare_row(row, 0, NMUNI, true, "rapporteur", "VR14", &differing);
    struct http_response *raw_csv = req("GET", csv_path, tok("TOKEN_RAPPORTEUR"), NULL, NULL);
    cr_assert_eq(raw_csv->status, 200);

    int checked = 0, csv_lines = 0;
    double miss_ms = 0, hit_ms = 0;
    struct {
        const char *who, *key;
    } callers[] = {{"analyst", "TOKEN_ANALYST"},
                   {"GM0599 (foreign)", "TOKEN_GM0599"},
                   {"GM0014+GM0034 (foreign)", "TOKEN_MULTI"}};
    for (size_t c = 0; c < sizeof callers / sizeof *callers; c++) {
        const char *who = callers[c].who, *t = tok(callers[c].key);
        double ms1, ms2;
        struct http_response *a1 = timed_get(region_path, t, &ms1);
        cr_assert_eq(a1->status, 200, "%s: %ld %.*s", who, a1->status, BODY(a1));
        const char *where = NULL;
        cr_assert_eq(small_counts(a1->json, &where), 0,
                     "%s: a count in 1..4 reached a protected "
                     "caller: %.*s",
                     who, BODY(a1));
        cr_assert_eq(rates_below_rate_min(a1->json), 0, "%s: a rate from a count below rateMin",
                     who);
        row = row_for(a1->json, "VR14");
        cr_assert(row && json_is_true(json_object_get(row, "protected")), "%s: row not protected",
                  who);
        checked += compare_row(row, 0, NMUNI, false, who, "VR14", &differing);
        headers_clean(a1, who);
        cr_assert(strcmp(a1->body, raw->body) != 0, "%s got the rapporteur's raw answer", who);

        /* The second call (a cache hit when nothing changed) is the same bytes. */
        struct http_response *a2 = timed_get(region_path, t, &ms2);
        cr_assert_eq(a2->status, 200);
        cr_assert(a2->body_len == a1->body_len && memcmp(a1->body, a2->body, a1->body_len) == 0,
                  "%s: the second answer differs from the first:\n%.*s\n---\n%.*s", who, BODY(a1),
                  BODY(a2));
        cr_assert(strcmp(a2->body, raw->body) != 0, "%s: the cached answer is the raw one", who);
        headers_clean(a2, who);
        if (c == 0) {
            miss_ms = ms1;
            hit_ms = ms2;
        }

        /* Per municipality: each one's own cells, perturbed. */
        struct http_response *m = req("GET", munis_path, t, NULL, NULL);
        cr_assert_eq(m->status, 200, "%s: %ld", who, m->status);
        cr_assert_eq(small_counts(m->json, &where), 0, "%s: a municipality count in 1..4: %.*s",
                     who, BODY(m));
        for (size_t i = 0; i < NMUNI; i++) {
            json_t *mr = row_for(m->json, vr14[i].code);
            cr_assert(mr, "%s: no row for %s", who, vr14[i].code);
            checked += compare_row(mr, i, i + 1, false, who, vr14[i].code, &differing);
        }
        http_response_free(m);

        /* CSV, both profiles. */
        struct http_response *csv = req("GET", csv_path, t, NULL, NULL);
        cr_assert_eq(csv->status, 200);
        csv_lines += csv_counts_ok(csv->body, true, who);
        cr_assert(strcmp(csv->body, raw_csv->body) != 0, "%s: CSV equals the raw CSV", who);
        http_response_free(csv);
        char xl[300];
        snprintf(xl, sizeof xl, "%s&delimiter=semicolon", csv_path);
        csv = req("GET", xl, t, NULL, NULL);
        cr_assert_eq(csv->status, 200);
        for (char *p = csv->body; *p; p++) /* same parser: semicolons to commas */
            if (*p == ';')
                *p = ',';
        csv_lines += csv_counts_ok(csv->body[0] == '\xef' ? csv->body + 3 : csv->body, true, who);
        http_response_free(csv);

        /* Comparisons on counts: no value in 1..4 either (national included). */
        char cmp[200];
        snprintf(cmp, sizeof cmp,
                 "/v1/comparisons?period=%s&regionSet=municipality&stage=signalled&metric=count",
                 SDC_PERIOD);
        struct http_response *cr = req("GET", cmp, t, NULL, NULL);
        cr_assert_eq(cr->status, 200, "%s comparisons: %ld %.*s", who, cr->status, BODY(cr));
        cr_assert_eq(small_counts(cr->json, &where), 0, "%s: a comparison value in 1..4: %.*s", who,
                     BODY(cr));
        http_response_free(cr);

        /* The raw singular resources and their history stay closed, and say nothing. */
        static const char *const suffixes[] = {"", "/revisions", "?revision=1"};
        for (size_t s = 0; s < 3; s++) {
            char p[160];
            snprintf(p, sizeof p, "/v1/municipalities/GM0376/funnels/%s%s", SDC_PERIOD,
                     suffixes[s]);
            struct http_response *f = req("GET", p, t, NULL, NULL);
            cr_assert_eq(f->status, 403, "%s GET %s: %ld %.*s", who, p, f->status, BODY(f));
            refusal_is_clean(f, p);
            http_response_free(f);
        }
        http_response_free(a1);
        http_response_free(a2);
    }
    /* The raw answer was not disturbed by the protected ones either. */
    struct http_response *raw2 = req("GET", region_path, tok("TOKEN_RAPPORTEUR"), NULL, NULL);
    cr_assert(raw2->body_len == raw->body_len && memcmp(raw2->body, raw->body, raw->body_len) == 0,
              "the rapporteur's second answer differs");
    http_response_free(raw2);
    cr_assert(differing > 0, "published equals raw in every cell: no perturbation visible");

    /* Latency of a miss vs a hit, median of five hits (reported, not asserted). */
    double hits[5];
    for (int i = 0; i < 5; i++) {
        struct http_response *h = timed_get(region_path, tok("TOKEN_ANALYST"), &hits[i]);
        cr_assert_eq(h->status, 200);
        http_response_free(h);
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (hits[j] < hits[i]) {
                double x = hits[i];
                hits[i] = hits[j];
                hits[j] = x;
            }
    fprintf(stderr,
            "figures: sdc: %d protected cells compared with the recomputed perturbation (%d differ "
            "from raw), %d CSV lines checked; analyst first call %.1f ms, second %.1f ms, median "
            "of 5 more %.1f ms\n",
            checked, differing, csv_lines, miss_ms, hit_ms, hits[2]);
    http_response_free(raw);
    http_response_free(raw_csv);
    free(secret);
}

/* A municipality reads its own rows raw, everyone else's protected (design §4). */
Test(authz, a_municipality_sees_only_its_own_raw, .timeout = 60)
{
    load_secret();
    push_vr14();
    /* A token holding GM0376 does not exist in the fixture; GM0599 holds GM0599, which is not in
     * VR14: its regionSet=municipality view of GM0599 itself is unprotected, VR14's protected. */
    char path[200];
    snprintf(path, sizeof path,
             "/v1/funnels?period=%s&regionSet=municipality&region=GM0599,GM0376"
             "&breakdown=gender",
             SDC_PERIOD);
    struct http_response *r = req("GET", path, tok("TOKEN_GM0599"), NULL, NULL);
    cr_assert_eq(r->status, 200, "%ld %.*s", r->status, BODY(r));
    json_t *own = row_for(r->json, "GM0599"), *other = row_for(r->json, "GM0376");
    cr_assert(own && other);
    cr_assert(json_is_true(json_object_get(other, "protected")), "GM0376's row is not protected "
                                                                 "for GM0599");
    int differing = 0;
    compare_row(other, 0, 1, false, "GM0599", "GM0376", &differing);
    http_response_free(r);
    free(secret);
}
