/* The partner-network resource (design §3.1) and /v1/networks (§3.2, §3.3). A network is a
 * submission kind like the funnel: this file supplies how its body becomes a canonical document
 * and how its approach steps join the answers; writes, reads, revisions, deletes, ETag, If-Match,
 * dry runs and access are the shared code of api/submission.c. */
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
#include "api/network_doc.h"
#include "api/request.h"
#include "api/submission.h"
#include "daemon/db_pool.h"
#include "daemon/server.h"

/* ---- the singular resource ------------------------------------------------------------------ */

/* Networks have no cells (nothing in them is perturbed) and no warnings of their own: the outlier
 * and stage-order rules are about funnel counts (design §3.1). */
static int network_prepare(struct request *r, const struct catalog *cat, const char *code,
                           struct period period, const char *body, size_t len,
                           struct prepared_submission *out, struct violations *v)
{
    (void)r;
    (void)code;
    struct network n;
    if (network_decode(body, len, cat, period, &n, v) < 0)
        return -1;
    out->content = network_canonical_json(&n, cat);
    out->cells = NULL;
    out->warnings = strdup("[]");
    return out->content && out->warnings ? 0 : -1;
}

static int network_decorate(json_t *document, struct period period)
{
    return network_answer_add_steps(document, period);
}

static const struct submission_kind network_kind = {"network", network_prepare, network_decorate};

void handle_network_put(struct request *r)
{
    submission_put(r, &network_kind);
}

void handle_network_get(struct request *r)
{
    submission_get(r, &network_kind);
}

void handle_network_revisions(struct request *r)
{
    submission_revisions(r, &network_kind);
}

void handle_network_delete(struct request *r)
{
    submission_delete(r, &network_kind);
}

/* ---- GET /v1/networks ----------------------------------------------------------------------- */

enum { MAX_REGIONS = 400 };

static const char members_sql[] =
    "SELECT region_code, region_name, member, content FROM network_members($1, $2, $3::text[])";
static const char set_exists_sql[] = "SELECT 1 FROM region_sets WHERE key = $1";

struct networks_call {
    char region_set[64];
    struct period period;
    char period_text[8];
    char *regions; /* owned: PostgreSQL array literal {VR01,VR02}, or NULL for all */
    bool csv, excel;
};

static void networks_call_free(void *p)
{
    struct networks_call *c = p;
    if (c)
        free(c->regions);
    free(c);
}

/* Letters, digits, '-', '_' and '.': safe inside an array literal without quoting. */
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

/* Collects every region=... (repeated or comma-separated) into c->regions. */
static void parse_regions(struct request *r, struct networks_call *c, struct violations *v)
{
    size_t count = 0, used = 0, cap = 0;
    for (struct evkeyval *kv = r->query ? r->query->tqh_first : NULL; kv; kv = kv->next.tqe_next) {
        if (strcmp(kv->key, "region") != 0)
            continue;
        char *copy = strdup(kv->value), *save = NULL;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
            if (!key_shape_ok(t, 32)) {
                violations_add(v, IN_QUERY, "region", "invalid", "'%.40s' is not a region code.",
                               t);
                continue;
            }
            if (++count > MAX_REGIONS) {
                violations_add(v, IN_QUERY, "region", "too-many", "At most %d regions.",
                               MAX_REGIONS);
                break;
            }
            size_t need = used + strlen(t) + 3;
            if (need > cap) {
                cap = need * 2;
                char *grown = realloc(c->regions, cap);
                if (!grown)
                    break;
                c->regions = grown;
            }
            used += (size_t)sprintf(c->regions + used, "%s%s", used ? "," : "{", t);
        }
        free(copy);
        if (count > MAX_REGIONS)
            break;
    }
    if (c->regions && used + 2 <= cap)
        strcpy(c->regions + used, "}");
}

/* Parses the query; answers 400 itself and returns NULL. */
static struct networks_call *networks_begin(struct request *r)
{
    static const char *const known[] = {"period", "regionSet", "region", "format", "delimiter",
                                        NULL};
    struct networks_call *c = calloc(1, sizeof *c);
    if (!c) {
        reply_unavailable(r, "Out of memory.");
        return NULL;
    }
    r->handler_state = c;
    r->handler_state_free = networks_call_free;
    struct violations v;
    violations_init(&v);
    for (struct evkeyval *kv = r->query ? r->query->tqh_first : NULL; kv; kv = kv->next.tqe_next) {
        bool ok = false;
        for (const char *const *k = known; *k; k++)
            ok |= strcmp(kv->key, *k) == 0;
        if (!ok)
            violations_add(&v, IN_QUERY, kv->key, "unknown-parameter",
                           "This endpoint has no query parameter '%.60s'.", kv->key);
    }
    const char *period = request_query(r, "period");
    if (!period)
        violations_add(&v, IN_QUERY, "period", "required", "Give period=2026-Q2.");
    else if (period_parse(period, &c->period) < 0)
        violations_add(&v, IN_QUERY, "period", "malformed-period",
                       "A period is a quarter written 2026-Q2.");
    else
        period_format(c->period, c->period_text);
    const char *set = request_query(r, "regionSet");
    if (!set)
        set = "nation";
    if (!key_shape_ok(set, sizeof c->region_set - 1))
        violations_add(&v, IN_QUERY, "regionSet", "invalid", "'%.40s' is not a region set key.",
                       set);
    else
        snprintf(c->region_set, sizeof c->region_set, "%s", set);
    parse_regions(r, c, &v);
    const char *format = request_query(r, "format");
    const char *accept = request_header(r, "Accept");
    if (format && strcmp(format, "csv") == 0)
        c->csv = true;
    else if (format && strcmp(format, "json") != 0)
        violations_add(&v, IN_QUERY, "format", "invalid", "format is json or csv.");
    else if (!format && accept && strstr(accept, "text/csv"))
        c->csv = true;
    const char *delim = request_query(r, "delimiter");
    if (delim && strcmp(delim, "semicolon") == 0)
        c->excel = c->csv = true;
    else if (delim && strcmp(delim, "comma") != 0)
        violations_add(&v, IN_QUERY, "delimiter", "invalid", "delimiter is comma or semicolon.");
    if (violations_count(&v)) {
        reply_problem(r, 400, "invalid-input", "The query is invalid; see errors.", &v);
        violations_clear(&v);
        return NULL;
    }
    violations_clear(&v);
    return c;
}

static void set_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    if (status != DB_OK)
        reply_db_failure(r, status, res);
    else if (PQntuples(res) == 0)
        reply_problem(r, 404, "not-found", "There is no region set with this key.", NULL);
    else
        reply_problem(r, 404, "not-found", "None of the regions asked for is in this region set.",
                      NULL);
}

/* Tallies the member rows (ordered by region) into one JSON row per region. */
static json_t *network_rows(const PGresult *res, const struct networks_call *c,
                            const struct catalog *cat)
{
    struct network_tally *t = malloc(sizeof *t);
    json_t *rows = json_array();
    if (!t || !rows) {
        free(t);
        json_decref(rows);
        return NULL;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n;) {
        network_tally_reset(t);
        const char *code = PQgetvalue(res, i, 0);
        const char *name = PQgetvalue(res, i, 1);
        for (; i < n && strcmp(PQgetvalue(res, i, 0), code) == 0; i++) {
            json_t *content =
                PQgetisnull(res, i, 3) ? NULL : json_loads(PQgetvalue(res, i, 3), 0, NULL);
            network_tally_add(t, content, cat, c->period);
            json_decref(content);
        }
        json_t *row = network_tally_json(t, cat);
        json_object_set_new(row, "period", json_string(c->period_text));
        json_object_set_new(row, "region", json_pack("{s:s, s:s}", "code", code, "name", name));
        json_array_append_new(rows, row);
    }
    free(t);
    return rows;
}

static void members_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct networks_call *c = r->handler_state;
    if (status != DB_OK) {
        reply_db_failure(r, status, res);
        return;
    }
    if (PQntuples(res) == 0) {
        const char *params[] = {c->region_set};
        if (db_pool_query(r->worker->db, set_exists_sql, 1, params, set_done, r) < 0)
            reply_unavailable(r, "The server is shutting down.");
        return;
    }
    json_t *rows = network_rows(res, c, r->worker->catalog);
    if (!rows) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:b, s:o}", "regionSet", c->region_set, "period",
                             c->period_text, "protected", false, "rows", rows);
    if (!c->csv) {
        reply_json(r, 200, body);
        return;
    }
    char *text = aggregate_networks_csv(body, c->excel);
    json_decref(body);
    if (!text) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    request_add_header(r, "Content-Disposition", "attachment; filename=\"networks.csv\"");
    reply_body(r, 200, "text/csv; charset=utf-8", text, strlen(text));
    free(text);
}

static void networks_with_catalog(struct request *r)
{
    struct networks_call *c = r->handler_state;
    const char *params[] = {c->region_set, c->period_text, c->regions};
    if (db_pool_query(r->worker->db, members_sql, 3, params, members_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}

/* Every authenticated caller may read it, like /v1/funnels: the counts are numbers of
 * municipalities per status, published unperturbed (sql/007_networks.sql says why). */
void handle_networks(struct request *r)
{
    if (request_cached_reply(r))
        return;
    if (networks_begin(r))
        catalog_then(r, networks_with_catalog);
}
