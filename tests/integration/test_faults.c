/* Fault tests (CTest fixture "faults", its own PostgreSQL and daemon, Criterion --jobs 1): the
 * database going away and coming back (design §6). Each test leaves PostgreSQL running again. */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static int pg(const char *action)
{
    char cmd[2048];
    if (strcmp(action, "start") == 0)
        snprintf(cmd, sizeof cmd, "'%s' start '%s' '%s' --fast >/dev/null",
                 itest_env("TRECHTER_PGCLUSTER"), itest_env("TRECHTER_PGDIR"),
                 itest_env("TRECHTER_PGPORT"));
    else
        snprintf(cmd, sizeof cmd, "'%s' stop '%s'", itest_env("TRECHTER_PGCLUSTER"),
                 itest_env("TRECHTER_PGDIR"));
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

/* Runs after every test, even a failed one: PostgreSQL must be up for the next. */
static void restore_pg(void)
{
    if (pg("start") != 0)
        fprintf(stderr, "test_faults: could not start PostgreSQL again\n");
}

static void daemon_alive(void)
{
    pid_t pid = (pid_t)atol(itest_env("TRECHTER_DAEMON_PID"));
    cr_assert(pid > 0 && kill(pid, 0) == 0, "the daemon (pid %ld) is no longer running; log: %s",
              (long)pid, itest_env("TRECHTER_DAEMON_LOG"));
}

/* Polls path until it answers `status` or `limit` seconds pass; returns the last response. */
/* GETs path (with token, or none) until it answers status or limit seconds have passed. Each
 * worker's pool reconnects on its own schedule, so one request may still meet a pool that has not
 * (503 with Retry-After, as promised) after another was answered. */
static struct http_response *wait_for_as(const char *path, const char *token, long status,
                                         double limit)
{
    double start = itest_now_s();
    for (;;) {
        struct http_response *r = http_get(path, token);
        if (r->status == status || itest_now_s() - start > limit)
            return r;
        http_response_free(r);
        usleep(200 * 1000);
    }
}

static struct http_response *wait_for(const char *path, long status, double limit)
{
    return wait_for_as(path, NULL, status, limit);
}

static void expect_503(struct http_response *r, const char *what)
{
    cr_assert_eq(r->status, 503, "%s with PostgreSQL down: expected 503, got %ld: %.300s", what,
                 r->status, r->body);
    cr_assert(http_is_problem(r), "%s: 503 is not a problem+json: %.300s", what, r->body);
    const char *ra = http_header(r, "Retry-After");
    cr_assert(ra && atoi(ra) >= 1, "%s: 503 without a Retry-After of at least 1 s (%s)", what,
              ra ? ra : "none");
    cr_assert(http_header(r, "X-Request-Id") != NULL, "%s: no X-Request-Id", what);
}

Test(faults, healthy_at_start, .timeout = 30, .fini = restore_pg)
{
    struct http_response *r = http_get("/readyz", NULL);
    cr_assert_eq(r->status, 200, "/readyz before any fault: %ld %.300s", r->status, r->body);
    http_response_free(r);
    daemon_alive();
}

Test(faults, database_down_and_back, .timeout = 90, .fini = restore_pg)
{
    struct http_response *r = wait_for("/readyz", 200, 10);
    cr_assert_eq(r->status, 200, "not ready before the test: %.300s", r->body);
    http_response_free(r);
    r = http_get("/v1/municipalities", NULL);
    cr_assert_eq(r->status, 200, "/v1/municipalities before the test: %ld", r->status);
    http_response_free(r);

    cr_assert_eq(pg("stop"), 0, "could not stop PostgreSQL");

    /* Not ready: within a few seconds of the database going away. */
    r = wait_for("/readyz", 503, 10);
    expect_503(r, "/readyz");
    json_t *st = json_object_get(r->json, "status");
    cr_assert(json_is_integer(st) && json_integer_value(st) == 503);
    http_response_free(r);

    r = http_get("/v1/municipalities", NULL);
    expect_503(r, "/v1/municipalities");
    http_response_free(r);
    r = http_get("/v1/me", getenv("TOKEN_GM0599"));
    cr_assert(r->status == 503 || r->status == 401,
              "/v1/me with PostgreSQL down: expected 503, got %ld", r->status);
    http_response_free(r);

    /* Alive: /healthz does not depend on the database. */
    for (int i = 0; i < 3; i++) {
        r = http_get("/healthz", NULL);
        cr_assert_eq(r->status, 200, "/healthz with PostgreSQL down: %ld", r->status);
        http_response_free(r);
    }
    daemon_alive();

    /* A few seconds down, with requests arriving meanwhile. */
    for (int i = 0; i < 5; i++) {
        r = http_get("/v1/municipalities", NULL);
        cr_assert_eq(r->status, 503, "/v1/municipalities with PostgreSQL down: %ld", r->status);
        http_response_free(r);
        usleep(300 * 1000);
    }
    daemon_alive();

    cr_assert_eq(pg("start"), 0, "could not start PostgreSQL again");
    double t0 = itest_now_s();
    r = wait_for("/readyz", 200, 10);
    cr_assert_eq(r->status, 200, "/readyz not 200 within 10 s of PostgreSQL's return: %ld %.300s",
                 r->status, r->body);
    http_response_free(r);
    r = wait_for("/v1/municipalities", 200,
                 10 - (itest_now_s() - t0) > 1 ? 10 - (itest_now_s() - t0) : 1);
    cr_assert_eq(r->status, 200,
                 "/v1/municipalities not 200 within 10 s of PostgreSQL's return: %ld", r->status);
    cr_assert_eq(json_array_size(json_object_get(r->json, "municipalities")), 342);
    http_response_free(r);
    r = wait_for_as("/v1/me", getenv("TOKEN_GM0599"), 200,
                    10 - (itest_now_s() - t0) > 1 ? 10 - (itest_now_s() - t0) : 1);
    cr_assert_eq(r->status, 200, "/v1/me not 200 within 10 s of PostgreSQL's return: %ld",
                 r->status);
    http_response_free(r);
    daemon_alive();
}

Test(faults, database_bounces_twice, .timeout = 90, .fini = restore_pg)
{
    for (int round = 1; round <= 2; round++) {
        cr_assert_eq(pg("stop"), 0, "round %d: could not stop PostgreSQL", round);
        struct http_response *r = wait_for("/readyz", 503, 10);
        cr_assert_eq(r->status, 503, "round %d: /readyz with PostgreSQL down: %ld", round,
                     r->status);
        http_response_free(r);
        cr_assert_eq(pg("start"), 0, "round %d: could not start PostgreSQL", round);
        r = wait_for("/readyz", 200, 10);
        cr_assert_eq(r->status, 200, "round %d: /readyz not back within 10 s: %ld", round,
                     r->status);
        http_response_free(r);
        r = wait_for("/v1/municipalities", 200, 5);
        cr_assert_eq(r->status, 200, "round %d: /v1/municipalities not back: %ld", round,
                     r->status);
        http_response_free(r);
    }
    daemon_alive();
}
