/* The read endpoints of design §3.2: /v1/funnels, /v1/comparisons and /v1/completeness — query
 * parsing, one aggregate statement, protection by caller, JSON or CSV. */
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/aggregate.h"
#include "api/catalog_load.h"
#include "api/db_reply.h"
#include "api/handlers.h"
#include "api/period.h"
#include "api/request.h"
#include "daemon/db_pool.h"
#include "daemon/server.h"

enum { MAX_PERIODS = 200, MAX_REGIONS = 400 };

static const char aggregate_sql[] =
    "SELECT period, region_code, region_name, expected, submitted, all_raw, stage, category,"
    "       reporting, n, k, population, population_year, population_missing"
    "  FROM aggregate_funnels($1, $2::text[], $3::text[], $4, $5::text[], $6::boolean)";
static const char set_exists_sql[] = "SELECT 1 FROM region_sets WHERE key = $1";
static const char completeness_sql[] = "SELECT completeness($1, $2, $3::text[])";

enum read_kind { READ_FUNNELS, READ_COMPARISONS, READ_COMPLETENESS };

struct read_call {
    enum read_kind kind;
    char region_set[64];
    char *periods;        /* owned: PostgreSQL array literal {2026-Q1,2026-Q2} */
    char first_period[8];
    char *regions;        /* owned: array literal, or NULL for all */
    char dimension[CATALOG_MAX_KEY + 1]; /* breakdown, "" for none */
    char stage[CATALOG_MAX_KEY + 1];     /* comparisons */
    enum compare_metric metric;
    bool current_boundaries;
    bool csv, excel;
    json_t *rows;         /* owned: comparisons keep the set's rows while the nation is read */
};

static void read_call_free(void *p)
{
    struct read_call *c = p;
    if (!c)
        return;
    free(c->periods);
    free(c->regions);
    json_decref(c->rows);
    free(c);
}

/* Every query parameter must be one the endpoint knows: a misspelt filter must not silently widen
 * an answer. */
static void check_known_params(struct request *r, const char *const *known, struct violations *v)
{
    if (!r->query)
        return;
    for (struct evkeyval *kv = r->query->tqh_first; kv; kv = kv->next.tqe_next) {
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            ok |= strcmp(kv->key, *k) == 0;
        if (!ok)
            violations_add(v, IN_QUERY, kv->key, "unknown-parameter",
                           "This endpoint has no query parameter '%.60s'.", kv->key);
    }
}

static bool key_shape_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

/* Builds "{a,b,c}" from values that passed key_shape_ok (no quoting needed). */
static int append_array_item(char **arr, const char *item)
{
    size_t old = *arr ? strlen(*arr) : 0, add = strlen(item) + 2;
    char *grown = realloc(*arr, old + add + 2);
    if (!grown)
        return -1;
    if (old == 0) {
        snprintf(grown, add + 2, "{%s}", item);
    } else {
        grown[old - 1] = ','; /* replace the closing brace */
        snprintf(grown + old, add, "%s}", item);
    }
    *arr = grown;
    return 0;
}

static void parse_regions(struct request *r, struct read_call *c, struct violations *v)
{
    int count = 0;
    if (!r->query)
        return;
    for (struct evkeyval *kv = r->query->tqh_first; kv; kv = kv->next.tqe_next) {
        if (strcmp(kv->key, "region") != 0)
            continue;
        char *copy = strdup(kv->value), *save = NULL;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
            if (!key_shape_ok(t, 32)) {
                violations_add(v, IN_QUERY, "region", "invalid", "'%.40s' is not a region code.",
                               t);
            } else if (++count > MAX_REGIONS || append_array_item(&c->regions, t) < 0) {
                violations_add(v, IN_QUERY, "region", "too-many", "At most %d regions.",
                               MAX_REGIONS);
                break;
            }
        }
        free(copy);
    }
}

static void parse_periods(struct request *r, struct read_call *c, struct violations *v)
{
    const char *period = request_query(r, "period");
    const char *from = request_query(r, "from"), *to = request_query(r, "to");
    struct period a, b;
    if (period && (from || to)) {
        violations_add(v, IN_QUERY, "period", "conflict", "Give period, or from and to, not both.");
        return;
    }
    if (period) {
        if (period_parse(period, &a) < 0) {
            violations_add(v, IN_QUERY, "period", "malformed-period",
                           "A period is a quarter written 2026-Q2.");
            return;
        }
        b = a;
    } else if (from && to && c->kind != READ_COMPLETENESS && c->kind != READ_COMPARISONS) {
        bool ok = true;
        if (period_parse(from, &a) < 0) {
            violations_add(v, IN_QUERY, "from", "malformed-period",
                           "A period is a quarter written 2026-Q2.");
            ok = false;
        }
        if (period_parse(to, &b) < 0) {
            violations_add(v, IN_QUERY, "to", "malformed-period",
                           "A period is a quarter written 2026-Q2.");
            ok = false;
        }
        if (!ok)
            return;
        if (period_compare(a, b) > 0) {
            violations_add(v, IN_QUERY, "from", "invalid", "from comes after to.");
            return;
        }
    } else {
        violations_add(v, IN_QUERY, "period", "required",
                       c->kind == READ_FUNNELS ? "Give period=2026-Q2, or from and to for a series."
                                               : "Give period=2026-Q2.");
        return;
    }
    period_format(a, c->first_period);
    int n = 0;
    for (struct period p = a; period_compare(p, b) <= 0; p.quarter == 4 ? (p.year++, p.quarter = 1)
                                                                          : p.quarter++) {
        char text[8];
        period_format(p, text);
        if (++n > MAX_PERIODS) {
            violations_add(v, IN_QUERY, "to", "too-many", "A series spans at most %d quarters.",
                           MAX_PERIODS);
            return;
        }
        if (append_array_item(&c->periods, text) < 0)
            return;
    }
}

static void parse_format(struct request *r, struct read_call *c, struct violations *v)
{
    const char *format = request_query(r, "format");
    const char *accept = request_header(r, "Accept");
    if (format && strcmp(format, "csv") == 0)
        c->csv = true;
    else if (format && strcmp(format, "json") != 0)
        violations_add(v, IN_QUERY, "format", "invalid", "format is json or csv.");
    else if (!format && accept && strstr(accept, "text/csv"))
        c->csv = true;
    const char *delim = request_query(r, "delimiter");
    if (delim && strcmp(delim, "semicolon") == 0)
        c->excel = true;
    else if (delim && strcmp(delim, "comma") != 0)
        violations_add(v, IN_QUERY, "delimiter", "invalid", "delimiter is comma or semicolon.");
    if (c->excel)
        c->csv = true;
}

/* Parses what all three endpoints share; answers 400 itself and returns NULL. */
static struct read_call *begin(struct request *r, enum read_kind kind, const char *const *known)
{
    struct read_call *c = calloc(1, sizeof *c);
    if (!c) {
        reply_unavailable(r, "Out of memory.");
        return NULL;
    }
    r->handler_state = c;
    r->handler_state_free = read_call_free;
    c->kind = kind;
    struct violations v;
    violations_init(&v);
    check_known_params(r, known, &v);
    const char *set = request_query(r, "regionSet");
    if (!set)
        set = "nation";
    if (!key_shape_ok(set, 63))
        violations_add(&v, IN_QUERY, "regionSet", "invalid", "'%.40s' is not a region set key.",
                       set);
    else
        snprintf(c->region_set, sizeof c->region_set, "%s", set);
    parse_periods(r, c, &v);
    parse_regions(r, c, &v);
    parse_format(r, c, &v);
    const char *boundaries = request_query(r, "boundaries");
    if (boundaries && strcmp(boundaries, "current") == 0)
        c->current_boundaries = true;
    else if (boundaries && strcmp(boundaries, "historical") != 0)
        violations_add(&v, IN_QUERY, "boundaries", "invalid",
                       "boundaries is historical (as submitted, the default) or current.");
    if (violations_count(&v)) {
        reply_problem(r, 400, "invalid-input", "The query is invalid; see errors.", &v);
        violations_clear(&v);
        return NULL;
    }
    violations_clear(&v);
    return c;
}

/* Reads the aggregate statement's rows into regions (region rows have a NULL stage). */
static struct agg_region *regions_from(const PGresult *res, bool caller_raw, size_t *count)
{
    int nrows = PQntuples(res);
    size_t nregions = 0;
    for (int i = 0; i < nrows; i++)
        nregions += PQgetisnull(res, i, 6);
    struct agg_region *regions = calloc(nregions ? nregions : 1, sizeof *regions);
    if (!regions)
        return NULL;
    size_t ri = 0;
    for (int i = 0; i < nrows;) {
        struct agg_region *g = &regions[ri++];
        snprintf(g->period, sizeof g->period, "%s", PQgetvalue(res, i, 0));
        snprintf(g->code, sizeof g->code, "%s", PQgetvalue(res, i, 1));
        snprintf(g->name, sizeof g->name, "%s", PQgetvalue(res, i, 2));
        g->expected = atoi(PQgetvalue(res, i, 3));
        g->submitted = atoi(PQgetvalue(res, i, 4));
        g->raw = caller_raw || strcmp(PQgetvalue(res, i, 5), "t") == 0;
        g->population = atoll(PQgetvalue(res, i, 11));
        g->population_year = atoi(PQgetvalue(res, i, 12));
        g->population_missing = atoi(PQgetvalue(res, i, 13));
        int first = ++i;
        while (i < nrows && !PQgetisnull(res, i, 6))
            i++;
        g->ncells = (size_t)(i - first);
        g->cells = calloc(g->ncells ? g->ncells : 1, sizeof *g->cells);
        if (!g->cells) {
            agg_regions_free(regions, ri);
            return NULL;
        }
        for (int j = first; j < i; j++) {
            struct agg_cell *cell = &g->cells[j - first];
            snprintf(cell->stage, sizeof cell->stage, "%s", PQgetvalue(res, j, 6));
            snprintf(cell->category, sizeof cell->category, "%s", PQgetvalue(res, j, 7));
            cell->reporting = atoi(PQgetvalue(res, j, 8));
            cell->n = atoll(PQgetvalue(res, j, 9));
            cell->k = (uint32_t)strtoull(PQgetvalue(res, j, 10), NULL, 10);
            cell->population = atoll(PQgetvalue(res, j, 11));
            cell->population_year = atoi(PQgetvalue(res, j, 12));
            cell->population_missing = atoi(PQgetvalue(res, j, 13));
        }
    }
    *count = ri;
    return regions;
}

static struct sdc_params sdc_of(const struct request *r)
{
    const struct app_settings *s = &r->worker->server->settings;
    return (struct sdc_params){s->sdc_js, s->sdc_d, s->sdc_rate_min};
}

static bool any_protected(const json_t *rows)
{
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row) if (json_is_true(json_object_get(row, "protected"))) return true;
    return false;
}

static void reply_csv(struct request *r, char *text, const char *name)
{
    if (!text) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    char disposition[96];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.csv\"", name);
    request_add_header(r, "Content-Disposition", disposition);
    reply_body(r, 200, "text/csv; charset=utf-8", text, strlen(text));
    free(text);
}

static void set_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    if (status != DB_OK) {
        reply_db_failure(r, status, res);
        return;
    }
    if (PQntuples(res) == 0)
        reply_problem(r, 404, "not-found", "There is no region set with this key.", NULL);
    else
        reply_problem(r, 404, "not-found", "None of the regions asked for is in this region set.",
                      NULL);
}

/* No region rows at all: an unknown set or unknown regions (404), told apart by one lookup. */
static void reply_no_regions(struct request *r)
{
    struct read_call *c = r->handler_state;
    const char *params[] = {c->region_set};
    if (db_pool_query(r->worker->db, set_exists_sql, 1, params, set_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}

static void send_aggregate(struct request *r, const char *set, const char *regions,
                           db_done_fn done);

static void compare_national_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct read_call *c = r->handler_state;
    if (status != DB_OK) {
        reply_db_failure(r, status, res);
        return;
    }
    size_t n = 0;
    struct agg_region *regions = regions_from(res, r->principal.role == ROLE_RAPPORTEUR, &n);
    struct sdc_params sdc = sdc_of(r);
    json_t *national = regions ? aggregate_funnel_rows(regions, n, r->worker->catalog, NULL, &sdc)
                               : NULL;
    agg_regions_free(regions, n);
    json_t *result = aggregate_compare(c->rows, json_array_get(national, 0), c->stage, c->metric);
    json_decref(national);
    json_object_set_new(result, "regionSet", json_string(c->region_set));
    json_object_set_new(result, "period", json_string(c->first_period));
    json_object_set_new(result, "protected", json_boolean(any_protected(c->rows)));
    if (c->csv) {
        char *text = aggregate_compare_csv(result, c->excel);
        json_decref(result);
        reply_csv(r, text, "comparisons");
        return;
    }
    reply_json(r, 200, result);
}

static void aggregate_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct read_call *c = r->handler_state;
    if (status != DB_OK) {
        reply_db_failure(r, status, res);
        return;
    }
    size_t n = 0;
    struct agg_region *regions = regions_from(res, r->principal.role == ROLE_RAPPORTEUR, &n);
    if (!regions) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    if (n == 0) {
        agg_regions_free(regions, n);
        reply_no_regions(r);
        return;
    }
    struct sdc_params sdc = sdc_of(r);
    json_t *rows = aggregate_funnel_rows(regions, n, r->worker->catalog,
                                         c->dimension[0] ? c->dimension : NULL, &sdc);
    agg_regions_free(regions, n);
    if (c->kind == READ_COMPARISONS) {
        c->rows = rows;
        send_aggregate(r, "nation", NULL, compare_national_done);
        return;
    }
    if (c->csv) {
        char *text = aggregate_funnels_csv(rows, c->dimension, c->excel);
        json_decref(rows);
        reply_csv(r, text, "funnels");
        return;
    }
    json_t *body = json_pack("{s:s, s:b}", "regionSet", c->region_set, "protected",
                             any_protected(rows));
    if (c->dimension[0])
        json_object_set_new(body, "breakdown", json_string(c->dimension));
    json_object_set_new(body, "rows", rows);
    reply_json(r, 200, body);
}

static void send_aggregate(struct request *r, const char *set, const char *regions,
                           db_done_fn done)
{
    struct read_call *c = r->handler_state;
    const char *params[6] = {set,
                             c->periods,
                             regions,
                             c->dimension[0] && done == aggregate_done ? c->dimension : "total",
                             NULL,
                             c->current_boundaries ? "true" : "false"};
    char *raw_codes = NULL;
    if (r->principal.role == ROLE_MUNICIPALITY) {
        size_t len = strlen(r->principal.codes) + 3;
        raw_codes = malloc(len);
        if (raw_codes)
            snprintf(raw_codes, len, "{%s}", r->principal.codes);
        params[4] = raw_codes;
    }
    int rc = db_pool_query(r->worker->db, aggregate_sql, 6, params, done, r);
    free(raw_codes);
    if (rc < 0)
        reply_unavailable(r, "The server is shutting down.");
}

static void funnels_with_catalog(struct request *r)
{
    struct read_call *c = r->handler_state;
    const struct catalog *cat = r->worker->catalog;
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
    send_aggregate(r, c->region_set, c->regions, aggregate_done);
}

void handle_funnels(struct request *r)
{
    static const char *const known[] = {"period", "from", "to", "regionSet", "region",
                                        "breakdown", "boundaries", "format", "delimiter", NULL};
    if (!request_cached_reply(r) && begin(r, READ_FUNNELS, known))
        catalog_then(r, funnels_with_catalog);
}

void handle_comparisons(struct request *r)
{
    static const char *const known[] = {"period", "regionSet", "region", "stage", "metric",
                                        "boundaries", "format", "delimiter", NULL};
    if (!request_cached_reply(r) && begin(r, READ_COMPARISONS, known))
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
        reply_no_regions(r);
        return;
    }
    if (!c->csv) {
        reply_json(r, 200, body);
        return;
    }
    char *text = aggregate_completeness_csv(body, c->excel);
    json_decref(body);
    reply_csv(r, text, "completeness");
}

void handle_completeness(struct request *r)
{
    static const char *const known[] = {"period",    "regionSet", "region",
                                        "format",    "delimiter", NULL};
    if (request_cached_reply(r))
        return;
    struct read_call *c = begin(r, READ_COMPLETENESS, known);
    if (!c)
        return;
    const char *params[] = {c->region_set, c->first_period, c->regions};
    if (db_pool_query(r->worker->db, completeness_sql, 3, params, completeness_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}
