/* Reads of releases: the choice, the lookup and the rows (design §8). */
#include "api/release_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/read_query.h"
#include "api/request.h"
#include "core/access.h"
#include "core/release.h"
#include "daemon/server.h"

static const char rows_sql[] =
    "SELECT period, release_info::text, contributors, published::text, raw::text, region_code,"
    "       region_name"
    "  FROM release_funnel_rows($1, $2::text[], $3, $4::boolean, $5, $6::text[], $7::boolean,"
    "                           $8::boolean)";
enum { R_PERIOD, R_RELEASE, R_CONTRIBUTORS, R_PUBLISHED, R_RAW, R_CODE, R_NAME };

static void refuse(struct request *r, int status, const char *slug, const char *code,
                   const char *detail)
{
    struct violations v;
    violations_init(&v);
    violations_add(&v, IN_QUERY, "release", code, "%s", detail);
    reply_problem(r, status, slug, detail, &v);
    violations_clear(&v);
}

bool release_read_accept(struct request *r, const struct read_query *q, struct release_read *out)
{
    const char *text = request_query(r, "release");
    out->id[0] = '\0';
    if (!text) {
        out->choice = access_reads_live_by_default(&r->principal) ? RELEASE_LIVE : RELEASE_LATEST;
        return true;
    }
    if (release_choice_parse(text, &out->choice, out->id) < 0) {
        refuse(r, 400, "invalid-input", "invalid",
               "release is live, latest or a release id such as 2026-Q3-r1.");
        return false;
    }
    if (out->choice == RELEASE_LIVE && access_reads_open_releases_only(&r->principal)) {
        request_add_header(r, "WWW-Authenticate", "Bearer realm=\"trechter\"");
        refuse(r, 401, "unauthorized", "token-required",
               "Without a token only open releases are served: leave release out, or name an "
               "open release.");
        return false;
    }
    if (out->choice == RELEASE_LIVE &&
        !access_may_read_live(&r->principal, r->worker->settings.protected_live_reads)) {
        refuse(r, 403, "forbidden", "live-refused",
               "Protected figures are read from releases; live figures are not served to this "
               "caller (setting protected-live-reads). Leave release out or ask for latest.");
        return false;
    }
    if (out->choice == RELEASE_ID) {
        struct period p;
        release_id_parse(out->id, &p, NULL);
        char period[8];
        period_format(p, period);
        if (strchr(q->periods, ',') || strcmp(period, q->first_period) != 0) {
            refuse(r, 400, "invalid-input", "release-period-mismatch",
                   "This release is of another period than the one asked; ask for its period "
                   "alone, or for release=latest.");
            return false;
        }
    }
    return true;
}

int release_read_send(struct request *r, const struct release_read *rr, const struct read_query *q,
                      const char *set, const char *regions, const char *dimension, db_done_fn done)
{
    /* The raw rows travel only to callers who may see some row raw. */
    bool with_raw = access_sees_raw(&r->principal) || access_raw_codes(&r->principal);
    const char *params[8] = {rr->choice == RELEASE_ID ? rr->id : NULL,
                             q->periods,
                             set,
                             q->current_boundaries ? "true" : "false",
                             dimension,
                             regions,
                             with_raw ? "true" : "false",
                             access_reads_open_releases_only(&r->principal) ? "true" : "false"};
    return db_pool_query(aggregate_pool(r), rows_sql, 8, params, done, r);
}

json_t *release_read_rows(const PGresult *res, const struct principal *p, const struct catalog *cat)
{
    json_t *rows = json_array();
    for (int i = 0; rows && i < PQntuples(res); i++) {
        json_t *row;
        if (!PQgetisnull(res, i, R_PUBLISHED)) {
            const char *contributors =
                PQgetisnull(res, i, R_CONTRIBUTORS) ? NULL : PQgetvalue(res, i, R_CONTRIBUTORS);
            bool raw = !PQgetisnull(res, i, R_RAW) && access_sees_row_raw(p, contributors);
            row = json_loads(PQgetvalue(res, i, raw ? R_RAW : R_PUBLISHED), 0, NULL);
            json_object_set_new(row, "release", json_loads(PQgetvalue(res, i, R_RELEASE), 0, NULL));
        } else if (PQgetisnull(res, i, R_RELEASE) && !PQgetisnull(res, i, R_CODE)) {
            row = release_missing_row(PQgetvalue(res, i, R_PERIOD), PQgetvalue(res, i, R_CODE),
                                      PQgetvalue(res, i, R_NAME), cat);
        } else {
            continue; /* a release without rows for these regions */
        }
        if (!row || json_array_append_new(rows, row) < 0) {
            json_decref(rows);
            return NULL;
        }
    }
    return rows;
}

json_t *release_read_answer_release(const json_t *rows)
{
    json_t *release = json_object_get(json_array_get(rows, 0), "release");
    return release ? json_incref(release) : json_null();
}

void release_read_reply(struct request *r, const char *content_type, char *text,
                        const char *csv_name)
{
    if (!text) {
        reply_unavailable(r, "Out of memory.");
        return;
    }
    if (csv_name) {
        char disposition[96];
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.csv\"", csv_name);
        request_add_header(r, "Content-Disposition", disposition);
    }
    if (access_reads_open_releases_only(&r->principal)) {
        request_add_header(r, "Cache-Control", "public, max-age=300");
        request_add_header(r, "Vary", "Authorization");
        if (request_not_modified_text(r, text)) {
            free(text);
            return;
        }
    }
    reply_body(r, 200, content_type, text, strlen(text));
    free(text);
}
