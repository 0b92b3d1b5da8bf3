/* The serving process: listener, worker threads with their own loop, evhttp and database pool,
 * signal handling (SIGTERM/SIGINT stop, SIGHUP reload) and orderly shutdown. */
#include "daemon/server.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/api_hooks.h"
#include "daemon/read_routing.h"
#include "daemon/conn_guard.h"
#include "daemon/db_listen.h"
#include "daemon/db_pool.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/rate_limit.h"
#include "daemon/sd_notify.h"
#include "daemon/tls.h"

int server_read_secret(const char *path, unsigned char **out, size_t *outlen, char *err,
                       size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    int rc = -1;
    unsigned char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "sdc-secret-file %s: %s", path, strerror(errno));
        return -1;
    }
    enum { MAX_SECRET = 4096 };
    buf = malloc(MAX_SECRET + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t n = fread(buf, 1, MAX_SECRET + 1, f);
    if (n > MAX_SECRET) {
        snprintf(err, errlen, "sdc-secret-file %s: larger than %d bytes", path, MAX_SECRET);
        goto out;
    }
    if (n && buf[n - 1] == '\n')
        n--;
    if (n && buf[n - 1] == '\r')
        n--;
    if (n < 32) {
        snprintf(err, errlen, "sdc-secret-file %s: holds %zu bytes, at least 32 are needed", path,
                 n);
        goto out;
    }
    *out = buf;
    *outlen = n;
    buf = NULL;
    rc = 0;
out:
    if (buf) {
        explicit_bzero(buf, MAX_SECRET + 1);
        free(buf);
    }
    fclose(f);
    return rc;
}

static int split_host_port(const char *text, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || !colon[1])
        return -1;
    const char *h = text;
    size_t hl = (size_t)(colon - text);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']')
        h++, hl -= 2;
    if (hl >= hostlen || strlen(colon + 1) >= portlen)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    strcpy(port, colon + 1);
    return 0;
}

/* Binds the one listening socket all workers accept from. No SO_REUSEPORT: a second daemon on the
 * same port must fail with EADDRINUSE rather than silently share it (PITFALLS). */
static int bind_listener(const char *address, char *err, size_t errlen)
{
    char host[256], port[16];
    if (split_host_port(address, host, sizeof host, port, sizeof port) < 0) {
        snprintf(err, errlen, "listen: '%s' is not HOST:PORT", address);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai) {
        snprintf(err, errlen, "listen %s: %s", address, gai_strerror(gai));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        /* Accepted sockets inherit this. Without it a reply written as more than one TLS record
         * waits for the client's delayed ACK (40 ms) — the difference between a few hundred and
         * tens of thousands of requests per second (docs/benchmarks.md). */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        snprintf(err, errlen, "listen %s: %s", address, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void worker_check_drained(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    bool late = now.tv_sec > w->stop_deadline.tv_sec ||
                (now.tv_sec == w->stop_deadline.tv_sec && now.tv_nsec >= w->stop_deadline.tv_nsec);
    if (late) {
        if (w->in_flight)
            log_warning("worker %d: %d requests still in flight at the shutdown deadline", w->index,
                        w->in_flight);
        event_base_loopexit(w->base, NULL);
        return;
    }
    if (w->in_flight == 0) {
        /* The last answers are queued but may still be on their way through TLS to the socket:
         * give the loop a moment to write them before the connections are closed. */
        struct timeval grace = {0, 250000};
        if (w->drain_grace)
            event_base_loopexit(w->base, NULL);
        else
            evtimer_add(w->drain_timer, &grace);
        w->drain_grace = true;
        return;
    }
    w->drain_grace = false;
    struct timeval tv = {0, 20000};
    evtimer_add(w->drain_timer, &tv);
}

/* Runs in the worker's loop when the main thread asks it to stop: no new connections, then wait
 * for the requests in flight (bounded by shutdown-timeout). */
static void worker_copy_settings(struct worker *w)
{
    pthread_mutex_lock(&w->server->settings_lock);
    w->settings = w->server->settings;
    pthread_mutex_unlock(&w->server->settings_lock);
}

static void worker_command(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    server_catch_up_local_writes(w);
    if (atomic_exchange(&w->reload_requested, 0))
        worker_copy_settings(w);
    if (!atomic_load(&w->stop_requested))
        return;
    if (w->socket) {
        evhttp_del_accept_socket(w->http, w->socket);
        w->socket = NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &w->stop_deadline);
    int ms = w->server->cfg->shutdown_timeout_ms;
    w->stop_deadline.tv_sec += ms / 1000;
    w->stop_deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (w->stop_deadline.tv_nsec >= 1000000000L) {
        w->stop_deadline.tv_sec++;
        w->stop_deadline.tv_nsec -= 1000000000L;
    }
    worker_check_drained(-1, 0, w);
}

/* Any write anywhere (this instance, another one, an admin command) drops the cached answers. */
static void on_change(void *arg, const char *payload);

void server_note_local_write(struct worker *w)
{
    struct server *s = w->server;
    atomic_fetch_add(&s->local_writes, 1);
    on_change(w, "local");
    /* Wake the instance's other workers so they fence their standby reads now, not only when
     * their next request arrives: otherwise a worker idle since the write would serve one more
     * read from a standby that may not have replayed it (and report itself as reading from the
     * standby meanwhile). Every worker was set up before any thread started. */
    for (int i = 0; i < s->nworkers; i++)
        if (&s->workers[i] != w)
            event_active(s->workers[i].command, EV_READ, 0);
}

void server_catch_up_local_writes(struct worker *w)
{
    if (atomic_load_explicit(&w->server->local_writes, memory_order_acquire) !=
        w->local_writes_seen)
        on_change(w, "local");
}

static void on_change(void *arg, const char *payload)
{
    struct worker *w = arg;
    /* Whatever this instance had answered by now is covered by the fence and the cleared cache
     * below: no need to act on those writes again when the worker's next request arrives. */
    w->local_writes_seen = atomic_load_explicit(&w->server->local_writes, memory_order_acquire);
    w->changes++;
    enum api_change what = !payload                         ? API_CHANGE_UNKNOWN
                           : strcmp(payload, "tokens") == 0 ? API_CHANGE_TOKENS
                                                            : API_CHANGE_FIGURES;
    w->server->hooks->on_change(w->api, what);
    if (w->db_read_pool)
        read_routing_fence(w);
}

/* Request lines wait at most this long in the worker's log buffer. */
static void worker_log_flush(evutil_socket_t fd, short what, void *arg)
{
    log_flush();
}

/* The worker's heartbeat: proves to the watchdog that this loop runs, and copies loop-local
 * figures where the /metrics thread can read them. */
static void worker_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct worker_metrics *m = &w->metrics;
    int64_t now = metrics_now_ms();
    atomic_store_explicit(&m->heartbeat_ms, now, memory_order_relaxed);
    atomic_store_explicit(&m->open_connections, w->open_connections, memory_order_relaxed);
    atomic_store_explicit(&m->in_flight, w->in_flight, memory_order_relaxed);
    atomic_store_explicit(&m->listen_ok, db_listen_ok(w->listen), memory_order_relaxed);
    struct db_pool_stats ps;
    db_pool_get_stats(w->db, &ps);
    metrics_publish_pool(m, METRICS_POOL_PRIMARY, &ps);
    if (w->db_read_pool) {
        db_pool_get_stats(w->db_read_pool, &ps);
        metrics_publish_pool(m, METRICS_POOL_READ, &ps);
        read_routing_heartbeat(w, now);
    }
    w->server->hooks->publish_metrics(w->api, m);
}

static int worker_setup(struct worker *w, char *err, size_t errlen)
{
    const struct config *cfg = w->server->cfg;
    w->settings = w->server->settings;
    w->base = event_base_new();
    w->http = w->base ? evhttp_new(w->base) : NULL;
    if (!w->http) {
        snprintf(err, errlen, "cannot create event loop");
        return -1;
    }
    /* Every method reaches the router, which answers 405 with Allow itself. */
    evhttp_set_allowed_methods(w->http, 0xffff);
    evhttp_set_default_content_type(w->http, "application/problem+json");
    /* evhttp's own caps are backstops well above the guard's, which answers with problem+json. */
    evhttp_set_max_headers_size(w->http, (ev_ssize_t)(cfg->max_header * 2 + 4096));
    evhttp_set_max_body_size(w->http, (ev_ssize_t)(cfg->max_import_body + (1u << 20)));
    evhttp_set_timeout(w->http, cfg->idle_timeout_ms / 1000 ? cfg->idle_timeout_ms / 1000 : 1);
    evhttp_set_bevcb(w->http, conn_guard_new_bufferevent, w);
    evhttp_set_gencb(w->http, w->server->hooks->dispatch, w);

    const char *dberr = NULL;
    struct db_pool_options opts = {.size = cfg->db_pool_size,
                                   .query_timeout_ms = cfg->db_query_timeout_ms,
                                   .long_query_timeout_ms = cfg->import_timeout_ms,
                                   .application_name = "trechterd"};
    w->db = db_pool_new(w->base, cfg->db, &opts, &dberr);
    if (!w->db) {
        snprintf(err, errlen, "db: %s", dberr ? dberr : "cannot create the connection pool");
        return -1;
    }
    if (cfg->db_read) {
        opts.application_name = "trechterd-read";
        w->db_read_pool = db_pool_new(w->base, cfg->db_read, &opts, &dberr);
        if (!w->db_read_pool) {
            snprintf(err, errlen, "db-read: %s",
                     dberr ? dberr : "cannot create the connection pool");
            return -1;
        }
    }
    if (worker_metrics_init(&w->metrics, w->server->hooks->route_count()) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->api = w->server->hooks->worker_new(w);
    w->listen = db_listen_new(w->base, cfg->db, "trechter_changes", on_change, w);
    if (!w->api || !w->listen) {
        snprintf(err, errlen, "cannot create the API's caches or the LISTEN connection");
        return -1;
    }
    int fd = dup(w->server->listen_fd);
    if (fd < 0) {
        snprintf(err, errlen, "dup: %s", strerror(errno));
        return -1;
    }
    w->socket = evhttp_accept_socket_with_handle(w->http, fd);
    if (!w->socket) {
        close(fd);
        snprintf(err, errlen, "cannot accept on the listening socket");
        return -1;
    }
    w->command = event_new(w->base, -1, 0, worker_command, w);
    w->drain_timer = evtimer_new(w->base, worker_check_drained, w);
    w->heartbeat = event_new(w->base, -1, EV_PERSIST, worker_heartbeat, w);
    w->log_flush = event_new(w->base, -1, EV_PERSIST, worker_log_flush, w);
    struct timeval every_100ms = {0, 100000};
    if (!w->log_flush || event_add(w->log_flush, &every_100ms) < 0) {
        snprintf(err, errlen, "cannot start the log flush timer");
        return -1;
    }
    if (!w->command || !w->drain_timer || !w->heartbeat)
        return -1;
    int hb = w->server->heartbeat_interval_ms;
    struct timeval tv = {hb / 1000, (hb % 1000) * 1000};
    return event_add(w->heartbeat, &tv);
}

static void worker_teardown(struct worker *w)
{
    if (w->http)
        evhttp_free(w->http);
    if (w->heartbeat)
        event_free(w->heartbeat);
    if (w->log_flush)
        event_free(w->log_flush);
    if (w->db_read_pool)
        db_pool_free(w->db_read_pool);
    w->db_read = NULL;
    if (w->db)
        db_pool_free(w->db);
    db_listen_free(w->listen);
    if (w->api)
        w->server->hooks->worker_free(w->api);
    w->api = NULL;
    if (w->command)
        event_free(w->command);
    if (w->drain_timer)
        event_free(w->drain_timer);
    if (w->base)
        event_base_free(w->base);
    worker_metrics_free(&w->metrics);
}

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    event_base_dispatch(w->base);
    log_flush();
    return NULL;
}

struct main_loop {
    struct server *server;
    struct event_base *base;
    bool stopping;
    struct event *watchdog; /* owned: WATCHDOG=1 at half $WATCHDOG_USEC */
    int64_t stale_after_ms; /* a worker whose heartbeat is older is not answering */
    int stale_worker;       /* the worker last reported stale, or -1 */
};

/* $WATCHDOG_USEC when the watchdog is meant for this process (WATCHDOG_PID unset or ours), else 0.
 */
static uint64_t watchdog_usec(void)
{
    const char *usec = getenv("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");
    if (!usec || !*usec)
        return 0;
    if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid())
        return 0;
    char *end;
    unsigned long long v = strtoull(usec, &end, 10);
    return *end ? 0 : (uint64_t)v;
}

/* Pings systemd's watchdog only while every worker loop has run its heartbeat lately: a loop that
 * is stuck (a blocking call, a livelock) gets the service restarted by systemd. */
static void watchdog_tick(evutil_socket_t fd, short what, void *arg)
{
    struct main_loop *m = arg;
    int64_t now = metrics_now_ms();
    for (int i = 0; i < m->server->nworkers; i++) {
        int64_t beat =
            atomic_load_explicit(&m->server->workers[i].metrics.heartbeat_ms, memory_order_relaxed);
        if (now - beat > m->stale_after_ms) {
            if (m->stale_worker != i)
                log_error("watchdog: worker %d has not answered for %lld ms; not telling systemd "
                          "we are alive",
                          i, (long long)(now - beat));
            m->stale_worker = i;
            return;
        }
    }
    if (m->stale_worker >= 0)
        log_notice("watchdog: every worker answers again");
    m->stale_worker = -1;
    sd_notify_send("WATCHDOG=1");
}

static void settings_from_config(struct app_settings *s, const struct config *cfg, int nworkers);

static void reload(struct server *s)
{
    /* MONOTONIC_USEC lets newer systemd (253+) match the reload to this signal; 252 ignores it. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char msg[96];
    snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    sd_notify_send(msg);
    char err[512];
    struct config fresh;
    const struct config *use = s->cfg;
    bool reread = false;
    if (s->reread) {
        if (s->reread(&fresh, err, sizeof err) == 0) {
            reread = true;
            use = &fresh;
        } else {
            log_error("reload: keeping the current settings: %s", err);
        }
    }
    if (reread) {
        /* Workers pick the new settings up in their own loop; a request under way finishes with
         * the ones it started with. */
        pthread_mutex_lock(&s->settings_lock);
        settings_from_config(&s->settings, &fresh, s->nworkers);
        pthread_mutex_unlock(&s->settings_lock);
        log_set_level_name(fresh.log_level);
        for (int i = 0; i < s->nworkers; i++) {
            atomic_store(&s->workers[i].reload_requested, 1);
            event_active(s->workers[i].command, EV_READ, 0);
        }
        log_notice("reloaded settings (listen, db, workers and secrets need a restart)");
    }
    SSL_CTX *ctx =
        tls_server_ctx_new(use->tls_cert, use->tls_key, use->tls_client_ca, err, sizeof err);
    if (ctx) {
        tls_current_replace(ctx);
        log_notice("reloaded TLS certificate %s (expires in %d days)", use->tls_cert,
                   tls_current_cert_days_left());
    } else {
        log_error("reload: keeping the current certificate: %s", err);
    }
    if (reread)
        config_free(&fresh);
    sd_notify_send("READY=1");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct main_loop *m = arg;
    if (sig == SIGHUP) {
        reload(m->server);
        return;
    }
    if (m->stopping)
        return;
    m->stopping = true;
    log_notice("stopping: finishing requests in flight (at most %d ms)",
               m->server->cfg->shutdown_timeout_ms);
    sd_notify_send("STOPPING=1");
    for (int i = 0; i < m->server->nworkers; i++) {
        atomic_store(&m->server->workers[i].stop_requested, 1);
        event_active(m->server->workers[i].command, EV_READ, 0);
    }
    event_base_loopexit(m->base, NULL);
}

static void settings_from_config(struct app_settings *s, const struct config *cfg, int nworkers)
{
    s->limits.max_head = cfg->max_header;
    s->limits.max_body = cfg->max_body;
    s->limits.max_import_body = cfg->max_import_body;
    s->header_timeout_ms = cfg->header_timeout_ms;
    s->request_timeout_ms = cfg->request_timeout_ms;
    s->idle_timeout_ms = cfg->idle_timeout_ms;
    s->max_connections_per_worker = (cfg->max_connections + nworkers - 1) / nworkers;
    s->outlier_min = cfg->outlier_min;
    s->outlier_ratio_pct = cfg->outlier_ratio_pct;
    s->sdc_js = cfg->sdc_js;
    s->sdc_d = cfg->sdc_d;
    s->sdc_rate_min = cfg->sdc_rate_min;
    s->protected_live_reads = cfg->protected_live_reads;
    s->max_revisions_per_day = cfg->max_revisions_per_day;
    s->import_timeout_ms = cfg->import_timeout_ms;
    s->rate_limit = cfg->rate_limit;
    s->rate_burst = cfg->rate_burst;
    s->address_rate_limit = cfg->address_rate_limit;
    s->address_burst = cfg->address_burst;
}

int server_main(const struct config *cfg, const struct api_hooks *hooks,
                int (*reread)(struct config *fresh, char *err, size_t errlen))
{
    struct server s = {.cfg = cfg,
                       .hooks = hooks,
                       .listen_fd = -1,
                       .started_unix = (long long)time(NULL),
                       .reread = reread,
                       .settings_lock = PTHREAD_MUTEX_INITIALIZER};
    struct main_loop m = {.server = &s, .stale_worker = -1};
    struct metrics_listener *metrics = NULL;
    struct event *signals[3] = {0};
    char err[512];
    int rc = 1, started = 0;

    log_set_level_name(cfg->log_level);
    signal(SIGPIPE, SIG_IGN);
    if (evthread_use_pthreads() < 0) {
        log_error("libevent threading support is unavailable");
        return 1;
    }
    if (server_read_secret(cfg->sdc_secret_file, &s.sdc_secret, &s.sdc_secret_len, err,
                           sizeof err) < 0) {
        log_error("%s", err);
        return 1;
    }
    SSL_CTX *ctx =
        tls_server_ctx_new(cfg->tls_cert, cfg->tls_key, cfg->tls_client_ca, err, sizeof err);
    if (!ctx) {
        log_error("%s", err);
        goto out;
    }
    tls_current_replace(ctx);
    conn_guard_init();
    s.listen_fd = bind_listener(cfg->listen, err, sizeof err);
    if (s.listen_fd < 0) {
        log_error("%s", err);
        goto out;
    }
    s.nworkers = cfg->workers > 0 ? cfg->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (s.nworkers < 1)
        s.nworkers = 1;
    settings_from_config(&s.settings, cfg, s.nworkers);
    /* Heartbeats every second, or faster under a short watchdog; a worker is stale after half the
     * watchdog period (at least two missed heartbeats). */
    uint64_t wd_usec = watchdog_usec();
    s.heartbeat_interval_ms = 1000;
    if (wd_usec && wd_usec / 4000 < 1000)
        s.heartbeat_interval_ms = wd_usec / 4000 < 50 ? 50 : (int)(wd_usec / 4000);
    m.stale_after_ms = wd_usec ? (int64_t)(wd_usec / 2000) : 0;
    if (m.stale_after_ms < 2 * s.heartbeat_interval_ms)
        m.stale_after_ms = 2 * s.heartbeat_interval_ms;
    s.limiter = rate_limiter_new(65536);
    if (!s.limiter)
        goto out;
    s.workers = calloc((size_t)s.nworkers, sizeof *s.workers);
    m.base = event_base_new();
    if (!s.workers || !m.base)
        goto out;
    for (int i = 0; i < s.nworkers; i++) {
        s.workers[i].index = i;
        s.workers[i].server = &s;
        if (worker_setup(&s.workers[i], err, sizeof err) < 0) {
            log_error("worker %d: %s", i, err);
            goto out;
        }
    }
    int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        signals[i] = evsignal_new(m.base, sigs[i], on_signal, &m);
        if (!signals[i] || evsignal_add(signals[i], NULL) < 0)
            goto out;
    }
    if (wd_usec) {
        m.watchdog = event_new(m.base, -1, EV_PERSIST, watchdog_tick, &m);
        struct timeval tv = {(time_t)(wd_usec / 2 / 1000000), (suseconds_t)(wd_usec / 2 % 1000000)};
        if (!m.watchdog || event_add(m.watchdog, &tv) < 0)
            goto out;
    }
    if (cfg->metrics_listen) {
        metrics = metrics_listener_start(cfg->metrics_listen, &s, err, sizeof err);
        if (!metrics) {
            log_error("%s", err);
            goto out;
        }
    }
    for (; started < s.nworkers; started++) {
        if (pthread_create(&s.workers[started].thread, NULL, worker_run, &s.workers[started])) {
            log_error("cannot start worker thread %d", started);
            goto out;
        }
    }
    log_notice("trechterd %s serving https://%s with %d workers (TLS certificate expires in %d "
               "days)",
               TRECHTER_VERSION, cfg->listen, s.nworkers, tls_current_cert_days_left());
    if (cfg->metrics_listen)
        log_notice("metrics on http://%s/metrics", cfg->metrics_listen);
    if (wd_usec)
        log_notice("systemd watchdog: pinging every %llu ms while every worker answers",
                   (unsigned long long)(wd_usec / 2000));
    sd_notify_send("READY=1");
    if (wd_usec)
        watchdog_tick(-1, 0, &m);
    event_base_dispatch(m.base);
    rc = 0;
out:
    if (started < s.nworkers && started > 0) {
        for (int i = 0; i < started; i++) {
            atomic_store(&s.workers[i].stop_requested, 1);
            event_active(s.workers[i].command, EV_READ, 0);
        }
        rc = 1;
    }
    for (int i = 0; i < started; i++)
        pthread_join(s.workers[i].thread, NULL);
    metrics_listener_stop(metrics);
    if (m.watchdog)
        event_free(m.watchdog);
    for (int i = 0; s.workers && i < s.nworkers; i++)
        worker_teardown(&s.workers[i]);
    for (int i = 0; i < 3; i++)
        if (signals[i])
            event_free(signals[i]);
    if (m.base)
        event_base_free(m.base);
    free(s.workers);
    rate_limiter_free(s.limiter);
    if (s.listen_fd >= 0)
        close(s.listen_fd);
    tls_current_free();
    if (s.sdc_secret) {
        explicit_bzero(s.sdc_secret, s.sdc_secret_len);
        free(s.sdc_secret);
    }
    if (rc == 0)
        log_notice("stopped");
    return rc;
}
