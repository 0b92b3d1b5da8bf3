/* Prometheus metrics: per-worker counters (single writer, relaxed atomics), their text rendering,
 * and the plain-HTTP /metrics listener on its own thread and event loop. */
#include "daemon/metrics.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/api_hooks.h"
#include "daemon/db_pool.h"
#include "daemon/log.h"
#include "daemon/server.h"
#include "daemon/tls.h"

const uint64_t metrics_latency_bounds_us[METRICS_LATENCY_BUCKETS] = {
    1000,   2500,   5000,    10000,   25000,   50000,   100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000};

#define RELAXED memory_order_relaxed

/* Single writer: a load and a store, no locked read-modify-write needed. */
static inline void bump(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, RELAXED) + n, RELAXED);
}

static inline uint64_t get64(const _Atomic uint64_t *c)
{
    return atomic_load_explicit((_Atomic uint64_t *)c, RELAXED);
}

static inline int geti(const _Atomic int *c)
{
    return atomic_load_explicit((_Atomic int *)c, RELAXED);
}

int64_t metrics_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int worker_metrics_init(struct worker_metrics *m, size_t nroutes)
{
    m->nroutes = nroutes + 1;
    m->requests = calloc(m->nroutes * METRICS_STATUS_SLOTS, sizeof *m->requests);
    m->latency = calloc(m->nroutes * (METRICS_LATENCY_BUCKETS + 1), sizeof *m->latency);
    m->latency_sum_us = calloc(m->nroutes, sizeof *m->latency_sum_us);
    m->answers = calloc(m->nroutes * METRICS_VIEWS, sizeof *m->answers);
    atomic_store(&m->heartbeat_ms, metrics_now_ms());
    atomic_store(&m->replica_lag_ms, -1);
    if (!m->requests || !m->latency || !m->latency_sum_us || !m->answers) {
        worker_metrics_free(m);
        return -1;
    }
    return 0;
}

void worker_metrics_free(struct worker_metrics *m)
{
    free(m->requests);
    free(m->latency);
    free(m->latency_sum_us);
    free(m->answers);
    m->requests = m->latency = m->latency_sum_us = m->answers = NULL;
}

void metrics_note_reply(struct worker_metrics *m, const struct metrics_note *note)
{
    if (!m->requests)
        return;
    size_t slot = note->route_slot < m->nroutes ? note->route_slot : m->nroutes - 1;
    int status = note->status;
    if (status >= METRICS_STATUS_MIN && status < METRICS_STATUS_MIN + METRICS_STATUS_SLOTS)
        bump(&m->requests[slot * METRICS_STATUS_SLOTS + (size_t)(status - METRICS_STATUS_MIN)], 1);
    uint64_t us = note->latency_us > 0 ? (uint64_t)note->latency_us : 0;
    size_t b = 0;
    while (b < METRICS_LATENCY_BUCKETS && us > metrics_latency_bounds_us[b])
        b++;
    bump(&m->latency[slot * (METRICS_LATENCY_BUCKETS + 1) + b], 1);
    bump(&m->latency_sum_us[slot], us);
    bump(&m->bytes_out, note->bytes_out);
    if (note->view >= 0 && note->view < METRICS_VIEWS)
        bump(&m->answers[slot * METRICS_VIEWS + (size_t)note->view], 1);
    if (note->submission >= 0 && note->submission < METRICS_SUBS)
        bump(&m->submissions[note->submission], 1);
}

void metrics_publish_pool(struct worker_metrics *m, enum metrics_pool which,
                          const struct db_pool_stats *st)
{
    struct metrics_pool_gauges *g = &m->pool[which];
    atomic_store_explicit(&g->configured, 1, RELAXED);
    atomic_store_explicit(&g->open, st->open, RELAXED);
    atomic_store_explicit(&g->busy, st->busy, RELAXED);
    atomic_store_explicit(&g->waiting, st->waiting, RELAXED);
    atomic_store_explicit(&g->reconnects, st->reconnects, RELAXED);
    atomic_store_explicit(&g->queries, st->queries, RELAXED);
}

void metrics_publish_cache(struct worker_metrics *m, const struct metrics_cache_stats *st)
{
    atomic_store_explicit(&m->cache_hits, st->hits, RELAXED);
    atomic_store_explicit(&m->cache_misses, st->misses, RELAXED);
    atomic_store_explicit(&m->cache_stores, st->stores, RELAXED);
    atomic_store_explicit(&m->cache_clears, st->clears, RELAXED);
    atomic_store_explicit(&m->cache_entries, (uint64_t)st->entries, RELAXED);
    atomic_store_explicit(&m->cache_bytes, (uint64_t)st->bytes, RELAXED);
}

/* ---- rendering ------------------------------------------------------------------------------- */

static void family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *route_label(const struct server *s, size_t slot)
{
    return slot < s->hooks->route_count() ? s->hooks->route_name(slot) : "none";
}

/* Seconds from microseconds, without trailing zeros ("0.0025", "1", "0.000058"). */
static void print_seconds(struct evbuffer *out, uint64_t us)
{
    char frac[8];
    snprintf(frac, sizeof frac, "%06" PRIu64, us % 1000000);
    size_t n = strlen(frac);
    while (n > 0 && frac[n - 1] == '0')
        frac[--n] = '\0';
    evbuffer_add_printf(out, "%" PRIu64 "%s%s", us / 1000000, n ? "." : "", frac);
}

static void render_http(struct evbuffer *out, const struct server *s)
{
    size_t nroutes = s->hooks->route_count() + 1;
    family(out, "trechter_http_requests_total", "counter",
           "Requests answered, by route (\"none\" when no route matched) and status.");
    for (size_t slot = 0; slot < nroutes; slot++) {
        for (size_t st = 0; st < METRICS_STATUS_SLOTS; st++) {
            uint64_t n = 0;
            for (int w = 0; w < s->nworkers; w++)
                if (s->workers[w].metrics.requests)
                    n += get64(&s->workers[w].metrics.requests[slot * METRICS_STATUS_SLOTS + st]);
            if (n)
                evbuffer_add_printf(out,
                                    "trechter_http_requests_total{route=\"%s\",status=\"%zu\"} "
                                    "%" PRIu64 "\n",
                                    route_label(s, slot), st + METRICS_STATUS_MIN, n);
        }
    }

    family(out, "trechter_http_request_duration_seconds", "histogram",
           "Time from the request's arrival to its answer, by route.");
    for (size_t slot = 0; slot < nroutes; slot++) {
        uint64_t buckets[METRICS_LATENCY_BUCKETS + 1] = {0}, sum_us = 0, count = 0;
        for (int w = 0; w < s->nworkers; w++) {
            const struct worker_metrics *m = &s->workers[w].metrics;
            if (!m->latency)
                continue;
            for (size_t b = 0; b <= METRICS_LATENCY_BUCKETS; b++)
                buckets[b] += get64(&m->latency[slot * (METRICS_LATENCY_BUCKETS + 1) + b]);
            sum_us += get64(&m->latency_sum_us[slot]);
        }
        for (size_t b = 0; b <= METRICS_LATENCY_BUCKETS; b++)
            count += buckets[b];
        if (!count)
            continue;
        const char *label = route_label(s, slot);
        uint64_t cumulative = 0;
        for (size_t b = 0; b < METRICS_LATENCY_BUCKETS; b++) {
            cumulative += buckets[b];
            evbuffer_add_printf(
                out, "trechter_http_request_duration_seconds_bucket{route=\"%s\",le=\"", label);
            print_seconds(out, metrics_latency_bounds_us[b]);
            evbuffer_add_printf(out, "\"} %" PRIu64 "\n", cumulative);
        }
        evbuffer_add_printf(
            out,
            "trechter_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
            "%" PRIu64 "\n",
            label, count);
        evbuffer_add_printf(out, "trechter_http_request_duration_seconds_sum{route=\"%s\"} ",
                            label);
        print_seconds(out, sum_us);
        evbuffer_add_printf(
            out, "\ntrechter_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
            label, count);
    }

    uint64_t bytes = 0;
    int open = 0, in_flight = 0;
    for (int w = 0; w < s->nworkers; w++) {
        bytes += get64(&s->workers[w].metrics.bytes_out);
        open += geti(&s->workers[w].metrics.open_connections);
        in_flight += geti(&s->workers[w].metrics.in_flight);
    }
    family(out, "trechter_http_response_body_bytes_total", "counter", "Response body bytes sent.");
    evbuffer_add_printf(out, "trechter_http_response_body_bytes_total %" PRIu64 "\n", bytes);
    family(out, "trechter_http_connections_open", "gauge", "Open client connections.");
    evbuffer_add_printf(out, "trechter_http_connections_open %d\n", open);
    family(out, "trechter_http_requests_in_flight", "gauge",
           "Requests received, not yet answered.");
    evbuffer_add_printf(out, "trechter_http_requests_in_flight %d\n", in_flight);
}

static void render_data(struct evbuffer *out, const struct server *s)
{
    static const char *kinds[METRICS_SUBS] = {"funnel", "network", "import"};
    family(out, "trechter_submissions_written_total", "counter",
           "Writes committed: 200/201 answers to funnel and network PUTs and non-dry-run imports.");
    for (int k = 0; k < METRICS_SUBS; k++) {
        uint64_t n = 0;
        for (int w = 0; w < s->nworkers; w++)
            n += get64(&s->workers[w].metrics.submissions[k]);
        evbuffer_add_printf(out, "trechter_submissions_written_total{kind=\"%s\"} %" PRIu64 "\n",
                            kinds[k], n);
    }

    static const char *views[METRICS_VIEWS] = {"raw", "protected"};
    family(out, "trechter_aggregate_answers_total", "counter",
           "200 answers of the aggregate endpoints by view: raw (rapporteur) or protected "
           "(cell-key perturbed, for analysts and municipalities).");
    for (size_t slot = 0; slot < s->hooks->route_count(); slot++) {
        if (!s->hooks->route_is_aggregate(slot))
            continue;
        for (int v = 0; v < METRICS_VIEWS; v++) {
            uint64_t n = 0;
            for (int w = 0; w < s->nworkers; w++)
                if (s->workers[w].metrics.answers)
                    n += get64(&s->workers[w].metrics.answers[slot * METRICS_VIEWS + (size_t)v]);
            evbuffer_add_printf(
                out, "trechter_aggregate_answers_total{route=\"%s\",view=\"%s\"} %" PRIu64 "\n",
                s->hooks->route_name(slot), views[v], n);
        }
    }
    family(out, "trechter_sdc_parameters", "gauge",
           "Cell-key perturbation settings in force (js, D, rate-min).");
    evbuffer_add_printf(out,
                        "trechter_sdc_parameters{parameter=\"js\"} %d\n"
                        "trechter_sdc_parameters{parameter=\"d\"} %d\n"
                        "trechter_sdc_parameters{parameter=\"rate_min\"} %d\n",
                        s->settings.sdc_js, s->settings.sdc_d, s->settings.sdc_rate_min);

    uint64_t c[6] = {0};
    for (int w = 0; w < s->nworkers; w++) {
        const struct worker_metrics *m = &s->workers[w].metrics;
        c[0] += get64(&m->cache_hits);
        c[1] += get64(&m->cache_misses);
        c[2] += get64(&m->cache_stores);
        c[3] += get64(&m->cache_clears);
        c[4] += get64(&m->cache_entries);
        c[5] += get64(&m->cache_bytes);
    }
    family(out, "trechter_cache_hits_total", "counter", "Read answers served from the cache.");
    evbuffer_add_printf(out, "trechter_cache_hits_total %" PRIu64 "\n", c[0]);
    family(out, "trechter_cache_misses_total", "counter", "Cache look-ups that missed.");
    evbuffer_add_printf(out, "trechter_cache_misses_total %" PRIu64 "\n", c[1]);
    family(out, "trechter_cache_stores_total", "counter", "Answers stored in the cache.");
    evbuffer_add_printf(out, "trechter_cache_stores_total %" PRIu64 "\n", c[2]);
    family(out, "trechter_cache_clears_total", "counter",
           "Times a worker's cache was dropped (change notifications).");
    evbuffer_add_printf(out, "trechter_cache_clears_total %" PRIu64 "\n", c[3]);
    family(out, "trechter_cache_entries", "gauge", "Cached answers.");
    evbuffer_add_printf(out, "trechter_cache_entries %" PRIu64 "\n", c[4]);
    family(out, "trechter_cache_bytes", "gauge", "Bytes held by cached answers.");
    evbuffer_add_printf(out, "trechter_cache_bytes %" PRIu64 "\n", c[5]);
}

static void render_db(struct evbuffer *out, const struct server *s)
{
    static const char *pools[METRICS_POOLS] = {"primary", "read"};
    static const struct {
        const char *name, *type, *help;
    } fams[] = {
        {"trechter_db_pool_connections_open", "gauge", "Established PostgreSQL connections."},
        {"trechter_db_pool_connections_in_use", "gauge", "Connections running a statement."},
        {"trechter_db_pool_waiting", "gauge", "Statements queued for a connection."},
        {"trechter_db_pool_reconnects_total", "counter", "Connection attempts after the first."},
        {"trechter_db_pool_queries_total", "counter", "Statements completed (any outcome)."},
    };
    for (size_t f = 0; f < sizeof fams / sizeof fams[0]; f++) {
        family(out, fams[f].name, fams[f].type, fams[f].help);
        for (int p = 0; p < METRICS_POOLS; p++) {
            uint64_t n = 0;
            bool any = false;
            for (int w = 0; w < s->nworkers; w++) {
                const struct metrics_pool_gauges *g = &s->workers[w].metrics.pool[p];
                if (!geti(&g->configured))
                    continue;
                any = true;
                switch (f) {
                case 0:
                    n += (uint64_t)geti(&g->open);
                    break;
                case 1:
                    n += (uint64_t)geti(&g->busy);
                    break;
                case 2:
                    n += (uint64_t)geti(&g->waiting);
                    break;
                case 3:
                    n += get64(&g->reconnects);
                    break;
                default:
                    n += get64(&g->queries);
                    break;
                }
            }
            if (any)
                evbuffer_add_printf(out, "%s{pool=\"%s\"} %" PRIu64 "\n", fams[f].name, pools[p],
                                    n);
        }
    }
    int listening = 0;
    for (int w = 0; w < s->nworkers; w++)
        listening += geti(&s->workers[w].metrics.listen_ok);
    family(out, "trechter_db_listen_connections", "gauge",
           "Workers whose LISTEN for change notifications is in force (cache trusted).");
    evbuffer_add_printf(out, "trechter_db_listen_connections %d\n", listening);

    if (s->cfg->db_read) {
        int64_t lag = -1;
        int in_use = 0;
        for (int w = 0; w < s->nworkers; w++) {
            int64_t l = atomic_load_explicit(&s->workers[w].metrics.replica_lag_ms, RELAXED);
            if (l > lag)
                lag = l;
            in_use += geti(&s->workers[w].metrics.read_pool_in_use);
        }
        family(out, "trechter_db_read_replication_lag_seconds", "gauge",
               "Replay lag of the --db-read standby (0 when it has replayed all it received; "
               "-1 when unknown).");
        if (lag < 0)
            evbuffer_add_printf(out, "trechter_db_read_replication_lag_seconds -1\n");
        else
            evbuffer_add_printf(
                out, "trechter_db_read_replication_lag_seconds %" PRId64 ".%03" PRId64 "\n",
                lag / 1000, lag % 1000);
        family(out, "trechter_db_read_workers_using_standby", "gauge",
               "Workers sending aggregate reads to the standby (others use the primary: standby "
               "down, lagging beyond db-read-lag-max, or not yet past a change).");
        evbuffer_add_printf(out, "trechter_db_read_workers_using_standby %d\n", in_use);
    }
}

void metrics_render(struct evbuffer *out, const struct server *s)
{
    family(out, "trechter_build_info", "gauge", "The running version.");
    evbuffer_add_printf(out, "trechter_build_info{version=\"%s\"} 1\n", TRECHTER_VERSION);
    family(out, "trechter_process_start_time_seconds", "gauge", "Start time, Unix seconds.");
    evbuffer_add_printf(out, "trechter_process_start_time_seconds %lld\n",
                        (long long)s->started_unix);
    family(out, "trechter_tls_certificate_days_left", "gauge",
           "Days until the served TLS certificate expires (negative when expired).");
    evbuffer_add_printf(out, "trechter_tls_certificate_days_left %d\n",
                        tls_current_cert_days_left());
    family(out, "trechter_worker_heartbeat_age_seconds", "gauge",
           "Time since each worker loop last ran its heartbeat (the watchdog's evidence).");
    int64_t now = metrics_now_ms();
    for (int w = 0; w < s->nworkers; w++) {
        int64_t age = now - atomic_load_explicit(&s->workers[w].metrics.heartbeat_ms, RELAXED);
        if (age < 0)
            age = 0;
        evbuffer_add_printf(
            out, "trechter_worker_heartbeat_age_seconds{worker=\"%d\"} %" PRId64 ".%03" PRId64 "\n",
            w, age / 1000, age % 1000);
    }
    render_http(out, s);
    render_data(out, s);
    render_db(out, s);
}

/* ---- the listener ---------------------------------------------------------------------------- */

struct metrics_listener {
    const struct server *server; /* borrowed */
    struct event_base *base;     /* owned */
    struct evhttp *http;         /* owned */
    pthread_t thread;
    bool running;
};

static void metrics_request(struct evhttp_request *req, void *arg)
{
    struct metrics_listener *l = arg;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    struct evbuffer *body = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (!body) {
        evhttp_send_error(req, 503, "Service Unavailable");
        return;
    }
    if (!path || strcmp(path, "/metrics") != 0) {
        evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
        evbuffer_add_printf(body, "Not found: metrics are at /metrics\n");
        evhttp_send_reply(req, 404, "Not Found", body);
    } else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(h, "Allow", "GET, HEAD");
        evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
        evbuffer_add_printf(body, "Method not allowed\n");
        evhttp_send_reply(req, 405, "Method Not Allowed", body);
    } else {
        metrics_render(body, l->server);
        evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        evhttp_add_header(h, "Cache-Control", "no-store");
        evhttp_send_reply(req, 200, "OK", body);
    }
    evbuffer_free(body);
}

static void *metrics_thread(void *arg)
{
    struct metrics_listener *l = arg;
    event_base_dispatch(l->base);
    return NULL;
}

struct metrics_listener *metrics_listener_start(const char *address, const struct server *s,
                                                char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(address, ':');
    size_t hl = colon ? (size_t)(colon - address) : 0;
    const char *h = address;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
        h++, hl -= 2;
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || hl == 0 || hl >= sizeof host || !end || *end || port < 1 || port > 65535) {
        snprintf(err, errlen, "metrics-listen: '%s' is not HOST:PORT", address);
        return NULL;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';

    struct metrics_listener *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->server = s;
    l->base = event_base_new();
    l->http = l->base ? evhttp_new(l->base) : NULL;
    if (!l->http) {
        snprintf(err, errlen, "metrics-listen: cannot create an event loop");
        goto fail;
    }
    evhttp_set_allowed_methods(l->http, 0xffff);
    evhttp_set_max_headers_size(l->http, 8192);
    evhttp_set_max_body_size(l->http, 1024);
    evhttp_set_timeout(l->http, 10);
    evhttp_set_gencb(l->http, metrics_request, l);
    errno = 0;
    if (!evhttp_bind_socket_with_handle(l->http, host, (ev_uint16_t)port)) {
        snprintf(err, errlen, "metrics-listen %s: %s", address,
                 errno ? strerror(errno) : "cannot bind");
        goto fail;
    }
    if (pthread_create(&l->thread, NULL, metrics_thread, l) != 0) {
        snprintf(err, errlen, "metrics-listen: cannot start its thread");
        goto fail;
    }
    l->running = true;
    return l;
fail:
    metrics_listener_stop(l);
    return NULL;
}

void metrics_listener_stop(struct metrics_listener *l)
{
    if (!l)
        return;
    if (l->running) {
        event_base_loopbreak(l->base); /* thread-safe: evthread_use_pthreads came first */
        pthread_join(l->thread, NULL);
    }
    if (l->http)
        evhttp_free(l->http);
    if (l->base)
        event_base_free(l->base);
    free(l);
}
