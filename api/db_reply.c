/* Passing JSON rendered by PostgreSQL through to the client, and answering database failures. */
#include "api/db_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/request.h"
#include "daemon/log.h"
#include "daemon/server.h"

struct passthrough {
    const char *not_found_detail; /* static */
};

void reply_db_failure(struct request *r, enum db_status status, const PGresult *res)
{
    switch (status) {
    case DB_UNAVAILABLE:
        reply_unavailable(r, "The database cannot be reached; try again shortly.");
        return;
    case DB_OVERLOADED:
        reply_unavailable(r, "The server is busy; try again shortly.");
        return;
    case DB_TIMEOUT:
        reply_unavailable(r, "The database did not answer in time; try again shortly.");
        return;
    case DB_SQL_ERROR:
    case DB_OK:
        break;
    }
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    log_error("request id=%s statement failed: SQLSTATE %s: %s", r->request_id, state ? state : "?",
              msg ? msg : "?");
    reply_problem(r, 500, "internal", "The request could not be completed; it has been logged.",
                  NULL);
}

static void passthrough_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    struct passthrough *p = r->handler_state;
    if (status != DB_OK) {
        reply_db_failure(r, status, res);
        return;
    }
    if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
        reply_problem(r, 404, "not-found", p->not_found_detail, NULL);
        return;
    }
    reply_json_text(r, 200, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

void reply_from_query(struct request *r, const char *sql, int nparams, const char *const *params,
                      const char *not_found_detail)
{
    struct passthrough *p = malloc(sizeof *p);
    if (!p) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    p->not_found_detail = not_found_detail;
    r->handler_state = p;
    r->handler_state_free = free;
    if (db_pool_query(r->worker->db, sql, nparams, params, passthrough_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}

bool db_write_retryable(enum db_status status, const PGresult *res)
{
    const char *state =
        status == DB_SQL_ERROR && res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                     strcmp(state, "23505") == 0);
}

void writer_params_put(const struct request *r, struct writer_params *w, const char **params)
{
    const struct app_settings *s = &r->worker->settings;
    snprintf(w->principal, sizeof w->principal, "%lld", r->principal.id);
    snprintf(w->outlier_min, sizeof w->outlier_min, "%d", s->outlier_min);
    snprintf(w->outlier_ratio, sizeof w->outlier_ratio, "%d", s->outlier_ratio_pct);
    params[0] = w->principal;
    params[1] = r->principal.label;
    params[2] = r->request_id;
    params[3] = r->client_address;
    params[4] = w->outlier_min;
    params[5] = w->outlier_ratio;
}

json_t *db_write_answer(struct request *r, enum db_status status, const PGresult *res, int attempts,
                        void (*resend)(struct request *r))
{
    if (db_write_retryable(status, res) && attempts < DB_WRITE_ATTEMPTS) {
        resend(r);
        return NULL;
    }
    if (status != DB_OK || PQntuples(res) != 1) {
        reply_db_failure(r, status, res);
        return NULL;
    }
    json_t *answer = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    if (!answer) {
        log_error("request id=%s a write function answered no JSON", r->request_id);
        reply_problem(r, 500, "internal", "The write gave no answer.", NULL);
    }
    return answer;
}
