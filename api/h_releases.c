/* The releases of design §8. POST /v1/releases freezes one period: one statement sums every
 * region set, both boundary modes, totals and every breakdown in a single snapshot
 * (sql/010 release_snapshot); core/aggregate renders each region's published (perturbed) and raw
 * row with the protection parameters in force; one more statement stores them with the
 * revisions that counted (create_release). GET lists, shows and compares releases. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/aggregate_result.h"
#include "api/api_worker.h"
#include "api/catalog_load.h"
#include "api/db_reply.h"
#include "api/handlers.h"
#include "api/outcome.h"
#include "api/request.h"
#include "core/access.h"
#include "core/aggregate.h"
#include "core/release.h"
#include "daemon/db_pool.h"
#include "daemon/log.h"
#include "daemon/server.h"

static const char snapshot_sql[] = "SELECT * FROM release_snapshot($1)";
static const char create_sql[] = "SELECT create_release($1, $2, $3::boolean, $4::bigint, $5, $6,"
                                 " $7, $8::jsonb, $9::jsonb, $10::jsonb, $11::json)::text";

/* release_snapshot's columns: the group (set, boundaries, breakdown), then aggregate_funnels'
 * (api/aggregate_result.h), then `frozen` on the leading row. */
enum {
    S_SET,
    S_CURRENT,
    S_DIMENSION,
    S_AGGREGATE,
    S_CONTRIBUTORS = S_AGGREGATE + 5,
    S_FROZEN = 21
};

struct release_call {
    struct release_request req;
    PGresult *snapshot;      /* owned: a copy of release_snapshot's answer, while rendering */
    int next_row;            /* the first row of the snapshot not rendered yet */
    int group_position;      /* regions of next_row's group rendered already */
    struct evbuffer *out;    /* owned: p_rows being written */
    bool first;              /* nothing written into out yet */
    json_t *coverage_so_far; /* owned: {"expected", "funnels", "networks"} */
    struct sdc_params sdc;   /* the protection parameters in force when the snapshot came back */
    char *rows;              /* owned: create_release's p_rows, JSON text */
    char *frozen;            /* owned: the snapshot's `frozen` */
    char *coverage;          /* owned: coverage_so_far as text */
    char parameters[96];
    int attempts;
};

static void release_call_free(void *p)
{
    struct release_call *c = p;
    if (!c)
        return;
    if (c->snapshot)
        PQclear(c->snapshot);
    if (c->out)
        evbuffer_free(c->out);
    json_decref(c->coverage_so_far);
    free(c->rows);
    free(c->frozen);
    free(c->coverage);
    free(c);
}

/* Appends one stored row per region of rows [begin, end) — whole regions of one group, the first
 * of them at `position` in the group — to out: [set, current, dimension, position, code,
 * contributors, published, raw]. Returns 0, or -1 when out of memory. */
static int add_group(struct evbuffer *out, bool *first, const PGresult *res, int begin, int end,
                     int position, const struct catalog *cat, const struct sdc_params *sdc,
                     json_t *coverage)
{
    const char *set = PQgetvalue(res, begin, S_SET);
    bool current = strcmp(PQgetvalue(res, begin, S_CURRENT), "t") == 0;
    const char *dimension = PQgetvalue(res, begin, S_DIMENSION);
    size_t n = 0;
    struct agg_region *regions = agg_regions_read(res, begin, end, S_AGGREGATE, NULL, &n);
    if (!regions)
        return -1;
    json_t *published =
        aggregate_funnel_rows(regions, n, cat, dimension[0] ? dimension : NULL, sdc);
    for (size_t i = 0; i < n; i++)
        regions[i].raw = true;
    json_t *raw = aggregate_funnel_rows(regions, n, cat, dimension[0] ? dimension : NULL, sdc);
    if (!current && !dimension[0] && strcmp(set, "nation") == 0 && n == 1) {
        json_object_set_new(coverage, "expected", json_integer(regions[0].expected));
        json_object_set_new(coverage, "funnels", json_integer(regions[0].submitted));
    }
    int rc =
        published && raw && json_array_size(published) == n && json_array_size(raw) == n ? 0 : -1;
    size_t ri = 0;
    for (int i = begin; i < end && rc == 0; i++) {
        if (!PQgetisnull(res, i, S_AGGREGATE + 6)) /* a cell row, not a region row */
            continue;
        json_t *item = json_pack(
            "[s, b, s, I, s, s?, O, O]", set, current, dimension, (json_int_t)(position + (int)ri),
            regions[ri].code,
            PQgetisnull(res, i, S_CONTRIBUTORS) ? NULL : PQgetvalue(res, i, S_CONTRIBUTORS),
            json_array_get(published, ri), json_array_get(raw, ri));
        char *text =
            item ? json_dumps(item, JSON_COMPACT | JSON_REAL_PRECISION(ANSWER_REAL_PRECISION))
                 : NULL;
        if (!text || evbuffer_add(out, *first ? "" : ",", *first ? 0 : 1) < 0 ||
            evbuffer_add(out, text, strlen(text)) < 0)
            rc = -1;
        *first = false;
        free(text);
        json_decref(item);
        ri++;
    }
    json_decref(published);
    json_decref(raw);
    agg_regions_free(regions, n);
    return rc;
}

/* True when rows a and b belong to the same (set, boundaries, breakdown) group. */
static bool same_group(const PGresult *res, int a, int b)
{
    for (int col = S_SET; col <= S_DIMENSION; col++)
        if (strcmp(PQgetvalue(res, a, col), PQgetvalue(res, b, col)) != 0)
            return false;
    return true;
}

/* How long one rendering step may hold the event loop: the snapshot of a period is rendered in
 * steps of whole groups, each followed by a turn of the loop, so that other requests on this
 * worker are served meanwhile (a whole period takes seconds in a sanitizer build). */
#define RENDER_STEP_MS 10.0
#define RENDER_CHUNK 24

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Renders groups of the snapshot from c->next_row for about RENDER_STEP_MS. Returns 1 when rows
 * remain, 0 when all are rendered (c->rows, c->frozen and c->coverage then filled), -1 when out
 * of memory. */
static int render_some(struct request *r)
{
    struct release_call *c = r->handler_state;
    const struct catalog *cat = request_api(r)->catalog;
    const PGresult *res = c->snapshot;
    int nrows = PQntuples(res);
    double until = now_ms() + RENDER_STEP_MS;
    while (c->next_row < nrows && now_ms() < until) {
        int i = c->next_row;
        if (PQgetisnull(res, i, S_SET)) { /* the leading row: what counted */
            free(c->frozen);
            c->frozen = strdup(PQgetvalue(res, i, S_FROZEN));
            json_t *frozen = json_loads(c->frozen ? c->frozen : "{}", 0, NULL);
            json_object_set(c->coverage_so_far, "networks", json_object_get(frozen, "networks"));
            json_decref(frozen);
            c->next_row++;
            continue;
        }
        /* At most RENDER_CHUNK regions at a time: a group of 342 municipalities with a breakdown
         * would hold the loop for a long while in one piece. */
        int end = i + 1, regions = 1;
        while (end < nrows && !PQgetisnull(res, end, S_SET) && same_group(res, i, end)) {
            if (PQgetisnull(res, end, S_AGGREGATE + 6) && ++regions > RENDER_CHUNK)
                break;
            end++;
        }
        if (add_group(c->out, &c->first, res, i, end, c->group_position, cat, &c->sdc,
                      c->coverage_so_far) < 0)
            return -1;
        bool group_goes_on =
            end < nrows && !PQgetisnull(res, end, S_SET) && same_group(res, i, end);
        c->group_position = group_goes_on ? c->group_position + regions - 1 : 0;
        c->next_row = end;
    }
    if (c->next_row < nrows)
        return 1;
    if (evbuffer_add(c->out, "]", 1) < 0)
        return -1;
    size_t n = evbuffer_get_length(c->out);
    c->rows = malloc(n + 1);
    if (!c->rows)
        return -1;
    evbuffer_remove(c->out, c->rows, n);
    c->rows[n] = '\0';
    c->coverage = json_dumps(c->coverage_so_far, JSON_COMPACT);
    snprintf(c->parameters, sizeof c->parameters, "{\"js\":%d,\"d\":%d,\"rateMin\":%d}", c->sdc.js,
             c->sdc.d, c->sdc.rate_min);
    PQclear(c->snapshot);
    c->snapshot = NULL;
    return c->frozen && c->coverage ? 0 : -1;
}

static void create_send(struct request *r);

static void create_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct release_call *c = r->handler_state;
    json_t *result = db_write_answer(r, status, res, c->attempts, create_send);
    if (!result)
        return;
    const char *word = json_string_value(json_object_get(result, "outcome"));
    json_t *body = json_object_get(result, "body");
    const char *id = json_string_value(json_object_get(body, "id"));
    if (!word || strcmp(word, "created") != 0 || !id) {
        log_error("create_release answered an unknown outcome \"%s\"", word ? word : "");
        reply_problem(r, 500, "internal", "The release gave no answer.", NULL);
    } else {
        char location[64];
        snprintf(location, sizeof location, "/v1/releases/%s", id);
        request_add_header(r, "Location", location);
        server_note_local_write(r->worker);
        log_info("request id=%s release %s made by principal %lld", r->request_id, id,
                 r->principal.id);
        reply_json(r, 201, json_incref(body));
    }
    json_decref(result);
}

static void create_send(struct request *r)
{
    struct release_call *c = r->handler_state;
    struct writer_params writer;
    const char *who[WRITER_PARAMS];
    writer_params_put(r, &writer, who);
    const char *params[11] = {c->req.period,
                              c->req.final ? "final" : "provisional",
                              c->req.open ? "true" : "false",
                              who[0],
                              who[1],
                              who[2],
                              who[3],
                              c->parameters,
                              c->coverage,
                              c->frozen,
                              c->rows};
    c->attempts++;
    if (db_pool_query_timeout(r->worker->db, create_sql, 11, params,
                              r->worker->settings.import_timeout_ms, create_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}

static void render_step(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct request *r = arg;
    double t0 = now_ms();
    int rc = render_some(r);
    double took = now_ms() - t0;
    if (took > 100)
        log_info("request id=%s release step held the loop %.0f ms", r->request_id, took);
    static const struct timeval next_turn = {0, 0};
    if (rc > 0 && event_base_once(r->worker->base, -1, EV_TIMEOUT, render_step, r, &next_turn) == 0)
        return;
    if (rc != 0) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    create_send(r);
}

static void snapshot_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct release_call *c = r->handler_state;
    if (status != DB_OK) {
        reply_db_failure(r, status, res);
        return;
    }
    const struct app_settings *s = &r->worker->settings;
    c->sdc = (struct sdc_params){s->sdc_js, s->sdc_d, s->sdc_rate_min};
    c->snapshot = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    c->out = evbuffer_new();
    c->first = true;
    c->coverage_so_far = json_pack("{s:i, s:i, s:i}", "expected", 0, "funnels", 0, "networks", 0);
    if (!c->snapshot || !c->out || !c->coverage_so_far || evbuffer_add(c->out, "[", 1) < 0) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    render_step(-1, 0, r);
}

static void snapshot_send(struct request *r)
{
    struct release_call *c = r->handler_state;
    const char *params[1] = {c->req.period};
    /* Always the primary: a release must hold every write answered before it was asked for. */
    if (db_pool_query_timeout(r->worker->db, snapshot_sql, 1, params,
                              r->worker->settings.import_timeout_ms, snapshot_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}

void handle_release_create(struct request *r)
{
    if (!access_may_release(&r->principal)) {
        reply_problem(r, 403, "forbidden", "Only the rapporteur makes releases.", NULL);
        return;
    }
    struct release_call *c = calloc(1, sizeof *c);
    if (!c) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    r->handler_state = c;
    r->handler_state_free = release_call_free;
    const char *ct = request_header(r, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0) {
        reply_problem(r, 415, "unsupported-media-type", "Send the release as application/json.",
                      NULL);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
    size_t len = evbuffer_get_length(in);
    const char *body = len ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : "";
    struct violations v;
    violations_init(&v);
    if (release_request_decode(body, len, time(NULL), &c->req, &v) < 0) {
        reply_problem(r, 400, "invalid-input", "The release request is invalid; see errors.", &v);
        violations_clear(&v);
        return;
    }
    violations_clear(&v);
    catalog_then(r, snapshot_send);
}

void handle_releases(struct request *r)
{
    const char *period = request_query(r, "period");
    struct period p;
    char canonical[8];
    if (period) {
        if (period_parse(period, &p) < 0) {
            struct violations v;
            violations_init(&v);
            violations_add(&v, IN_QUERY, "period", "malformed-period",
                           "period is a quarter, e.g. 2026-Q3.");
            reply_problem(r, 400, "invalid-input", "The query is invalid; see errors.", &v);
            violations_clear(&v);
            return;
        }
        period_format(p, canonical);
    }
    const char *params[1] = {period ? canonical : NULL};
    reply_from_query(r, "SELECT list_releases($1)::text", 1, params, NULL);
}

/* The {id} of the path, checked; answers 400 itself and returns NULL. */
static const char *release_id_of(struct request *r)
{
    const char *id = request_param(r, "id");
    if (release_id_parse(id, NULL, NULL) < 0) {
        reply_invalid_path(r, "id", "A release id is its period and number: 2026-Q3-r1.");
        return NULL;
    }
    return id;
}

void handle_release(struct request *r)
{
    const char *id = release_id_of(r);
    if (!id)
        return;
    const char *params[1] = {id};
    reply_from_query(r, "SELECT release_document($1)::text", 1, params,
                     "There is no release with this id.");
}

void handle_release_changes(struct request *r)
{
    const char *id = release_id_of(r);
    if (!id)
        return;
    const char *params[1] = {id};
    reply_from_query(r, "SELECT release_changes($1)::text", 1, params,
                     "There is no release with this id.");
}

static void catalog_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    if (status != DB_OK || PQntuples(res) != 1) {
        reply_db_failure(r, status, res);
        return;
    }
    json_t *catalog = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    /* Links in the catalogue are relative to where it was asked for (the guard refused a request
     * without one well-formed Host). */
    const char *host = request_header(r, "Host");
    char base[300];
    snprintf(base, sizeof base, "https://%s/", host ? host : "localhost");
    json_t *context =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "dcat", "http://www.w3.org/ns/dcat#", "dct",
                  "http://purl.org/dc/terms/", "foaf", "http://xmlns.com/foaf/0.1/", "xsd",
                  "http://www.w3.org/2001/XMLSchema#", "@base", base);
    if (!catalog || !context) {
        json_decref(catalog);
        json_decref(context);
        reply_unavailable(r, "Out of memory.");
        return;
    }
    json_object_set_new(catalog, "@context", context);
    request_add_header(r, "Cache-Control", "public, max-age=300");
    char *text = json_answer_text(catalog);
    json_decref(catalog);
    if (!text) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    if (!request_not_modified_text(r, text))
        reply_body(r, 200, "application/ld+json", text, strlen(text));
    free(text);
}

void handle_catalog(struct request *r)
{
    if (db_pool_query(r->worker->db, "SELECT open_catalog()::text", 0, NULL, catalog_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}
