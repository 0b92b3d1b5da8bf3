/* The read endpoints of design §3.2: /v1/funnels, /v1/comparisons and /v1/completeness — query
 * parsing, one aggregate statement, protection by caller, JSON or CSV. */
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/aggregate_result.h"
#include "api/release_read.h"
#include "core/aggregate.h"
#include "core/aggregate_csv.h"
#include "api/catalog_load.h"
#include "api/db_reply.h"
#include "api/handlers.h"
#include "core/period.h"
#include "api/read_query.h"
#include "api/api_worker.h"
#include "api/request.h"
#include "core/access.h"
#include "daemon/db_pool.h"
#include "daemon/log.h"
#include "daemon/server.h"

/* Raw sums and summed keys per (period, region, stage, category), and per (period, region) the
 * municipalities whose figures the row adds (`contributors`): what the caller may see raw is
 * decided from those here, by core/access, not in SQL. */
static const char aggregate_sql[] =
    "SELECT period, region_code, region_name, expected, submitted, contributors, stage, category,"
    "       reporting, n, k, population, population_year, population_missing,"
    "       pair_n, pair_k, prev_n, prev_k"
    "  FROM aggregate_funnels($1, $2::text[], $3::text[], $4, $5::boolean)";
static const char completeness_sql[] = "SELECT completeness($1, $2, $3::text[])";

enum read_kind { READ_FUNNELS, READ_COMPARISONS, READ_COMPLETENESS };

struct read_call {
    enum read_kind kind;
    struct read_query q;
    char dimension[CATALOG_MAX_KEY + 1]; /* breakdown, "" for none */
    char stage[CATALOG_MAX_KEY + 1];     /* comparisons */
    enum compare_metric metric;
    struct release_read release; /* funnels, comparisons: live, latest or one release */
    json_t *rows;                /* owned: comparisons: the set's rows */
    json_t *national;            /* owned: comparisons: the nation's row */
    int pending;                 /* comparisons: statements not yet answered */
    enum db_status failure;      /* comparisons: the first failure, DB_OK when none */
};

static void read_call_free(void *p)
{
    struct read_call *c = p;
    if (!c)
        return;
    read_query_clear(&c->q);
    json_decref(c->rows);
    json_decref(c->national);
    free(c);
}

/* Parses the query; answers 400 itself and returns NULL. */
static struct read_call *begin(struct request *r, enum read_kind kind)
{
    struct read_call *c = calloc(1, sizeof *c);
    if (!c) {
        reply_unavailable(r, "Out of memory.");
        return NULL;
    }
    r->handler_state = c;
    r->handler_state_free = read_call_free;
    c->kind = kind;
    unsigned flags = kind == READ_FUNNELS       ? RQ_SERIES | RQ_BOUNDARIES
                     : kind == READ_COMPARISONS ? RQ_BOUNDARIES
                                                : 0;
    if (!read_query_accept(r, flags, &c->q))
        return NULL;
    if (kind != READ_COMPLETENESS && !release_read_accept(r, &c->q, &c->release))
        return NULL;
    return c;
}

static struct sdc_params sdc_of(const struct request *r)
{
    const struct app_settings *s = &r->worker->settings;
    return (struct sdc_params){s->sdc_js, s->sdc_d, s->sdc_rate_min};
}

static bool any_protected(const json_t *rows)
{
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i,
                       row) if (json_is_true(json_object_get(row, "protected"))) return true;
    return false;
}

static int send_aggregate(struct request *r, const char *set, const char *regions, db_done_fn done);

/* Comparisons read the region set and the nation at once, on two connections; whichever answer
 * comes last builds the reply (the request must outlive both statements). */
static void compare_finish(struct request *r)
{
    struct read_call *c = r->handler_state;
    if (--c->pending > 0)
        return;
    if (c->failure != DB_OK) {
        reply_db_failure(r, c->failure == DB_SQL_ERROR ? DB_OK : c->failure, NULL);
        return;
    }
    if (json_array_size(c->rows) == 0) {
        reply_no_regions(r, c->q.region_set);
        return;
    }
    json_t *result =
        aggregate_compare(c->rows, json_array_get(c->national, 0), c->stage, c->metric);
    json_object_set_new(result, "regionSet", json_string(c->q.region_set));
    json_object_set_new(result, "period", json_string(c->q.first_period));
    json_object_set_new(result, "protected", json_boolean(any_protected(c->rows)));
    json_object_set_new(result, "release", release_read_answer_release(c->rows));
    if (c->q.csv) {
        char *text = aggregate_compare_csv(result, c->q.excel);
        json_decref(result);
        release_read_reply(r, "text/csv; charset=utf-8", text, "comparisons");
        return;
    }
    char *text = json_answer_text(result);
    json_decref(result);
    release_read_reply(r, "application/json", text, NULL);
}

/* The funnel rows of one answered statement: a release lookup's stored rows, or the live
 * aggregate rendered now with the protection parameters in force. NULL when out of memory. */
static json_t *funnel_rows_of(struct request *r, const PGresult *res, const char *dimension)
{
    struct read_call *c = r->handler_state;
    const struct catalog *cat = request_api(r)->catalog;
    if (c->release.choice != RELEASE_LIVE)
        return release_read_rows(res, &r->principal, cat);
    size_t n = 0;
    struct agg_region *regions = agg_regions_read(res, 0, PQntuples(res), 0, &r->principal, &n);
    if (!regions)
        return NULL;
    struct sdc_params sdc = sdc_of(r);
    json_t *rows = aggregate_funnel_rows(regions, n, cat, dimension, &sdc);
    agg_regions_free(regions, n);
    return rows;
}

/* Renders one statement's rows as funnel rows; NULL (with c->failure set) when it failed. */
static json_t *rows_of(struct request *r, enum db_status status, const PGresult *res,
                       const char *dimension)
{
    struct read_call *c = r->handler_state;
    if (status != DB_OK) {
        if (status == DB_SQL_ERROR)
            log_error("request id=%s aggregate statement failed: %s", r->request_id,
                      res ? PQresultErrorMessage(res) : "?");
        c->failure = status;
        return NULL;
    }
    json_t *rows = funnel_rows_of(r, res, dimension);
    if (!rows)
        c->failure = DB_OVERLOADED;
    return rows;
}

static void compare_set_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct read_call *c = r->handler_state;
    c->rows = rows_of(r, status, res, NULL);
    compare_finish(r);
}

static void compare_national_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct read_call *c = r->handler_state;
    c->national = rows_of(r, status, res, NULL);
    compare_finish(r);
}

static void aggregate_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct read_call *c = r->handler_state;
    if (status != DB_OK) {
        reply_db_failure(r, status, res);
        return;
    }
    json_t *rows = funnel_rows_of(r, res, c->dimension[0] ? c->dimension : NULL);
    if (!rows) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        reply_no_regions(r, c->q.region_set);
        return;
    }
    if (c->q.csv) {
        char *text = aggregate_funnels_csv(rows, c->dimension, c->q.excel);
        json_decref(rows);
        release_read_reply(r, "text/csv; charset=utf-8", text, "funnels");
        return;
    }
    json_t *body = json_pack("{s:s, s:b, s:o}", "regionSet", c->q.region_set, "protected",
                             any_protected(rows), "release", release_read_answer_release(rows));
    if (c->dimension[0])
        json_object_set_new(body, "breakdown", json_string(c->dimension));
    json_object_set_new(body, "rows", rows);
    char *text = json_answer_text(body);
    json_decref(body);
    release_read_reply(r, "application/json", text, NULL);
}

/* Queues the aggregate statement; returns -1 (without answering) when the pool refuses it. */
static int send_aggregate(struct request *r, const char *set, const char *regions, db_done_fn done)
{
    struct read_call *c = r->handler_state;
    const char *dimension = c->dimension[0] && done == aggregate_done ? c->dimension : NULL;
    if (c->release.choice != RELEASE_LIVE)
        return release_read_send(r, &c->release, &c->q, set, regions, dimension ? dimension : "",
                                 done);
    const char *params[5] = {set, c->q.periods, regions, dimension ? dimension : "total",
                             c->q.current_boundaries ? "true" : "false"};
    return db_pool_query(aggregate_pool(r), aggregate_sql, 5, params, done, r);
}

static void funnels_with_catalog(struct request *r)
{
    struct read_call *c = r->handler_state;
    const struct catalog *cat = request_api(r)->catalog;
    struct violations v;
    violations_init(&v);
    const char *breakdown = request_query(r, "breakdown");
    if (breakdown && catalog_dimension_index(cat, breakdown) < 0)
        violations_add(&v, IN_QUERY, "breakdown", "unknown-dimension",
                       "'%.40s' is not a dimension (gender, ageBand, offence, ...).", breakdown);
    else if (breakdown)
        snprintf(c->dimension, sizeof c->dimension, "%s", breakdown);
    if (c->kind == READ_COMPARISONS) {
        const char *stage = request_query(r, "stage");
        const char *metric = request_query(r, "metric");
        if (!stage)
            violations_add(&v, IN_QUERY, "stage", "required", "Give the stage to compare on.");
        else if (catalog_stage_index(cat, stage) < 0)
            violations_add(&v, IN_QUERY, "stage", "unknown-stage", "'%.40s' is not a stage.",
                           stage);
        else
            snprintf(c->stage, sizeof c->stage, "%s", stage);
        if (!metric)
            c->metric = METRIC_PER10K;
        else if (compare_metric_parse(metric, &c->metric) < 0)
            violations_add(&v, IN_QUERY, "metric", "invalid",
                           "metric is count, per10k or fromPrevious.");
    }
    if (violations_count(&v)) {
        reply_problem(r, 400, "invalid-input", "The query is invalid; see errors.", &v);
        violations_clear(&v);
        return;
    }
    violations_clear(&v);
    if (c->kind == READ_COMPARISONS) {
        c->pending = 2;
        if (send_aggregate(r, c->q.region_set, c->q.regions, compare_set_done) < 0) {
            reply_unavailable(r, "The server is shutting down.");
            return;
        }
        if (send_aggregate(r, "nation", NULL, compare_national_done) < 0) {
            c->failure = DB_UNAVAILABLE; /* answered when the first statement comes back */
            c->pending--;
        }
        return;
    }
    if (send_aggregate(r, c->q.region_set, c->q.regions, aggregate_done) < 0)
        reply_unavailable(r, "The server is shutting down.");
}

/* The worker's answer cache, for callers with a token: an anonymous reader's answers carry
 * validators of their own (release_read_reply) that a cached copy would not. */
static bool cached(struct request *r)
{
    return !access_reads_open_releases_only(&r->principal) && request_cached_reply(r);
}

void handle_funnels(struct request *r)
{
    if (!cached(r) && begin(r, READ_FUNNELS))
        catalog_then(r, funnels_with_catalog);
}

void handle_comparisons(struct request *r)
{
    if (!cached(r) && begin(r, READ_COMPARISONS))
        catalog_then(r, funnels_with_catalog);
}

static void completeness_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct read_call *c = r->handler_state;
    if (status != DB_OK || PQntuples(res) != 1) {
        reply_db_failure(r, status, res);
        return;
    }
    json_t *body = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    json_t *rows = json_object_get(body, "rows");
    if (json_array_size(rows) == 0) {
        json_decref(body);
        reply_no_regions(r, c->q.region_set);
        return;
    }
    if (!c->q.csv) {
        reply_json(r, 200, body);
        return;
    }
    char *text = aggregate_completeness_csv(body, c->q.excel);
    json_decref(body);
    reply_csv(r, text, "completeness");
}

void handle_completeness(struct request *r)
{
    if (request_cached_reply(r))
        return;
    struct read_call *c = begin(r, READ_COMPLETENESS);
    if (!c)
        return;
    const char *params[] = {c->q.region_set, c->q.first_period, c->q.regions};
    if (db_pool_query(aggregate_pool(r), completeness_sql, 3, params, completeness_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}
