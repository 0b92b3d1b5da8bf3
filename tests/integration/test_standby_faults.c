/* Scale-out on a real streaming standby (issue 7 point 7; docs/scaling.md stage 1; CTest fixture
 * "faults", Criterion --jobs 1).
 *
 * Each test makes the fixture's PostgreSQL the primary of a real hot standby
 * (tests/ops/make-standby: pg_basebackup -R -X stream, pg_ctl on a port and socket directory of
 * its own), starts a daemon instance of its own (a child, free ports, its own TLS copies, like
 * test_ops_faults.c) with `--db <primary> --db-read <standby>`, and removes both at the end.
 * Writes use municipality GM0344 in periods 2017-Q2..2017-Q4 (used by no other test of this
 * fixture).
 *
 * How "served by the standby" is shown: the decisive signal is data. With replay paused on the
 * standby (pg_wal_replay_pause()), a count is changed directly on the primary without a change
 * notification; an aggregate read through the daemon then answers the standby's (old) figure,
 * which the primary no longer holds. Supporting signals: the standby's pg_stat_activity holds the
 * read pool's connections (application_name trechterd-read) and the primary none, the standby's
 * pg_stat_database row-read counters rise over a batch of aggregate reads, and the daemon's
 * trechter_db_pool_queries_total{pool="read"} counts them.
 *
 * Every aggregate read that must reach the database uses a URL not asked before (the region
 * repeated a different number of times), so the response cache never answers it. */
#include "harness.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CODE "GM0344"

/* ---- helpers --------------------------------------------------------------------------------- */

/* ---- libpq ----------------------------------------------------------------------------------- */

/* The first column of the first row of `sql` on `conninfo` as a number; -1 on any failure (one
 * connection per call: no snapshot of the statistics is kept between calls). */
static long long pq_num(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    long long v = -1;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *res = PQexec(c, sql);
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
            !PQgetisnull(res, 0, 0)) {
            const char *s = PQgetvalue(res, 0, 0);
            v = strcmp(s, "t") == 0 ? 1 : strcmp(s, "f") == 0 ? 0 : strtoll(s, NULL, 10);
        }
        PQclear(res);
    }
    PQfinish(c);
    return v;
}

static void pq_ok(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert(PQstatus(c) == CONNECTION_OK, "connect %s: %s", conninfo, PQerrorMessage(c));
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    cr_assert(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(res);
    PQfinish(c);
}

/* The stored aggregate input: the reported total of GM0344 in `period` (-1: none). */
static long long cell_count(const char *conninfo, const char *period)
{
    char sql[320];
    snprintf(
        sql, sizeof sql,
        "SELECT count FROM current_funnel_cells WHERE period = '%s' AND municipality_code = '" CODE
        "' AND stage = 'reported' AND dimension = 'total' AND category = ''",
        period);
    return pq_num(conninfo, sql);
}

static const char *primary(void)
{
    return itest_env("TRECHTER_DB");
}

/* ---- the standby ----------------------------------------------------------------------------- */

static struct {
    char dir[128];
    char conninfo[256];
    int port;
} sb;

static void standby_make(void)
{
    snprintf(sb.dir, sizeof sb.dir, "/tmp/trechter-sb-XXXXXX");
    cr_assert(mkdtemp(sb.dir) != NULL);
    chmod(sb.dir, 0755); /* the postgres user must reach the directory below */
    sb.port = itest_free_port();
    char *cmd = NULL;
    cr_assert(asprintf(&cmd, "'%s/tests/ops/make-standby' start '%s' '%s' '%s/pg' %d",
                       itest_env("TRECHTER_SOURCE_DIR"), itest_env("TRECHTER_PGDIR"),
                       itest_env("TRECHTER_PGPORT"), sb.dir, sb.port) > 0);
    double t0 = itest_now_s();
    FILE *p = popen(cmd, "r");
    cr_assert(p != NULL);
    char line[256] = "";
    if (!fgets(line, sizeof line, p))
        line[0] = '\0';
    int rc = pclose(p);
    free(cmd);
    line[strcspn(line, "\n")] = '\0';
    cr_assert(rc == 0 && line[0], "tests/ops/make-standby failed (%d); see its output above", rc);
    snprintf(sb.conninfo, sizeof sb.conninfo, "%s", line);
    cr_assert_eq(pq_num(sb.conninfo, "SELECT pg_is_in_recovery()"), 1,
                 "the standby is not in recovery");
    cr_assert_eq(pq_num(primary(), "SELECT pg_is_in_recovery()"), 0, "the primary is in recovery");
    cr_log_info("standby streaming on port %d after %.1f s (pg_basebackup -R)", sb.port,
                itest_now_s() - t0);
}

static void standby_stop(void)
{
    cr_assert(itest_run("'%s/tests/ops/make-standby' stop '%s/pg' >&2",
                        itest_env("TRECHTER_SOURCE_DIR"), sb.dir) == 0);
}

static void standby_destroy(void)
{
    if (!sb.dir[0])
        return;
    itest_run("'%s/tests/ops/make-standby' destroy '%s/pg' >&2", getenv("TRECHTER_SOURCE_DIR"),
              sb.dir);
    itest_run("rm -rf '%s'", sb.dir);
    sb.dir[0] = '\0';
}

/* Waits until the standby has replayed everything the primary wrote so far. */
static void standby_catch_up(double limit)
{
    long long target = pq_num(primary(), "SELECT pg_current_wal_insert_lsn() - '0/0'");
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT (pg_last_wal_replay_lsn() - '0/0' >= %lld)::int", target);
    double start = itest_now_s();
    while (pq_num(sb.conninfo, sql) != 1) {
        cr_assert(itest_now_s() - start < limit, "the standby did not catch up within %.0f s",
                  limit);
        usleep(20 * 1000);
    }
}

/* ---- a daemon instance of our own (as test_ops_faults.c) ------------------------------------- */

static struct {
    pid_t pid;
    int port, metrics_port;
    char dir[128];
    char log[192];
    char url[64];
    char metrics_url[64];
} inst;

static void instance_start(const char *db_read, const char *lag_max)
{
    memset(&inst, 0, sizeof inst);
    snprintf(inst.dir, sizeof inst.dir, "/tmp/trechter-sbd-XXXXXX");
    cr_assert(mkdtemp(inst.dir) != NULL);
    const char *tls = itest_env("TRECHTER_WORKDIR");
    cr_assert(
        itest_run("cp '%s/tls/server.pem' '%s/tls/server-key.pem' '%s/'", tls, tls, inst.dir) == 0);
    snprintf(inst.log, sizeof inst.log, "%s/daemon.log", inst.dir);
    inst.port = itest_free_port();
    do
        inst.metrics_port = itest_free_port();
    while (inst.metrics_port == inst.port);
    snprintf(inst.url, sizeof inst.url, "https://127.0.0.1:%d", inst.port);
    snprintf(inst.metrics_url, sizeof inst.metrics_url, "http://127.0.0.1:%d/metrics",
             inst.metrics_port);
    char listen[32], metrics[32], cert[160], key[160];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", inst.port);
    snprintf(metrics, sizeof metrics, "127.0.0.1:%d", inst.metrics_port);
    snprintf(cert, sizeof cert, "%s/server.pem", inst.dir);
    snprintf(key, sizeof key, "%s/server-key.pem", inst.dir);
    const char *bin = itest_env("TRECHTER_BIN");
    const char *argv[] = {bin,
                          "serve",
                          "--listen",
                          listen,
                          "--metrics-listen",
                          metrics,
                          "--tls-cert",
                          cert,
                          "--tls-key",
                          key,
                          "--db",
                          primary(),
                          "--db-read",
                          db_read,
                          "--db-read-lag-max",
                          lag_max,
                          "--sdc-secret-file",
                          itest_env("TRECHTER_SECRET_FILE"),
                          "--workers",
                          "2",
                          "--shutdown-timeout",
                          "10s",
                          "--rate-limit",
                          "100000",
                          "--rate-burst",
                          "100000",
                          "--address-rate-limit",
                          "100000",
                          "--address-burst",
                          "100000",
                          NULL};
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open(inst.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        unsetenv("NOTIFY_SOCKET");
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    inst.pid = pid;
    setenv("TRECHTER_URL", inst.url, 1);
    double start = itest_now_s();
    for (;;) {
        struct http_response *r = http_get("/healthz", NULL);
        long status = r->status;
        http_response_free(r);
        if (status == 200)
            break;
        int st;
        if (waitpid(inst.pid, &st, WNOHANG) == inst.pid) {
            inst.pid = 0;
            char *log = itest_slurp(inst.log);
            cr_assert_fail("the test's daemon exited at start; log:\n%s", log);
        }
        cr_assert(itest_now_s() - start < 30, "the test's daemon did not answer /healthz in 30 s");
        usleep(100 * 1000);
    }
}

static void instance_stop(void)
{
    if (inst.pid > 0) {
        kill(inst.pid, SIGTERM);
        double start = itest_now_s();
        int st;
        while (waitpid(inst.pid, &st, WNOHANG) != inst.pid) {
            if (itest_now_s() - start > 15) {
                kill(inst.pid, SIGKILL);
                waitpid(inst.pid, &st, 0);
                break;
            }
            usleep(50 * 1000);
        }
        inst.pid = 0;
    }
    if (inst.dir[0]) {
        if (itest_count_in_file(inst.log, "ERROR: AddressSanitizer") ||
            itest_count_in_file(inst.log, "ERROR: LeakSanitizer") ||
            itest_count_in_file(inst.log, "runtime error:")) {
            char *log = itest_slurp(inst.log);
            fprintf(stderr, "test_standby_faults: sanitizer report in the test daemon's log:\n%s\n",
                    log);
            free(log);
        }
        itest_run("rm -rf '%s'", inst.dir);
        inst.dir[0] = '\0';
    }
}

/* .fini of every test: daemon stopped, standby stopped and removed, whatever happened. */
static void cleanup(void)
{
    instance_stop();
    standby_destroy();
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

static char *scrape(void)
{
    FILE *mem;
    char *buf = NULL;
    size_t len = 0;
    mem = open_memstream(&buf, &len);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, inst.metrics_url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    fclose(mem);
    cr_assert(rc == CURLE_OK && status == 200, "GET %s: curl %d, HTTP %ld", inst.metrics_url, rc,
              status);
    return buf;
}

static double metric(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1e9;
}

static double metric_now(const char *series)
{
    char *m = scrape();
    double v = metric(m, series);
    free(m);
    return v;
}

#define USING "trechter_db_read_workers_using_standby"
#define LAG "trechter_db_read_replication_lag_seconds"
#define READ_QUERIES "trechter_db_pool_queries_total{pool=\"read\"}"

/* Waits until `series` equals `want`; returns the seconds it took, or -1 after `limit`. */
static double wait_metric(const char *series, double want, double limit)
{
    double start = itest_now_s();
    while (itest_now_s() - start < limit) {
        if (metric_now(series) == want)
            return itest_now_s() - start;
        usleep(20 * 1000);
    }
    return -1;
}

static long put_funnel(const char *period, int total)
{
    char path[96], body[96];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", CODE, period);
    snprintf(body, sizeof body, "{\"stages\": {\"reported\": {\"total\": %d}}}", total);
    struct http_response *r = http_do("PUT", path, itest_env("TOKEN_RAPPORTEUR"),
                                      "application/json", body, strlen(body), NULL);
    long status = r->status;
    if (status != 200 && status != 201)
        fprintf(stderr, "PUT %s: %ld %s\n", path, status, r->body);
    http_response_free(r);
    return status;
}

/* A URL for the aggregate of GM0344 in `period` that this daemon instance has not been asked
 * before (so its response cache cannot answer): the region repeated 1, 2, 3... times. */
static char *fresh_aggregate_path(const char *period)
{
    static int serial;
    int reps = 1 + serial++ % 300;
    size_t n = 96 + (size_t)reps * 7;
    char *p = malloc(n);
    cr_assert(p != NULL);
    int off = snprintf(p, n, "/v1/funnels?period=%s&regionSet=municipality&region=" CODE, period);
    for (int i = 1; i < reps; i++)
        off += snprintf(p + off, n - (size_t)off, "," CODE);
    return p;
}

/* The raw reported count of GM0344 in an aggregate answer (rapporteur), -1 when absent. */
static long long reported_of(const json_t *body)
{
    const json_t *rows = json_object_get(body, "rows");
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *code =
            json_string_value(json_object_get(json_object_get(row, "region"), "code"));
        if (!code || strcmp(code, CODE) != 0)
            continue;
        const json_t *count =
            json_object_get(json_object_get(json_object_get(row, "stages"), "reported"), "count");
        return json_is_integer(count) ? (long long)json_integer_value(count) : -1;
    }
    return -1;
}

/* One uncached aggregate read; *status gets the HTTP status; returns the count or -1. */
static long long aggregate_read(const char *period, long *status)
{
    char *path = fresh_aggregate_path(period);
    struct http_response *r = http_get(path, itest_env("TOKEN_RAPPORTEUR"));
    *status = r->status;
    long long v = r->status == 200 && r->json ? reported_of(r->json) : -1;
    if (r->status != 200)
        fprintf(stderr, "GET %.80s...: %ld %s\n", path, r->status, r->body);
    http_response_free(r);
    free(path);
    return v;
}

/* The plain aggregate URL a dashboard asks (cacheable), as the writer would right after a write. */
static long long aggregate_plain(const char *period, long *status)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/funnels?period=%s&regionSet=municipality&region=" CODE,
             period);
    struct http_response *r = http_get(path, itest_env("TOKEN_RAPPORTEUR"));
    *status = r->status;
    long long v = r->status == 200 && r->json ? reported_of(r->json) : -1;
    http_response_free(r);
    return v;
}

/* The singular resource's reported total, -1 when not 200. */
static long long singular_read(const char *period, long *status)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", CODE, period);
    struct http_response *r = http_get(path, itest_env("TOKEN_RAPPORTEUR"));
    *status = r->status;
    long long v = -1;
    if (r->status == 200 && r->json) {
        const json_t *t = json_object_get(
            json_object_get(json_object_get(r->json, "stages"), "reported"), "total");
        if (json_is_integer(t))
            v = (long long)json_integer_value(t);
    }
    http_response_free(r);
    return v;
}

/* Standby and daemon up, every worker reading from the standby. */
static void setup_pair(const char *lag_max)
{
    standby_make();
    instance_start(sb.conninfo, lag_max);
    double t = wait_metric(USING, 2, 15);
    char *m = scrape();
    cr_assert(t >= 0, "the workers did not start using the standby within 15 s:\n%s", m);
    cr_assert(metric(m, LAG) >= 0, "no replication lag metric while the standby streams:\n%s", m);
    free(m);
}

/* Changes the stored figure on the primary directly: no change notification, so the daemon does
 * not know (its cache and fence stay as they are). */
static void set_cell(const char *period, int value)
{
    char sql[320];
    snprintf(sql, sizeof sql,
             "UPDATE current_funnel_cells SET count = %d WHERE period = '%s' AND municipality_code"
             " = '" CODE "' AND stage = 'reported' AND dimension = 'total' AND category = ''",
             value, period);
    pq_ok(primary(), sql);
    cr_assert_eq(cell_count(primary(), period), value);
}

/* A figure written through the daemon, replayed by the standby, every worker on the standby. */
static int written_and_replayed(const char *period, int base)
{
    int value = base + (int)(time(NULL) % 400);
    long st = put_funnel(period, value);
    cr_assert(st == 200 || st == 201, "PUT %s: %ld", period, st);
    cr_assert_eq(cell_count(primary(), period), value, "the primary does not hold the write");
    standby_catch_up(10);
    cr_assert_eq(cell_count(sb.conninfo, period), value);
    cr_assert(wait_metric(USING, 2, 10) >= 0, "the workers did not return to the standby");
    return value;
}

/* ---- tests ----------------------------------------------------------------------------------- */

/* Aggregate reads are served by the standby: replay paused, the figure changed on the primary
 * behind the daemon's back, the daemon keeps answering the standby's figure. */
Test(standby_faults, aggregate_reads_are_served_by_the_standby, .timeout = 120, .fini = cleanup)
{
    static const char P[] = "2017-Q2";
    setup_pair("30s");
    const char *sbc = sb.conninfo;
    long long on_standby =
        pq_num(sbc, "SELECT count(*) FROM pg_stat_activity WHERE application_name"
                    " = 'trechterd-read' AND datname = 'trechter'");
    long long on_primary = pq_num(primary(), "SELECT count(*) FROM pg_stat_activity WHERE"
                                             " application_name = 'trechterd-read'");
    cr_assert(on_standby > 0, "no trechterd-read connection on the standby (%lld)", on_standby);
    cr_assert_eq(on_primary, 0, "%lld trechterd-read connections on the primary", on_primary);

    int t1 = written_and_replayed(P, 100);
    pq_ok(sbc, "SELECT pg_wal_replay_pause()");
    set_cell(P, t1 + 1000);
    cr_assert_eq(cell_count(sbc, P), t1, "replay is paused, yet the standby has the change");

    long long tup0 = pq_num(sbc, "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE"
                                 " datname = 'trechter'");
    double q0 = metric_now(READ_QUERIES);
    if (q0 < 0)
        q0 = 0; /* the series appears with its first sample */
    enum { BATCH = 20 };
    long st;
    for (int i = 0; i < BATCH; i++) {
        long long agg = aggregate_read(P, &st);
        cr_assert_eq(st, 200);
        cr_assert_eq(agg, t1,
                     "aggregate read %d answered %lld: the standby holds %d, the primary %d, so it"
                     " was not served by the standby",
                     i, agg, t1, t1 + 1000);
    }
    /* Pool counters reach /metrics with the workers' 1 s heartbeat. */
    double q1 = q0;
    for (double start = itest_now_s(); itest_now_s() - start < 3 && q1 - q0 < BATCH;
         usleep(100 * 1000))
        q1 = metric_now(READ_QUERIES);
    cr_assert(q1 - q0 >= BATCH, "the read pool ran %.0f statements for %d aggregate reads", q1 - q0,
              BATCH);
    /* The standby's own statistics (its backends flush them within about a second). */
    long long tup1 = tup0;
    for (double start = itest_now_s(); itest_now_s() - start < 5 && tup1 <= tup0;
         usleep(200 * 1000))
        tup1 = pq_num(sbc, "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE"
                           " datname = 'trechter'");
    cr_assert(tup0 >= 0 && tup1 > tup0, "the standby's row counters did not move (%lld -> %lld)",
              tup0, tup1);
    long long single = singular_read(P, &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(single, t1);
    double lag = metric_now(LAG);
    cr_assert(lag >= 0, "lag metric %.3f while the standby is connected", lag);
    cr_log_info("served by the standby: %d aggregate reads answered its figure %d (primary: %d); "
                "read pool statements +%.0f; standby tup_returned+tup_fetched +%lld; lag metric "
                "%.3f s",
                BATCH, t1, t1 + 1000, q1 - q0, tup1 - tup0, lag);
    set_cell(P, t1); /* as the daemon wrote it */
    pq_ok(sbc, "SELECT pg_wal_replay_resume()");
    standby_catch_up(10);
}

/* The fence: a write through the daemon that the standby cannot replay (replay paused) sends
 * aggregate reads to the primary at once and keeps them there until the standby has replayed it.
 * Singular resources come from the primary throughout. */
Test(standby_faults, write_fences_aggregate_reads_to_primary_until_replayed, .timeout = 120,
     .fini = cleanup)
{
    static const char P[] = "2017-Q1";
    setup_pair("30s");
    const char *sbc = sb.conninfo;
    int t1 = written_and_replayed(P, 100);
    pq_ok(sbc, "SELECT pg_wal_replay_pause()");

    int t3 = t1 + 2000;
    long st = put_funnel(P, t3);
    cr_assert(st == 200 || st == 201, "PUT while replay paused: %ld", st);
    cr_assert_eq(cell_count(primary(), P), t3, "the primary does not hold the write");
    long long agg = aggregate_plain(P, &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(agg, t3,
                 "right after a write the standby has not replayed, the aggregate says "
                 "%lld (the standby's figure is %d), not %d",
                 agg, t1, t3);
    double start = itest_now_s();
    int reads = 0;
    while (itest_now_s() - start < 2.5) { /* past a 2 s lag probe */
        agg = aggregate_read(P, &st);
        cr_assert_eq(st, 200);
        cr_assert_eq(agg, t3, "read %d (%.2f s after the write): %lld, not %d", reads,
                     itest_now_s() - start, agg, t3);
        reads++;
    }
    long long single = singular_read(P, &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(single, t3, "the singular resource says %lld, not %d", single, t3);
    cr_assert_eq(cell_count(sbc, P), t1, "the standby replayed although paused");
    char *m = scrape();
    double using_paused = metric(m, USING), lag_paused = metric(m, LAG);
    free(m);
    cr_assert_eq(using_paused, 0, "%.0f workers use a standby that has not replayed a write",
                 using_paused);

    pq_ok(sbc, "SELECT pg_wal_replay_resume()");
    double back = wait_metric(USING, 2, 10);
    cr_assert(back >= 0, "the workers did not return to the standby within 10 s of the resume");
    cr_assert_eq(cell_count(sbc, P), t3);
    agg = aggregate_read(P, &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(agg, t3);
    cr_log_info("fenced: %d aggregate reads in 2.5 s all answered the primary's %d (lag metric "
                "%.3f s); back on the standby %.0f ms after replay resumed",
                reads, t3, lag_paused, back * 1000);
}

/* A writer reads its own write at once while the standby streams normally: PUT, then at once an
 * aggregate read (the cacheable URL a dashboard asks, and an uncached one), many times. */
Test(standby_faults, writer_sees_each_write_at_once_while_standby_replays, .timeout = 120,
     .fini = cleanup)
{
    static const char P[] = "2017-Q3";
    setup_pair("30s");
    enum { N = 30 };
    int stale = 0, stale_plain = 0;
    char first[256] = "";
    int base = 200 + (int)(time(NULL) % 7) * 100;
    for (int i = 0; i < N; i++) {
        int want = base + i;
        long st = put_funnel(P, want);
        cr_assert(st == 200 || st == 201, "PUT %d: %ld", i, st);
        long long plain = aggregate_plain(P, &st);
        cr_assert_eq(st, 200);
        long long fresh = aggregate_read(P, &st);
        cr_assert_eq(st, 200);
        if (plain != want) {
            stale_plain++;
            if (!first[0])
                snprintf(first, sizeof first, "write %d: cacheable URL %lld, want %d", i, plain,
                         want);
        }
        if (fresh != want) {
            stale++;
            if (!first[0])
                snprintf(first, sizeof first, "write %d: uncached URL %lld, want %d", i, fresh,
                         want);
        }
        usleep((useconds_t)(i % 5) * 60 * 1000); /* vary where in the WAL writer's cycle we are */
    }
    cr_log_info("%d writes, each read back at once: %d stale cacheable reads, %d stale uncached "
                "reads",
                N, stale_plain, stale);
    cr_assert(stale == 0 && stale_plain == 0,
              "a writer read its own write stale (%d cacheable + %d uncached of %d; first: %s)",
              stale_plain, stale, N, first);
    cr_assert(wait_metric(USING, 2, 10) >= 0, "workers not back on the standby after the writes");
}

/* db-read-lag-max: a standby lagging beyond it (replay paused, a change it has not replayed) stops
 * serving aggregate reads; they come from the primary until it catches up. */
Test(standby_faults, standby_lagging_beyond_lag_max_falls_back_to_primary, .timeout = 120,
     .fini = cleanup)
{
    static const char P[] = "2017-Q4";
    setup_pair("3s");
    const char *sbc = sb.conninfo;
    int t1 = written_and_replayed(P, 300);
    pq_ok(sbc, "SELECT pg_wal_replay_pause()");
    set_cell(P, t1 + 1000); /* not notified: only the lag can move the reads */
    double start = itest_now_s();
    long long agg = -1;
    long st;
    while (itest_now_s() - start < 15) {
        agg = aggregate_read(P, &st);
        cr_assert_eq(st, 200);
        if (agg == t1 + 1000)
            break;
        usleep(100 * 1000);
    }
    double switched = itest_now_s() - start;
    cr_assert_eq(agg, t1 + 1000, "reads still from a standby lagging beyond 3 s after %.1f s",
                 switched);
    /* Both workers (a probe each 2 s). */
    double both = wait_metric(USING, 0, 10);
    char *m = scrape();
    double lag = metric(m, LAG);
    free(m);
    cr_assert(both >= 0, "a worker still uses the lagging standby");
    cr_assert(lag > 3, "lag metric %.3f with replay paused beyond the limit", lag);
    cr_log_info("lag beyond db-read-lag-max 3s: the first read from the primary %.1f s after the "
                "change, both workers %.1f s; lag metric %.3f s",
                switched, switched + both, lag);
    set_cell(P, t1);
    pq_ok(sbc, "SELECT pg_wal_replay_resume()");
    standby_catch_up(10);
    double back = wait_metric(USING, 2, 10);
    cr_assert(back >= 0, "the workers did not return to the standby after it caught up");
}

/* The standby stops (fast shutdown): every aggregate read from then on answers 200 with the
 * primary's figure, singular reads are unaffected, and the metrics say so. */
Test(standby_faults, stopped_standby_falls_back_to_primary, .timeout = 120, .fini = cleanup)
{
    static const char P[] = "2016-Q4";
    setup_pair("30s");
    int t1 = written_and_replayed(P, 300);
    double q0 = metric_now(READ_QUERIES);
    if (q0 < 0)
        q0 = 0;
    standby_stop();
    double start = itest_now_s();
    int total = 0, failed = 0;
    double last_fail = -1;
    long first_fail_status = 0;
    long st;
    while (itest_now_s() - start < 5) {
        long long agg = aggregate_read(P, &st);
        total++;
        if (st != 200 || agg != t1) {
            failed++;
            last_fail = itest_now_s() - start;
            if (!first_fail_status)
                first_fail_status = st;
        }
        long long single = singular_read(P, &st);
        cr_assert_eq(st, 200, "singular read with the standby down: %ld", st);
        cr_assert_eq(single, t1);
        usleep(20 * 1000);
    }
    char *m = scrape();
    double using_after = metric(m, USING), lag_after = metric(m, LAG);
    double q1 = metric(m, READ_QUERIES);
    free(m);
    cr_log_info("standby stopped: %d of %d aggregate reads in 5 s failed (first status %ld, the "
                "last %.2f s after the stop); workers on standby %.0f; lag metric %.3f; read pool "
                "statements +%.0f",
                failed, total, first_fail_status, last_fail, using_after, lag_after, q1 - q0);
    cr_assert_eq(using_after, 0, "workers still on a stopped standby");
    cr_assert_eq(failed, 0,
                 "%d of %d aggregate reads failed after the standby stopped (first status %ld, "
                 "the last %.2f s after the stop): they do not fall back to the primary at once",
                 failed, total, first_fail_status, last_fail);
    cr_assert_eq(lag_after, -1, "the lag metric of a stopped standby is %.3f, not -1 (unknown)",
                 lag_after);
}
