/* Integration test: an import that loses a deadlock is retried by the daemon (issue 12 item 6:
 * imports retry on serialisation failure and deadlock as single writes do), so the client gets
 * one 200 and every item is written exactly once.
 *
 * How the deadlock is made, deterministically: the test's own connection locks the submission row
 * of the import's SECOND item (FOR UPDATE); the import locks its first item and waits for the
 * second; the test then asks for the first item's row. PostgreSQL finds the cycle in the session
 * whose deadlock_timeout runs out first: the import's (the server default, 1 s), because the
 * test's session sets its own to 60 s. The import's transaction is aborted with 40P01; the test's
 * request is granted, it rolls back, and the daemon's retry of the import goes through. */
#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TestSuite(import_retry, .timeout = 90);

#define FIRST "GM1680"
#define SECOND "GM0737"
#define PERIOD "2018-Q3"

static void put_funnel(const char *code, int disclosed)
{
    char path[128], body[128];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", code, PERIOD);
    snprintf(body, sizeof body, "{\"stages\":{\"disclosed\":{\"total\":%d}}}", disclosed);
    struct http_response *r = http_do("PUT", path, itest_env("TOKEN_RAPPORTEUR"),
                                      "application/json", body, strlen(body), NULL);
    cr_assert(r->status == 200 || r->status == 201, "PUT %s: %ld %s", path, r->status, r->body);
    http_response_free(r);
}

static long long disclosed_of(const char *code)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", code, PERIOD);
    struct http_response *r = http_get(path, itest_env("TOKEN_RAPPORTEUR"));
    cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
    json_t *disclosed = json_object_get(
        json_object_get(json_object_get(json_object_get(r->json, "content"), "stages"),
                        "disclosed"),
        "total");
    if (!disclosed) /* the answer may carry the document at the top level */
        disclosed = json_object_get(
            json_object_get(json_object_get(r->json, "stages"), "disclosed"), "total");
    cr_assert(json_is_integer(disclosed), "no stages.disclosed.total in %s", r->body);
    long long v = json_integer_value(disclosed);
    http_response_free(r);
    return v;
}

static int revisions_of(const char *code)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s/revisions", code, PERIOD);
    struct http_response *r = http_get(path, itest_env("TOKEN_RAPPORTEUR"));
    cr_assert_eq(r->status, 200, "GET %s: %ld %s", path, r->status, r->body);
    json_t *list = json_is_array(r->json) ? r->json : json_object_get(r->json, "revisions");
    cr_assert(json_is_array(list), "no revision list in %s", r->body);
    int n = (int)json_array_size(list);
    http_response_free(r);
    return n;
}

static PGresult *exec_ok(PGconn *db, const char *sql, const char *const *params, int nparams)
{
    PGresult *res = PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(db));
    return res;
}

static long long deadlocks(PGconn *db)
{
    PGresult *res = exec_ok(db,
                            "SELECT deadlocks FROM pg_stat_database "
                            "WHERE datname = current_database()",
                            NULL, 0);
    long long n = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

struct import_call {
    struct http_response *response;
};

static void *post_import(void *arg)
{
    struct import_call *call = arg;
    static const char body[] = "[{\"municipality\":\"" FIRST "\",\"period\":\"" PERIOD "\","
                               "\"stages\":{\"disclosed\":{\"total\":71}}},"
                               " {\"municipality\":\"" SECOND "\",\"period\":\"" PERIOD "\","
                               "\"stages\":{\"disclosed\":{\"total\":72}}}]";
    call->response = http_do("POST", "/v1/imports", itest_env("TOKEN_RAPPORTEUR"),
                             "application/json", body, strlen(body), NULL);
    return NULL;
}

/* True once another backend of this database waits for a row lock (the import, on SECOND). */
static bool someone_waits_for_a_lock(PGconn *db)
{
    PGresult *res = exec_ok(db,
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                            "AND wait_event_type = 'Lock'",
                            NULL, 0);
    bool waits = atoi(PQgetvalue(res, 0, 0)) > 0;
    PQclear(res);
    return waits;
}

Test(import_retry, an_import_that_loses_a_deadlock_is_retried_and_written_once)
{
    put_funnel(FIRST, 11);
    put_funnel(SECOND, 12);
    int revisions_first = revisions_of(FIRST), revisions_second = revisions_of(SECOND);

    PGconn *db = PQconnectdb(itest_env("TRECHTER_DB"));
    cr_assert_eq(PQstatus(db), CONNECTION_OK, "connect: %s", PQerrorMessage(db));
    long long deadlocks_before = deadlocks(db);
    PQclear(exec_ok(db, "BEGIN", NULL, 0));
    PQclear(exec_ok(db, "SET LOCAL deadlock_timeout = '60s'", NULL, 0));
    const char *second[] = {SECOND, PERIOD};
    PQclear(exec_ok(db,
                    "SELECT 1 FROM submissions WHERE municipality_code = $1 AND kind = 'funnel' "
                    "AND period = $2 FOR UPDATE",
                    second, 2));

    struct import_call call = {0};
    pthread_t thread;
    cr_assert_eq(pthread_create(&thread, NULL, post_import, &call), 0);
    double until = itest_now_s() + 20;
    while (!someone_waits_for_a_lock(db) && itest_now_s() < until)
        usleep(20 * 1000);
    cr_assert(someone_waits_for_a_lock(db), "the import never waited for the locked row");

    /* Closes the cycle; returns once PostgreSQL has aborted the import's transaction. */
    const char *first[] = {FIRST, PERIOD};
    PQclear(exec_ok(db,
                    "SELECT 1 FROM submissions WHERE municipality_code = $1 AND kind = 'funnel' "
                    "AND period = $2 FOR UPDATE",
                    first, 2));
    PQclear(exec_ok(db, "ROLLBACK", NULL, 0));
    pthread_join(thread, NULL);

    struct http_response *r = call.response;
    cr_assert_eq(r->status, 200, "the import after a lost deadlock: %ld %s", r->status, r->body);
    cr_assert_eq(itest_int_of(r->json, "updated"), 2, "both items updated once: %s", r->body);
    http_response_free(r);
    /* Statistics reach pg_stat_database within a second or so (PostgreSQL 15 flushes them). */
    long long seen = deadlocks(db);
    for (int i = 0; i < 50 && seen == deadlocks_before; i++) {
        usleep(100 * 1000);
        PQclear(exec_ok(db, "SELECT pg_stat_clear_snapshot()", NULL, 0));
        seen = deadlocks(db);
    }
    cr_assert_geq(seen, deadlocks_before + 1, "PostgreSQL saw no deadlock, so nothing was retried");
    PQfinish(db);

    cr_assert_eq(disclosed_of(FIRST), 71);
    cr_assert_eq(disclosed_of(SECOND), 72);
    cr_assert_eq(revisions_of(FIRST), revisions_first + 1, "one new revision, not two");
    cr_assert_eq(revisions_of(SECOND), revisions_second + 1, "one new revision, not two");
}
