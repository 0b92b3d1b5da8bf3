/* The serving process: listener, worker threads with their own loop, evhttp and database pool,
 * signal handling (SIGTERM/SIGINT stop, SIGHUP reload) and orderly shutdown. */
#include "daemon/server.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/catalog.h"
#include "api/request.h"
#include "daemon/conn_guard.h"
#include "api/response_cache.h"
#include "daemon/db_listen.h"
#include "daemon/db_pool.h"
#include "daemon/log.h"
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

static int split_host_port(const char *text, char *host, size_t hostlen, char *port,
                           size_t portlen)
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
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
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
    if (w->in_flight == 0 || late) {
        if (w->in_flight)
            log_warning("worker %d: %d requests still in flight at the shutdown deadline",
                        w->index, w->in_flight);
        event_base_loopexit(w->base, NULL);
        return;
    }
    struct timeval tv = {0, 20000};
    evtimer_add(w->drain_timer, &tv);
}

/* Runs in the worker's loop when the main thread asks it to stop: no new connections, then wait
 * for the requests in flight (bounded by shutdown-timeout). */
static void worker_command(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
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
static void on_change(void *arg, const char *payload)
{
    struct worker *w = arg;
    response_cache_clear(w->cache);
}

static int worker_setup(struct worker *w, char *err, size_t errlen)
{
    const struct config *cfg = w->server->cfg;
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
    evhttp_set_gencb(w->http, request_dispatch, w);

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
    w->cache = response_cache_new(1024, 16u << 20);
    w->listen = db_listen_new(w->base, cfg->db, "trechter_changes", on_change, w);
    if (!w->cache || !w->listen) {
        snprintf(err, errlen, "cannot create the response cache or the LISTEN connection");
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
    return w->command && w->drain_timer ? 0 : -1;
}

static void worker_teardown(struct worker *w)
{
    if (w->http)
        evhttp_free(w->http);
    if (w->db)
        db_pool_free(w->db);
    catalog_free(w->catalog);
    db_listen_free(w->listen);
    response_cache_free(w->cache);
    if (w->command)
        event_free(w->command);
    if (w->drain_timer)
        event_free(w->drain_timer);
    if (w->base)
        event_base_free(w->base);
}

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    event_base_dispatch(w->base);
    return NULL;
}

struct main_loop {
    struct server *server;
    struct event_base *base;
    bool stopping;
};

static void reload(struct server *s)
{
    sd_notify_send("RELOADING=1");
    char err[512];
    SSL_CTX *ctx = tls_server_ctx_new(s->cfg->tls_cert, s->cfg->tls_key, s->cfg->tls_client_ca,
                                      err, sizeof err);
    if (ctx) {
        tls_current_replace(ctx);
        log_notice("reloaded TLS certificate %s (expires in %d days)", s->cfg->tls_cert,
                   tls_current_cert_days_left());
    } else {
        log_error("reload: keeping the current certificate: %s", err);
    }
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
    s->import_timeout_ms = cfg->import_timeout_ms;
    s->rate_limit = cfg->rate_limit;
    s->rate_burst = cfg->rate_burst;
    s->address_rate_limit = cfg->address_rate_limit;
    s->address_burst = cfg->address_burst;
}

int server_main(const struct config *cfg)
{
    struct server s = {.cfg = cfg, .listen_fd = -1};
    struct main_loop m = {.server = &s};
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
    SSL_CTX *ctx = tls_server_ctx_new(cfg->tls_cert, cfg->tls_key, cfg->tls_client_ca, err,
                                      sizeof err);
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
    for (; started < s.nworkers; started++) {
        if (pthread_create(&s.workers[started].thread, NULL, worker_run, &s.workers[started])) {
            log_error("cannot start worker thread %d", started);
            goto out;
        }
    }
    log_notice("trechterd %s serving https://%s with %d workers (TLS certificate expires in %d "
               "days)",
               TRECHTER_VERSION, cfg->listen, s.nworkers, tls_current_cert_days_left());
    sd_notify_send("READY=1");
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
