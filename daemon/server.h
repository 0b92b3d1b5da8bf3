/* The serving process: the listening socket, the worker threads (one event_base, one evhttp and one
 * database pool each), signals, and orderly shutdown. */
#ifndef TRECHTER_SERVER_H
#define TRECHTER_SERVER_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/http_guard.h"
#include "daemon/config.h"
#include "daemon/metrics.h"

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct event;
struct db_pool;
struct db_listen;
struct server;
struct api_hooks;
struct rate_limiter;

/* Settings every worker reads; replaced as a whole on SIGHUP (only reloadable fields change). */
struct app_settings {
    struct http_guard_limits limits;
    int header_timeout_ms;
    int request_timeout_ms;
    int idle_timeout_ms;
    int max_connections_per_worker;
    int outlier_min;
    int outlier_ratio_pct;
    int sdc_js, sdc_d, sdc_rate_min;
    bool protected_live_reads;
    int max_revisions_per_day;
    int import_timeout_ms;
    double rate_limit, address_rate_limit; /* requests per second */
    double rate_burst, address_burst;
};

struct worker {
    int index;
    pthread_t thread;
    struct server *server;              /* borrowed */
    struct event_base *base;            /* owned */
    struct evhttp *http;                /* owned */
    struct evhttp_bound_socket *socket; /* owned by http; NULL once accepting stopped */
    struct app_settings settings;       /* loop-local copy of server->settings, renewed on SIGHUP */
    atomic_int reload_requested;
    struct db_pool *db;           /* owned: the primary */
    struct db_pool *db_read_pool; /* owned: the --db-read standby, or NULL */
    struct db_pool *db_read;      /* borrowed: db_read_pool while it may serve aggregate
                                     reads (connected, within db-read-lag-max and past the
                                     last change notified), else NULL: use db. Loop-local. */
    struct db_listen *listen;     /* owned: change notifications from the primary */
    void *api;                    /* owned through server->hooks: the API's state of this
                                     worker (caches, catalogue), told of every change */
    uint64_t changes;             /* change notifications seen; loop-local. An answer
                                     begun before the latest one must not be cached. */
    struct event *command;        /* owned: wakes the loop for stop requests */
    struct event *log_flush;      /* owned: writes buffered request lines every 100 ms */
    struct event *drain_timer;    /* owned: checks in-flight requests while stopping */
    struct event *heartbeat;      /* owned: stamps metrics.heartbeat_ms, copies gauges */
    char read_fence[32];          /* primary WAL position the standby must pass ("" none) */
    bool read_probe_running;      /* a lag or fence probe is in flight; loop-local */
    bool fence_probe_running;
    bool fence_again;           /* a change came while the fence was being read */
    uint64_t local_writes_seen; /* server->local_writes as this worker last acted on it */
    bool read_logged_standby;   /* the last logged routing of aggregate reads */
    int64_t next_read_probe_ms;
    struct worker_metrics metrics; /* written by this worker only; read by /metrics */
    int open_connections;          /* loop-local */
    int in_flight;                 /* requests received and not yet answered; loop-local */
    uint64_t requests;             /* loop-local */
    unsigned char id_prefix[8];    /* random, drawn once: the first half of request ids */
    bool id_prefix_ready;
    atomic_int stop_requested;
    bool drain_grace; /* stopping: the last answers are being written out */
    struct timespec stop_deadline;
};

struct server {
    const struct config *cfg;      /* borrowed: as started (listen, db, workers: not reloadable) */
    const struct api_hooks *hooks; /* borrowed: how the host calls the API (daemon/api_hooks.h) */
    struct app_settings settings;  /* the reloadable settings; workers copy them under lock */
    pthread_mutex_t settings_lock;
    /* Reads the configuration again (file and flags) for SIGHUP; NULL when there is nothing to
     * re-read. Fills *fresh (caller frees) or returns -1 with a message. */
    int (*reread)(struct config *fresh, char *err, size_t errlen);
    int listen_fd; /* owned */
    int nworkers;
    struct worker *workers;            /* owned array */
    struct rate_limiter *limiter;      /* owned: per principal and per address, all workers */
    atomic_uint_fast64_t local_writes; /* writes answered by any worker of this instance */
    unsigned char *sdc_secret;         /* owned; never logged */
    size_t sdc_secret_len;
    int heartbeat_interval_ms; /* each worker's heartbeat period */
    long long started_unix;    /* for trechter_process_start_time_seconds */
};

/* A write made through this worker has committed: drop its caches and fence its standby reads at
 * once, before the reply, so the writer's next read sees the write (other workers and instances
 * learn through the change notification). */
void server_note_local_write(struct worker *w);

/* Called as each request arrives: when another worker of this instance has written since, acts as
 * if the change notification had come (it is on its way), so a writer's next read sees its write
 * on any connection. One atomic load when nothing changed. */
void server_catch_up_local_writes(struct worker *w);

/* Runs `trechterd serve` until SIGTERM/SIGINT; returns the process exit status. On SIGHUP the
 * TLS certificate and key are read again, and with `reread` the reloadable settings too (limits,
 * timeouts, rate limits, warnings, protection parameters, log level). */
int server_main(const struct config *cfg, const struct api_hooks *hooks,
                int (*reread)(struct config *fresh, char *err, size_t errlen));

/* Reads the protection secret: the file's content with one trailing LF or CRLF removed, at least 32
 * bytes. Returns 0, or -1 with a message in err. */
int server_read_secret(const char *path, unsigned char **out, size_t *outlen, char *err,
                       size_t errlen);

#endif
