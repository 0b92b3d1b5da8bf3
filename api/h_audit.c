/* GET /v1/audit-events (design §6, issue 9): the rapporteur reads the audit trail, newest first,
 * paged by id (`before`) and filtered by principal, method, status and time. The trail itself can
 * only be appended to (sql/001: a trigger refuses updates and deletes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/db_reply.h"
#include "api/handlers.h"
#include "core/period.h"
#include "api/request.h"
#include "core/access.h"

static const char audit_sql[] =
    "SELECT json_build_object("
    "  'auditEvents', coalesce(json_agg(json_build_object("
    "      'id', e.id::text, 'at', to_char(e.at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    "      'principal', CASE WHEN e.principal_id IS NULL AND e.principal_label IS NULL THEN NULL"
    "                   ELSE json_build_object('id', e.principal_id::text, 'label', "
    "e.principal_label)"
    "                   END,"
    "      'clientAddress', host(e.client_address), 'requestId', e.request_id,"
    "      'method', e.method, 'path', e.path, 'status', e.status, 'outcome', e.outcome)"
    "    ORDER BY e.id DESC), '[]'),"
    "  'nextBefore', CASE WHEN count(*) = $7::int THEN min(e.id)::text END)"
    "  FROM (SELECT * FROM audit_events"
    "         WHERE ($1::bigint IS NULL OR id < $1::bigint)"
    "           AND ($2::bigint IS NULL OR principal_id = $2::bigint)"
    "           AND ($3::date IS NULL OR at >= ($3::date::timestamp AT TIME ZONE "
    "'Europe/Amsterdam'))"
    "           AND ($4::date IS NULL OR at < (($4::date + 1)::timestamp AT TIME ZONE "
    "'Europe/Amsterdam'))"
    "           AND ($5::text IS NULL OR method = $5)"
    "           AND ($6::int IS NULL OR status = $6::int)"
    "         ORDER BY id DESC LIMIT $7::int) e";

static bool digits(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool date_shape(const char *s)
{
    int y, m, d;
    return date_parse(s, &y, &m, &d) == 0;
}

void handle_audit_events(struct request *r)
{
    if (!access_may_read_audit(&r->principal)) {
        reply_problem(r, 403, "forbidden", "Only the rapporteur may read the audit trail.", NULL);
        return;
    }
    struct violations v;
    violations_init(&v);
    const char *before = request_query(r, "before"), *principal = request_query(r, "principal");
    const char *from = request_query(r, "from"), *to = request_query(r, "to");
    const char *method = request_query(r, "method"), *status = request_query(r, "status");
    const char *limit = request_query(r, "limit");
    if (before && !digits(before, 18))
        violations_add(&v, IN_QUERY, "before", "invalid", "before is an event id.");
    if (principal && !digits(principal, 18))
        violations_add(&v, IN_QUERY, "principal", "invalid", "principal is a principal id.");
    if (from && !date_shape(from))
        violations_add(&v, IN_QUERY, "from", "invalid", "from is a date, YYYY-MM-DD.");
    if (to && !date_shape(to))
        violations_add(&v, IN_QUERY, "to", "invalid", "to is a date, YYYY-MM-DD.");
    static const char *const methods[] = {"GET", "PUT", "POST", "DELETE", "CLI", NULL};
    bool method_ok = !method;
    for (const char *const *m = methods; method && *m; m++)
        method_ok |= strcmp(method, *m) == 0;
    if (!method_ok)
        violations_add(&v, IN_QUERY, "method", "invalid",
                       "method is GET, PUT, POST, DELETE or CLI.");
    if (status && (!digits(status, 3) || atoi(status) < 100))
        violations_add(&v, IN_QUERY, "status", "invalid", "status is an HTTP status, e.g. 401.");
    int n = limit ? atoi(limit) : 100;
    if (limit && (!digits(limit, 4) || n < 1 || n > 1000))
        violations_add(&v, IN_QUERY, "limit", "invalid", "limit is 1 to 1000.");
    if (violations_count(&v)) {
        reply_problem(r, 400, "invalid-input", "The query is invalid; see errors.", &v);
        violations_clear(&v);
        return;
    }
    violations_clear(&v);
    char limit_text[8];
    snprintf(limit_text, sizeof limit_text, "%d", n);
    const char *params[] = {before, principal, from, to, method, status, limit_text};
    reply_from_query(r, audit_sql, 7, params, "No audit trail.");
}
