/* Query parsing and small answers shared by the read endpoints. */
#include "api/read_query.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/db_reply.h"
#include "api/request.h"
#include "daemon/db_pool.h"
#include "daemon/server.h"

enum { MAX_PERIODS = 200, MAX_REGIONS = 400 };

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

/* Appends an item that passed key_shape_ok to the array literal "{a,b}". */
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

/* Every region=... (repeated or comma-separated); an empty item ("VR01,,VR17", a trailing comma)
 * is refused like an empty region= (route_check_query), not skipped: it would widen nothing, but a
 * client that sends one has lost a code on the way. */
static void parse_regions(struct request *r, struct read_query *q, struct violations *v)
{
    int count = 0;
    for (struct evkeyval *kv = r->query ? r->query->tqh_first : NULL; kv; kv = kv->next.tqe_next) {
        if (strcmp(kv->key, "region") != 0)
            continue;
        char *copy = strdup(kv->value);
        if (!copy) {
            violations_add(v, IN_QUERY, "region", "invalid", "Out of memory.");
            return;
        }
        for (char *t = copy, *next; t; t = next) {
            char *comma = strchr(t, ',');
            next = comma ? comma + 1 : NULL;
            if (comma)
                *comma = '\0';
            if (*t == '\0') {
                violations_add(v, IN_QUERY, "region", "empty", "An empty region code in '%.40s'.",
                               kv->value);
            } else if (!key_shape_ok(t, 32)) {
                violations_add(v, IN_QUERY, "region", "invalid", "'%.40s' is not a region code.",
                               t);
            } else if (++count > MAX_REGIONS || append_array_item(&q->regions, t) < 0) {
                violations_add(v, IN_QUERY, "region", "too-many", "At most %d regions.",
                               MAX_REGIONS);
                break;
            }
        }
        free(copy);
    }
}

static void parse_periods(struct request *r, unsigned flags, struct read_query *q,
                          struct violations *v)
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
    } else if (from && to && (flags & RQ_SERIES)) {
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
                       (flags & RQ_SERIES) ? "Give period=2026-Q2, or from and to for a series."
                                           : "Give period=2026-Q2.");
        return;
    }
    q->first = a;
    period_format(a, q->first_period);
    int n = 0;
    for (struct period p = a; period_compare(p, b) <= 0;
         p.quarter == 4 ? (p.year++, p.quarter = 1) : p.quarter++) {
        char text[8];
        period_format(p, text);
        if (++n > MAX_PERIODS) {
            violations_add(v, IN_QUERY, "to", "too-many", "A series spans at most %d quarters.",
                           MAX_PERIODS);
            return;
        }
        if (append_array_item(&q->periods, text) < 0)
            return;
    }
}

static void parse_format(struct request *r, struct read_query *q, struct violations *v)
{
    const char *format = request_query(r, "format");
    const char *accept = request_header(r, "Accept");
    if (format && strcmp(format, "csv") == 0)
        q->csv = true;
    else if (format && strcmp(format, "json") != 0)
        violations_add(v, IN_QUERY, "format", "invalid", "format is json or csv.");
    else if (!format && accept && strstr(accept, "text/csv"))
        q->csv = true;
    const char *delim = request_query(r, "delimiter");
    if (delim && strcmp(delim, "semicolon") == 0)
        q->excel = q->csv = true;
    else if (delim && strcmp(delim, "comma") != 0)
        violations_add(v, IN_QUERY, "delimiter", "invalid", "delimiter is comma or semicolon.");
}

void read_query_parse(struct request *r, unsigned flags, struct read_query *q, struct violations *v)
{
    const char *set = request_query(r, "regionSet");
    if (!set)
        set = "nation";
    if (!key_shape_ok(set, sizeof q->region_set - 1))
        violations_add(v, IN_QUERY, "regionSet", "invalid", "'%.40s' is not a region set key.",
                       set);
    else
        snprintf(q->region_set, sizeof q->region_set, "%s", set);
    parse_periods(r, flags, q, v);
    parse_regions(r, q, v);
    parse_format(r, q, v);
    const char *boundaries = request_query(r, "boundaries");
    if (boundaries && (flags & RQ_BOUNDARIES) && strcmp(boundaries, "current") == 0)
        q->current_boundaries = true;
    else if (boundaries && strcmp(boundaries, "historical") != 0)
        violations_add(v, IN_QUERY, "boundaries", "invalid",
                       "boundaries is historical (as submitted, the default) or current.");
}

bool read_query_accept(struct request *r, unsigned flags, struct read_query *q)
{
    struct violations v;
    violations_init(&v);
    read_query_parse(r, flags, q, &v);
    bool ok = violations_count(&v) == 0;
    if (!ok)
        reply_problem(r, 400, "invalid-input", "The query is invalid; see errors.", &v);
    violations_clear(&v);
    return ok;
}

void read_query_clear(struct read_query *q)
{
    free(q->periods);
    free(q->regions);
    q->periods = q->regions = NULL;
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

void reply_no_regions(struct request *r, const char *region_set)
{
    static const char set_exists_sql[] = "SELECT 1 FROM region_sets WHERE key = $1";
    const char *params[] = {region_set};
    if (db_pool_query(r->worker->db, set_exists_sql, 1, params, set_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}

void reply_csv(struct request *r, char *text, const char *name)
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

struct db_pool *aggregate_pool(const struct request *r)
{
    struct db_pool *standby = r->worker->db_read;
    return standby && db_pool_ready(standby) ? standby : r->worker->db;
}
