/* Concurrent writers to one funnel (design §3.1, §6, PITFALLS "Concurrency on one resource"):
 * 32 PUTs at once, each from its own thread and connection, against the daemon started by
 * tests/harness/env-up (CTest fixture "main"). Each test owns its (municipality, period). */
#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WRITERS 32
#define BODY(r) ((r)->body_len > 1000 ? 1000 : (int)(r)->body_len), (r)->body

struct writer {
    pthread_barrier_t *start;
    const char *path;
    const char *token;
    char body[128];
    long status;
    long long revision;
    int unchanged;
    int retried_429;
    char etag[32];
    char text[512];
};

static void *write_one(void *arg)
{
    struct writer *w = arg;
    pthread_barrier_wait(w->start);
    for (int attempt = 0;; attempt++) {
        struct http_response *r =
            http_do("PUT", w->path, w->token, "application/json", w->body, strlen(w->body), NULL);
        if (r->status == 429 && attempt < 20) {
            w->retried_429++;
            http_response_free(r);
            usleep(200 * 1000);
            continue;
        }
        w->status = r->status;
        snprintf(w->text, sizeof w->text, "%.*s", BODY(r));
        json_t *rev = json_object_get(r->json, "revision");
        w->revision = json_is_integer(rev) ? json_integer_value(rev) : -1;
        w->unchanged = json_is_true(json_object_get(r->json, "unchanged"));
        const char *etag = http_header(r, "ETag");
        snprintf(w->etag, sizeof w->etag, "%s", etag ? etag : "");
        http_response_free(r);
        return NULL;
    }
}

static void run_writers(struct writer *w, const char *path, int same_body)
{
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, WRITERS);
    pthread_t th[WRITERS];
    const char *tok = getenv("TOKEN_RAPPORTEUR");
    cr_assert(tok && *tok, "TOKEN_RAPPORTEUR missing");
    for (int i = 0; i < WRITERS; i++) {
        w[i].start = &start;
        w[i].path = path;
        w[i].token = tok;
        snprintf(w[i].body, sizeof w[i].body,
                 "{\"stages\": {\"reported\": {\"total\": %d}, \"signalled\": {\"total\": 100}}}",
                 same_body ? 50 : 1000 + i);
        cr_assert_eq(pthread_create(&th[i], NULL, write_one, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
}

/* GM0171 2020-Q1 */
Test(concurrency, different_bodies_get_consecutive_revisions, .timeout = 60)
{
    const char *path = "/v1/municipalities/GM0171/funnels/2020-Q1";
    struct writer w[WRITERS];
    memset(w, 0, sizeof w);
    run_writers(w, path, 0);

    int created = 0, seen[WRITERS + 1] = {0}, retries = 0;
    for (int i = 0; i < WRITERS; i++) {
        retries += w[i].retried_429;
        cr_assert(w[i].status == 200 || w[i].status == 201, "writer %d: HTTP %ld: %s", i,
                  w[i].status, w[i].text);
        cr_assert(!w[i].unchanged, "writer %d: a different body answered unchanged: %s", i,
                  w[i].text);
        cr_assert(w[i].revision >= 1 && w[i].revision <= WRITERS, "writer %d: revision %lld", i,
                  w[i].revision);
        cr_assert(!seen[w[i].revision], "revision %lld answered twice", w[i].revision);
        seen[w[i].revision] = 1;
        char etag[32];
        snprintf(etag, sizeof etag, "\"%lld\"", w[i].revision);
        cr_assert_str_eq(w[i].etag, etag, "writer %d: ETag %s for revision %lld", i, w[i].etag,
                         w[i].revision);
        if (w[i].status == 201) {
            created++;
            cr_assert_eq(w[i].revision, 1, "the 201 was revision %lld", w[i].revision);
        }
    }
    cr_assert_eq(created, 1, "%d writers got 201", created);
    if (retries)
        cr_log_warn("%d requests were rate-limited (429) and retried", retries);

    struct http_response *r =
        http_get("/v1/municipalities/GM0171/funnels/2020-Q1/revisions", getenv("TOKEN_RAPPORTEUR"));
    cr_assert_eq(r->status, 200, "revisions: HTTP %ld %.*s", r->status, BODY(r));
    json_t *list = json_object_get(r->json, "revisions");
    cr_assert_eq(json_array_size(list), WRITERS, "revisions lists %zu entries",
                 json_array_size(list));
    for (size_t i = 0; i < WRITERS; i++) {
        json_t *rev = json_object_get(json_array_get(list, i), "revision");
        cr_assert(json_is_integer(rev) && json_integer_value(rev) == (json_int_t)i + 1,
                  "revisions[%zu] is not revision %zu: %.*s", i, i + 1, BODY(r));
    }
    http_response_free(r);

    /* The current revision is the last one written, and holds that writer's figures. */
    r = http_get(path, getenv("TOKEN_RAPPORTEUR"));
    cr_assert_eq(r->status, 200);
    json_t *rev = json_object_get(r->json, "revision");
    cr_assert(json_is_integer(rev) && json_integer_value(rev) == WRITERS, "current: %.*s", BODY(r));
    long long total = json_integer_value(
        json_object_get(json_object_get(json_object_get(r->json, "stages"), "reported"), "total"));
    int found = 0;
    for (int i = 0; i < WRITERS; i++)
        if (w[i].revision == WRITERS)
            found = total == 1000 + i;
    cr_assert(found, "the current figures (reported %lld) are not those of revision %d", total,
              WRITERS);
    http_response_free(r);

    /* One audit event per write; the cells of every revision stored once. */
    PGconn *db = PQconnectdb(itest_env("TRECHTER_DB"));
    cr_assert_eq(PQstatus(db), CONNECTION_OK, "%s", PQerrorMessage(db));
    PGresult *res = PQexec(db, "SELECT count(*) FROM audit_events WHERE method = 'PUT' AND path = "
                               "'/v1/municipalities/GM0171/funnels/2020-Q1'");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(db));
    cr_assert_eq(atoi(PQgetvalue(res, 0, 0)), WRITERS, "audit events: %s", PQgetvalue(res, 0, 0));
    PQclear(res);
    res = PQexec(
        db, "SELECT count(*), count(DISTINCT c.revision) FROM funnel_cells c JOIN submissions s "
            "ON s.id = c.submission_id WHERE s.municipality_code = 'GM0171' AND s.period = "
            "'2020-Q1' AND c.dimension = 'total'");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(db));
    cr_assert_eq(atoi(PQgetvalue(res, 0, 0)), 2 * WRITERS, "stage totals stored: %s",
                 PQgetvalue(res, 0, 0));
    cr_assert_eq(atoi(PQgetvalue(res, 0, 1)), WRITERS, "revisions with cells: %s",
                 PQgetvalue(res, 0, 1));
    PQclear(res);
    res = PQexec(db,
                 "SELECT count(*) FROM current_funnel_cells WHERE municipality_code = 'GM0171' AND "
                 "period = '2020-Q1' AND dimension = 'total'");
    cr_assert_eq(atoi(PQgetvalue(res, 0, 0)), 2, "current cells: %s", PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(db);
}

/* GM0173 2020-Q1 */
Test(concurrency, same_body_creates_once, .timeout = 60)
{
    const char *path = "/v1/municipalities/GM0173/funnels/2020-Q1";
    struct writer w[WRITERS];
    memset(w, 0, sizeof w);
    run_writers(w, path, 1);
    int created = 0, unchanged = 0;
    for (int i = 0; i < WRITERS; i++) {
        cr_assert(w[i].status == 200 || w[i].status == 201, "writer %d: HTTP %ld: %s", i,
                  w[i].status, w[i].text);
        cr_assert_eq(w[i].revision, 1, "writer %d: revision %lld: %s", i, w[i].revision, w[i].text);
        if (w[i].status == 201)
            created++;
        else
            unchanged += w[i].unchanged;
    }
    cr_assert_eq(created, 1, "%d writers got 201", created);
    cr_assert_eq(unchanged, WRITERS - 1, "%d of the other writers got unchanged:true", unchanged);
    struct http_response *r =
        http_get("/v1/municipalities/GM0173/funnels/2020-Q1/revisions", getenv("TOKEN_RAPPORTEUR"));
    cr_assert_eq(r->status, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "revisions")), 1, "revisions: %.*s",
                 BODY(r));
    http_response_free(r);
}
