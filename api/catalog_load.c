/* Loads the worker's reference catalogue from the database on first use. */
#include "api/catalog_load.h"

#include "core/catalog.h"
#include "api/db_reply.h"
#include "api/api_worker.h"
#include "api/request.h"
#include "daemon/log.h"
#include "daemon/server.h"

const char catalog_sql[] =
    "SELECT json_build_object("
    " 'stages', (SELECT json_agg(key ORDER BY position) FROM stages),"
    " 'dimensions', (SELECT json_object_agg(d.key, (SELECT json_agg(c.key ORDER BY c.position)"
    "                                                 FROM categories c WHERE c.dimension = d.key)"
    "                                       ORDER BY d.position) FROM dimensions d),"
    " 'stageDimensions', (SELECT json_object_agg(s.key, (SELECT coalesce(json_agg(sd.dimension"
    "                                                       ORDER BY d.position), '[]')"
    "                                                      FROM stage_dimensions sd"
    "                                                      JOIN dimensions d ON d.key = "
    "sd.dimension"
    "                                                     WHERE sd.stage = s.key)"
    "                                            ORDER BY s.position) FROM stages s),"
    " 'partnerTypes', (SELECT json_agg(key ORDER BY position) FROM partner_types),"
    " 'partnerStatuses', (SELECT json_agg(key ORDER BY rank) FROM partner_statuses),"
    " 'preventionPoints', (SELECT json_agg(key ORDER BY position) FROM prevention_points),"
    " 'preventionStates', (SELECT json_agg(key ORDER BY rank) FROM prevention_states))";

static void loaded(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    void (*next)(struct request *) = r->resume;
    r->resume = NULL;
    struct api_worker *wk = request_api(r);
    if (!wk->catalog) { /* another request may have loaded it meanwhile */
        if (status != DB_OK || PQntuples(res) != 1) {
            reply_db_failure(r, status == DB_OK ? DB_UNAVAILABLE : status, res);
            return;
        }
        char err[256];
        struct catalog *cat = NULL;
        if (catalog_from_json(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), &cat, err,
                              sizeof err) < 0) {
            log_error("reference catalogue unusable: %s", err);
            reply_problem(r, 500, "internal", "The reference data in the database is unusable.",
                          NULL);
            return;
        }
        wk->catalog = cat;
    }
    next(r);
}

void catalog_then(struct request *r, void (*next)(struct request *r))
{
    if (request_api(r)->catalog) {
        next(r);
        return;
    }
    r->resume = next;
    if (db_pool_query(r->worker->db, catalog_sql, 0, NULL, loaded, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}
