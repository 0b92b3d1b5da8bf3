/* Integration tests of daemon/db_pool.c against a real PostgreSQL (libpq conninfo in
 * TRECHTER_TEST_DB). Each test owns its event_base and pool; the loop runs until every submitted
 * statement has called back, under a safety timer. */
#include "daemon/db_pool.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

struct run {
    struct event_base *base; /* owned */
    struct db_pool *pool;    /* owned */
    int pending;             /* statements submitted and not yet called back */
};

struct outcome {
    struct run *run; /* borrowed */
    bool called;
    enum db_status status;
    int ntuples;
    char value[64];   /* first column of the first row, "" if none */
    char sqlstate[6]; /* of a DB_SQL_ERROR */
    double at;        /* seconds (monotonic) when called back */
};

static bool in_submit; /* set around db_pool_query: a callback must never see it */

static const char *test_db(void)
{
    const char *db = getenv("TRECHTER_TEST_DB");
    cr_assert(db && *db, "TRECHTER_TEST_DB is not set (libpq conninfo of the test database)");
    return db;
}

static void on_done(void *arg, enum db_status status, const PGresult *res)
{
    struct outcome *o = arg;
    cr_assert(!in_submit, "callback called from inside db_pool_query");
    cr_assert(!o->called, "callback called twice");
    o->called = true;
    o->status = status;
    o->at = itest_now_s();
    if (status == DB_OK || status == DB_SQL_ERROR)
        cr_assert_not_null(res);
    else
        cr_assert_null(res);
    if (status == DB_OK) {
        o->ntuples = PQntuples(res);
        if (o->ntuples > 0 && PQnfields(res) > 0)
            snprintf(o->value, sizeof o->value, "%s", PQgetvalue(res, 0, 0));
    } else if (status == DB_SQL_ERROR) {
        const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        snprintf(o->sqlstate, sizeof o->sqlstate, "%s", code ? code : "");
    }
    if (--o->run->pending == 0)
        event_base_loopbreak(o->run->base);
}

static void run_open(struct run *r, const char *conninfo, const struct db_pool_options *opts)
{
    const char *err = NULL;
    memset(r, 0, sizeof *r);
    r->base = event_base_new();
    cr_assert_not_null(r->base);
    r->pool = db_pool_new(r->base, conninfo, opts, &err);
    cr_assert_not_null(r->pool, "db_pool_new: %s", err ? err : "?");
}

static void run_close(struct run *r)
{
    db_pool_free(r->pool);
    event_base_free(r->base);
}

static void submit(struct run *r, struct outcome *o, const char *sql, int n, const char *const *v)
{
    memset(o, 0, sizeof *o);
    o->run = r;
    r->pending++;
    in_submit = true;
    int rc = db_pool_query(r->pool, sql, n, v, on_done, o);
    in_submit = false;
    cr_assert_eq(rc, 0);
    cr_assert(!o->called);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    event_base_loopbreak(arg);
}

/* Runs the loop until every submitted statement has called back or `seconds` pass. */
static void run_wait(struct run *r, double seconds)
{
    struct timeval tv = {.tv_sec = (long)seconds,
                         .tv_usec = (long)((seconds - (long)seconds) * 1e6)};
    struct event *t = evtimer_new(r->base, on_deadline, r->base);
    evtimer_add(t, &tv);
    if (r->pending > 0)
        event_base_dispatch(r->base);
    event_free(t);
    cr_assert_eq(r->pending, 0, "%d statements still pending", r->pending);
}

/* Runs the loop for `seconds` whatever happens. */
static void run_for(struct run *r, double seconds)
{
    struct timeval tv = {.tv_sec = (long)seconds,
                         .tv_usec = (long)((seconds - (long)seconds) * 1e6)};
    event_base_loopexit(r->base, &tv);
    event_base_dispatch(r->base);
}

static void run_until_ready(struct run *r)
{
    for (int i = 0; i < 500 && !db_pool_ready(r->pool); i++)
        run_for(r, 0.01);
    cr_assert(db_pool_ready(r->pool), "pool did not connect");
}

Test(db_pool, select_with_params, .timeout = 20)
{
    struct run r;
    struct outcome o[2];
    const char *v[] = {"41", "hello", NULL};
    run_open(&r, test_db(), NULL);
    submit(&r, &o[0], "SELECT $1::int + 1, $2::text, $3::text IS NULL", 3, v);
    submit(&r, &o[1],
           "SELECT current_setting('application_name'), current_setting('statement_timeout')", 0,
           NULL);
    run_wait(&r, 10);
    cr_assert_eq(o[0].status, DB_OK);
    cr_assert_eq(o[0].ntuples, 1);
    cr_assert_str_eq(o[0].value, "42");
    cr_assert_eq(o[1].status, DB_OK);
    cr_assert_str_eq(o[1].value, "trechterd");
    cr_assert(db_pool_ready(r.pool));
    struct db_pool_stats st;
    db_pool_get_stats(r.pool, &st);
    cr_assert_eq(st.queries, 2);
    cr_assert_eq(st.busy, 0);
    cr_assert_eq(st.waiting, 0);
    run_close(&r);
}

Test(db_pool, statement_timeout_is_sent, .timeout = 20)
{
    struct run r;
    struct outcome o;
    struct db_pool_options opts = {
        .size = 1, .query_timeout_ms = 1234, .application_name = "t-app"};
    run_open(&r, test_db(), &opts);
    submit(
        &r, &o,
        "SELECT current_setting('statement_timeout') || ' ' || current_setting('application_name')",
        0, NULL);
    run_wait(&r, 10);
    cr_assert_eq(o.status, DB_OK);
    cr_assert_str_eq(o.value, "1234ms t-app");
    run_close(&r);
}

Test(db_pool, sql_error_has_sqlstate, .timeout = 20)
{
    struct run r;
    struct outcome o[3];
    const char *bad[] = {"not a number"};
    run_open(&r, test_db(), NULL);
    submit(&r, &o[0], "SELECT * FROM no_such_table_here", 0, NULL);
    submit(&r, &o[1], "SELECT $1::int", 1, bad);
    submit(&r, &o[2], "SELECT 'still fine'", 0, NULL);
    run_wait(&r, 10);
    cr_assert_eq(o[0].status, DB_SQL_ERROR);
    cr_assert_str_eq(o[0].sqlstate, "42P01");
    cr_assert_eq(o[1].status, DB_SQL_ERROR);
    cr_assert_str_eq(o[1].sqlstate, "22P02");
    cr_assert_eq(o[2].status, DB_OK);
    cr_assert_str_eq(o[2].value, "still fine");
    run_close(&r);
}

Test(db_pool, twenty_concurrent_on_two_connections, .timeout = 20)
{
    struct run r;
    struct outcome o[20];
    char num[20][8];
    bool seen[20] = {0};
    struct db_pool_options opts = {.size = 2};
    run_open(&r, test_db(), &opts);
    for (int i = 0; i < 20; i++) {
        snprintf(num[i], sizeof num[i], "%d", i);
        const char *v[] = {num[i]};
        submit(&r, &o[i], "SELECT $1::int, pg_sleep(0.02)", 1, v);
    }
    struct db_pool_stats st;
    db_pool_get_stats(r.pool, &st);
    cr_assert_eq(st.waiting, 20);
    run_wait(&r, 15);
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(o[i].status, DB_OK, "statement %d: status %d", i, o[i].status);
        int n = atoi(o[i].value);
        cr_assert(n >= 0 && n < 20 && !seen[n]);
        seen[n] = true;
        cr_assert_eq(n, i, "statement %d got the result of %d", i, n);
    }
    db_pool_get_stats(r.pool, &st);
    cr_assert_eq(st.open, 2);
    cr_assert_eq(st.busy, 0);
    cr_assert_eq(st.queries, 20);
    run_close(&r);
}

Test(db_pool, full_queue_is_overloaded, .timeout = 20)
{
    struct run r;
    struct outcome o[10];
    struct db_pool_options opts = {.size = 1, .queue_max = 2};
    int ok = 0, overloaded = 0;
    run_open(&r, test_db(), &opts);
    run_until_ready(&r);
    /* one goes to the idle connection, two may wait, the rest are refused */
    for (int i = 0; i < 10; i++)
        submit(&r, &o[i], "SELECT pg_sleep(0.1)", 0, NULL);
    run_wait(&r, 10);
    for (int i = 0; i < 10; i++) {
        ok += o[i].status == DB_OK;
        overloaded += o[i].status == DB_OVERLOADED;
    }
    cr_assert_eq(ok, 3);
    cr_assert_eq(overloaded, 7);
    cr_assert_eq(o[0].status, DB_OK);
    cr_assert_eq(o[9].status, DB_OVERLOADED);
    run_close(&r);
}

Test(db_pool, slow_statement_times_out_then_pool_serves, .timeout = 20)
{
    struct run r;
    struct outcome o;
    struct db_pool_options opts = {.size = 1, .query_timeout_ms = 500};
    run_open(&r, test_db(), &opts);
    run_until_ready(&r);
    double t0 = itest_now_s();
    submit(&r, &o, "SELECT pg_sleep(3)", 0, NULL);
    run_wait(&r, 10);
    cr_assert_eq(o.status, DB_TIMEOUT);
    cr_assert_lt(o.at - t0, 2.0);
    submit(&r, &o, "SELECT 'after'", 0, NULL);
    run_wait(&r, 10);
    cr_assert_eq(o.status, DB_OK);
    cr_assert_str_eq(o.value, "after");
    run_close(&r);
}

/* A server that stops answering (backend SIGSTOPped, so statement_timeout cannot fire): the
 * client-side timer drops the connection, a queued statement times out in the queue, and the pool
 * reconnects. Needs a local server whose backends we may signal. */
Test(db_pool, stuck_server_hits_client_timer, .timeout = 20)
{
    struct run r;
    struct outcome o[3];
    struct db_pool_options opts = {.size = 1, .query_timeout_ms = 300};
    run_open(&r, test_db(), &opts);
    submit(&r, &o[0], "SELECT pg_backend_pid()", 0, NULL);
    run_wait(&r, 10);
    cr_assert_eq(o[0].status, DB_OK);
    pid_t pid = (pid_t)atol(o[0].value);
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(comm, sizeof comm, f))
            comm[0] = 0;
        fclose(f);
    }
    if (strcmp(comm, "postgres\n") != 0 || kill(pid, SIGSTOP) != 0) {
        run_close(&r);
        cr_skip_test("backend %ld is not a local process we may signal", (long)pid);
    }
    double t0 = itest_now_s();
    submit(&r, &o[1], "SELECT 'stuck'", 0, NULL);
    submit(&r, &o[2], "SELECT 'queued'", 0, NULL);
    run_wait(&r, 10);
    kill(pid, SIGCONT);
    cr_assert_eq(o[1].status, DB_TIMEOUT);
    cr_assert_eq(o[2].status, DB_TIMEOUT);
    cr_assert_lt(o[2].at - t0, 1.0, "queue wait should time out after ~query_timeout_ms");
    cr_assert_gt(o[1].at - t0, 1.0, "client timer has 1 s slack over query_timeout_ms");
    cr_assert_lt(o[1].at - t0, 3.0);
    submit(&r, &o[0], "SELECT 'recovered'", 0, NULL);
    run_wait(&r, 10);
    cr_assert_eq(o[0].status, DB_OK);
    cr_assert_str_eq(o[0].value, "recovered");
    struct db_pool_stats st;
    db_pool_get_stats(r.pool, &st);
    cr_assert_geq(st.reconnects, 1);
    run_close(&r);
}

Test(db_pool, unreachable_database_is_unavailable_quickly, .timeout = 20)
{
    struct run r;
    struct outcome o[5];
    struct db_pool_options opts = {.size = 2, .connect_timeout_ms = 1000};
    run_open(&r, "host=127.0.0.1 port=1 user=nobody dbname=nothing", &opts);
    double t0 = itest_now_s();
    submit(&r, &o[0], "SELECT 1", 0, NULL);
    submit(&r, &o[1], "SELECT 2", 0, NULL);
    run_wait(&r, 5);
    cr_assert_eq(o[0].status, DB_UNAVAILABLE);
    cr_assert_eq(o[1].status, DB_UNAVAILABLE);
    cr_assert_lt(o[1].at - t0, 2.0);
    cr_assert(!db_pool_ready(r.pool));
    run_for(&r, 0.5); /* let it retry a few times */
    t0 = itest_now_s();
    for (int i = 2; i < 5; i++)
        submit(&r, &o[i], "SELECT 3", 0, NULL);
    run_wait(&r, 5);
    for (int i = 2; i < 5; i++)
        cr_assert_eq(o[i].status, DB_UNAVAILABLE);
    cr_assert_lt(o[4].at - t0, 0.5, "a pool known to be down answers at once");
    struct db_pool_stats st;
    db_pool_get_stats(r.pool, &st);
    cr_assert_geq(st.reconnects, 2);
    cr_assert_eq(st.open, 0);
    run_close(&r);
}

Test(db_pool, free_fails_pending_statements, .timeout = 20)
{
    struct run r;
    struct outcome o[4];
    struct db_pool_options opts = {.size = 1};
    run_open(&r, test_db(), &opts);
    run_until_ready(&r);
    for (int i = 0; i < 4; i++)
        submit(&r, &o[i], "SELECT pg_sleep(5)", 0, NULL);
    run_for(&r, 0.2); /* one in flight, three queued */
    db_pool_free(r.pool);
    cr_assert_eq(r.pending, 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(o[i].status, DB_UNAVAILABLE);
    event_base_free(r.base);
}

Test(db_pool, bad_conninfo_and_arguments, .timeout = 20)
{
    const char *err = NULL;
    struct event_base *base = event_base_new();
    cr_assert_null(db_pool_new(base, "this is = not ' valid", NULL, &err));
    cr_assert_not_null(err);
    struct db_pool *pool = db_pool_new(base, test_db(), NULL, &err);
    cr_assert_not_null(pool);
    cr_assert_eq(db_pool_query(pool, NULL, 0, NULL, on_done, NULL), -1);
    cr_assert_eq(db_pool_query(pool, "SELECT 1", -1, NULL, on_done, NULL), -1);
    cr_assert_eq(db_pool_query(pool, "SELECT 1", 0, NULL, NULL, NULL), -1);
    db_pool_free(pool);
    event_base_free(base);
}

static void wait_open(struct run *r, int n)
{
    struct db_pool_stats st = {0};
    for (int i = 0; i < 500; i++) {
        db_pool_get_stats(r->pool, &st);
        if (st.open == n)
            return;
        run_for(r, 0.01);
    }
    cr_assert_eq(st.open, n);
}

/* A backend that dies under a statement fails that statement with DB_UNAVAILABLE (never retried);
 * a backend that dies while idle is noticed; both connections come back. */
Test(db_pool, broken_connection_is_unavailable_and_reconnects, .timeout = 20)
{
    struct run r;
    struct outcome o[2];
    struct db_pool_options opts = {.size = 2, .application_name = "trechterd-broken-test"};
    run_open(&r, test_db(), &opts);
    wait_open(&r, 2);
    submit(&r, &o[0], "SELECT pg_terminate_backend(pg_backend_pid())", 0, NULL);
    run_wait(&r, 10);
    cr_assert_eq(o[0].status, DB_UNAVAILABLE);
    wait_open(&r, 2); /* the killed one is back after its back-off */
    submit(&r, &o[1],
           "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
           " WHERE application_name = 'trechterd-broken-test' AND pid <> pg_backend_pid()",
           0, NULL);
    run_wait(&r, 10);
    cr_assert_eq(o[1].status, DB_OK);
    cr_assert_str_eq(o[1].value, "1");
    struct db_pool_stats st = {0};
    for (int i = 0; i < 500; i++) {
        db_pool_get_stats(r.pool, &st);
        if (st.open == 2 && st.reconnects >= 2)
            break;
        run_for(&r, 0.01);
    }
    cr_assert_eq(st.open, 2);
    cr_assert_geq(st.reconnects, 2);
    submit(&r, &o[0], "SELECT 'back'", 0, NULL);
    run_wait(&r, 10);
    cr_assert_eq(o[0].status, DB_OK);
    run_close(&r);
}
