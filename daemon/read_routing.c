/* Aggregate reads may go to a hot standby (w->db_read) only while it is connected, its replay lag
 * is within db-read-lag-max, and it has replayed every change this worker was notified of: each
 * change notification takes the primary's WAL position as a fence and sends reads to the primary
 * until the standby's replay position passes it. So a cleared cache is never refilled from a
 * standby that has not yet seen the write, and a writer sees its own write at once. */
#include "daemon/read_routing.h"

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/db_pool.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/server.h"

static const char read_probe_sql[] =
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE coalesce((extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint,"
    " 0) END,"
    " CASE WHEN $1 = '' OR NOT pg_is_in_recovery() THEN true"
    " ELSE coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) END";
/* The primary's write position. Every session of the daemon commits synchronously (db_pool.c),
 * so a write that has been answered lies before it. (The insert position would not do: after a
 * segment switch it points past a page header that no standby ever replays.) */
static const char fence_sql[] = "SELECT pg_current_wal_lsn()::text";

struct read_probe {
    struct worker *w;
    char fence[32]; /* the fence the probe checked */
};

static void read_route_update(struct worker *w, int64_t lag_ms, bool probe_ok)
{
    bool usable = probe_ok && w->read_fence[0] == '\0' && db_pool_ready(w->db_read_pool) &&
                  lag_ms >= 0 && lag_ms <= w->server->cfg->db_read_lag_max_ms;
    struct db_pool *next = usable ? w->db_read_pool : NULL;
    if ((next != NULL) != w->read_logged_standby) {
        if (next || lag_ms > w->server->cfg->db_read_lag_max_ms || !probe_ok)
            log_info("worker %d: aggregate reads go to the %s (standby lag %lld ms)", w->index,
                     next ? "standby" : "primary", (long long)lag_ms);
        w->read_logged_standby = next != NULL;
    }
    w->db_read = next;
    atomic_store_explicit(&w->metrics.read_pool_in_use, next != NULL, memory_order_relaxed);
}

static void read_probe_done(void *arg, enum db_status status, const PGresult *res)
{
    struct read_probe *p = arg;
    struct worker *w = p->w;
    w->read_probe_running = false;
    if (status != DB_OK || PQntuples(res) != 1) {
        atomic_store_explicit(&w->metrics.replica_lag_ms, -1, memory_order_relaxed);
        read_route_update(w, -1, false);
        free(p);
        return;
    }
    int64_t lag = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    atomic_store_explicit(&w->metrics.replica_lag_ms, lag, memory_order_relaxed);
    if (strcmp(PQgetvalue(res, 0, 1), "t") == 0 && strcmp(p->fence, w->read_fence) == 0)
        w->read_fence[0] = '\0';
    read_route_update(w, lag, true);
    /* Still behind a change: look again soon rather than at the next heartbeat. */
    if (w->read_fence[0])
        w->next_read_probe_ms = metrics_now_ms() + 25;
    free(p);
}

static void read_probe_start(struct worker *w)
{
    if (!w->db_read_pool || w->read_probe_running || w->fence_probe_running)
        return;
    if (!db_pool_ready(w->db_read_pool)) {
        atomic_store_explicit(&w->metrics.replica_lag_ms, -1, memory_order_relaxed);
        read_route_update(w, -1, false);
        return;
    }
    struct read_probe *p = calloc(1, sizeof *p);
    if (!p)
        return;
    p->w = w;
    snprintf(p->fence, sizeof p->fence, "%s", w->read_fence);
    const char *params[1] = {p->fence};
    w->read_probe_running = true;
    if (db_pool_query(w->db_read_pool, read_probe_sql, 1, params, read_probe_done, p) < 0) {
        w->read_probe_running = false;
        free(p);
    }
}

static void fence_done(void *arg, enum db_status status, const PGresult *res)
{
    struct worker *w = arg;
    w->fence_probe_running = false;
    if (w->fence_again) {
        /* Another change came while this position was being read: it may lie beyond it. */
        w->fence_again = false;
        read_routing_fence(w);
        return;
    }
    if (status == DB_OK && PQntuples(res) == 1) {
        snprintf(w->read_fence, sizeof w->read_fence, "%s", PQgetvalue(res, 0, 0));
        read_probe_start(w);
    } else {
        /* The primary's position is unknown: keep reading from the primary, ask again later. */
        snprintf(w->read_fence, sizeof w->read_fence, "?");
    }
}

void read_routing_fence(struct worker *w)
{
    w->db_read = NULL;
    atomic_store_explicit(&w->metrics.read_pool_in_use, 0, memory_order_relaxed);
    snprintf(w->read_fence, sizeof w->read_fence, "?");
    if (w->fence_probe_running) {
        w->fence_again = true;
        return;
    }
    w->fence_probe_running = true;
    if (db_pool_query(w->db, fence_sql, 0, NULL, fence_done, w) < 0)
        w->fence_probe_running = false;
}

void read_routing_heartbeat(struct worker *w, int64_t now_ms)
{
    if (strcmp(w->read_fence, "?") == 0 && !w->fence_probe_running)
        read_routing_fence(w);
    else if (now_ms >= w->next_read_probe_ms) {
        w->next_read_probe_ms = now_ms + 2000;
        read_probe_start(w);
    }
}
