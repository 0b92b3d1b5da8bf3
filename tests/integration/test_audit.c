/* The audit trail (design §6; issue 9 item 3) against the "main" fixture's daemon: writes, deletes,
 * imports, token changes and refused authentications leave events that the rapporteur reads at
 * GET /v1/audit-events (paged by `before`, filtered by principal, status, method, from/to) with
 * principal, time, client address, request id (= the X-Request-Id of the request), method, path and
 * status; nobody else may read it; and the trail cannot be changed — not through the API (no route
 * but GET: 405), not with UPDATE/DELETE/TRUNCATE as the database owner (a trigger refuses).
 *
 * Resources owned here: funnels of GM0599 in 2017-Q1 and 2017-Q2. */
#include "harness.h"
#include "api/routes.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BODY(r) ((r)->body_len > 600 ? 600 : (int)(r)->body_len), (r)->body

static const char *tok(const char *key)
{
    const char *t = getenv(key);
    cr_assert(t && *t, "%s is empty: tests/harness/env-up could not make it (see its output)", key);
    return t;
}

static struct http_response *req_id(const char *method, const char *path, const char *token,
                                    const char *body, const char *rid)
{
    char hdr[128];
    snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
    const char *const h[] = {hdr, NULL};
    return http_do(method, path, token, body ? "application/json" : NULL, body,
                   body ? strlen(body) : 0, rid ? h : NULL);
}

static void make_rid(char *out, size_t n, const char *what)
{
    static int seq;
    snprintf(out, n, "h14-audit-%s-%d-%ld-%d", what, (int)getpid(), (long)time(NULL), ++seq);
}

static char *principal_id(const char *token)
{
    struct http_response *r = http_get("/v1/me", token);
    cr_assert_eq(r->status, 200, "GET /v1/me: %ld", r->status);
    json_t *id = json_object_get(r->json, "id");
    char *out = NULL;
    if (json_is_integer(id))
        cr_assert(asprintf(&out, "%lld", (long long)json_integer_value(id)) > 0);
    else
        out = strdup(json_string_value(id));
    http_response_free(r);
    return out;
}

static const char *sval(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Pages through /v1/audit-events?<filter> (newest first) until the event with request id `rid`
 * shows up; returns a new reference or NULL. Refused authentications are stored after the answer,
 * so it polls for a few seconds. */
static json_t *find_event(const char *filter, const char *rid)
{
    for (int attempt = 0; attempt < 30; attempt++) {
        char before[32] = "";
        for (int page = 0; page < 10; page++) {
            char path[512];
            snprintf(path, sizeof path, "/v1/audit-events?limit=500%s%s%s%s", filter[0] ? "&" : "",
                     filter, before[0] ? "&before=" : "", before);
            struct http_response *r = http_get(path, tok("TOKEN_RAPPORTEUR"));
            cr_assert_eq(r->status, 200, "GET %s: %ld %.*s", path, r->status, BODY(r));
            json_t *events = json_object_get(r->json, "auditEvents");
            cr_assert(json_is_array(events), "no auditEvents array: %.*s", BODY(r));
            size_t i;
            json_t *e;
            json_array_foreach(events, i, e)
            {
                const char *id = sval(e, "requestId");
                if (id && strcmp(id, rid) == 0) {
                    json_incref(e);
                    http_response_free(r);
                    return e;
                }
            }
            const char *next = sval(r->json, "nextBefore");
            if (!next) {
                http_response_free(r);
                break;
            }
            snprintf(before, sizeof before, "%s", next);
            http_response_free(r);
        }
        usleep(200 * 1000);
    }
    return NULL;
}

/* Checks one event: principal id (NULL: none), time within two minutes of now, client address
 * 127.0.0.1, method, path and status (0: none, e.g. the command line). */
static void expect_event(json_t *e, const char *rid, const char *principal, const char *method,
                         const char *path, int status, bool address)
{
    cr_assert(e, "no audit event with request id %s (%s %s)", rid, method, path);
    char *dump = json_dumps(e, JSON_COMPACT);
    json_t *p = json_object_get(e, "principal");
    if (principal) {
        cr_assert(json_is_object(p), "%s: no principal: %s", rid, dump);
        cr_assert_str_eq(sval(p, "id"), principal, "%s: principal: %s", rid, dump);
        cr_assert(sval(p, "label") && *sval(p, "label"), "%s: principal without label: %s", rid,
                  dump);
    } else {
        cr_assert(p == NULL || json_is_null(p) || json_is_null(json_object_get(p, "id")),
                  "%s: a refused authentication with a principal id: %s", rid, dump);
    }
    const char *at = sval(e, "at");
    struct tm tm = {0};
    cr_assert(at && strptime(at, "%Y-%m-%dT%H:%M:%S", &tm), "%s: time %s", rid, at ? at : "-");
    double skew = difftime(time(NULL), timegm(&tm));
    cr_assert(skew > -120 && skew < 120, "%s: event time %s is %.0f s from now", rid, at, skew);
    if (address)
        cr_assert_str_eq(sval(e, "clientAddress") ? sval(e, "clientAddress") : "(null)",
                         "127.0.0.1", "%s: client address: %s", rid, dump);
    cr_assert_str_eq(sval(e, "requestId"), rid);
    cr_assert_str_eq(sval(e, "method"), method, "%s: method: %s", rid, dump);
    cr_assert_str_eq(sval(e, "path"), path, "%s: path: %s", rid, dump);
    json_t *st = json_object_get(e, "status");
    if (status)
        cr_assert(json_is_integer(st) && json_integer_value(st) == status,
                  "%s: status, expected %d: %s", rid, status, dump);
    cr_assert(sval(e, "outcome") && *sval(e, "outcome"), "%s: no outcome: %s", rid, dump);
    free(dump);
}

Test(audit_trail, writes_deletes_imports_and_refusals, .timeout = 120)
{
    char *gm = principal_id(tok("TOKEN_GM0599"));
    char *rap = principal_id(tok("TOKEN_RAPPORTEUR"));
    const char *path = "/v1/municipalities/GM0599/funnels/2017-Q1";
    char rid[96];
    struct http_response *r;
    int events = 0;

    /* A write by the municipality itself (201 or, on a re-run, 200). */
    char body[128];
    snprintf(body, sizeof body, "{\"stages\":{\"reported\":{\"total\":%ld}}}",
             10 + time(NULL) % 50);
    make_rid(rid, sizeof rid, "put");
    r = req_id("PUT", path, tok("TOKEN_GM0599"), body, rid);
    cr_assert(r->status == 201 || r->status == 200, "PUT: %ld %.*s", r->status, BODY(r));
    cr_assert_str_eq(http_header(r, "X-Request-Id"), rid);
    int put_status = (int)r->status;
    http_response_free(r);
    json_t *e = find_event("", rid);
    expect_event(e, rid, gm, "PUT", path, put_status, true);
    json_decref(e);
    events++;

    /* A correction by the rapporteur. */
    make_rid(rid, sizeof rid, "fix");
    r = req_id("PUT", path, tok("TOKEN_RAPPORTEUR"), "{\"stages\":{\"reported\":{\"total\":99}}}",
               rid);
    cr_assert_eq(r->status, 200, "rapporteur PUT: %ld %.*s", r->status, BODY(r));
    http_response_free(r);
    char filter[64];
    snprintf(filter, sizeof filter, "principal=%s", rap);
    e = find_event(filter, rid);
    expect_event(e, rid, rap, "PUT", path, 200, true);
    json_decref(e);
    events++;

    /* A delete. */
    make_rid(rid, sizeof rid, "del");
    r = req_id("DELETE", path, tok("TOKEN_RAPPORTEUR"), NULL, rid);
    cr_assert_eq(r->status, 204, "DELETE: %ld %.*s", r->status, BODY(r));
    http_response_free(r);
    e = find_event("method=DELETE", rid);
    expect_event(e, rid, rap, "DELETE", path, 204, true);
    json_decref(e);
    events++;

    /* An import: each funnel it writes is an event under the import's request id. */
    make_rid(rid, sizeof rid, "imp");
    snprintf(body, sizeof body,
             "[{\"municipality\":\"GM0599\",\"period\":\"2017-Q2\",\"stages\":{\"reported\":"
             "{\"total\":%ld}}}]",
             10 + time(NULL) % 50);
    r = req_id("POST", "/v1/imports", tok("TOKEN_GM0599"), body, rid);
    cr_assert(r->status == 200 || r->status == 201, "import: %ld %.*s", r->status, BODY(r));
    http_response_free(r);
    e = find_event("", rid);
    cr_assert(e, "an import left no audit event (request id %s)", rid);
    cr_assert_str_eq(sval(json_object_get(e, "principal"), "id"), gm);
    cr_assert(strstr(sval(e, "path"), "GM0599") && strstr(sval(e, "path"), "2017-Q2"),
              "import event path: %s", sval(e, "path"));
    cr_assert_str_eq(sval(e, "clientAddress"), "127.0.0.1");
    json_decref(e);
    events++;

    /* Refused authentications: unknown, expired, revoked and malformed credentials. */
    struct {
        const char *what, *token, *header;
    } refusals[] = {
        {"bad", "trt_not-a-real-token-at-all", NULL},
        {"expired", tok("TOKEN_EXPIRED"), NULL},
        {"revoked", tok("TOKEN_REVOKED"), NULL},
        {"malformed", NULL, "Authorization: Basic dXNlcjpwYXNz"},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++) {
        make_rid(rid, sizeof rid, refusals[i].what);
        char hdr[128];
        snprintf(hdr, sizeof hdr, "X-Request-Id: %s", rid);
        const char *const h[] = {hdr, refusals[i].header, NULL};
        r = http_do("GET", "/v1/funnels", refusals[i].token, NULL, NULL, 0, h);
        cr_assert_eq(r->status, 401, "%s credentials: %ld", refusals[i].what, r->status);
        http_response_free(r);
        e = find_event("status=401", rid);
        expect_event(e, rid, NULL, "GET", "/v1/funnels", 401, true);
        json_decref(e);
        events++;
    }

    /* No credentials at all: a 401 too. Whether it is an event is reported, not asserted (design §6
     * names "refused authentication"; a request that offers none is counted here separately). */
    make_rid(rid, sizeof rid, "none");
    r = req_id("GET", "/v1/completeness", NULL, NULL, rid);
    cr_assert_eq(r->status, 401);
    http_response_free(r);
    e = find_event("status=401", rid);
    fprintf(stderr, "figures: audit: a request without any credentials leaves %s audit event\n",
            e ? "an" : "NO");
    json_decref(e);

    fprintf(stderr, "figures: audit: %d events found and checked field by field\n", events);
    free(gm);
    free(rap);
}

static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(audit_trail, token_changes_are_events, .timeout = 60)
{
    char cmd[1024], out[1024];
    char label[64];
    snprintf(label, sizeof label, "h14 audit token %d", (int)getpid());
    snprintf(cmd, sizeof cmd, "'%s' token create --db '%s' --role analyst --name '%s'",
             itest_env("TRECHTER_BIN"), itest_env("TRECHTER_DB"), label);
    cr_assert_eq(run(cmd, out, sizeof out), 0, "token create: %s", out);
    char *token = strdup(out);
    token[strcspn(token, " \r\n")] = '\0';
    char *id = principal_id(token);
    /* Find the CLI event naming the new token. */
    struct http_response *r =
        http_get("/v1/audit-events?method=CLI&limit=200", tok("TOKEN_RAPPORTEUR"));
    cr_assert_eq(r->status, 200);
    bool created = false;
    size_t i;
    json_t *e;
    char needle[64];
    snprintf(needle, sizeof needle, "token %s ", id);
    json_array_foreach(json_object_get(r->json, "auditEvents"), i, e)
    {
        const char *outcome = sval(e, "outcome");
        if (outcome && strstr(outcome, needle) && strstr(sval(e, "path"), "create"))
            created = true;
    }
    http_response_free(r);
    cr_assert(created, "no CLI audit event for creating token %s", id);

    snprintf(cmd, sizeof cmd, "'%s' token revoke %s --db '%s' 2>&1", itest_env("TRECHTER_BIN"), id,
             itest_env("TRECHTER_DB"));
    cr_assert_eq(run(cmd, out, sizeof out), 0, "token revoke: %s", out);
    r = http_get("/v1/audit-events?method=CLI&limit=200", tok("TOKEN_RAPPORTEUR"));
    bool revoked = false;
    snprintf(needle, sizeof needle, "token %s", id);
    json_array_foreach(json_object_get(r->json, "auditEvents"), i, e)
    {
        const char *outcome = sval(e, "outcome"), *p = sval(e, "path");
        if (outcome && strstr(outcome, needle) && p && strstr(p, "revoke")) {
            revoked = true;
            cr_assert(json_is_null(json_object_get(e, "status")) ||
                      json_object_get(e, "status") == NULL);
        }
    }
    http_response_free(r);
    cr_assert(revoked, "no CLI audit event for revoking token %s", id);
    /* And the revoked token is refused. */
    r = http_get("/v1/me", token);
    cr_assert_eq(r->status, 401);
    http_response_free(r);
    free(token);
    free(id);
}

static json_t *page(const char *query, const char *token, long *status)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/audit-events%s", query);
    struct http_response *r = http_get(path, token);
    *status = r->status;
    json_t *j = r->json ? json_incref(r->json) : NULL;
    http_response_free(r);
    return j;
}

static long long id_of(json_t *e)
{
    const char *s = sval(e, "id");
    return s ? atoll(s) : json_integer_value(json_object_get(e, "id"));
}

Test(audit_trail, paging_and_filters, .timeout = 60)
{
    /* Make sure there are events: three refused authentications. */
    for (int i = 0; i < 3; i++) {
        struct http_response *r = http_get("/v1/me", "trt_paging-test-nonsense");
        http_response_free(r);
    }
    usleep(300 * 1000);
    long st;
    const char *rap = tok("TOKEN_RAPPORTEUR");
    json_t *p1 = page("?limit=5", rap, &st);
    cr_assert_eq(st, 200);
    json_t *ev1 = json_object_get(p1, "auditEvents");
    cr_assert_eq(json_array_size(ev1), 5);
    long long top = id_of(json_array_get(ev1, 0));
    for (size_t i = 1; i < 5; i++)
        cr_assert(id_of(json_array_get(ev1, i)) < id_of(json_array_get(ev1, i - 1)),
                  "events are not newest first");
    const char *next = sval(p1, "nextBefore");
    cr_assert(next, "a full page without nextBefore");
    cr_assert_eq(atoll(next), id_of(json_array_get(ev1, 4)));

    /* Page 2 continues below page 1, and pages 1+2 equal one page of 10 from the same start (new
     * events arriving meanwhile do not shift `before`-pages). */
    char q[128];
    snprintf(q, sizeof q, "?limit=5&before=%s", next);
    json_t *p2 = page(q, rap, &st);
    cr_assert_eq(st, 200);
    json_t *ev2 = json_object_get(p2, "auditEvents");
    cr_assert(json_array_size(ev2) >= 1);
    cr_assert(id_of(json_array_get(ev2, 0)) < atoll(next));
    snprintf(q, sizeof q, "?limit=10&before=%lld", top + 1);
    json_t *p12 = page(q, rap, &st);
    json_t *ev12 = json_object_get(p12, "auditEvents");
    cr_assert_eq(json_array_size(ev12), 5 + json_array_size(ev2));
    for (size_t i = 0; i < json_array_size(ev12); i++) {
        json_t *want = i < 5 ? json_array_get(ev1, i) : json_array_get(ev2, i - 5);
        cr_assert(json_equal(json_array_get(ev12, i), want), "event %zu differs between pagings",
                  i);
    }
    /* The last page has no nextBefore. */
    json_t *last = page("?limit=5&before=3", rap, &st);
    cr_assert_eq(st, 200);
    cr_assert(json_array_size(json_object_get(last, "auditEvents")) == 2);
    cr_assert(sval(last, "nextBefore") == NULL, "a last page with nextBefore");

    /* Filters. */
    json_t *f = page("?status=401&limit=50", rap, &st);
    cr_assert_eq(st, 200);
    size_t i;
    json_t *e;
    cr_assert(json_array_size(json_object_get(f, "auditEvents")) >= 3);
    json_array_foreach(json_object_get(f, "auditEvents"), i, e)
        cr_assert_eq(json_integer_value(json_object_get(e, "status")), 401);
    json_decref(f);
    char *gm = principal_id(tok("TOKEN_GM0599"));
    snprintf(q, sizeof q, "?principal=%s&limit=50", gm);
    f = page(q, rap, &st);
    cr_assert_eq(st, 200);
    json_array_foreach(json_object_get(f, "auditEvents"), i, e)
        cr_assert_str_eq(sval(json_object_get(e, "principal"), "id"), gm);
    json_decref(f);
    f = page("?method=GET&status=401&limit=20", rap, &st);
    json_array_foreach(json_object_get(f, "auditEvents"), i, e)
        cr_assert_str_eq(sval(e, "method"), "GET");
    json_decref(f);

    /* from/to are dates (Europe/Amsterdam): today holds the events just made, tomorrow none. */
    time_t now = time(NULL);
    char today[16], tomorrow[16], yesterday[16];
    setenv("TZ", "Europe/Amsterdam", 1);
    tzset();
    struct tm tm;
    strftime(today, sizeof today, "%F", localtime_r(&now, &tm));
    time_t t2 = now + 86400, t0 = now - 86400;
    strftime(tomorrow, sizeof tomorrow, "%F", localtime_r(&t2, &tm));
    strftime(yesterday, sizeof yesterday, "%F", localtime_r(&t0, &tm));
    snprintf(q, sizeof q, "?from=%s&to=%s&status=401&limit=5", yesterday, tomorrow);
    f = page(q, rap, &st);
    cr_assert_eq(st, 200);
    cr_assert(json_array_size(json_object_get(f, "auditEvents")) >= 3, "from/to around today");
    json_decref(f);
    snprintf(q, sizeof q, "?from=%s&limit=5", tomorrow);
    f = page(q, rap, &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(json_array_size(json_object_get(f, "auditEvents")), 0, "events from tomorrow");
    json_decref(f);
    snprintf(q, sizeof q, "?to=%s&limit=5&status=401", yesterday);
    f = page(q, rap, &st);
    json_array_foreach(json_object_get(f, "auditEvents"), i, e)
    {
        const char *at = sval(e, "at");
        cr_assert(at && strncmp(at, today, 10) < 0, "to=%s returned an event at %s", yesterday, at);
    }
    json_decref(f);

    /* Bad filters: 400 problems naming the parameter. */
    static const char *const bad[] = {"?limit=0",         "?limit=1001",  "?limit=x",
                                      "?status=abc",      "?before=-1",   "?principal=me",
                                      "?from=2026-13-40", "?method=PATCH"};
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/audit-events%s", bad[b]);
        struct http_response *r = http_get(path, rap);
        cr_assert_eq(r->status, 400, "%s: %ld", path, r->status);
        cr_assert(http_is_problem(r));
        http_response_free(r);
    }
    json_decref(p1);
    json_decref(p2);
    json_decref(p12);
    json_decref(last);
    free(gm);
}

Test(audit_trail, only_the_rapporteur_reads_it, .timeout = 60)
{
    static const char *const keys[] = {"TOKEN_ANALYST", "TOKEN_GM0599", "TOKEN_GM0363",
                                       "TOKEN_MULTI"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        struct http_response *r = http_get("/v1/audit-events", tok(keys[i]));
        cr_assert_eq(r->status, 403, "%s: %ld", keys[i], r->status);
        cr_assert(http_is_problem(r));
        cr_assert(strstr(r->body, "auditEvents") == NULL && strstr(r->body, "127.0.0.1") == NULL,
                  "%s: the 403 carries events: %.*s", keys[i], BODY(r));
        http_response_free(r);
    }
    struct http_response *r = http_get("/v1/audit-events", NULL);
    cr_assert_eq(r->status, 401);
    http_response_free(r);
    r = http_get("/v1/audit-events", tok("TOKEN_EXPIRED"));
    cr_assert_eq(r->status, 401);
    http_response_free(r);
}

Test(audit_trail, cannot_be_edited, .timeout = 60)
{
    /* No route but GET: every other method is 405 with Allow, a per-event path is 404. */
    for (size_t i = 0; i < api_route_count; i++)
        if (strstr(api_routes[i].pattern, "audit"))
            cr_assert_eq(api_routes[i].method, METHOD_GET, "a %s route on %s",
                         method_name(api_routes[i].method), api_routes[i].pattern);
    static const char *const methods[] = {"PUT", "POST", "DELETE", "PATCH"};
    const char *rap = tok("TOKEN_RAPPORTEUR");
    for (size_t m = 0; m < 4; m++) {
        struct http_response *r =
            http_do(methods[m], "/v1/audit-events", rap, "application/json", "{}", 2, NULL);
        cr_assert_eq(r->status, 405, "%s /v1/audit-events: %ld", methods[m], r->status);
        const char *allow = http_header(r, "Allow");
        cr_assert(allow && strstr(allow, "GET") && !strstr(allow, "PUT") &&
                      !strstr(allow, "DELETE"),
                  "Allow: %s", allow ? allow : "none");
        http_response_free(r);
        r = http_do(methods[m], "/v1/audit-events/1", rap, "application/json", "{}", 2, NULL);
        cr_assert_eq(r->status, 404, "%s /v1/audit-events/1: %ld", methods[m], r->status);
        http_response_free(r);
    }

    /* The database owner cannot change or remove an event either. */
    PGconn *db = PQconnectdb(itest_env("TRECHTER_DB"));
    cr_assert_eq(PQstatus(db), CONNECTION_OK, "%s", PQerrorMessage(db));
    PGresult *res = PQexec(db, "SELECT max(id)::text, current_user, "
                               "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)::text "
                               "FROM audit_events");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK);
    char id[32];
    snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
    fprintf(stderr, "figures: audit: tampering tried as database user %s (superuser %s)\n",
            PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
    PQclear(res);
    const char *params[] = {id};
    res = PQexecParams(db, "SELECT to_jsonb(a)::text FROM audit_events a WHERE id = $1::bigint", 1,
                       NULL, params, NULL, NULL, 0);
    char *before = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    static const char *const tamper[] = {
        "UPDATE audit_events SET outcome = 'nothing happened' WHERE id = $1::bigint",
        "UPDATE audit_events SET client_address = NULL WHERE id = $1::bigint",
        "DELETE FROM audit_events WHERE id = $1::bigint",
    };
    for (size_t t = 0; t < 3; t++) {
        res = PQexecParams(db, tamper[t], 1, NULL, params, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "'%s' was not refused", tamper[t]);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        cr_assert_str_eq(state ? state : "", "42501", "'%s': %s", tamper[t],
                         PQresultErrorMessage(res));
        PQclear(res);
    }
    res = PQexec(db, "TRUNCATE audit_events");
    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR, "TRUNCATE audit_events was not refused");
    PQclear(res);
    res = PQexecParams(db, "SELECT to_jsonb(a)::text FROM audit_events a WHERE id = $1::bigint", 1,
                       NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQntuples(res), 1, "event %s is gone", id);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), before, "event %s changed", id);
    PQclear(res);
    free(before);
    PQfinish(db);
}
