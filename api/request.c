/* The life of one request: arrival, guard verdict, routing, authentication, reply, log, free. */
#include "api/api_worker.h"
#include "api/request.h"
#include "core/digest.h"

#include <assert.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/response_cache.h"
#include "api/routes.h"
#include "core/access.h"
#include "daemon/conn_guard.h"
#include "daemon/db_listen.h"
#include "daemon/log.h"
#include "daemon/rate_limit.h"
#include "daemon/server.h"

static enum http_method method_of(enum evhttp_cmd_type t, const char **text)
{
    switch (t) {
    case EVHTTP_REQ_GET:
        *text = "GET";
        return METHOD_GET;
    case EVHTTP_REQ_HEAD:
        *text = "HEAD";
        return METHOD_HEAD;
    case EVHTTP_REQ_POST:
        *text = "POST";
        return METHOD_POST;
    case EVHTTP_REQ_PUT:
        *text = "PUT";
        return METHOD_PUT;
    case EVHTTP_REQ_DELETE:
        *text = "DELETE";
        return METHOD_DELETE;
    case EVHTTP_REQ_PATCH:
        *text = "PATCH";
        return METHOD_PATCH;
    case EVHTTP_REQ_OPTIONS:
        *text = "OPTIONS";
        return METHOD_OPTIONS;
    case EVHTTP_REQ_CONNECT:
        *text = "CONNECT";
        return METHOD_OTHER;
    case EVHTTP_REQ_TRACE:
        *text = "TRACE";
        return METHOD_OTHER;
    default:
        *text = "OTHER";
        return METHOD_OTHER;
    }
}

/* A client's X-Request-Id is kept when it is short and plain; otherwise a UUID is made. */
static void set_request_id(struct request *r)
{
    const char *given = request_header(r, "X-Request-Id");
    if (given) {
        size_t n = strlen(given);
        bool ok = n > 0 && n <= 64;
        for (size_t i = 0; ok && i < n; i++) {
            char c = given[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
        }
        if (ok) {
            memcpy(r->request_id, given, n + 1);
            return;
        }
    }
    /* A UUID-shaped id: eight random bytes drawn once per worker, then the worker's request
     * counter — unique without a call to the random generator per request. */
    struct worker *w = r->worker;
    if (!w->id_prefix_ready) {
        if (RAND_bytes(w->id_prefix, sizeof w->id_prefix) != 1)
            memset(w->id_prefix, 0, sizeof w->id_prefix);
        w->id_prefix_ready = true;
    }
    unsigned char b[16];
    memcpy(b, w->id_prefix, 8);
    uint64_t n = w->requests;
    for (int i = 15; i >= 8; i--, n >>= 8)
        b[i] = (unsigned char)(n & 0xff);
    static const char hex[] = "0123456789abcdef";
    char *o = r->request_id;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

static void request_free(struct request *r)
{
    if (r->handler_state_free)
        r->handler_state_free(r->handler_state);
    if (r->query) {
        evhttp_clear_headers(r->query);
        free(r->query);
    }
    free(r->principal.codes);
    free(r->cache_key);
    free(r->path);
    r->worker->in_flight--;
    free(r);
}

static double elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1e3 +
           (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

bool request_cached_reply(struct request *r)
{
    if (!db_listen_ok(r->worker->listen))
        return false;
    const struct principal *p = &r->principal;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    const char *accept = request_header(r, "Accept");
    const char *codes;
    const char *kind = access_cache_kind(p, &codes);
    size_t n = strlen(r->path) + strlen(kind) + strlen(codes) + (query ? strlen(query) : 0) + 16;
    char *key = malloc(n);
    if (!key)
        return false;
    snprintf(key, n, "%s|%s%s|%s|%s", r->path, kind, codes,
             accept && strstr(accept, "text/csv") ? "csv" : "json", query ? query : "");
    struct cached_answer a;
    if (response_cache_get(request_api(r)->cache, key, &a)) {
        free(key);
        if (a.disposition)
            request_add_header(r, "Content-Disposition", a.disposition);
        reply_body(r, 200, a.content_type, a.body, a.len);
        return true;
    }
    r->cache_key = key;
    return false;
}

void request_add_header(struct request *r, const char *name, const char *value)
{
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

const char *request_header(const struct request *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

const char *request_query(const struct request *r, const char *name)
{
    return r->query ? evhttp_find_header(r->query, name) : NULL;
}

const char *request_param(const struct request *r, const char *name)
{
    return route_param(&r->match, name);
}

/* What metrics count of this answer: the host knows nothing of routes, callers or dry runs. */
static void note_metrics(const struct request *r, int status)
{
    const struct route *route = r->match.outcome == ROUTE_FOUND ? r->match.route : NULL;
    unsigned flags = route ? route->flags : 0;
    bool committed = status == 200 || status == 201;
    const char *dry = request_query(r, "dryRun");
    struct metrics_note note = {
        .route_slot = route ? (size_t)(route - api_routes) : api_route_count,
        .status = status,
        .latency_us = (int64_t)(elapsed_ms(&r->started) * 1000.0),
        .bytes_out = r->bytes_out,
        .view = -1,
        .submission = -1,
    };
    if (status == 200 && (flags & ROUTE_AGGREGATE))
        note.view = access_sees_raw(&r->principal) ? METRICS_VIEW_RAW : METRICS_VIEW_PROTECTED;
    if (committed && (flags & ROUTE_WRITES_FUNNEL))
        note.submission = METRICS_SUB_FUNNEL;
    else if (committed && (flags & ROUTE_WRITES_NETWORK))
        note.submission = METRICS_SUB_NETWORK;
    else if (committed && (flags & ROUTE_WRITES_IMPORT) && !(dry && strcmp(dry, "true") == 0))
        note.submission = METRICS_SUB_IMPORT;
    metrics_note_reply(&r->worker->metrics, &note);
}

/* Sends the answer with the headers every response carries (design §3), logs it, frees r. */
static void send_and_free(struct request *r, int status, const char *content_type,
                          struct evbuffer *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(h, "API-Version", API_VERSION);
    evhttp_add_header(h, "X-Request-Id", r->request_id);
    evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (content_type)
        evhttp_add_header(h, "Content-Type", content_type);
    const struct route *route = r->match.route;
    bool shared = route && (route->flags & ROUTE_PUBLIC) && status < 400;
    if (!evhttp_find_header(h, "Cache-Control"))
        evhttp_add_header(h, "Cache-Control", shared ? "public, max-age=60" : "no-store");
    if (route && (route->flags & ROUTE_CORS))
        evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
    if (atomic_load(&r->worker->stop_requested))
        evhttp_add_header(h, "Connection", "close");
    r->status = status;
    r->bytes_out = body ? evbuffer_get_length(body) : 0;
    note_metrics(r, status);
    /* Only what began after the latest change may be cached: an answer read from a snapshot
     * older than a write must not outlive the notification that cleared the cache. */
    if (r->cache_key && status == 200 && body && r->changes_at_start == r->worker->changes)
        response_cache_put(request_api(r)->cache, r->cache_key, content_type ? content_type : "",
                           evhttp_find_header(h, "Content-Disposition"),
                           (const char *)evbuffer_pullup(body, -1), r->bytes_out);
    /* evhttp frames no reply to CONNECT (a 2xx one would start a tunnel), but a refusal is an
     * ordinary answer with a body (RFC 9110 §9.3.6). */
    if (evhttp_request_get_command(r->ev) == EVHTTP_REQ_CONNECT) {
        char length[24];
        snprintf(length, sizeof length, "%zu", r->bytes_out);
        evhttp_add_header(h, "Content-Length", length);
    }
    struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
    evhttp_send_reply(r->ev, status, problem_title(status), body);
    conn_guard_flush(evcon);
    log_buffered(LOG_INFO,
                 "request id=%s principal=%lld method=%s path=%s route=%s status=%d bytes=%zu "
                 "ms=%.1f",
                 r->request_id, r->principal.authenticated ? r->principal.id : 0LL, r->method_text,
                 r->path ? r->path : "-", route ? route->name : "-", status, r->bytes_out,
                 elapsed_ms(&r->started));
    if (body)
        evbuffer_free(body);
    request_free(r);
}

void reply_body(struct request *r, int status, const char *content_type, const char *body,
                size_t len)
{
    struct evbuffer *buf = evbuffer_new();
    if (buf && len)
        evbuffer_add(buf, body, len);
    send_and_free(r, status, content_type, buf);
}

void reply_json_text(struct request *r, int status, const char *json, size_t len)
{
    struct evbuffer *buf = evbuffer_new();
    if (buf) {
        evbuffer_add(buf, json, len);
        evbuffer_add(buf, "\n", 1);
    }
    send_and_free(r, status, "application/json", buf);
}

static int add_to_evbuffer(const char *data, size_t size, void *arg)
{
    return evbuffer_add(arg, data, size);
}

char *json_answer_text(const json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(ANSWER_REAL_PRECISION));
    size_t n = text ? strlen(text) : 0;
    char *line = text ? realloc(text, n + 2) : NULL;
    if (!line) {
        free(text);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    return line;
}

static void reply_json_as(struct request *r, int status, const char *content_type, json_t *body)
{
    struct evbuffer *buf = evbuffer_new();
    if (buf && body) {
        json_dump_callback(body, add_to_evbuffer, buf,
                           JSON_COMPACT | JSON_REAL_PRECISION(ANSWER_REAL_PRECISION));
        evbuffer_add(buf, "\n", 1);
    }
    json_decref(body);
    send_and_free(r, status, content_type, buf);
}

void reply_json(struct request *r, int status, json_t *body)
{
    reply_json_as(r, status, "application/json", body);
}

void reply_empty(struct request *r, int status)
{
    send_and_free(r, status, NULL, NULL);
}

void reply_problem(struct request *r, int status, const char *slug, const char *detail,
                   struct violations *errors)
{
    reply_problem_with(r, status, slug, detail, errors, NULL, NULL);
}

void reply_problem_with(struct request *r, int status, const char *slug, const char *detail,
                        struct violations *errors, const char *name, json_t *value)
{
    json_t *p = problem_new(status, slug, detail, errors);
    if (name)
        json_object_set(p, name, value);
    json_object_set_new(p, "instance", json_string(r->path ? r->path : "/"));
    json_object_set_new(p, "requestId", json_string(r->request_id));
    reply_json_as(r, status, "application/problem+json", p);
}

void reply_unavailable(struct request *r, const char *detail)
{
    request_add_header(r, "Retry-After", "5");
    reply_problem(r, 503, "unavailable", detail, NULL);
}

/* The problem type of each refusal the connection guard makes (daemon/http_guard.h). */
static const char *const guard_problem_types[GUARD_VERDICTS] = {
    [GUARD_HEAD_TOO_LARGE] = "header-too-large",
    [GUARD_BODY_TOO_LARGE] = "body-too-large",
    [GUARD_BAD_FRAMING] = "bad-framing",
    [GUARD_BAD_REQUEST_LINE] = "bad-request-line",
    [GUARD_BAD_FIELD] = "bad-header",
    [GUARD_BAD_HOST] = "bad-host",
    [GUARD_DUPLICATE_FIELD] = "duplicate-header",
    [GUARD_EXPECTATION_FAILED] = "expectation-failed",
    [GUARD_VERSION_NOT_SUPPORTED] = "http-version-not-supported",
    [GUARD_OVER_CAPACITY] = "too-many-connections",
};

static void refuse_from_guard(struct request *r, enum http_guard_verdict verdict,
                              const char *detail)
{
    assert(verdict > GUARD_OK && verdict < GUARD_VERDICTS);
    /* Whatever followed on this connection has been dropped: it must close after the answer. */
    request_add_header(r, "Connection", "close");
    if (verdict == GUARD_OVER_CAPACITY)
        request_add_header(r, "Retry-After", "1");
    reply_problem(r, http_guard_status(verdict), guard_problem_types[verdict], detail, NULL);
}

bool request_rate_ok(struct request *r, const char *key, double rate, double burst)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double retry = 0;
    if (rate_limiter_take(r->worker->server->limiter, key, rate, burst,
                          (double)now.tv_sec + (double)now.tv_nsec / 1e9, &retry))
        return true;
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%d", (int)retry + 1);
    request_add_header(r, "Retry-After", seconds);
    reply_problem(r, 429, "rate-limited",
                  key[0] == 'p' ? "Too many requests for this token; slow down (rate-limit)."
                                : "Too many requests from this address; slow down "
                                  "(address-rate-limit).",
                  NULL);
    return false;
}

/* The one place the query is checked against what the route declares (api/routes.c), for every
 * route alike, once the caller is known (401 comes before 400) and before the handler runs. */
static void run_handler(struct request *r)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
    struct violations v;
    violations_init(&v);
    route_check_query(r->match.route, uri ? evhttp_uri_get_query(uri) : NULL, &v);
    if (violations_count(&v)) {
        reply_problem(r, 400, "invalid-input", "The query is invalid; see errors.", &v);
        violations_clear(&v);
        return;
    }
    violations_clear(&v);
    r->match.route->handler(r);
}

static void reply_method_not_allowed(struct request *r)
{
    char detail[160];
    snprintf(detail, sizeof detail, "%s is not supported here; allowed: %s.",
             r->method == METHOD_OTHER && strcmp(r->method_text, "OTHER") == 0 ? "This method"
                                                                               : r->method_text,
             r->match.allow);
    request_add_header(r, "Allow", r->match.allow);
    reply_problem(r, 405, "method-not-allowed", detail, NULL);
}

/* No route takes CONNECT: 405 with what the path allows. evhttp reads a CONNECT target as an
 * authority (host:port) and gives it an empty path, so a path-shaped target is read again as a
 * URI; an authority (a proxy request) names no resource here, and gets an empty Allow. */
static void connect_refused(struct request *r)
{
    struct evhttp_uri *uri =
        evhttp_uri_parse_with_flags(evhttp_request_get_uri(r->ev), EVHTTP_URI_NONCONFORMANT);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (path && path[0] == '/') {
        r->path = strdup(path);
        router_match(api_routes, api_route_count, r->method, r->path, &r->match);
    }
    if (uri)
        evhttp_uri_free(uri);
    if (r->path && r->match.outcome == ROUTE_METHOD_NOT_ALLOWED) {
        reply_method_not_allowed(r);
    } else if (r->path) {
        reply_problem(r, 404, "not-found", "There is no resource at this path.", NULL);
    } else {
        request_add_header(r, "Allow", "");
        reply_problem(r, 405, "method-not-allowed",
                      "CONNECT is not supported: this server is not a proxy.", NULL);
    }
}

void request_dispatch(struct evhttp_request *ev, void *arg)
{
    struct worker *w = arg;
    struct request *r = calloc(1, sizeof *r);
    if (!r) {
        evhttp_send_error(ev, 503, "Service Unavailable");
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    r->ev = ev;
    r->worker = w;
    server_catch_up_local_writes(w);
    r->changes_at_start = w->changes;
    w->in_flight++;
    w->requests++;
    r->method = method_of(evhttp_request_get_command(ev), &r->method_text);
    set_request_id(r);
    char detail[HTTP_GUARD_DETAIL_MAX];
    enum http_guard_verdict verdict =
        conn_guard_take_verdict(ev, r->client_address, sizeof r->client_address, detail);
    if (verdict != GUARD_OK) {
        refuse_from_guard(r, verdict, detail);
        return;
    }
    const struct app_settings *settings = &w->settings;
    char key[80];
    snprintf(key, sizeof key, "a:%s", r->client_address);
    if (!request_rate_ok(r, key, settings->address_rate_limit, settings->address_burst))
        return;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
    if (evhttp_request_get_command(ev) == EVHTTP_REQ_CONNECT) {
        connect_refused(r);
        return;
    }
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || !(r->path = strdup(path))) {
        reply_problem(r, 400, "bad-request", "The request target is not a valid URI.", NULL);
        return;
    }
    const char *query = evhttp_uri_get_query(uri);
    if (query) {
        r->query = calloc(1, sizeof *r->query);
        if (!r->query || evhttp_parse_query_str(query, r->query) < 0) {
            struct violations v;
            violations_init(&v);
            violations_add(&v, IN_QUERY, "", "malformed", "The query string cannot be decoded.");
            reply_problem(r, 400, "invalid-input", "The query string is malformed.", &v);
            violations_clear(&v);
            return;
        }
    }
    router_match(api_routes, api_route_count, r->method, r->path, &r->match);
    switch (r->match.outcome) {
    case ROUTE_FOUND:
        break;
    case ROUTE_METHOD_NOT_ALLOWED:
        reply_method_not_allowed(r);
        return;
    default:
        reply_problem(r, 404, "not-found", "There is no resource at this path.", NULL);
        return;
    }
    char serial[64];
    if (r->match.route->flags & ROUTE_PUBLIC)
        run_handler(r);
    else if ((r->match.route->flags & ROUTE_TOKEN_OPTIONAL) &&
             !request_header(r, "Authorization") &&
             !conn_guard_client_serial(r->ev, serial, sizeof serial))
        run_handler(r); /* anonymous: r->principal stays unauthenticated */
    else
        auth_then(r, run_handler);
}

/* Whether If-None-Match (RFC 9110 §13.1.2) names `etag` (quoted, strong), by the weak comparison
 * that header uses: "*", or any listed tag, W/ or not, with the same opaque text. */
static bool none_match_hits(const char *header, const char *etag)
{
    size_t want = strlen(etag);
    for (const char *p = header; p && *p;) {
        while (*p == ',' || (*p == ' ' || *p == '\t'))
            p++;
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"')
            return false; /* malformed: treat as no match, the full answer is always safe */
        const char *end = strchr(p + 1, '"');
        if (!end)
            return false;
        size_t len = (size_t)(end - p) + 1;
        if (len == want && memcmp(p, etag, len) == 0)
            return true;
        p = end + 1;
    }
    return false;
}

bool request_not_modified(struct request *r, const char *etag)
{
    request_add_header(r, "ETag", etag);
    if (!none_match_hits(request_header(r, "If-None-Match"), etag))
        return false;
    reply_empty(r, 304);
    return true;
}

bool request_not_modified_text(struct request *r, const char *text)
{
    char digest[65], etag[40];
    sha256_hex(text, strlen(text), digest);
    snprintf(etag, sizeof etag, "\"%.32s\"", digest);
    return request_not_modified(r, etag);
}
