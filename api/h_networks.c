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

#include "core/aggregate.h"
#include "core/aggregate_csv.h"
#include "api/catalog_load.h"
#include "api/db_reply.h"
#include "api/handlers.h"
#include "api/read_query.h"
#include "core/network_doc.h"
#include "api/api_worker.h"
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

static const char members_sql[] =
    "SELECT region_code, region_name, member, content FROM network_members($1, $2, $3::text[])";

struct networks_call {
    struct read_query q;
};

static void networks_call_free(void *p)
{
    struct networks_call *c = p;
    if (c)
        read_query_clear(&c->q);
    free(c);
}

/* Parses the query; answers 400 itself and returns NULL. */
static struct networks_call *networks_begin(struct request *r)
{
    struct networks_call *c = calloc(1, sizeof *c);
    if (!c) {
        reply_unavailable(r, "Out of memory.");
        return NULL;
    }
    r->handler_state = c;
    r->handler_state_free = networks_call_free;
    return read_query_accept(r, 0, &c->q) ? c : NULL;
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
            network_tally_add(t, content, cat, c->q.first);
            json_decref(content);
        }
        json_t *row = network_tally_json(t, cat);
        json_object_set_new(row, "period", json_string(c->q.first_period));
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
        reply_no_regions(r, c->q.region_set);
        return;
    }
    json_t *rows = network_rows(res, c, request_api(r)->catalog);
    if (!rows) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:b, s:o}", "regionSet", c->q.region_set, "period",
                             c->q.first_period, "protected", false, "rows", rows);
    if (!c->q.csv) {
        reply_json(r, 200, body);
        return;
    }
    char *text = aggregate_networks_csv(body, c->q.excel);
    json_decref(body);
    reply_csv(r, text, "networks");
}

static void networks_with_catalog(struct request *r)
{
    struct networks_call *c = r->handler_state;
    const char *params[] = {c->q.region_set, c->q.first_period, c->q.regions};
    if (db_pool_query(aggregate_pool(r), members_sql, 3, params, members_done, r) < 0)
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
