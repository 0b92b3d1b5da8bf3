/* Prometheus metrics (design §3.4): per-worker counters and gauges, and a small plain-HTTP listener
 * on its own thread and event loop that renders them as text on `GET /metrics`.
 *
 * Concurrency: every field of struct worker_metrics has exactly one writer, the worker loop that
 * owns it; the metrics thread only reads. Fields are atomics accessed with relaxed ordering (a
 * scrape may see one counter a request ahead of another, never a torn value). Figures that live in
 * loop-local structures (pool and cache statistics, open connections) are copied in by the worker's
 * heartbeat timer, so gauges are at most one heartbeat old. */
#ifndef TRECHTER_METRICS_H
#define TRECHTER_METRICS_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct db_pool_stats;

/* Latency histogram upper bounds in microseconds (the +Inf bucket follows them). */
#define METRICS_LATENCY_BUCKETS 13
extern const uint64_t metrics_latency_bounds_us[METRICS_LATENCY_BUCKETS];
/* HTTP statuses 100..599 are counted exactly. */
#define METRICS_STATUS_MIN 100
#define METRICS_STATUS_SLOTS 500

enum metrics_pool { METRICS_POOL_PRIMARY, METRICS_POOL_READ, METRICS_POOLS };
enum metrics_submission {
    METRICS_SUB_FUNNEL,
    METRICS_SUB_NETWORK,
    METRICS_SUB_IMPORT,
    METRICS_SUBS
};
enum metrics_view { METRICS_VIEW_RAW, METRICS_VIEW_PROTECTED, METRICS_VIEWS };

struct metrics_pool_gauges {
    _Atomic int configured; /* 1 when this pool exists */
    _Atomic int open, busy, waiting;
    _Atomic uint64_t reconnects, queries;
};

struct worker_metrics {
    size_t nroutes; /* routes + 1: the last slot counts requests that matched no route */
    /* Counters written by metrics_note_reply (owned arrays, indexed by route slot). */
    _Atomic uint64_t *requests;       /* [nroutes][METRICS_STATUS_SLOTS] */
    _Atomic uint64_t *latency;        /* [nroutes][METRICS_LATENCY_BUCKETS + 1], not cumulative */
    _Atomic uint64_t *latency_sum_us; /* [nroutes] */
    _Atomic uint64_t *answers;        /* [nroutes][METRICS_VIEWS]: 200 answers by kind of caller */
    _Atomic uint64_t bytes_out;
    _Atomic uint64_t submissions[METRICS_SUBS];
    /* Gauges and counters copied in by the worker's heartbeat. */
    _Atomic int64_t heartbeat_ms; /* CLOCK_MONOTONIC milliseconds of the last heartbeat */
    _Atomic int open_connections, in_flight, listen_ok;
    struct metrics_pool_gauges pool[METRICS_POOLS];
    _Atomic uint64_t cache_hits, cache_misses, cache_stores, cache_clears, cache_entries,
        cache_bytes;
    _Atomic int read_pool_in_use;   /* 1 while aggregate reads go to --db-read */
    _Atomic int64_t replica_lag_ms; /* -1 when unknown */
};

/* Allocates the per-route arrays for `nroutes` routes. Returns 0 or -1 (out of memory). */
int worker_metrics_init(struct worker_metrics *m, size_t nroutes);
void worker_metrics_free(struct worker_metrics *m);

/* One answer as metrics count it, filled in by the API (which knows routes, callers and writes);
 * the host knows nothing of requests. */
struct metrics_note {
    size_t route_slot;  /* index in the route table; the route count when no route matched */
    int status;         /* HTTP status sent */
    int64_t latency_us; /* from the request's arrival to its answer */
    size_t bytes_out;
    int view; /* a 200 answer of an aggregate route: METRICS_VIEW_RAW or _PROTECTED; else -1 */
    int submission; /* a committed write: METRICS_SUB_*; else -1 */
};

/* Counts one answer: route, status, latency, bytes, writes and protected/raw aggregate answers.
 * Called once per request on the owning worker's loop (its only writer). */
void metrics_note_reply(struct worker_metrics *m, const struct metrics_note *note);

/* Heartbeat helpers for the worker loop (single writer). */
void metrics_publish_pool(struct worker_metrics *m, enum metrics_pool which,
                          const struct db_pool_stats *st);
/* A worker's answer cache as metrics show it (filled in by the API's cache). */
struct metrics_cache_stats {
    uint64_t hits, misses, stores, clears;
    size_t entries, bytes;
};
void metrics_publish_cache(struct worker_metrics *m, const struct metrics_cache_stats *st);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t metrics_now_ms(void);

/* Appends the whole Prometheus text exposition of server `s` to `out` (an evbuffer). Reads only
 * atomics and read-only configuration: safe from the metrics thread. */
struct evbuffer;
void metrics_render(struct evbuffer *out, const struct server *s);

/* The /metrics listener: binds `address` (HOST:PORT) at once, so a bad address fails start-up, and
 * serves from its own thread until stopped. Returns NULL with a message in err. */
struct metrics_listener;
struct metrics_listener *metrics_listener_start(const char *address, const struct server *s,
                                                char *err, size_t errlen);
void metrics_listener_stop(struct metrics_listener *l);

#endif
