/* Crash durability (design §6 "a 2xx on a write means committed", "a retried PUT never doubles
 * data"; issue 9 item 5), CTest fixture "faults" (its own PostgreSQL and daemon, Criterion
 * --jobs 1, shared with tests/integration/test_faults.c).
 *
 * Four client threads (libcurl, keep-alive) PUT funnels at full speed, each for (municipality,
 * period) keys of its own, every body new for its key. Each thread remembers every PUT that got a
 * 2xx with the revision it was answered; on a connection error or a 5xx it retries the identical
 * PUT until it gets a 2xx. Mid-load:
 *   - kill_daemon_mid_load: SIGKILL the daemon, start it again with TRECHTER_DAEMON_CMD (and write
 *     the new pid into the env file, so later fault tests and env-down find it);
 *   - restart_postgres_mid_load: `scripts/pg-cluster stop` (pg_ctl -m fast), then start: the daemon
 *     must survive with the same pid.
 * Load is bounded to about 10 s and goes to 127.0.0.1 only. Afterwards, in the database:
 *   - every acknowledged body is a revision exactly once, with the acknowledged revision number and
 *     content (nothing lost, and a retried identical PUT did not make a second revision);
 *   - no two consecutive revisions of a key are equal (the unchanged rule held across the fault);
 *   - revisions are numbered 1..current without gaps; every revision has all its funnel_cells
 *     (none half-written) and current_funnel_cells is exactly the live current revision's cells;
 *   - revisions beyond the acknowledged ones exist only for a PUT still unanswered at the end.
 * Each test leaves PostgreSQL and the daemon running (its .fini). */
#include "harness.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- PostgreSQL and daemon control (conventions of test_faults.c) --------------------------- */

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
    return system(cmd) == 0 ? 0 : -1;
}

static bool healthy(void)
{
    struct http_response *r = http_get("/healthz", NULL);
    bool ok = r->status == 200;
    http_response_free(r);
    return ok;
}

/* .fini of every test: PostgreSQL up, and a daemon running (started again if a test left none). */
static void restore(void)
{
    if (pg("start") != 0)
        fprintf(stderr, "durability: could not start PostgreSQL again\n");
    pid_t pid = itest_daemon_pid();
    if (pid <= 0 || kill(pid, 0) != 0) {
        fprintf(stderr, "durability: the daemon is not running; starting it again\n");
        if (itest_daemon_restart() <= 0)
            fprintf(stderr, "durability: could not start the daemon again\n");
    }
    double t0 = itest_now_s();
    while (itest_now_s() - t0 < 15) {
        struct http_response *r = http_get("/readyz", NULL);
        bool ok = r->status == 200;
        http_response_free(r);
        if (ok)
            break;
        usleep(200 * 1000);
    }
}

/* ---- the load ------------------------------------------------------------------------------- */

enum { THREADS = 4, KEYS_PER_THREAD = 4, MAX_ACKS = 20000 };

struct ack {
    int key;      /* index into keys[] */
    int seq;      /* the body's sequence number (unique per key) */
    int revision; /* as answered */
    bool unchanged;
};

struct key {
    char code[8];
    char period[8];
    int next_seq;
    int first_seq;   /* this run's first body */
    int pending_seq; /* a PUT not yet answered with 2xx at the end, or 0 */
    int last_acked_seq;
};

struct load {
    struct key keys[THREADS * KEYS_PER_THREAD];
    const char *token;
    atomic_bool stop;
    double until;
};

struct worker {
    struct load *load;
    int index;
    struct ack *acks;
    int nacks;
    int attempts, acked, retries, unchanged_on_retry, conn_errors, status_5xx;
    char error[512]; /* first unexpected answer */
};

struct wbuf {
    char *data;
    size_t len;
};

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
    struct wbuf *b = ud;
    size_t n = size * nmemb;
    char *d = realloc(b->data, b->len + n + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, n);
    b->len += n;
    d[b->len] = '\0';
    b->data = d;
    return n;
}

static void body_for(int seq, char *out, size_t n)
{
    /* Unique per key through seq; breakdowns sum to their totals. */
    snprintf(out, n,
             "{\"stages\":{\"signalled\":{\"total\":%d,\"breakdowns\":{\"gender\":{\"girl\":%d,"
             "\"boy\":5}}},\"reported\":{\"total\":%d}}}",
             seq + 5, seq, seq);
}

/* One PUT; returns the HTTP status (0 on a transport error) and the parsed answer. */
static long put_once(CURL *c, const char *url, const char *auth, const char *body, json_t **answer)
{
    struct wbuf b = {NULL, 0};
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, itest_env("TRECHTER_CACERT"));
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    *answer = NULL;
    if (b.data && status) {
        json_error_t err;
        *answer = json_loads(b.data, 0, &err);
    }
    free(b.data);
    return status;
}

static void *client(void *arg)
{
    struct worker *w = arg;
    struct load *L = w->load;
    CURL *c = curl_easy_init();
    char auth[300];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", L->token);
    const char *base = itest_env("TRECHTER_URL");
    for (int round = 0; !atomic_load(&L->stop) && itest_now_s() < L->until; round++) {
        int k = w->index * KEYS_PER_THREAD + round % KEYS_PER_THREAD;
        struct key *key = &L->keys[k];
        int seq = ++key->next_seq;
        key->pending_seq = seq;
        char body[300], url[300];
        body_for(seq, body, sizeof body);
        snprintf(url, sizeof url, "%s/v1/municipalities/%s/funnels/%s", base, key->code,
                 key->period);
        /* The identical PUT until it is acknowledged (or time is up). */
        for (int attempt = 0;; attempt++) {
            if (itest_now_s() > L->until + 20)
                goto out; /* give up on this one: it stays pending */
            json_t *answer = NULL;
            w->attempts++;
            long st = put_once(c, url, auth, body, &answer);
            if (st == 200 || st == 201) {
                json_t *rev = json_object_get(answer, "revision");
                json_t *unch = json_object_get(answer, "unchanged");
                if (w->nacks < MAX_ACKS && json_is_integer(rev)) {
                    struct ack *a = &w->acks[w->nacks++];
                    a->key = k;
                    a->seq = seq;
                    a->revision = (int)json_integer_value(rev);
                    a->unchanged = json_is_true(unch);
                    if (a->unchanged && attempt > 0)
                        w->unchanged_on_retry++;
                    if (a->unchanged && attempt == 0 && !w->error[0])
                        snprintf(w->error, sizeof w->error,
                                 "%s seq %d: a first attempt with a new body answered unchanged",
                                 url, seq);
                } else if (!w->error[0]) {
                    snprintf(w->error, sizeof w->error, "%s: 2xx without an integer revision", url);
                }
                w->acked++;
                key->pending_seq = 0;
                key->last_acked_seq = seq;
                json_decref(answer);
                break;
            }
            json_decref(answer);
            if (st == 0)
                w->conn_errors++;
            else if (st >= 500)
                w->status_5xx++;
            else if (!w->error[0])
                snprintf(w->error, sizeof w->error, "%s seq %d: unexpected status %ld", url, seq,
                         st);
            if (st != 0 && st < 500) /* a 4xx is a bug in the test or the daemon: do not loop */
                break;
            w->retries++;
            usleep(st == 0 ? 100 * 1000 : 50 * 1000);
        }
    }
out:
    curl_easy_cleanup(c);
    return NULL;
}

/* Municipality codes for the keys: the first THREADS*KEYS_PER_THREAD of /v1/municipalities. */
static void pick_keys(struct load *L, const char *period)
{
    struct http_response *r = http_get("/v1/municipalities", NULL);
    cr_assert_eq(r->status, 200, "GET /v1/municipalities: %ld", r->status);
    json_t *arr = json_object_get(r->json, "municipalities");
    size_t want = THREADS * KEYS_PER_THREAD;
    cr_assert(json_array_size(arr) >= want);
    for (size_t i = 0; i < want; i++) {
        json_t *m = json_array_get(arr, i);
        const char *code = json_string_value(json_object_get(m, "code"));
        cr_assert(code && strlen(code) == 6);
        snprintf(L->keys[i].code, sizeof L->keys[i].code, "%s", code);
        snprintf(L->keys[i].period, sizeof L->keys[i].period, "%s", period);
    }
    http_response_free(r);
}

/* Continues each key's sequence after what an earlier run stored (re-runnable on one database). */
static void continue_sequences(struct load *L, PGconn *db)
{
    for (size_t i = 0; i < THREADS * KEYS_PER_THREAD; i++) {
        const char *params[] = {L->keys[i].code, L->keys[i].period};
        PGresult *res =
            PQexecParams(db,
                         "SELECT coalesce(max((r.content->'stages'->'reported'->>'total')::int), 0)"
                         "  FROM revisions r JOIN submissions s ON s.id = r.submission_id"
                         " WHERE s.kind = 'funnel' AND s.municipality_code = $1 AND s.period = $2",
                         2, NULL, params, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(db));
        L->keys[i].next_seq = atoi(PQgetvalue(res, 0, 0)) + 1000;
        L->keys[i].first_seq = L->keys[i].next_seq + 1;
        L->keys[i].last_acked_seq = 0;
        PQclear(res);
    }
}

static PGconn *db_connect(void)
{
    PGconn *db = NULL;
    for (int i = 0; i < 50; i++) { /* PostgreSQL may still be starting */
        db = PQconnectdb(itest_env("TRECHTER_DB"));
        if (PQstatus(db) == CONNECTION_OK)
            return db;
        PQfinish(db);
        usleep(200 * 1000);
    }
    cr_assert_fail("cannot connect to %s", itest_env("TRECHTER_DB"));
    return NULL;
}

static PGresult *q(PGconn *db, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(db));
    return res;
}

struct totals {
    int attempts, acked, retries, unchanged_on_retry, conn_errors, status_5xx, pending;
    int revisions_checked;
};

/* The checks listed at the top, for the keys of L (period `period`). */
static void verify(struct load *L, struct worker *w, const char *period, struct totals *t)
{
    PGconn *db = db_connect();
    const char *pp[] = {period};
    for (int i = 0; i < THREADS; i++)
        cr_assert(w[i].error[0] == '\0', "client %d: %s", i, w[i].error);

    /* 1. Every acknowledged PUT: its revision exists once, with that number and that content. */
    for (int i = 0; i < THREADS; i++)
        for (int a = 0; a < w[i].nacks; a++) {
            struct ack *ack = &w[i].acks[a];
            struct key *k = &L->keys[ack->key];
            char seq[16], rev[16], girl[16];
            snprintf(seq, sizeof seq, "%d", ack->seq);
            snprintf(girl, sizeof girl, "%d", ack->seq);
            snprintf(rev, sizeof rev, "%d", ack->revision);
            const char *params[] = {k->code, k->period, seq};
            PGresult *res = q(db,
                              "SELECT r.revision, r.tombstone,"
                              "       (r.content->'stages'->'signalled'->>'total')::int,"
                              "       (r.content->'stages'->'signalled'->'breakdowns'->'gender'->>"
                              "'girl')::int"
                              "  FROM revisions r JOIN submissions s ON s.id = r.submission_id"
                              " WHERE s.kind = 'funnel' AND s.municipality_code = $1"
                              "   AND s.period = $2"
                              "   AND (r.content->'stages'->'reported'->>'total')::int = $3::int",
                              3, params);
            cr_assert_eq(PQntuples(res), 1,
                         "%s %s body %d (acknowledged as revision %d%s): %d revisions hold it",
                         k->code, k->period, ack->seq, ack->revision,
                         ack->unchanged ? ", unchanged" : "", PQntuples(res));
            cr_assert_str_eq(PQgetvalue(res, 0, 0), rev,
                             "%s %s body %d: acknowledged as revision %s, stored as %s", k->code,
                             k->period, ack->seq, rev, PQgetvalue(res, 0, 0));
            cr_assert_eq(atoi(PQgetvalue(res, 0, 2)), ack->seq + 5);
            cr_assert_str_eq(PQgetvalue(res, 0, 3), girl);
            PQclear(res);
        }

    /* 2. Per key: revisions 1..current without gaps, current = max, the last acknowledged (or the
     * still pending) body is current, and the count of revisions this run made is the number of
     * distinct acknowledged bodies plus at most the pending one. */
    for (size_t i = 0; i < THREADS * KEYS_PER_THREAD; i++) {
        struct key *k = &L->keys[i];
        if (k->pending_seq)
            t->pending++;
        const char *params[] = {k->code, k->period};
        PGresult *res = q(db,
                          "SELECT s.current_revision, s.live, count(r.revision),"
                          "       coalesce(max(r.revision), 0), coalesce(min(r.revision), 0),"
                          "       (SELECT (c.content->'stages'->'reported'->>'total')::int"
                          "          FROM revisions c WHERE c.submission_id = s.id"
                          "           AND c.revision = s.current_revision)"
                          "  FROM submissions s LEFT JOIN revisions r ON r.submission_id = s.id"
                          " WHERE s.kind = 'funnel' AND s.municipality_code = $1 AND s.period = $2"
                          " GROUP BY s.id",
                          2, params);
        if (k->last_acked_seq == 0 && k->pending_seq == 0) {
            PQclear(res);
            continue;
        }
        cr_assert_eq(PQntuples(res), 1, "%s %s: no submission", k->code, k->period);
        int current = atoi(PQgetvalue(res, 0, 0)), n = atoi(PQgetvalue(res, 0, 2));
        int max = atoi(PQgetvalue(res, 0, 3)), min = atoi(PQgetvalue(res, 0, 4));
        int current_seq = atoi(PQgetvalue(res, 0, 5));
        cr_assert(current == max && min == 1 && n == max,
                  "%s %s: revisions %d..%d (%d rows), current %d", k->code, k->period, min, max, n,
                  current);
        cr_assert_str_eq(PQgetvalue(res, 0, 1), "t", "%s %s is not live", k->code, k->period);
        cr_assert(current_seq == k->last_acked_seq ||
                      (k->pending_seq && current_seq == k->pending_seq),
                  "%s %s: the current revision holds body %d; last acknowledged %d, pending %d",
                  k->code, k->period, current_seq, k->last_acked_seq, k->pending_seq);
        PQclear(res);
        /* Revisions this run made: one per acknowledged body, plus at most the pending one. */
        int acked_here = 0;
        for (int wi = 0; wi < THREADS; wi++)
            for (int a = 0; a < w[wi].nacks; a++)
                acked_here += w[wi].acks[a].key == (int)i;
        char first[16];
        snprintf(first, sizeof first, "%d", k->first_seq);
        const char *p3[] = {k->code, k->period, first};
        res = q(db,
                "SELECT count(*) FROM revisions r JOIN submissions s ON s.id = r.submission_id"
                " WHERE s.kind = 'funnel' AND s.municipality_code = $1 AND s.period = $2"
                "   AND (r.content->'stages'->'reported'->>'total')::int >= $3::int",
                3, p3);
        int made = atoi(PQgetvalue(res, 0, 0));
        cr_assert(made >= acked_here && made <= acked_here + (k->pending_seq ? 1 : 0),
                  "%s %s: %d revisions made for %d acknowledged bodies (%s pending)", k->code,
                  k->period, made, acked_here, k->pending_seq ? "one" : "none");
        PQclear(res);
        t->revisions_checked += made;
    }

    /* 3. The unchanged rule: no two consecutive revisions of one key hold the same content. */
    PGresult *res = q(db,
                      "SELECT count(*) FROM revisions a"
                      "  JOIN revisions b ON b.submission_id = a.submission_id"
                      "                  AND b.revision = a.revision + 1"
                      "  JOIN submissions s ON s.id = a.submission_id"
                      " WHERE s.period = $1 AND a.content = b.content",
                      1, pp);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "0", "%s revision pairs repeat the previous content",
                     PQgetvalue(res, 0, 0));
    PQclear(res);
    /* ... and no body of this period was stored twice for one key. */
    res = q(db,
            "SELECT count(*) FROM (SELECT r.submission_id, r.content FROM revisions r"
            "  JOIN submissions s ON s.id = r.submission_id WHERE s.period = $1 AND NOT r.tombstone"
            " GROUP BY 1, 2 HAVING count(*) > 1) d",
            1, pp);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "0", "%s bodies are stored more than once",
                     PQgetvalue(res, 0, 0));
    PQclear(res);

    /* 4. No half-written revision: each revision's funnel_cells are exactly its content's cells
     * (totals and the non-zero breakdown cells at least). */
    res =
        q(db,
          "WITH mine AS (SELECT r.* FROM revisions r JOIN submissions s ON s.id = r.submission_id"
          "               WHERE s.kind = 'funnel' AND s.period = $1 AND NOT r.tombstone),"
          " expected AS ("
          "   SELECT m.submission_id, m.revision, st.key AS stage, 'total' AS dimension,"
          "          '' AS category, (st.value->>'total')::int AS count"
          "     FROM mine m, jsonb_each(m.content->'stages') st"
          "   UNION ALL"
          "   SELECT m.submission_id, m.revision, st.key, d.key, c.key, (c.value #>> '{}')::int"
          "     FROM mine m, jsonb_each(m.content->'stages') st,"
          "          jsonb_each(coalesce(st.value->'breakdowns', '{}')) d, jsonb_each(d.value) c),"
          " stored AS (SELECT f.submission_id, f.revision, f.stage, f.dimension, f.category,"
          "                   f.count FROM funnel_cells f JOIN mine m USING (submission_id, "
          "revision))"
          " SELECT (SELECT count(*) FROM mine),"
          "        (SELECT count(*) FROM (SELECT * FROM expected WHERE count > 0 OR"
          "                dimension = 'total' EXCEPT SELECT * FROM stored) x),"
          "        (SELECT count(*) FROM (SELECT * FROM stored EXCEPT SELECT * FROM expected) y),"
          "        (SELECT count(*) FROM mine m WHERE NOT EXISTS (SELECT 1 FROM funnel_cells f"
          "          WHERE f.submission_id = m.submission_id AND f.revision = m.revision))",
          1, pp);
    int nrev = atoi(PQgetvalue(res, 0, 0));
    cr_assert(nrev > 0, "no revisions for %s", period);
    cr_assert_str_eq(PQgetvalue(res, 0, 1), "0", "%s cells of stored revisions are missing",
                     PQgetvalue(res, 0, 1));
    cr_assert_str_eq(PQgetvalue(res, 0, 2), "0", "%s stored cells belong to no content",
                     PQgetvalue(res, 0, 2));
    cr_assert_str_eq(PQgetvalue(res, 0, 3), "0", "%s revisions have no cells at all",
                     PQgetvalue(res, 0, 3));
    PQclear(res);

    /* 5. current_funnel_cells = the live current revision's cells, nothing more, nothing less. */
    res = q(db,
            "WITH cur AS (SELECT s.period, s.municipality_code, f.stage, f.dimension, f.category,"
            "                    f.count, f.cell_key"
            "               FROM submissions s JOIN funnel_cells f ON f.submission_id = s.id"
            "                AND f.revision = s.current_revision"
            "              WHERE s.kind = 'funnel' AND s.period = $1 AND s.live),"
            " cfc AS (SELECT period, municipality_code, stage, dimension, category, count, cell_key"
            "           FROM current_funnel_cells WHERE period = $1)"
            " SELECT (SELECT count(*) FROM (SELECT * FROM cur EXCEPT SELECT * FROM cfc) a),"
            "        (SELECT count(*) FROM (SELECT * FROM cfc EXCEPT SELECT * FROM cur) b),"
            "        (SELECT count(*) FROM cfc)",
            1, pp);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "0",
                     "%s cells of current revisions are missing from current_funnel_cells",
                     PQgetvalue(res, 0, 0));
    cr_assert_str_eq(PQgetvalue(res, 0, 1), "0",
                     "%s current_funnel_cells rows are not the current revisions' cells",
                     PQgetvalue(res, 0, 1));
    PQclear(res);
    PQfinish(db);

    for (int i = 0; i < THREADS; i++) {
        t->attempts += w[i].attempts;
        t->acked += w[i].acked;
        t->retries += w[i].retries;
        t->unchanged_on_retry += w[i].unchanged_on_retry;
        t->conn_errors += w[i].conn_errors;
        t->status_5xx += w[i].status_5xx;
    }
    (void)nrev;
}

typedef void (*fault_fn)(void *state);

/* Runs the load for `seconds`, calling `fault` once after `fault_at` seconds (on this thread). */
static void run_load(struct load *L, struct worker *w, double seconds, double fault_at,
                     fault_fn fault, void *state)
{
    atomic_store(&L->stop, false);
    L->until = itest_now_s() + seconds;
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].load = L;
        w[i].index = i;
        w[i].acks = calloc(MAX_ACKS, sizeof *w[i].acks);
        cr_assert(w[i].acks);
        cr_assert_eq(pthread_create(&th[i], NULL, client, &w[i]), 0);
    }
    double start = itest_now_s();
    usleep((useconds_t)(fault_at * 1e6));
    fault(state);
    (void)start;
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
}

static void free_workers(struct worker *w)
{
    for (int i = 0; i < THREADS; i++)
        free(w[i].acks);
}

struct kill_state {
    pid_t old_pid, new_pid;
    double down_s;
    int acked_before;
    struct worker *w;
};

static void kill_and_restart(void *arg)
{
    struct kill_state *s = arg;
    for (int i = 0; i < THREADS; i++)
        s->acked_before += s->w[i].acked;
    s->old_pid = itest_daemon_pid();
    double t0 = itest_now_s();
    kill(s->old_pid, SIGKILL);
    for (int i = 0; i < 100 && kill(s->old_pid, 0) == 0; i++)
        usleep(50 * 1000);
    s->new_pid = itest_daemon_restart();
    s->down_s = itest_now_s() - t0;
}

Test(durability, kill_daemon_mid_load, .timeout = 120, .fini = restore)
{
    pid_t pid = itest_daemon_pid();
    cr_assert(pid > 0 && kill(pid, 0) == 0, "the daemon (pid %ld) is not running before the test",
              (long)pid);
    static struct load L;
    memset(&L, 0, sizeof L);
    L.token = itest_env("TOKEN_RAPPORTEUR");
    pick_keys(&L, "2022-Q1");
    PGconn *db = db_connect();
    continue_sequences(&L, db);
    PQfinish(db);
    struct worker w[THREADS];
    struct kill_state ks = {.w = w};
    run_load(&L, w, 10, 3.5, kill_and_restart, &ks);
    cr_assert(ks.new_pid > 0, "the daemon did not come back after SIGKILL; log %s",
              itest_env("TRECHTER_DAEMON_LOG"));
    cr_assert(ks.new_pid != ks.old_pid);
    cr_assert(ks.acked_before > 0, "no PUT was acknowledged before the kill");
    struct totals t = {0};
    verify(&L, w, "2022-Q1", &t);
    cr_assert(t.acked > ks.acked_before, "no PUT was acknowledged after the restart");
    fprintf(stderr,
            "figures: durability/SIGKILL: %d PUTs sent (%d retries; %d connection errors, %d 5xx), "
            "%d acknowledged (%d before the kill), %d acknowledged as unchanged on a retry, "
            "%d unanswered at the end; every acknowledged write verified in the database; daemon "
            "back after %.2f s\n",
            t.attempts, t.retries, t.conn_errors, t.status_5xx, t.acked, ks.acked_before,
            t.unchanged_on_retry, t.pending, ks.down_s);
    free_workers(w);
}

struct pg_state {
    double down_s;
    int stop_rc, start_rc;
};

static void bounce_postgres(void *arg)
{
    struct pg_state *s = arg;
    double t0 = itest_now_s();
    s->stop_rc = pg("stop");
    usleep(1000 * 1000);
    s->start_rc = pg("start");
    s->down_s = itest_now_s() - t0;
}

Test(durability, restart_postgres_mid_load, .timeout = 120, .fini = restore)
{
    pid_t pid = itest_daemon_pid();
    cr_assert(pid > 0 && kill(pid, 0) == 0, "the daemon (pid %ld) is not running before the test",
              (long)pid);
    static struct load L;
    memset(&L, 0, sizeof L);
    L.token = itest_env("TOKEN_RAPPORTEUR");
    pick_keys(&L, "2022-Q3");
    PGconn *db = db_connect();
    continue_sequences(&L, db);
    PQfinish(db);
    struct worker w[THREADS];
    struct pg_state ps = {0};
    run_load(&L, w, 10, 3, bounce_postgres, &ps);
    cr_assert_eq(ps.stop_rc, 0, "could not stop PostgreSQL");
    cr_assert_eq(ps.start_rc, 0, "could not start PostgreSQL again");
    cr_assert(kill(pid, 0) == 0 && itest_daemon_pid() == pid,
              "the daemon (pid %ld) did not survive PostgreSQL's restart; log %s", (long)pid,
              itest_env("TRECHTER_DAEMON_LOG"));
    struct totals t = {0};
    verify(&L, w, "2022-Q3", &t);
    cr_assert(healthy());
    fprintf(stderr,
            "figures: durability/PostgreSQL restart: %d PUTs sent (%d retries; %d connection "
            "errors, %d 5xx), %d acknowledged, %d acknowledged as unchanged on a retry, %d "
            "unanswered at the end; every acknowledged write verified; PostgreSQL down %.2f s, "
            "daemon pid unchanged\n",
            t.attempts, t.retries, t.conn_errors, t.status_5xx, t.acked, t.unchanged_on_retry,
            t.pending, ps.down_s);
    free_workers(w);
}
