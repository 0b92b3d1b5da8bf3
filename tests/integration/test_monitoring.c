/* Black-box tests of regional monitoring (design §1.6, §3.2, §3.3, §4, §5; issue 4):
 * /v1/funnels, /v1/comparisons and /v1/completeness against the daemon and database of CTest
 * fixture "main".
 *
 * Other test binaries write figures into the same database at the same time, so this file owns
 * the periods 2015-Q1..2015-Q4 (nobody else writes there) and computes every expectation over the
 * municipalities it pushed itself: every member of safety regions VR01 (Groningen, 10) and VR25
 * (Flevoland, 6) except GM1966 and GM0995, for 2015-Q1 (the "base" data, pushed idempotently by
 * every test that needs it, so tests can run in any order and in parallel). 2015-Q2 belongs to the
 * cache test, 2015-Q4 stays empty. Child populations for 2015 are inserted with libpq. Protected
 * values are checked exactly: the test reads the daemon's SDC secret (TRECHTER_SECRET_FILE),
 * computes each inner cell's key with cell_key() and publishes the sums with sdc_publish().
 *
 * The herindeling test changes municipalities, lineage and memberships; to leave the shared
 * database alone (other tests count 342 municipalities) it makes its own database and daemon. */
#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cell_key.h"

#define BODY(r) ((r)->body_len > 1500 ? 1500 : (int)(r)->body_len), (r)->body

/* ---- helpers ------------------------------------------------------------------------------- */

static const char *token(const char *key)
{
    const char *t = getenv(key);
    cr_assert(t != NULL && *t != '\0', "%s is empty (see tests/harness/env-up's output)", key);
    return t;
}
#define RAPPORTEUR token("TOKEN_RAPPORTEUR")
#define ANALYST token("TOKEN_ANALYST")
#define MULTI token("TOKEN_MULTI")

/* http_do, retried when the shared daemon rate-limits a shared token (429). */
static struct http_response *req(const char *method, const char *path, const char *tok,
                                 const char *ctype, const char *body, const char *const *hdrs)
{
    for (int attempt = 0;; attempt++) {
        struct http_response *r =
            http_do(method, path, tok, ctype, body, body ? strlen(body) : 0, hdrs);
        if (r->status != 429 || attempt >= 30)
            return r;
        http_response_free(r);
        usleep(300 * 1000);
    }
}

static struct http_response *get(const char *path, const char *tok)
{
    return req("GET", path, tok, NULL, NULL, NULL);
}

static void expect_status(struct http_response *r, long status, const char *what)
{
    cr_assert_eq(r->status, status, "%s: expected HTTP %ld, got %ld (curl %d); body: %.*s", what,
                 status, r->status, r->curl_code, BODY(r));
}

static void expect_problem(struct http_response *r, long status, const char *what)
{
    expect_status(r, status, what);
    cr_assert(http_is_problem(r), "%s: not a problem+json: %.*s", what, BODY(r));
}

/* A 400 whose errors hold {in: query, name, code}. */
static void expect_query_error(struct http_response *r, const char *name, const char *code,
                               const char *what)
{
    expect_problem(r, 400, what);
    json_t *errors = json_object_get(r->json, "errors");
    cr_assert(json_is_array(errors) && json_array_size(errors) > 0, "%s: no errors: %.*s", what,
              BODY(r));
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        const char *in = json_string_value(json_object_get(e, "in"));
        const char *n = json_string_value(json_object_get(e, "name"));
        const char *c = json_string_value(json_object_get(e, "code"));
        if (in && n && c && strcmp(in, "query") == 0 && strcmp(n, name) == 0 &&
            (code == NULL || strcmp(c, code) == 0))
            return;
    }
    cr_assert_fail("%s: no error {in: query, name: %s, code: %s} in %.*s", what, name,
                   code ? code : "*", BODY(r));
}

static PGconn *db(void)
{
    PGconn *c = PQconnectdb(itest_env("TRECHTER_DB"));
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static void sql_ok(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(res);
}

/* Drops every cached answer of the daemon (what a write does), so the next read is computed. */
static void notify_changes(void)
{
    PGconn *c = db();
    sql_ok(c, "NOTIFY trechter_changes, 'test_monitoring'");
    PQfinish(c);
    usleep(300 * 1000);
}

/* The SDC secret of the shared daemon: the file with one trailing LF or CRLF removed. */
static size_t read_secret(unsigned char *buf, size_t cap)
{
    FILE *f = fopen(itest_env("TRECHTER_SECRET_FILE"), "rb");
    cr_assert_not_null(f, "cannot open TRECHTER_SECRET_FILE");
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    if (n && buf[n - 1] == '\n')
        n--;
    if (n && buf[n - 1] == '\r')
        n--;
    cr_assert_geq(n, 32);
    return n;
}

/* ---- the base data --------------------------------------------------------------------------- */

enum { OCCURRED, DISCLOSED, SIGNALLED, REPORTED, INVESTIGATED, HELPED, NSTAGES };
static const char *const STAGE[NSTAGES] = {"occurred", "disclosed",    "signalled",
                                           "reported", "investigated", "helped"};

struct muni {
    const char *code;
    int region; /* 0 = VR01, 1 = VR25 */
    bool pushed;
    int total[NSTAGES]; /* -1: not given */
    int sig_gender[4];  /* girl, boy, other, unknown */
    int rep_gender[4];
    int rep_age[5]; /* 0-5, 6-11, 12-15, 16-17, unknown */
    int care[4];    /* ambulatory, residential, secure, unknown */
    int population; /* children 0-17 in 2015 */
};

static const char *const REGION[2] = {"VR01", "VR25"};
static const char *const GENDER[4] = {"girl", "boy", "other", "unknown"};
static const char *const AGE[5] = {"0-5", "6-11", "12-15", "16-17", "unknown"};
static const char *const CARE[4] = {"ambulatory", "residential", "secure", "unknown"};

/* The members of VR01 and VR25 in the 2023 classification (checked against
 * /v1/region-sets/safetyRegion/regions by the tests). GM1966 and GM0995 never submit. */
static const char *const VR01[] = {"GM0014", "GM0037", "GM0047", "GM0765", "GM1895",
                                   "GM1950", "GM1952", "GM1966", "GM1969", "GM1979"};
static const char *const VR25[] = {"GM0034", "GM0050", "GM0171", "GM0184", "GM0303", "GM0995"};
enum { NMUNI = 16 };
static struct muni M[NMUNI];

static void make_base(void)
{
    for (int i = 0; i < NMUNI; i++) {
        struct muni *m = &M[i];
        memset(m, 0, sizeof *m);
        m->region = i < 10 ? 0 : 1;
        m->code = i < 10 ? VR01[i] : VR25[i - 10];
        m->pushed = strcmp(m->code, "GM1966") != 0 && strcmp(m->code, "GM0995") != 0;
        m->population = 3000 + 1117 * i;
        m->total[OCCURRED] = -1; /* nobody gives it: notKnown */
        m->total[DISCLOSED] = i % 3 ? 20 + 7 * i : -1;
        int s = 12 + 5 * i;
        m->total[SIGNALLED] = s;
        m->sig_gender[0] = s * 6 / 10;
        m->sig_gender[1] = s - s * 6 / 10 - 1;
        m->sig_gender[3] = 1;
        int r = i < 3 ? i + 1 : 4 + 3 * i; /* small counts 1..3 in VR01 */
        m->total[REPORTED] = r;
        m->rep_gender[0] = r / 2;
        m->rep_gender[1] = r - r / 2;
        m->rep_age[2] = r / 3;
        m->rep_age[3] = r - r / 3;
        m->total[INVESTIGATED] = m->region == 1 ? 0 : (i % 2 == 0 ? 2 : 9 + i); /* VR25: zero */
        int h = i % 5 == 4 ? -1 : 1 + i % 4;
        m->total[HELPED] = h;
        if (h >= 0) {
            m->care[0] = h - 1;
            m->care[2] = 1;
        }
    }
}

static json_t *counts_object(const char *const *names, const int *counts, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        if (counts[i]) /* a category left out counts 0 */
            json_object_set_new(o, names[i], json_integer(counts[i]));
    return o;
}

static json_t *funnel_of(const struct muni *m)
{
    json_t *stages = json_object();
    for (int s = 0; s < NSTAGES; s++) {
        if (m->total[s] < 0)
            continue;
        json_t *st = json_pack("{s:i}", "total", m->total[s]);
        json_t *bd = json_object();
        if (s == SIGNALLED)
            json_object_set_new(bd, "gender", counts_object(GENDER, m->sig_gender, 4));
        if (s == REPORTED) {
            json_object_set_new(bd, "gender", counts_object(GENDER, m->rep_gender, 4));
            json_object_set_new(bd, "ageBand", counts_object(AGE, m->rep_age, 5));
        }
        if (s == HELPED)
            json_object_set_new(bd, "care", counts_object(CARE, m->care, 4));
        if (json_object_size(bd))
            json_object_set_new(st, "breakdowns", bd);
        else
            json_decref(bd);
        json_object_set_new(stages, STAGE[s], st);
    }
    return stages;
}

/* Populations for 2015 of the 16 municipalities (inserted once; a NOTIFY drops cached answers
 * computed without them). */
static void ensure_populations(void)
{
    PGconn *c = db();
    char sql[4096];
    size_t o = (size_t)snprintf(sql, sizeof sql,
                                "INSERT INTO populations (municipality_code, year, "
                                "population_0_17) VALUES ");
    for (int i = 0; i < NMUNI; i++)
        o += (size_t)snprintf(sql + o, sizeof sql - o, "%s('%s', 2015, %d)", i ? "," : "",
                              M[i].code, M[i].population);
    snprintf(sql + o, sizeof sql - o, " ON CONFLICT DO NOTHING");
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    bool inserted = atoi(PQcmdTuples(res)) > 0;
    PQclear(res);
    if (inserted)
        sql_ok(c, "NOTIFY trechter_changes, 'test_monitoring populations'");
    PQfinish(c);
}

/* Makes a release of `period` unless one exists. */
static void ensure_release(const char *period)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/releases?period=%s", period);
    struct http_response *r = get(path, RAPPORTEUR);
    expect_status(r, 200, path);
    bool exists = json_array_size(json_object_get(r->json, "releases")) > 0;
    http_response_free(r);
    if (!exists)
        itest_make_release(period, NULL, 0);
}

/* Pushes the base data for 2015-Q1 with one JSON import (unchanged when already there). */
static void ensure_base(void)
{
    make_base();
    ensure_populations();
    json_t *items = json_array();
    for (int i = 0; i < NMUNI; i++)
        if (M[i].pushed)
            json_array_append_new(items,
                                  json_pack("{s:s, s:s, s:o}", "municipality", M[i].code, "period",
                                            "2015-Q1", "stages", funnel_of(&M[i])));
    char *body = json_dumps(items, JSON_COMPACT);
    json_decref(items);
    struct http_response *r = NULL;
    for (int attempt = 0; attempt < 10; attempt++) {
        r = req("POST", "/v1/imports", RAPPORTEUR, "application/json", body, NULL);
        if (r->status == 200 || r->status == 201)
            break;
        /* Parallel tests import the same array at once: a conflict is retried. */
        http_response_free(r);
        r = NULL;
        usleep(200 * 1000);
    }
    cr_assert_not_null(r, "the base import never succeeded");
    const char *st = json_string_value(json_object_get(r->json, "status"));
    cr_assert(st && strcmp(st, "imported") == 0, "base import: %.*s", BODY(r));
    http_response_free(r);
    free(body);
    /* Protected readers read releases (design §8): one of each quarter the tests read protected,
     * made after the base. Any release of these quarters was made after some test's import of
     * the base had been answered, so it holds the whole base: one is enough (a release costs
     * seconds of the database's time, and twelve tests at once would starve the daemon). */
    ensure_release("2015-Q1");
    ensure_release("2015-Q4");
}

/* ---- expectations ---------------------------------------------------------------------------- */

/* A raw sum over the pushed members of a region (region -1: both) of one stage's total (dim NULL)
 * or one category, with the summed key, the number of municipalities that gave it and their
 * population. */
struct expect {
    long long n;
    uint32_t k;
    int reporting;
    long long population;
};

static int category_count(const struct muni *m, int stage, const char *dim, int cat)
{
    if (strcmp(dim, "gender") == 0)
        return stage == SIGNALLED ? m->sig_gender[cat] : m->rep_gender[cat];
    if (strcmp(dim, "ageBand") == 0)
        return m->rep_age[cat];
    return m->care[cat];
}

static bool gives_dimension(int stage, const char *dim)
{
    if (strcmp(dim, "gender") == 0)
        return stage == SIGNALLED || stage == REPORTED;
    if (strcmp(dim, "ageBand") == 0)
        return stage == REPORTED;
    return strcmp(dim, "care") == 0 && stage == HELPED;
}

static const char *const *categories_of(const char *dim, size_t *n)
{
    if (strcmp(dim, "gender") == 0)
        return *n = 4, GENDER;
    if (strcmp(dim, "ageBand") == 0)
        return *n = 5, AGE;
    return *n = 4, CARE;
}

static struct expect expect_of(const unsigned char *secret, size_t slen, int region, int stage,
                               const char *dim, int cat, const char *only_code)
{
    struct expect e = {0, 0, 0, 0};
    for (int i = 0; i < NMUNI; i++) {
        const struct muni *m = &M[i];
        if (!m->pushed || (region >= 0 && m->region != region) || m->total[stage] < 0)
            continue;
        if (only_code && strcmp(only_code, m->code) != 0)
            continue;
        int n;
        uint32_t k;
        if (!dim) {
            n = m->total[stage];
            k = secret ? cell_key(secret, slen, m->code, "2015-Q1", STAGE[stage], "total", "", n)
                       : 0;
        } else {
            if (!gives_dimension(stage, dim))
                continue;
            size_t nc;
            const char *const *cats = categories_of(dim, &nc);
            n = category_count(m, stage, dim, cat);
            k = secret ? cell_key(secret, slen, m->code, "2015-Q1", STAGE[stage], dim, cats[cat], n)
                       : 0;
        }
        e.n += n;
        e.k = cell_key_sum(e.k, k);
        e.reporting++;
        e.population += m->population;
    }
    return e;
}

/* ---- reading answers ------------------------------------------------------------------------- */

static json_t *row_of(json_t *body, const char *code)
{
    return itest_row_of(body, code);
}

static json_t *fig_of(json_t *row, int stage, const char *category)
{
    json_t *f = json_object_get(json_object_get(row, "stages"), STAGE[stage]);
    cr_assert(json_is_object(f), "row without stage %s", STAGE[stage]);
    if (category) {
        f = json_object_get(json_object_get(f, "breakdown"), category);
        cr_assert(json_is_object(f), "stage %s without category %s", STAGE[stage], category);
    }
    return f;
}

static const char *state_of(json_t *fig)
{
    const char *s = json_string_value(json_object_get(fig, "state"));
    return s ? s : "(none)";
}

static long long count_of(json_t *fig)
{
    json_t *c = json_object_get(fig, "count");
    cr_assert(json_is_integer(c), "count is not an integer (state %s)", state_of(fig));
    return json_integer_value(c);
}

static struct http_response *funnels(const char *query, const char *tok)
{
    char path[512];
    snprintf(path, sizeof path, "/v1/funnels?%s", query);
    struct http_response *r = get(path, tok);
    expect_status(r, 200, path);
    cr_assert(json_is_object(r->json), "%s: not JSON: %.*s", path, BODY(r));
    return r;
}

/* The members of a safety region from the reference endpoint, as one space-separated string. */
static void members_of(const char *region, char *out, size_t cap)
{
    struct http_response *r = get("/v1/region-sets/safetyRegion/regions", NULL);
    expect_status(r, 200, "regions of safetyRegion");
    size_t i;
    json_t *reg;
    out[0] = '\0';
    json_array_foreach(json_object_get(r->json, "regions"), i, reg)
    {
        if (strcmp(json_string_value(json_object_get(reg, "code")), region) != 0)
            continue;
        size_t j;
        json_t *code;
        json_array_foreach(json_object_get(reg, "municipalities"), j, code)
        {
            size_t len = strlen(out);
            snprintf(out + len, cap - len, "%s%s", len ? " " : "", json_string_value(code));
        }
    }
    http_response_free(r);
}

Test(monitoring, the_test_regions_have_the_members_this_file_assumes, .timeout = 120)
{
    char got[512];
    members_of("VR01", got, sizeof got);
    cr_assert_str_eq(got, "GM0014 GM0037 GM0047 GM0765 GM1895 GM1950 GM1952 GM1966 GM1969 GM1979");
    members_of("VR25", got, sizeof got);
    cr_assert_str_eq(got, "GM0034 GM0050 GM0171 GM0184 GM0303 GM0995");
}

/* ---- (a) raw sums ---------------------------------------------------------------------------- */

Test(monitoring, a_raw_region_total_is_the_sum_of_its_municipalities, .timeout = 120)
{
    ensure_base();
    struct http_response *r = funnels(
        "period=2015-Q1&regionSet=safetyRegion&region=VR01,VR25&breakdown=gender", RAPPORTEUR);
    cr_assert(json_is_false(json_object_get(r->json, "protected")), "%.*s", BODY(r));
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "regionSet")), "safetyRegion");
    cr_assert_eq(json_array_size(json_object_get(r->json, "rows")), 2);
    for (int g = 0; g < 2; g++) {
        json_t *row = row_of(r->json, REGION[g]);
        cr_assert_not_null(row, "no row for %s", REGION[g]);
        cr_assert(json_is_false(json_object_get(row, "protected")));
        cr_assert_str_eq(json_string_value(json_object_get(row, "period")), "2015-Q1");
        json_t *cov = json_object_get(row, "coverage");
        cr_assert_eq(json_integer_value(json_object_get(cov, "expected")), g ? 6 : 10);
        cr_assert_eq(json_integer_value(json_object_get(cov, "reporting")), g ? 5 : 9);
        for (int s = 0; s < NSTAGES; s++) {
            struct expect e = expect_of(NULL, 0, g, s, NULL, 0, NULL);
            json_t *f = fig_of(row, s, NULL);
            if (e.reporting == 0) {
                cr_assert_str_eq(state_of(f), "notKnown", "%s %s", REGION[g], STAGE[s]);
                continue;
            }
            cr_assert_str_eq(state_of(f), "published", "%s %s", REGION[g], STAGE[s]);
            cr_assert_eq(count_of(f), e.n, "%s %s: raw %lld, expected the sum %lld", REGION[g],
                         STAGE[s], count_of(f), e.n);
            cr_assert_eq(json_integer_value(json_object_get(f, "reporting")), e.reporting,
                         "%s %s reporting", REGION[g], STAGE[s]);
            cr_assert_null(json_object_get(f, "withheld"), "raw readers never see rateMin");
            if (s == SIGNALLED || s == REPORTED)
                for (int c = 0; c < 4; c++) {
                    struct expect ec = expect_of(NULL, 0, g, s, "gender", c, NULL);
                    json_t *cf = fig_of(row, s, GENDER[c]);
                    cr_assert_str_eq(state_of(cf), "published");
                    cr_assert_eq(count_of(cf), ec.n, "%s %s %s", REGION[g], STAGE[s], GENDER[c]);
                }
            else
                cr_assert_str_eq(state_of(fig_of(row, s, "girl")), "notKnown", "%s %s girl",
                                 REGION[g], STAGE[s]);
        }
    }
    http_response_free(r);

    /* The municipality rows add up to the region row. */
    r = funnels("period=2015-Q1&regionSet=municipality&region=GM0034,GM0050,GM0171,GM0184,GM0303,"
                "GM0995",
                RAPPORTEUR);
    long long sum = 0;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(r->json, "rows"), i, row)
    {
        json_t *f = fig_of(row, REPORTED, NULL);
        if (strcmp(state_of(f), "published") == 0)
            sum += count_of(f);
    }
    cr_assert_eq(sum, expect_of(NULL, 0, 1, REPORTED, NULL, 0, NULL).n);
    cr_assert_str_eq(state_of(fig_of(row_of(r->json, "GM0995"), REPORTED, NULL)), "notSubmitted");
    http_response_free(r);
}

/* ---- (b) protected values agree across paths ------------------------------------------------- */

/* The count column of the CSV line for (region, stage, dimension, category). */
static long long csv_count(const char *csv, const char *region, const char *stage, const char *dim,
                           const char *cat)
{
    char needle[256];
    snprintf(needle, sizeof needle, ",%s,%s,%s,published,", stage, dim, cat);
    for (const char *line = csv; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 1023 ? len : 1023), line);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "2015-Q1,%s,", region);
        const char *hit = strstr(buf, needle);
        if (strncmp(buf, prefix, strlen(prefix)) == 0 && hit)
            return atoll(hit + strlen(needle));
        line = end ? end + 2 : NULL;
    }
    cr_assert_fail("no CSV line for %s %s %s %s", region, stage, dim, cat);
    return -1;
}

Test(monitoring, protected_values_agree_alone_in_the_list_and_in_csv, .timeout = 120)
{
    ensure_base();
    unsigned char secret[512];
    size_t slen = read_secret(secret, sizeof secret);
    struct http_response *alone =
        funnels("period=2015-Q1&regionSet=safetyRegion&region=VR01&breakdown=gender", ANALYST);
    struct http_response *list =
        funnels("period=2015-Q1&regionSet=safetyRegion&breakdown=gender", ANALYST);
    struct http_response *csv = get(
        "/v1/funnels?period=2015-Q1&regionSet=safetyRegion&breakdown=gender&format=csv", ANALYST);
    expect_status(csv, 200, "CSV");
    cr_assert(strncmp(http_header(csv, "Content-Type"), "text/csv", 8) == 0);
    cr_assert(json_is_true(json_object_get(alone->json, "protected")));
    cr_assert_eq(json_array_size(json_object_get(list->json, "rows")), 25);
    int moved = 0;
    for (int g = 0; g < 2; g++) {
        json_t *a = g == 0 ? row_of(alone->json, "VR01") : NULL;
        json_t *b = row_of(list->json, REGION[g]);
        cr_assert_not_null(b);
        cr_assert(json_is_true(json_object_get(b, "protected")));
        if (a)
            cr_assert(json_equal(json_object_get(a, "stages"), json_object_get(b, "stages")),
                      "VR01 alone and in the list differ");
        for (int s = 0; s < NSTAGES; s++) {
            struct expect e = expect_of(secret, slen, g, s, NULL, 0, NULL);
            if (e.reporting == 0)
                continue;
            long long pub = count_of(fig_of(b, s, NULL));
            cr_assert_eq(pub, sdc_publish(e.n, e.k, SDC_DEFAULT_JS, SDC_DEFAULT_D),
                         "%s %s: published %lld, expected sdc_publish(%lld, %u)", REGION[g],
                         STAGE[s], pub, e.n, e.k);
            cr_assert(pub == 0 || pub > 4, "%s %s: %lld in 1..4", REGION[g], STAGE[s], pub);
            if (e.n > 4)
                cr_assert_leq(llabs(pub - e.n), 2);
            moved += pub != e.n;
            cr_assert_eq(csv_count(csv->body, REGION[g], STAGE[s], "total", ""), pub, "%s %s CSV",
                         REGION[g], STAGE[s]);
            if (s != SIGNALLED && s != REPORTED)
                continue;
            for (int c = 0; c < 4; c++) {
                struct expect ec = expect_of(secret, slen, g, s, "gender", c, NULL);
                long long pc = count_of(fig_of(b, s, GENDER[c]));
                cr_assert_eq(pc, sdc_publish(ec.n, ec.k, SDC_DEFAULT_JS, SDC_DEFAULT_D), "%s %s %s",
                             REGION[g], STAGE[s], GENDER[c]);
                cr_assert(pc == 0 || pc > 4);
                cr_assert_eq(csv_count(csv->body, REGION[g], STAGE[s], "gender", GENDER[c]), pc);
            }
        }
    }
    /* A single municipality is protected the same way (its inner cells are the aggregate). */
    struct http_response *one =
        funnels("period=2015-Q1&regionSet=municipality&region=GM0037", ANALYST);
    struct expect e1 = expect_of(secret, slen, 0, REPORTED, NULL, 0, "GM0037");
    cr_assert_eq(e1.n, 2);
    long long p1 = count_of(fig_of(row_of(one->json, "GM0037"), REPORTED, NULL));
    cr_assert_eq(p1, sdc_publish(2, e1.k, 4, 2));
    cr_assert(p1 == 0 || p1 == 5, "a raw 2 is published as 0 or 5, got %lld", p1);
    http_response_free(one);

    /* Repeated calls, with the cache dropped in between, are identical to the byte (named by
     * its release: parallel tests make newer releases of the same base meanwhile). */
    notify_changes();
    char pinned[160];
    const char *release_id = itest_str_of(json_object_get(list->json, "release"), "id");
    cr_assert_not_null(release_id, "the answer names no release: %.*s", BODY(list));
    snprintf(pinned, sizeof pinned,
             "period=2015-Q1&regionSet=safetyRegion&breakdown=gender&"
             "release=%s",
             release_id);
    struct http_response *again = funnels(pinned, ANALYST);
    cr_assert_eq(again->body_len, list->body_len);
    cr_assert(memcmp(again->body, list->body, list->body_len) == 0, "a repeat differs");
    struct http_response *again2 = funnels(pinned, ANALYST);
    cr_assert(json_equal(again2->json, list->json));
    cr_log_info("protected values that differ from raw: %d", moved);
    http_response_free(again2);
    http_response_free(again);
    http_response_free(csv);
    http_response_free(list);
    http_response_free(alone);
}

/* ---- (c) a municipality's view --------------------------------------------------------------- */

Test(monitoring, a_municipality_sees_its_own_rows_raw_and_every_aggregate_protected, .timeout = 120)
{
    ensure_base();
    unsigned char secret[512];
    size_t slen = read_secret(secret, sizeof secret);
    struct http_response *r =
        funnels("period=2015-Q1&regionSet=municipality&region=GM0014,GM0034", MULTI);
    cr_assert(json_is_false(json_object_get(r->json, "protected")), "%.*s", BODY(r));
    for (int i = 0; i < 2; i++) {
        const char *code = i ? "GM0034" : "GM0014";
        json_t *row = row_of(r->json, code);
        cr_assert(json_is_false(json_object_get(row, "protected")), "%s", code);
        for (int s = 1; s < NSTAGES; s++) {
            struct expect e = expect_of(NULL, 0, -1, s, NULL, 0, code);
            if (e.reporting)
                cr_assert_eq(count_of(fig_of(row, s, NULL)), e.n, "%s %s raw", code, STAGE[s]);
        }
    }
    http_response_free(r);

    /* Another municipality: protected. */
    r = funnels("period=2015-Q1&regionSet=municipality&region=GM0014,GM0047", MULTI);
    cr_assert(json_is_true(json_object_get(r->json, "protected")));
    cr_assert(json_is_false(json_object_get(row_of(r->json, "GM0014"), "protected")));
    json_t *other = row_of(r->json, "GM0047");
    cr_assert(json_is_true(json_object_get(other, "protected")));
    struct expect e = expect_of(secret, slen, -1, REPORTED, NULL, 0, "GM0047");
    cr_assert_eq(count_of(fig_of(other, REPORTED, NULL)), sdc_publish(e.n, e.k, 4, 2));
    http_response_free(r);

    /* Every aggregate, including the regions holding its own municipalities. */
    r = funnels("period=2015-Q1&regionSet=safetyRegion&region=VR01,VR25", MULTI);
    cr_assert(json_is_true(json_object_get(r->json, "protected")));
    for (int g = 0; g < 2; g++) {
        json_t *row = row_of(r->json, REGION[g]);
        cr_assert(json_is_true(json_object_get(row, "protected")), "%s", REGION[g]);
        struct expect eg = expect_of(secret, slen, g, SIGNALLED, NULL, 0, NULL);
        cr_assert_eq(count_of(fig_of(row, SIGNALLED, NULL)), sdc_publish(eg.n, eg.k, 4, 2));
    }
    http_response_free(r);
    r = funnels("period=2015-Q1&regionSet=nation", MULTI);
    cr_assert(json_is_true(
        json_object_get(json_array_get(json_object_get(r->json, "rows"), 0), "protected")));
    http_response_free(r);

    /* The comparison of municipalities marks its own rows raw and others protected. */
    struct http_response *c =
        get("/v1/comparisons?period=2015-Q1&regionSet=municipality&region=GM0014,GM0047"
            "&stage=signalled&metric=count",
            MULTI);
    expect_status(c, 200, "comparisons as a municipality");
    cr_assert(json_is_false(json_object_get(row_of(c->json, "GM0014"), "protected")));
    cr_assert(json_is_true(json_object_get(row_of(c->json, "GM0047"), "protected")));
    cr_assert_eq(json_integer_value(json_object_get(row_of(c->json, "GM0014"), "value")),
                 expect_of(NULL, 0, -1, SIGNALLED, NULL, 0, "GM0014").n);
    http_response_free(c);
}

/* ---- (d) completeness ------------------------------------------------------------------------ */

Test(monitoring, completeness_lists_exactly_the_municipalities_that_did_not_submit, .timeout = 120)
{
    ensure_base();
    struct http_response *r =
        get("/v1/completeness?period=2015-Q1&regionSet=safetyRegion&region=VR01,VR25", ANALYST);
    expect_status(r, 200, "completeness");
    cr_assert_eq(json_array_size(json_object_get(r->json, "rows")), 2, "%.*s", BODY(r));
    for (int g = 0; g < 2; g++) {
        json_t *row = row_of(r->json, REGION[g]);
        cr_assert_not_null(row, "%s", REGION[g]);
        cr_assert_eq(json_integer_value(json_object_get(row, "expected")), g ? 6 : 10);
        cr_assert_eq(json_integer_value(json_object_get(row, "funnels")), g ? 5 : 9);
        json_t *missing = json_object_get(row, "missingFunnels");
        cr_assert_eq(json_array_size(missing), 1, "%s: %.*s", REGION[g], BODY(r));
        cr_assert_str_eq(json_string_value(json_array_get(missing, 0)), g ? "GM0995" : "GM1966");
        cr_assert(json_is_array(json_object_get(row, "missingNetworks")));
        cr_assert_leq(json_integer_value(json_object_get(row, "networks")),
                      json_integer_value(json_object_get(row, "expected")));
    }
    http_response_free(r);

    /* The same coverage on the funnel rows, and a period nobody submitted. */
    r = funnels("period=2015-Q1&regionSet=safetyRegion&region=VR01", ANALYST);
    json_t *cov = json_object_get(row_of(r->json, "VR01"), "coverage");
    cr_assert_eq(json_integer_value(json_object_get(cov, "reporting")), 9);
    cr_assert_eq(json_integer_value(json_object_get(cov, "expected")), 10);
    http_response_free(r);
    r = get("/v1/completeness?period=2015-Q4&regionSet=safetyRegion&region=VR25", ANALYST);
    expect_status(r, 200, "completeness 2015-Q4");
    json_t *row = row_of(r->json, "VR25");
    cr_assert_eq(json_integer_value(json_object_get(row, "funnels")), 0);
    cr_assert_eq(json_array_size(json_object_get(row, "missingFunnels")), 6);
    http_response_free(r);

    /* CSV: missing codes separated by spaces. */
    r = get("/v1/completeness?period=2015-Q1&regionSet=safetyRegion&region=VR01&format=csv",
            ANALYST);
    expect_status(r, 200, "completeness CSV");
    cr_assert_not_null(strstr(r->body, "2015-Q1,VR01,Groningen,10,9,"), "%.*s", BODY(r));
    cr_assert_not_null(strstr(r->body, ",GM1966,"), "%.*s", BODY(r));
    http_response_free(r);
}

/* ---- (e) comparisons ------------------------------------------------------------------------- */

Test(monitoring, comparisons_rank_regions_and_list_those_without_a_value_after, .timeout = 120)
{
    ensure_base();
    struct http_response *r = get("/v1/comparisons?period=2015-Q1&regionSet=safetyRegion"
                                  "&stage=reported&metric=count",
                                  RAPPORTEUR);
    expect_status(r, 200, "comparisons");
    json_t *rows = json_object_get(r->json, "rows");
    cr_assert_eq(json_array_size(rows), 25, "every region is listed: %.*s", BODY(r));
    long long v01 = expect_of(NULL, 0, 0, REPORTED, NULL, 0, NULL).n;
    long long v25 = expect_of(NULL, 0, 1, REPORTED, NULL, 0, NULL).n;
    cr_assert_neq(v01, v25);
    const char *top = v01 > v25 ? "VR01" : "VR25", *second = v01 > v25 ? "VR25" : "VR01";
    json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r0, "region"), "code")),
                     top);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r1, "region"), "code")),
                     second);
    cr_assert_eq(json_integer_value(json_object_get(r0, "rank")), 1);
    cr_assert_eq(json_integer_value(json_object_get(r1, "rank")), 2);
    cr_assert_eq(json_integer_value(json_object_get(r0, "value")), v01 > v25 ? v01 : v25);
    cr_assert_eq(json_integer_value(json_object_get(r0, "quartile")), 4);
    cr_assert_eq(json_integer_value(json_object_get(r1, "quartile")), 2);
    /* Two values: z-scores +1 and -1 under the population SD. */
    cr_assert_float_eq(json_number_value(json_object_get(r0, "zScore")), 1.0, 1e-9);
    cr_assert_float_eq(json_number_value(json_object_get(r1, "zScore")), -1.0, 1e-9);
    /* The national value is the sum over everything submitted for 2015-Q1: only these two. */
    json_t *national = json_object_get(r->json, "national");
    cr_assert_eq(json_integer_value(json_object_get(national, "value")), v01 + v25, "%.*s",
                 BODY(r));
    double ratio = json_number_value(json_object_get(r0, "ratioToNational"));
    cr_assert_float_eq(
        ratio, round((double)(v01 > v25 ? v01 : v25) / (double)(v01 + v25) * 100) / 100, 1e-9);
    for (size_t i = 2; i < 25; i++) {
        json_t *x = json_array_get(rows, i);
        cr_assert(json_is_null(json_object_get(x, "rank")), "row %zu ranked", i);
        cr_assert(json_is_null(json_object_get(x, "value")));
        cr_assert_str_eq(json_string_value(json_object_get(x, "state")), "notSubmitted");
    }
    http_response_free(r);

    /* Protected (analyst): values are the published counts; stage nobody gave: notKnown. */
    unsigned char secret[512];
    size_t slen = read_secret(secret, sizeof secret);
    r = get("/v1/comparisons?period=2015-Q1&regionSet=safetyRegion&region=VR01,VR25"
            "&stage=signalled&metric=count",
            ANALYST);
    expect_status(r, 200, "comparisons (analyst)");
    cr_assert(json_is_true(json_object_get(r->json, "protected")));
    for (int g = 0; g < 2; g++) {
        struct expect e = expect_of(secret, slen, g, SIGNALLED, NULL, 0, NULL);
        cr_assert_eq(json_integer_value(json_object_get(row_of(r->json, REGION[g]), "value")),
                     sdc_publish(e.n, e.k, 4, 2));
    }
    http_response_free(r);
    r = get("/v1/comparisons?period=2015-Q1&regionSet=safetyRegion&region=VR01,VR25"
            "&stage=occurred&metric=count",
            RAPPORTEUR);
    expect_status(r, 200, "comparisons on occurred");
    for (int g = 0; g < 2; g++) {
        json_t *x = row_of(r->json, REGION[g]);
        cr_assert(json_is_null(json_object_get(x, "rank")));
        cr_assert_str_eq(json_string_value(json_object_get(x, "state")), "notKnown");
    }
    http_response_free(r);

    /* per10k ranks on the rates of exactly the reporting municipalities; CSV lists the same. */
    r = get("/v1/comparisons?period=2015-Q1&regionSet=safetyRegion&region=VR01,VR25"
            "&stage=reported&metric=per10k",
            RAPPORTEUR);
    expect_status(r, 200, "comparisons per10k");
    for (int g = 0; g < 2; g++) {
        struct expect e = expect_of(NULL, 0, g, REPORTED, NULL, 0, NULL);
        double want = round((double)e.n * 10000.0 / (double)e.population * 10) / 10;
        cr_assert_float_eq(json_number_value(json_object_get(row_of(r->json, REGION[g]), "value")),
                           want, 1e-9, "%s per10k", REGION[g]);
    }
    http_response_free(r);
    r = get("/v1/comparisons?period=2015-Q1&regionSet=safetyRegion&stage=reported&metric=count"
            "&format=csv",
            RAPPORTEUR);
    expect_status(r, 200, "comparisons CSV");
    char line[128];
    snprintf(line, sizeof line, "2015-Q1,%s,", top);
    cr_assert(strstr(r->body, line) != NULL && strstr(r->body, ",notSubmitted\r\n") != NULL, "%.*s",
              BODY(r));
    cr_assert(strstr(r->body, line) < strstr(r->body, ",notSubmitted\r\n"));
    http_response_free(r);
}

/* ---- (f) states ------------------------------------------------------------------------------ */

Test(monitoring, zero_not_known_and_not_submitted_stay_apart, .timeout = 120)
{
    ensure_base();
    struct http_response *r =
        funnels("period=2015-Q1&regionSet=safetyRegion&region=VR01,VR25", RAPPORTEUR);
    for (int g = 0; g < 2; g++) {
        json_t *occ = fig_of(row_of(r->json, REGION[g]), OCCURRED, NULL);
        cr_assert_str_eq(state_of(occ), "notKnown", "nobody gave occurred in %s", REGION[g]);
        cr_assert(json_is_null(json_object_get(occ, "count")));
    }
    /* VR25 investigated: given by all, every count 0: a published zero. */
    json_t *inv = fig_of(row_of(r->json, "VR25"), INVESTIGATED, NULL);
    cr_assert_str_eq(state_of(inv), "published");
    cr_assert_eq(count_of(inv), 0);
    cr_assert_eq(json_integer_value(json_object_get(inv, "reporting")), 5);
    /* helped over a zero investigated: no conversion (null), not withheld. */
    json_t *helped = fig_of(row_of(r->json, "VR25"), HELPED, NULL);
    cr_assert(json_is_null(json_object_get(helped, "fromPrevious")));
    http_response_free(r);

    /* The protected zero stays zero. */
    r = funnels("period=2015-Q1&regionSet=safetyRegion&region=VR25", ANALYST);
    cr_assert_eq(count_of(fig_of(row_of(r->json, "VR25"), INVESTIGATED, NULL)), 0);
    http_response_free(r);

    /* 2015-Q4: nobody in VR25 submitted; all six stages listed as notSubmitted. */
    r = funnels("period=2015-Q4&regionSet=safetyRegion&region=VR25&breakdown=gender", ANALYST);
    json_t *row = row_of(r->json, "VR25");
    cr_assert_not_null(row, "%.*s", BODY(r));
    cr_assert_eq(json_object_size(json_object_get(row, "stages")), 6);
    for (int s = 0; s < NSTAGES; s++) {
        cr_assert_str_eq(state_of(fig_of(row, s, NULL)), "notSubmitted", "%s", STAGE[s]);
        cr_assert_str_eq(state_of(fig_of(row, s, "girl")), "notSubmitted", "%s girl", STAGE[s]);
    }
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(row, "coverage"), "reporting")),
                 0);
    http_response_free(r);

    /* A series: one row per quarter, in order, Q4 not submitted. */
    r = funnels("from=2015-Q1&to=2015-Q4&regionSet=safetyRegion&region=VR25", RAPPORTEUR);
    json_t *rows = json_object_get(r->json, "rows");
    cr_assert_eq(json_array_size(rows), 4, "%.*s", BODY(r));
    const char *want[] = {"2015-Q1", "2015-Q2", "2015-Q3", "2015-Q4"};
    for (size_t i = 0; i < 4; i++)
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, i), "period")),
                         want[i]);
    cr_assert_str_eq(state_of(fig_of(json_array_get(rows, 3), REPORTED, NULL)), "notSubmitted");
    cr_assert_eq(count_of(fig_of(json_array_get(rows, 0), REPORTED, NULL)),
                 expect_of(NULL, 0, 1, REPORTED, NULL, 0, NULL).n);
    http_response_free(r);
}

/* ---- (g) rates per 10,000 children ----------------------------------------------------------- */

Test(monitoring, per10k_divides_by_the_population_of_the_municipalities_that_gave_the_stage,
     .timeout = 120)
{
    ensure_base();
    struct http_response *r = funnels(
        "period=2015-Q1&regionSet=safetyRegion&region=VR01,VR25&breakdown=care", RAPPORTEUR);
    for (int g = 0; g < 2; g++) {
        json_t *row = row_of(r->json, REGION[g]);
        long long pop = 0;
        for (int i = 0; i < NMUNI; i++)
            if (M[i].pushed && M[i].region == g)
                pop += M[i].population;
        cr_assert_eq(json_integer_value(json_object_get(row, "childPopulation")), pop, "%s",
                     REGION[g]);
        cr_assert_eq(json_integer_value(json_object_get(row, "populationYear")), 2015);
        for (int s = 1; s < NSTAGES; s++) {
            struct expect e = expect_of(NULL, 0, g, s, NULL, 0, NULL);
            json_t *f = fig_of(row, s, NULL);
            double want = round((double)e.n * 10000.0 / (double)e.population * 10) / 10;
            cr_assert_float_eq(json_number_value(json_object_get(f, "per10k")), want, 1e-9,
                               "%s %s per10k: got %g, want %lld*10000/%lld", REGION[g], STAGE[s],
                               json_number_value(json_object_get(f, "per10k")), e.n, e.population);
            struct expect p = expect_of(NULL, 0, g, s - 1, NULL, 0, NULL);
            json_t *fp = json_object_get(f, "fromPrevious");
            if (p.reporting == 0 || p.n == 0)
                cr_assert(json_is_null(fp), "%s %s fromPrevious", REGION[g], STAGE[s]);
            else if (p.reporting == e.reporting) /* the same municipalities gave both */
                cr_assert_float_eq(json_number_value(fp),
                                   round((double)e.n / (double)p.n * 100) / 100, 1e-9,
                                   "%s %s fromPrevious", REGION[g], STAGE[s]);
        }
        /* A care category: the population of those that gave helped with care. */
        struct expect ec = expect_of(NULL, 0, g, HELPED, "care", 2, NULL);
        json_t *secure = fig_of(row, HELPED, "secure");
        cr_assert_eq(count_of(secure), ec.n);
        cr_assert_float_eq(json_number_value(json_object_get(secure, "per10k")),
                           round((double)ec.n * 10000.0 / (double)ec.population * 10) / 10, 1e-9);
    }
    http_response_free(r);

    /* Protected: small stages have their rates withheld for rateMin. */
    r = funnels("period=2015-Q1&regionSet=municipality&region=GM0037", ANALYST);
    json_t *rep = fig_of(row_of(r->json, "GM0037"), REPORTED, NULL);
    cr_assert(json_is_null(json_object_get(rep, "per10k")), "%.*s", BODY(r));
    cr_assert_str_eq(json_string_value(json_object_get(rep, "withheld")), "rateMin");
    http_response_free(r);
}

/* ---- (i) the response cache ------------------------------------------------------------------ */

static long long reported_of(const char *query, const char *tok, const char *region)
{
    struct http_response *r = funnels(query, tok);
    json_t *f = fig_of(row_of(r->json, region), REPORTED, NULL);
    long long n = strcmp(state_of(f), "published") == 0 ? count_of(f) : -1;
    http_response_free(r);
    return n;
}

static void put_reported(const char *code, const char *period, long long n)
{
    char path[128], body[128];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", code, period);
    snprintf(body, sizeof body, "{\"stages\":{\"reported\":{\"total\":%lld}}}", n);
    struct http_response *r = req("PUT", path, RAPPORTEUR, "application/json", body, NULL);
    cr_assert(r->status == 200 || r->status == 201, "PUT %s: %ld %.*s", path, r->status, BODY(r));
    http_response_free(r);
}

/* Polls for up to 3 s until the query shows `want`; returns the milliseconds it took, or -1. */
static long poll_for(const char *query, const char *tok, const char *region, long long want,
                     long long *last)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        *last = reported_of(query, tok, region);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (*last == want)
            return ms;
        if (ms > 3000)
            return -1;
        usleep(50 * 1000);
    }
}

Test(monitoring, a_write_after_a_read_changes_the_next_read, .timeout = 120)
{
    /* 2015-Q2 of VR25 belongs to this test alone. */
    const char *q = "period=2015-Q2&regionSet=safetyRegion&region=VR25";
    put_reported("GM0050", "2015-Q2", 40);
    long long last;
    cr_assert_geq(poll_for(q, RAPPORTEUR, "VR25", 40, &last), 0, "got %lld", last);
    /* Read twice: the second answer may come from the cache. */
    cr_assert_eq(reported_of(q, RAPPORTEUR, "VR25"), 40);
    /* Protected readers read releases: the analyst sees 40, published, once it is released. */
    char first[24], second[24], with_release[160];
    itest_make_release("2015-Q2", first, sizeof first);
    long long before = reported_of(q, ANALYST, "VR25");
    cr_assert_leq(llabs(before - 40), 2, "the analyst reads %lld of 40 in %s", before, first);
    cr_assert_eq(reported_of(q, ANALYST, "VR25"), before);

    put_reported("GM0050", "2015-Q2", 140);
    long ms = poll_for(q, RAPPORTEUR, "VR25", 140, &last);
    cr_assert_geq(ms, 0, "the rapporteur still reads %lld 3 s after the write", last);
    cr_log_info("raw read changed %ld ms after the write", ms);
    /* A write does not change what a protected reader sees: no fresh perturbation to average. */
    cr_assert_eq(reported_of(q, ANALYST, "VR25"), before, "a write changed a released figure");
    /* The next release does: 140 is published within 2 of 140, at once (the cache is dropped). */
    itest_make_release("2015-Q2", second, sizeof second);
    long long now = reported_of(q, ANALYST, "VR25");
    cr_assert_leq(llabs(now - 140), 2, "the analyst reads %lld in %s (before: %lld)", now, second,
                  before);
    /* And the first release still answers what it answered. */
    snprintf(with_release, sizeof with_release, "%s&release=%s", q, first);
    cr_assert_eq(reported_of(with_release, ANALYST, "VR25"), before);

    /* And back: a delete (tombstone) makes the region not submitted again. */
    struct http_response *d =
        req("DELETE", "/v1/municipalities/GM0050/funnels/2015-Q2", RAPPORTEUR, NULL, NULL, NULL);
    expect_status(d, 204, "DELETE");
    http_response_free(d);
    cr_assert_geq(poll_for(q, RAPPORTEUR, "VR25", -1, &last), 0, "after DELETE: %lld", last);
}

/* ---- (j) bad queries ------------------------------------------------------------------------- */

Test(monitoring, bad_queries_are_refused_with_every_error_listed, .timeout = 120)
{
    struct http_response *r;
    r = get("/v1/funnels?period=2015-Q1&regionSet=safetyRegion&colour=red", ANALYST);
    expect_query_error(r, "colour", "unknown-parameter", "unknown parameter");
    http_response_free(r);
    r = get("/v1/funnels?period=2015-Q5&regionSet=safetyRegion", ANALYST);
    expect_query_error(r, "period", "malformed-period", "2015-Q5");
    http_response_free(r);
    /* Every error in the values is listed; a parameter the route does not declare is refused
     * before any value is looked at (api/routes.c, the same check for every endpoint). */
    r = get("/v1/funnels?period=Q1-2015&regionSet=safetyRegion&format=xml", ANALYST);
    expect_query_error(r, "period", "malformed-period", "two errors: period");
    expect_query_error(r, "format", NULL, "two errors: format");
    http_response_free(r);
    r = get("/v1/funnels?from=2015-Q3&to=2015-Q1&regionSet=safetyRegion", ANALYST);
    expect_query_error(r, "from", NULL, "from after to");
    http_response_free(r);
    r = get("/v1/funnels?period=2015-Q1&from=2015-Q1&to=2015-Q2", ANALYST);
    expect_query_error(r, "period", NULL, "period and from/to");
    http_response_free(r);
    r = get("/v1/funnels?regionSet=safetyRegion", ANALYST);
    expect_query_error(r, "period", NULL, "no period");
    http_response_free(r);
    r = get("/v1/funnels?period=2015-Q1&regionSet=safetyRegion&breakdown=colour", ANALYST);
    expect_query_error(r, "breakdown", "unknown-dimension", "unknown breakdown");
    http_response_free(r);
    r = get("/v1/funnels?period=2015-Q1&regionSet=safetyRegion&boundaries=tomorrow", ANALYST);
    expect_query_error(r, "boundaries", NULL, "boundaries");
    http_response_free(r);
    r = get("/v1/funnels?period=2015-Q1&regionSet=safetyRegion&format=xml", ANALYST);
    expect_query_error(r, "format", NULL, "format");
    http_response_free(r);
    r = get("/v1/comparisons?period=2015-Q1&regionSet=safetyRegion&stage=reported&metric=median",
            ANALYST);
    expect_query_error(r, "metric", NULL, "unknown metric");
    http_response_free(r);
    r = get("/v1/comparisons?period=2015-Q1&regionSet=safetyRegion&stage=told", ANALYST);
    expect_query_error(r, "stage", NULL, "unknown stage");
    http_response_free(r);
    r = get("/v1/comparisons?period=2015-Q1&regionSet=safetyRegion", ANALYST);
    expect_query_error(r, "stage", NULL, "no stage");
    http_response_free(r);
    r = get("/v1/completeness?period=2015-Q1&regionSet=safetyRegion&breakdown=gender", ANALYST);
    expect_query_error(r, "breakdown", "unknown-parameter", "completeness has no breakdown");
    http_response_free(r);

    /* Unknown region set and unknown region: 404. */
    r = get("/v1/funnels?period=2015-Q1&regionSet=nope", ANALYST);
    expect_problem(r, 404, "unknown region set");
    http_response_free(r);
    r = get("/v1/comparisons?period=2015-Q1&regionSet=nope&stage=reported", ANALYST);
    expect_problem(r, 404, "unknown region set (comparisons)");
    http_response_free(r);
    r = get("/v1/completeness?period=2015-Q1&regionSet=nope", ANALYST);
    expect_problem(r, 404, "unknown region set (completeness)");
    http_response_free(r);
    r = get("/v1/funnels?period=2015-Q1&regionSet=safetyRegion&region=VR99", ANALYST);
    expect_problem(r, 404, "unknown region");
    http_response_free(r);

    /* A bad token: 401; no token: 401 but where open releases are served (funnels, comparisons:
     * design §8, tests/integration/test_releases.c), and there live figures are 401. */
    const char *paths[] = {"/v1/funnels?period=2015-Q1&regionSet=safetyRegion",
                           "/v1/comparisons?period=2015-Q1&regionSet=safetyRegion&stage=reported",
                           "/v1/completeness?period=2015-Q1&regionSet=safetyRegion"};
    for (size_t i = 0; i < 3; i++) {
        char live[160];
        snprintf(live, sizeof live, "%s&release=live", paths[i]);
        r = get(i < 2 ? live : paths[i], NULL);
        expect_problem(r, 401, paths[i]);
        http_response_free(r);
        r = get(paths[i], "not-a-token");
        expect_problem(r, 401, paths[i]);
        http_response_free(r);
    }
}

Test(monitoring, csv_by_accept_header_and_the_excel_profile, .timeout = 120)
{
    ensure_base();
    const char *hdrs[] = {"Accept: text/csv", NULL};
    struct http_response *r = req("GET",
                                  "/v1/funnels?period=2015-Q1&regionSet=safetyRegion"
                                  "&region=VR01",
                                  RAPPORTEUR, NULL, NULL, hdrs);
    expect_status(r, 200, "Accept: text/csv");
    cr_assert(strncmp(r->body,
                      "period,region_code,region_name,protected,reporting,expected,"
                      "child_population,stage,dimension,category,state,count,per10k,"
                      "from_previous,withheld\r\n",
                      100) == 0,
              "%.*s", BODY(r));
    char line[160];
    snprintf(line, sizeof line, "\r\n2015-Q1,VR01,Groningen,false,9,10,");
    cr_assert_not_null(strstr(r->body, line), "%.*s", BODY(r));
    http_response_free(r);
    r = get("/v1/funnels?period=2015-Q1&regionSet=safetyRegion&region=VR01&delimiter=semicolon",
            RAPPORTEUR);
    expect_status(r, 200, "Excel profile");
    cr_assert(r->body_len > 3 && memcmp(r->body, "\xEF\xBB\xBF", 3) == 0, "no BOM");
    cr_assert_not_null(strstr(r->body, "\r\n2015-Q1;VR01;Groningen;false;9;10;"), "%.*s", BODY(r));
    /* Decimal commas: a per10k like 12,3 and never a decimal point. */
    cr_assert_null(strchr(r->body, '.'), "a decimal point in the Excel profile: %.*s", BODY(r));
    http_response_free(r);
}

/* ---- (h) herindeling: its own database and daemon -------------------------------------------- */

static char recast_db[64];
static char recast_conninfo[1024];
static pid_t recast_pid;

static void recast_down(void)
{
    itest_own_daemon_stop(recast_pid);
    recast_pid = 0;
    if (recast_db[0]) {
        PGconn *c = PQconnectdb(getenv("TRECHTER_TEST_DB"));
        if (PQstatus(c) == CONNECTION_OK) {
            char sql[128];
            snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", recast_db);
            PQclear(PQexec(c, sql));
        }
        PQfinish(c);
        recast_db[0] = '\0';
    }
}

/* Runs $TRECHTER_BIN with args; returns its exit status, stdout in out. */
static int run_bin(char *out, size_t cap, const char *const *args)
{
    return itest_run_bin(out, cap, NULL, 0, args); /* stderr: the test's own */
}

/* Makes a database from the shared cluster, migrates it and starts a daemon on it (one worker,
 * the shared certificate and secret); sets TRECHTER_URL to it and returns a rapporteur token. */
static void recast_up(char *tok, size_t cap)
{
    unsigned char rnd[6];
    cr_assert_eq(getrandom(rnd, sizeof rnd, 0), (ssize_t)sizeof rnd);
    snprintf(recast_db, sizeof recast_db, "trechter_recast_%02x%02x%02x%02x%02x%02x", rnd[0],
             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
    PGconn *admin = PQconnectdb(itest_env("TRECHTER_TEST_DB"));
    cr_assert_eq(PQstatus(admin), CONNECTION_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", recast_db);
    sql_ok(admin, sql);
    PQfinish(admin);
    snprintf(recast_conninfo, sizeof recast_conninfo, "host=%s port=%s user=postgres dbname=%s",
             itest_env("TRECHTER_PGDIR"), itest_env("TRECHTER_PGPORT"), recast_db);
    char out[4096];
    const char *migrate[] = {"migrate", "--db", recast_conninfo, NULL};
    cr_assert_eq(run_bin(out, sizeof out, migrate), 0, "migrate: %s", out);
    const char *create[] = {"token",  "create",     "--db",   recast_conninfo,
                            "--role", "rapporteur", "--name", "recast rapporteur",
                            NULL};
    cr_assert_eq(run_bin(out, sizeof out, create), 0);
    char *end = out + strlen(out);
    while (end > out && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        *--end = '\0';
    snprintf(tok, cap, "%s", out);

    snprintf(out, sizeof out, "recast-%s", recast_db);
    recast_pid = itest_own_daemon_start(recast_conninfo, out);
}

Test(monitoring, a_herindeling_recast_sums_the_predecessors, .timeout = 120, .fini = recast_down)
{
    char tok[256];
    recast_up(tok, sizeof tok);
    /* GM9901 "Groot-Test" from 2016-01-01 absorbs GM0014 and GM0037 (both end 2015-12-31);
     * GM0047 stays. A dedicated region set testRecast with one region TR1. */
    PGconn *c = PQconnectdb(recast_conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK);
    sql_ok(c, "BEGIN");
    sql_ok(c, "INSERT INTO municipalities (code, name, valid_from) "
              "VALUES ('GM9901', 'Groot-Test', '2016-01-01')");
    sql_ok(c, "UPDATE municipalities SET valid_to = '2015-12-31' "
              "WHERE code IN ('GM0014', 'GM0037')");
    sql_ok(c, "INSERT INTO lineage (predecessor_code, successor_code, date) VALUES "
              "('GM0014', 'GM9901', '2016-01-01'), ('GM0037', 'GM9901', '2016-01-01')");
    sql_ok(c, "INSERT INTO region_sets (key, name_nl, name_en) "
              "VALUES ('testRecast', 'Testindeling', 'Test classification')");
    sql_ok(c, "INSERT INTO regions (set_key, code, name) VALUES ('testRecast', 'TR1', 'Test')");
    sql_ok(c, "INSERT INTO region_memberships (set_key, municipality_code, region_code, "
              "valid_from, valid_to) VALUES "
              "('testRecast', 'GM0014', 'TR1', '-infinity', '2015-12-31'),"
              "('testRecast', 'GM0037', 'TR1', '-infinity', '2015-12-31'),"
              "('testRecast', 'GM0047', 'TR1', '-infinity', 'infinity'),"
              "('testRecast', 'GM9901', 'TR1', '2016-01-01', 'infinity')");
    sql_ok(c, "COMMIT");
    sql_ok(c, "NOTIFY trechter_changes, 'reference'");
    PQfinish(c);

    const int reported[3] = {11, 23, 7};
    const char *codes[3] = {"GM0014", "GM0037", "GM0047"};
    for (int i = 0; i < 3; i++) {
        char path[128], body[160];
        snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/2015-Q1", codes[i]);
        snprintf(body, sizeof body,
                 "{\"stages\":{\"signalled\":{\"total\":%d},\"reported\":{\"total\":%d}}}",
                 reported[i] + 10, reported[i]);
        struct http_response *r = req("PUT", path, tok, "application/json", body, NULL);
        expect_status(r, 201, path);
        http_response_free(r);
    }
    /* As the boundaries were: three members. */
    struct http_response *r = funnels("period=2015-Q1&regionSet=testRecast", tok);
    json_t *row = row_of(r->json, "TR1");
    cr_assert_not_null(row, "%.*s", BODY(r));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(row, "coverage"), "expected")),
                 3);
    cr_assert_eq(count_of(fig_of(row, REPORTED, NULL)), 41);
    http_response_free(r);
    /* Recast onto today's municipalities: GM9901 (= GM0014 + GM0037) and GM0047. */
    r = funnels("period=2015-Q1&regionSet=testRecast&boundaries=current", tok);
    row = row_of(r->json, "TR1");
    cr_assert_not_null(row, "%.*s", BODY(r));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(row, "coverage"), "expected")),
                 2, "%.*s", BODY(r));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(row, "coverage"), "reporting")),
                 2, "%.*s", BODY(r));
    cr_assert_eq(count_of(fig_of(row, REPORTED, NULL)), 41, "%.*s", BODY(r));
    cr_assert_eq(count_of(fig_of(row, SIGNALLED, NULL)), 71);
    http_response_free(r);
    /* Per municipality of today: GM9901 holds the sum of its predecessors. */
    r = funnels("period=2015-Q1&regionSet=testRecast&boundaries=current&format=json", tok);
    http_response_free(r);
    c = PQconnectdb(recast_conninfo);
    sql_ok(c, "INSERT INTO regions (set_key, code, name) VALUES ('municipality', 'GM9901', "
              "'Groot-Test')");
    sql_ok(c, "UPDATE region_memberships SET valid_to = '2015-12-31' WHERE set_key = "
              "'municipality' AND municipality_code IN ('GM0014', 'GM0037')");
    sql_ok(c, "INSERT INTO region_memberships (set_key, municipality_code, region_code, "
              "valid_from) VALUES ('municipality', 'GM9901', 'GM9901', '2016-01-01')");
    sql_ok(c, "NOTIFY trechter_changes, 'reference'");
    PQfinish(c);
    usleep(300 * 1000);
    r = funnels("period=2015-Q1&regionSet=municipality&region=GM9901&boundaries=current", tok);
    row = row_of(r->json, "GM9901");
    cr_assert_not_null(row, "%.*s", BODY(r));
    cr_assert_eq(count_of(fig_of(row, REPORTED, NULL)), 34, "%.*s", BODY(r));
    http_response_free(r);
    /* The protected reading of the recast equals the published sum of the inner cells. */
    unsigned char secret[512];
    size_t slen = read_secret(secret, sizeof secret);
    uint32_t k =
        cell_key_sum(cell_key(secret, slen, "GM0014", "2015-Q1", "reported", "total", "", 11),
                     cell_key(secret, slen, "GM0037", "2015-Q1", "reported", "total", "", 23));
    char out[4096];
    const char *create[] = {"token",         "create",         "--db",
                            recast_conninfo, "--role",         "analyst",
                            "--name",        "recast analyst", NULL};
    cr_assert_eq(run_bin(out, sizeof out, create), 0);
    out[strcspn(out, "\r\n ")] = '\0';
    /* An analyst reads releases (design §8): release the quarter as it now stands. */
    static const char release[] = "{\"period\":\"2015-Q1\",\"status\":\"provisional\"}";
    r = req("POST", "/v1/releases", tok, "application/json", release, NULL);
    expect_status(r, 201, "POST /v1/releases");
    http_response_free(r);
    r = funnels("period=2015-Q1&regionSet=municipality&region=GM9901&boundaries=current", out);
    cr_assert_eq(count_of(fig_of(row_of(r->json, "GM9901"), REPORTED, NULL)),
                 sdc_publish(34, k, 4, 2));
    http_response_free(r);
}
