/* Integration tests of releases (design §8, issue 13) against the daemon and database of CTest
 * fixture "main": a release answers the same bytes whatever is done later; `changes` names what
 * changed against the release it supersedes; who reads what by default, and what is refused; the
 * averaging attack of the issue, closed; the revision cap.
 *
 * Each test has a quarter of its own (2016-Q1, 2016-Q2, 2018-Q4, 2017-Q2), so that the releases
 * it makes hold only its own writes among the municipalities it reads. */
#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY(r) ((r)->body_len > 1500 ? 1500 : (int)(r)->body_len), (r)->body

TestSuite(releases, .timeout = 180);

static struct http_response *req(const char *method, const char *path, const char *tok,
                                 const char *body)
{
    for (int attempt = 0;; attempt++) {
        struct http_response *r = http_do(method, path, tok, body ? "application/json" : NULL, body,
                                          body ? strlen(body) : 0, NULL);
        /* the shared daemon's per-principal rate limit, not the revision cap: that one carries
         * the problem type too-many-revisions and is what a test asks for */
        bool rate_limited = r->status == 429 && !(r->body && strstr(r->body, "too-many-revisions"));
        if (!rate_limited || attempt >= 30)
            return r;
        http_response_free(r);
        usleep(300 * 1000);
    }
}

static void put_reported(const char *tok, const char *code, const char *period, int reported,
                         long want)
{
    char path[128], body[160];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", code, period);
    snprintf(body, sizeof body,
             "{\"stages\":{\"signalled\":{\"total\":%d},\"reported\":{\"total\":%d}}}",
             reported + 7, reported);
    struct http_response *r = req("PUT", path, tok, body);
    if (want)
        cr_assert_eq(r->status, want, "PUT %s: %ld %.*s", path, r->status, BODY(r));
    else
        cr_assert(r->status == 200 || r->status == 201, "PUT %s: %ld %.*s", path, r->status,
                  BODY(r));
    http_response_free(r);
}

static struct http_response *get_ok(const char *path, const char *tok)
{
    struct http_response *r = req("GET", path, tok, NULL);
    cr_assert_eq(r->status, 200, "GET %s: %ld %.*s", path, r->status, BODY(r));
    return r;
}

/* The whole body of a GET, for comparing answers byte by byte (the caller frees). */
static char *body_of(const char *path, const char *tok)
{
    struct http_response *r = get_ok(path, tok);
    char *copy = strdup(r->body);
    http_response_free(r);
    return copy;
}

static void sql_ok(const char *sql)
{
    PGconn *c = PQconnectdb(itest_env("TRECHTER_DB"));
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
}

static json_t *row_of(json_t *body, const char *code)
{
    return itest_row_of(body, code);
}

static json_t *figure(json_t *row, const char *stage)
{
    return json_object_get(json_object_get(row, "stages"), stage);
}

#define RAPPORTEUR itest_env("TOKEN_RAPPORTEUR")
#define ANALYST itest_env("TOKEN_ANALYST")
#define MULTI itest_env("TOKEN_MULTI")

/* Flevoland (PV24): GM0034 Almere, which TOKEN_MULTI holds, and the five others. */
static const char *const FLEVOLAND[] = {"GM0050", "GM0171", "GM0184", "GM0303", "GM0995"};

Test(releases, a_release_answers_the_same_bytes_whatever_is_done_later)
{
    static const char period[] = "2016-Q1";
    for (size_t i = 0; i < 5; i++)
        put_reported(RAPPORTEUR, FLEVOLAND[i], period, 3 + (int)i, 0);
    char id[24];
    itest_make_release(period, id, sizeof id);

    /* Made now, the release holds what a live read computes now: the rapporteur's raw rows of all
     * 342 municipalities (stored in chunks) are the live rows, in the same order. */
    static const char all[] = "/v1/funnels?period=2016-Q1&regionSet=municipality&breakdown=gender";
    char named_all[160];
    snprintf(named_all, sizeof named_all, "%s&release=%s", all, id);
    struct http_response *live = get_ok(all, RAPPORTEUR);
    struct http_response *frozen = get_ok(named_all, RAPPORTEUR);
    json_t *live_rows = json_object_get(live->json, "rows");
    json_t *frozen_rows = json_object_get(frozen->json, "rows");
    cr_assert_eq(json_array_size(frozen_rows), json_array_size(live_rows));
    cr_assert_geq(json_array_size(live_rows), 342);
    for (size_t i = 0; i < json_array_size(live_rows); i++) {
        json_t *f = json_deep_copy(json_array_get(frozen_rows, i));
        cr_assert_str_eq(itest_str_of(json_object_get(f, "release"), "id"), id);
        json_object_del(f, "release");
        cr_assert(json_equal(f, json_array_get(live_rows, i)), "row %zu differs from live", i);
        json_decref(f);
    }
    http_response_free(live);
    http_response_free(frozen);

    static const char *const reads[] = {
        "/v1/funnels?period=2016-Q1&regionSet=province&region=PV24",
        "/v1/funnels?period=2016-Q1&regionSet=municipality&region=GM0050,GM0171",
        "/v1/funnels?period=2016-Q1&regionSet=province&region=PV24&boundaries=current",
        "/v1/funnels?period=2016-Q1&regionSet=province&region=PV24&format=csv",
        "/v1/comparisons?period=2016-Q1&regionSet=province&stage=reported&metric=count",
    };
    enum { NREADS = sizeof reads / sizeof reads[0] };
    char *before[NREADS][2];
    for (size_t i = 0; i < NREADS; i++) {
        char named[256];
        snprintf(named, sizeof named, "%s&release=%s", reads[i], id);
        before[i][0] = body_of(reads[i], ANALYST); /* latest: this release */
        before[i][1] = body_of(named, RAPPORTEUR); /* the rapporteur sees it raw */
    }
    cr_assert(strstr(before[0][0], id) != NULL, "the answer does not name %s: %s", id,
              before[0][0]);

    /* A revision, a delete, new populations, a changed classification: all after the release. */
    put_reported(RAPPORTEUR, "GM0050", period, 90, 200);
    struct http_response *d =
        req("DELETE", "/v1/municipalities/GM0171/funnels/2016-Q1", RAPPORTEUR, NULL);
    cr_assert_eq(d->status, 204, "DELETE: %ld %.*s", d->status, BODY(d));
    http_response_free(d);
    sql_ok("UPDATE populations SET population_0_17 = population_0_17 + 1000 "
           "WHERE municipality_code IN ('GM0050', 'GM0303') AND year = 2016");
    sql_ok("INSERT INTO populations (municipality_code, year, population_0_17) "
           "VALUES ('GM0184', 2016, 7777) ON CONFLICT (municipality_code, year) "
           "DO UPDATE SET population_0_17 = populations.population_0_17 + 1");
    sql_ok("NOTIFY trechter_changes, 'test_releases'");
    usleep(300 * 1000);

    for (size_t i = 0; i < NREADS; i++) {
        char named[256];
        snprintf(named, sizeof named, "%s&release=%s", reads[i], id);
        char *now_protected = body_of(reads[i], ANALYST);
        char *now_raw = body_of(named, RAPPORTEUR);
        cr_expect_str_eq(now_protected, before[i][0], "%s changed after the release", reads[i]);
        cr_expect_str_eq(now_raw, before[i][1], "%s changed after the release", named);
        free(now_protected);
        free(now_raw);
        free(before[i][0]);
        free(before[i][1]);
    }
    /* Live, the rapporteur sees the revision at once. */
    struct http_response *r =
        get_ok("/v1/funnels?period=2016-Q1&regionSet=municipality&region=GM0050", RAPPORTEUR);
    cr_assert_eq(
        json_integer_value(json_object_get(figure(row_of(r->json, "GM0050"), "reported"), "count")),
        90);
    cr_assert(json_is_null(json_object_get(r->json, "release")), "live is release null");
    http_response_free(r);
}

Test(releases, changes_name_the_revised_municipalities_and_the_changed_cells)
{
    static const char period[] = "2016-Q2";
    for (size_t i = 0; i < 3; i++) /* GM0050, GM0171, GM0184; GM0303 comes later */
        put_reported(RAPPORTEUR, FLEVOLAND[i], period, 20 + (int)i, 0);
    char first[24], second[24];
    itest_make_release(period, first, sizeof first);
    put_reported(RAPPORTEUR, "GM0050", period, 60, 200); /* revised */
    put_reported(RAPPORTEUR, "GM0303", period, 61, 201); /* added */
    struct http_response *d =
        req("DELETE", "/v1/municipalities/GM0171/funnels/2016-Q2", RAPPORTEUR, NULL);
    cr_assert_eq(d->status, 204);
    http_response_free(d);
    itest_make_release(period, second, sizeof second);

    char path[96];
    snprintf(path, sizeof path, "/v1/releases/%s", second);
    struct http_response *r = get_ok(path, ANALYST);
    cr_assert_str_eq(itest_str_of(r->json, "supersedes"), first);
    cr_assert_str_eq(itest_str_of(r->json, "period"), period);
    cr_assert_str_eq(itest_str_of(r->json, "status"), "provisional");
    http_response_free(r);

    snprintf(path, sizeof path, "/v1/releases/%s/changes", second);
    r = get_ok(path, ANALYST);
    cr_assert_str_eq(itest_str_of(r->json, "from"), first);
    json_t *m = json_object_get(r->json, "municipalities");
    char *added = json_dumps(json_object_get(m, "added"), JSON_COMPACT);
    char *revised = json_dumps(json_object_get(m, "revised"), JSON_COMPACT);
    char *withdrawn = json_dumps(json_object_get(m, "withdrawn"), JSON_COMPACT);
    /* Other tests write other municipalities in other quarters only: these lists are exact. */
    cr_expect(strstr(added, "\"GM0303\"") != NULL, "added: %s", added);
    cr_expect(strstr(revised, "\"GM0050\"") != NULL, "revised: %s", revised);
    cr_expect(strstr(revised, "\"GM0184\"") == NULL, "GM0184 did not change: %s", revised);
    cr_expect(strstr(withdrawn, "\"GM0171\"") != NULL, "withdrawn: %s", withdrawn);
    free(added);
    free(revised);
    free(withdrawn);
    /* Flevoland's reported total changed: a cell of province PV24 names both values. */
    bool found = false;
    size_t i;
    json_t *cell;
    json_array_foreach(json_object_get(r->json, "cells"), i, cell)
    {
        const char *set = itest_str_of(cell, "regionSet"), *region = itest_str_of(cell, "region");
        const char *stage = itest_str_of(cell, "stage"), *dim = itest_str_of(cell, "dimension");
        if (strcmp(set, "province") == 0 && strcmp(region, "PV24") == 0 &&
            strcmp(stage, "reported") == 0 && strcmp(dim, "total") == 0) {
            found = true;
            cr_expect(!json_equal(json_object_get(cell, "from"), json_object_get(cell, "to")));
        }
        cr_expect(strcmp(set, "municipality") != 0, "changes list only nation, province and "
                                                    "safety regions");
    }
    cr_assert(found, "no changed cell for PV24 reported: %.*s", BODY(r));
    http_response_free(r);

    /* Both releases are listed, newest first. */
    r = get_ok("/v1/releases?period=2016-Q2", MULTI);
    json_t *list = json_object_get(r->json, "releases");
    cr_assert_geq(json_array_size(list), 2);
    cr_assert_str_eq(itest_str_of(json_array_get(list, 0), "id"), second);
    http_response_free(r);
}

Test(releases, who_reads_what_by_default_and_what_is_refused)
{
    static const char period[] = "2018-Q4";
    put_reported(RAPPORTEUR, "GM0034", period, 33, 0);
    put_reported(RAPPORTEUR, "GM0050", period, 5, 0);
    static const char q[] = "/v1/funnels?period=2018-Q4&regionSet=municipality&region=GM0034";

    /* No release yet: the analyst and the municipality see "notReleased", the rapporteur live. */
    struct http_response *r = get_ok(q, ANALYST);
    json_t *fig = figure(row_of(r->json, "GM0034"), "reported");
    cr_assert_str_eq(json_string_value(json_object_get(fig, "state")), "notReleased", "%.*s",
                     BODY(r));
    cr_assert(json_is_null(json_object_get(fig, "count")));
    http_response_free(r);
    r = get_ok(q, RAPPORTEUR);
    cr_assert_eq(
        json_integer_value(json_object_get(figure(row_of(r->json, "GM0034"), "reported"), "count")),
        33);
    http_response_free(r);

    /* live is refused to every protected reader; a bad release, another period or a series 400. */
    static const char *const refused[][3] = {
        {"/v1/funnels?period=2018-Q4&release=live", "403", "live-refused"},
        {"/v1/comparisons?period=2018-Q4&stage=reported&release=live", "403", "live-refused"},
        {"/v1/funnels?period=2018-Q4&release=newest", "400", "invalid"},
        {"/v1/funnels?period=2018-Q4&release=2016-Q2-r1", "400", "release-period-mismatch"},
        {"/v1/funnels?from=2018-Q3&to=2018-Q4&release=2018-Q4-r1", "400",
         "release-period-mismatch"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *tokens[] = {ANALYST, MULTI};
        for (size_t t = 0; t < 2; t++) {
            r = req("GET", refused[i][0], tokens[t], NULL);
            cr_expect_eq(r->status, atol(refused[i][1]), "%s: %ld %.*s", refused[i][0], r->status,
                         BODY(r));
            cr_expect(http_is_problem(r), "%s: not a problem", refused[i][0]);
            cr_expect(strstr(r->body, refused[i][2]) != NULL, "%s: no %s in %.*s", refused[i][0],
                      refused[i][2], BODY(r));
            cr_expect(strstr(r->body, "\"count\"") == NULL, "a refusal with figures");
            http_response_free(r);
        }
    }
    /* Only the rapporteur makes releases. */
    static const char body[] = "{\"period\":\"2018-Q4\",\"status\":\"final\"}";
    r = req("POST", "/v1/releases", ANALYST, body);
    cr_assert_eq(r->status, 403, "%.*s", BODY(r));
    http_response_free(r);
    r = req("POST", "/v1/releases", MULTI, body);
    cr_assert_eq(r->status, 403, "%.*s", BODY(r));
    http_response_free(r);
    r = req("POST", "/v1/releases", RAPPORTEUR, "{\"period\":\"2018-Q4\",\"status\":\"draft\"}");
    cr_assert_eq(r->status, 400, "%.*s", BODY(r));
    cr_assert(strstr(r->body, "/status") != NULL, "%.*s", BODY(r));
    http_response_free(r);

    /* Released: the municipality sees its own row raw from the release, the analyst protected. */
    char id[24];
    itest_make_release(period, id, sizeof id);
    r = get_ok(q, MULTI);
    json_t *row = row_of(r->json, "GM0034");
    cr_assert(json_is_false(json_object_get(row, "protected")), "%.*s", BODY(r));
    cr_assert_eq(json_integer_value(json_object_get(figure(row, "reported"), "count")), 33);
    cr_assert_str_eq(itest_str_of(json_object_get(row, "release"), "id"), id);
    http_response_free(r);
    r = get_ok(q, ANALYST);
    row = row_of(r->json, "GM0034");
    cr_assert(json_is_true(json_object_get(row, "protected")), "%.*s", BODY(r));
    cr_assert_str_eq(itest_str_of(json_object_get(r->json, "release"), "id"), id);
    http_response_free(r);
    /* ... and GM0050, not its own, protected to the municipality too. */
    r = get_ok("/v1/funnels?period=2018-Q4&regionSet=municipality&region=GM0050", MULTI);
    cr_assert(json_is_true(json_object_get(row_of(r->json, "GM0050"), "protected")), "%.*s",
              BODY(r));
    http_response_free(r);
}

/* The attack of issue 13: a municipality rewrites its own funnel again and again and reads its
 * province after each write, hoping for fresh noise to average. With releases by default it gets
 * one published value per cell; and beyond max-revisions-per-day (24) its writes are refused. */
Test(releases, rewriting_and_rereading_yields_one_perturbation_per_release)
{
    static const char period[] = "2017-Q2";
    for (size_t i = 0; i < 5; i++)
        put_reported(RAPPORTEUR, FLEVOLAND[i], period, i == 0 ? 2 : 0, 0);
    put_reported(RAPPORTEUR, "GM0034", period, 200, 0);
    char id[24];
    itest_make_release(period, id, sizeof id);

    static const char q[] = "/v1/funnels?period=2017-Q2&regionSet=province&region=PV24";
    long long seen = -1;
    int distinct = 0, written = 0, capped = 0;
    for (int i = 1; i <= 40; i++) {
        char path[96], body[160];
        snprintf(path, sizeof path, "/v1/municipalities/GM0034/funnels/%s", period);
        snprintf(body, sizeof body,
                 "{\"stages\":{\"signalled\":{\"total\":%d},\"reported\":{\"total\":%d}}}",
                 207 + 2 * i, 200 + 2 * i);
        struct http_response *w = req("PUT", path, MULTI, body);
        if (w->status == 200 || w->status == 201) {
            written++;
        } else {
            cr_assert_eq(w->status, 429, "write %d: %ld %.*s", i, w->status, BODY(w));
            cr_assert(http_is_problem(w));
            cr_assert(strstr(w->body, "too-many-revisions") != NULL, "%.*s", BODY(w));
            cr_assert(strstr(w->body, "max-revisions-per-day") != NULL, "%.*s", BODY(w));
            cr_assert_not_null(http_header(w, "Retry-After"));
            capped++;
        }
        http_response_free(w);
        struct http_response *r = get_ok(q, MULTI);
        json_t *row = row_of(r->json, "PV24");
        cr_assert(json_is_true(json_object_get(row, "protected")), "%.*s", BODY(r));
        long long n = json_integer_value(json_object_get(figure(row, "reported"), "count"));
        if (n != seen)
            distinct++;
        seen = n;
        http_response_free(r);
    }
    cr_assert_eq(distinct, 1, "the province's published count changed %d times", distinct);
    /* 24 revisions of the resource a day, the rapporteur's first one among them. */
    cr_assert_eq(written, 23, "%d writes went through, %d were refused", written, capped);
    cr_assert_eq(capped, 17);
    /* An unchanged write (the last one that went through) is still answered, as a retry would. */
    char body[160];
    snprintf(body, sizeof body,
             "{\"stages\":{\"signalled\":{\"total\":%d},\"reported\":{\"total\":%d}}}",
             207 + 2 * 23, 200 + 2 * 23);
    struct http_response *w = req("PUT", "/v1/municipalities/GM0034/funnels/2017-Q2", MULTI, body);
    cr_assert_eq(w->status, 200, "an unchanged write at the cap: %ld %.*s", w->status, BODY(w));
    http_response_free(w);
    /* The rapporteur is exempt. */
    put_reported(RAPPORTEUR, "GM0034", period, 500, 200);
}

/* Open releases (design §8): served without a token, the protected view, cacheable by anyone
 * for five minutes with an ETag; a release not made open is not; live is 401; the DCAT-AP
 * catalogue lists the open ones. */
Test(releases, open_releases_are_served_without_a_token_and_catalogued)
{
    static const char period[] = "2019-Q1";
    put_reported(RAPPORTEUR, "GM0050", period, 3, 0);
    put_reported(RAPPORTEUR, "GM0171", period, 40, 0);
    static const char q[] = "/v1/funnels?period=2019-Q1&regionSet=province&region=PV24";

    /* A release that is not open: nothing of it reaches a caller without a token. */
    char closed[24];
    itest_make_release(period, closed, sizeof closed);
    struct http_response *r = get_ok(q, NULL);
    json_t *row = row_of(r->json, "PV24");
    cr_assert_str_eq(json_string_value(json_object_get(figure(row, "reported"), "state")),
                     "notReleased", "a closed release reached a caller without a token: %.*s",
                     BODY(r));
    http_response_free(r);
    char path[160];
    snprintf(path, sizeof path, "%s&release=%s", q, closed);
    r = get_ok(path, NULL);
    cr_assert(strstr(r->body, "\"count\":") == NULL || strstr(r->body, "notReleased"),
              "a closed release by its id: %.*s", BODY(r));
    http_response_free(r);
    snprintf(path, sizeof path, "%s&release=live", q);
    r = req("GET", path, NULL, NULL);
    cr_assert_eq(r->status, 401, "live without a token: %ld %.*s", r->status, BODY(r));
    cr_assert_not_null(http_header(r, "WWW-Authenticate"));
    http_response_free(r);

    /* An open release: the protected view, the same bytes an analyst gets, cacheable. */
    static const char body[] = "{\"period\":\"2019-Q1\",\"status\":\"final\",\"open\":true}";
    r = req("POST", "/v1/releases", RAPPORTEUR, body);
    cr_assert_eq(r->status, 201, "%.*s", BODY(r));
    char open_id[24];
    snprintf(open_id, sizeof open_id, "%s", itest_str_of(r->json, "id"));
    cr_assert(json_is_true(json_object_get(r->json, "open")));
    http_response_free(r);

    r = get_ok(q, NULL);
    row = row_of(r->json, "PV24");
    cr_assert(json_is_true(json_object_get(row, "protected")), "%.*s", BODY(r));
    cr_assert_str_eq(itest_str_of(json_object_get(row, "release"), "id"), open_id);
    const char *cc = http_header(r, "Cache-Control");
    cr_assert(cc && strstr(cc, "public") && strstr(cc, "max-age=300"), "Cache-Control: %s", cc);
    char etag[80];
    snprintf(etag, sizeof etag, "%s", http_header(r, "ETag") ? http_header(r, "ETag") : "");
    cr_assert(etag[0] == '"', "no ETag on an open answer");
    long long anonymous = json_integer_value(json_object_get(figure(row, "reported"), "count"));
    http_response_free(r);
    snprintf(path, sizeof path, "%s&release=%s", q, open_id);
    r = get_ok(path, ANALYST);
    cr_assert_eq(
        json_integer_value(json_object_get(figure(row_of(r->json, "PV24"), "reported"), "count")),
        anonymous, "the open view is the protected view");
    http_response_free(r);

    char inm[100];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *headers[] = {inm, NULL};
    r = http_do("GET", q, NULL, NULL, NULL, 0, headers);
    cr_assert_eq(r->status, 304, "If-None-Match: %ld %.*s", r->status, BODY(r));
    cr_assert_eq(r->body_len, 0);
    http_response_free(r);
    snprintf(path, sizeof path, "%s&format=csv", q);
    r = get_ok(path, NULL);
    cr_assert(strncmp(http_header(r, "Content-Type"), "text/csv", 8) == 0);
    cr_assert_not_null(http_header(r, "ETag"));
    http_response_free(r);

    /* The catalogue: a dataset for the period, a distribution per format of the open release,
     * nothing of the closed one. */
    r = get_ok("/v1/catalog", NULL);
    cr_assert(strncmp(http_header(r, "Content-Type"), "application/ld+json", 19) == 0);
    cr_assert_str_eq(itest_str_of(r->json, "@type"), "dcat:Catalog");
    cr_assert_not_null(itest_str_of(json_object_get(r->json, "@context"), "@base"));
    bool dataset = false;
    int distributions = 0;
    size_t i, j;
    json_t *ds, *dist;
    json_array_foreach(json_object_get(r->json, "dcat:dataset"), i, ds)
    {
        if (strcmp(itest_str_of(ds, "dct:identifier"), "trechter-2019-Q1") != 0)
            continue;
        dataset = true;
        json_array_foreach(json_object_get(ds, "dcat:distribution"), j, dist)
        {
            const char *id = itest_str_of(dist, "@id");
            cr_assert(strstr(id, closed) == NULL || strcmp(closed, open_id) == 0,
                      "the closed release is catalogued: %s", id);
            if (strstr(id, open_id))
                distributions++;
            cr_assert_not_null(json_object_get(dist, "dct:license"));
            cr_assert(strstr(itest_str_of(dist, "dct:description"), "cell-key"));
        }
    }
    cr_assert(dataset, "no dataset for 2019-Q1: %.*s", BODY(r));
    cr_assert_eq(distributions, 2, "JSON and CSV of %s", open_id);
    http_response_free(r);
}
