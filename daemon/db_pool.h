/* A pool of non-blocking libpq connections driven by one worker's event loop.
 *
 * Every connection is opened with PQconnectStartParams/PQconnectPoll and used only through
 * PQsendQueryParams, PQflush, PQconsumeInput and PQgetResult, re-arming its event on the current
 * PQsocket(). Handlers never see a socket: they hand in one parameterised statement and get one
 * callback. A statement that is a single SQL function call is one transaction, which is how every
 * write is done (see sql/).
 *
 * Not thread-safe: a pool belongs to the loop it was created on. */
#ifndef TRECHTER_DB_POOL_H
#define TRECHTER_DB_POOL_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct db_pool;

enum db_status {
    DB_OK,          /* the statement ran; result is a PGRES_TUPLES_OK or PGRES_COMMAND_OK result */
    DB_SQL_ERROR,   /* the server refused the statement; result holds the error (PQresultErrorField)
                     */
    DB_UNAVAILABLE, /* no connection could be had (database down, pool reconnecting) */
    DB_TIMEOUT,     /* the statement or the wait for a connection took longer than allowed */
    DB_OVERLOADED,  /* the wait queue is full */
};

/* Called exactly once per db_pool_query, always from the event loop, never from inside
 * db_pool_query itself. `result` is owned by the pool and is only valid during the call (NULL
 * unless status is DB_OK or DB_SQL_ERROR). */
typedef void (*db_done_fn)(void *arg, enum db_status status, const PGresult *result);

struct db_pool_options {
    int size;                  /* connections kept open (default 4) */
    int queue_max;             /* statements waiting for a connection before DB_OVERLOADED (256) */
    int query_timeout_ms;      /* per statement unless given per query (10000) */
    int long_query_timeout_ms; /* the longest a query may be given (query_timeout_ms); sent as the
                                  server's statement_timeout, while each statement's own limit is
                                  kept by the client, which drops the connection — and the server,
                                  checking the client every second, stops the work */
    int connect_timeout_ms;    /* per connection attempt (5000) */
    int reconnect_min_ms; /* first delay after a failure, doubled up to reconnect_max_ms (100) */
    int reconnect_max_ms; /* (5000) */
    const char *application_name; /* shown in pg_stat_activity ("trechterd") */
};

struct db_pool_stats {
    int open;            /* connections established */
    int busy;            /* connections running a statement */
    int waiting;         /* statements queued for a connection */
    uint64_t reconnects; /* connection attempts after the first */
    uint64_t queries;    /* statements completed (any status) */
};

/* Starts connecting at once; returns NULL only on allocation failure or an unparsable conninfo
 * (error text in *err, static or NULL). A database that is down is not an error here: the pool
 * keeps retrying with a growing delay and queries answer DB_UNAVAILABLE meanwhile. */
struct db_pool *db_pool_new(struct event_base *base, const char *conninfo,
                            const struct db_pool_options *opts, const char **err);

/* Closes every connection; callbacks of statements still queued or running are called with
 * DB_UNAVAILABLE before it returns. */
void db_pool_free(struct db_pool *pool);

/* Queues one statement with text parameters (values may be NULL for SQL NULL); the strings are
 * copied, so the caller may free them at once. Returns 0, or -1 if the pool is shutting down (then
 * `done` is not called). */
int db_pool_query(struct db_pool *pool, const char *sql, int nparams, const char *const *values,
                  db_done_fn done, void *arg);

/* As db_pool_query, with this statement's own time limit (capped at long_query_timeout_ms): for
 * bulk work such as imports that may rightly take longer than a read. */
int db_pool_query_timeout(struct db_pool *pool, const char *sql, int nparams,
                          const char *const *values, int timeout_ms, db_done_fn done, void *arg);

/* True when at least one connection is established. */
bool db_pool_ready(const struct db_pool *pool);

void db_pool_get_stats(const struct db_pool *pool, struct db_pool_stats *out);

#endif
