/* Bearer-token authentication against the tokens table (SHA-256 of the token, one indexed lookup).
 */
#include "api/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api_worker.h"
#include "api/request.h"
#include "api/principal_cache.h"
#include "daemon/conn_guard.h"
#include "daemon/db_listen.h"
#include "daemon/db_pool.h"
#include "daemon/log.h"
#include "daemon/server.h"
#include "core/token_hash.h"

bool auth_parse_bearer(const char *header, char *token, size_t tokenlen)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return false;
    const char *t = header + 7;
    while (*t == ' ')
        t++;
    size_t n = strlen(t);
    while (n && t[n - 1] == ' ')
        n--;
    if (n == 0 || n >= tokenlen)
        return false;
    for (size_t i = 0; i < n; i++) /* token68 characters only */
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
              (t[i] >= '0' && t[i] <= '9') || strchr("-._~+/=", t[i])))
            return false;
    memcpy(token, t, n);
    token[n] = '\0';
    return true;
}

static const char lookup_sql[] =
    "SELECT t.id, t.role, t.label,"
    "       coalesce(string_agg(tm.municipality_code, ',' ORDER BY tm.municipality_code), ''),"
    "       extract(epoch FROM t.expires_at)::bigint"
    "  FROM tokens t LEFT JOIN token_municipalities tm ON tm.token_id = t.id"
    " WHERE t.hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())"
    " GROUP BY t.id";

static const char cert_lookup_sql[] =
    "SELECT t.id, t.role, t.label,"
    "       coalesce(string_agg(tm.municipality_code, ',' ORDER BY tm.municipality_code), ''),"
    "       extract(epoch FROM t.expires_at)::bigint"
    "  FROM tokens t LEFT JOIN token_municipalities tm ON tm.token_id = t.id"
    " WHERE t.cert_serial = $1 AND t.revoked_at IS NULL"
    "   AND (t.expires_at IS NULL OR t.expires_at > now())"
    " GROUP BY t.id";

static const char audit_sql[] =
    "INSERT INTO audit_events (client_address, request_id, method, path, status, outcome)"
    " VALUES (nullif($1, '')::inet, $2, $3, $4, 401, $5)";

static void audit_done(void *arg, enum db_status status, const PGresult *res)
{
    if (status != DB_OK)
        log_warning("audit event for a refused authentication not stored (%s)",
                    res ? PQresultErrorMessage(res) : "database unavailable");
}

/* Answers 401 and records the refusal; the audit insert runs on after the reply. */
static void refuse(struct request *r, const char *outcome, const char *detail)
{
    const char *params[] = {r->client_address, r->request_id, r->method_text, r->path, outcome};
    db_pool_query(r->worker->db, audit_sql, 5, params, audit_done, NULL);
    request_add_header(r, "WWW-Authenticate", "Bearer realm=\"trechter\"");
    reply_problem(r, 401, "unauthenticated", detail, NULL);
}

static enum role role_from(const char *s)
{
    if (strcmp(s, "municipality") == 0)
        return ROLE_MUNICIPALITY;
    if (strcmp(s, "rapporteur") == 0)
        return ROLE_RAPPORTEUR;
    if (strcmp(s, "analyst") == 0)
        return ROLE_ANALYST;
    return ROLE_NONE;
}

static void admit(struct request *r, void (*next)(struct request *r));

static void lookup_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    void (*next)(struct request *) = r->resume;
    r->resume = NULL;
    if (status != DB_OK) {
        reply_unavailable(r, "The database cannot be reached to check the token.");
        return;
    }
    if (PQntuples(res) != 1) {
        refuse(r, "bad credentials",
               "The token (or client certificate) is unknown, expired or revoked.");
        return;
    }
    struct principal *p = &r->principal;
    p->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    p->role = role_from(PQgetvalue(res, 0, 1));
    snprintf(p->label, sizeof p->label, "%s", PQgetvalue(res, 0, 2));
    p->codes = strdup(PQgetvalue(res, 0, 3));
    p->authenticated = p->role != ROLE_NONE && p->codes;
    if (!p->authenticated) {
        refuse(r, "bad role", "The token is not usable.");
        return;
    }
    if (db_listen_ok(r->worker->listen) && r->changes_at_start == r->worker->changes)
        principal_cache_put(request_api(r)->principals, r->credential_key, p,
                            PQgetisnull(res, 0, 4) ? 0 : (time_t)atoll(PQgetvalue(res, 0, 4)));
    admit(r, next);
}

/* The principal is known: its own rate limit, then on. */
static void admit(struct request *r, void (*next)(struct request *r))
{
    const struct app_settings *s = &r->worker->settings;
    char key[32];
    snprintf(key, sizeof key, "p:%lld", r->principal.id);
    if (request_rate_ok(r, key, s->rate_limit, s->rate_burst))
        next(r);
}

/* Answers from the worker's principal cache when it can be trusted; true when it did. */
static bool from_cache(struct request *r, void (*next)(struct request *r))
{
    if (!db_listen_ok(r->worker->listen) ||
        !principal_cache_get(request_api(r)->principals, r->credential_key, time(NULL),
                             &r->principal))
        return false;
    admit(r, next);
    return true;
}

void auth_then(struct request *r, void (*next)(struct request *r))
{
    char token[256];
    const char *header = request_header(r, "Authorization");
    char serial[64];
    if (!header && conn_guard_client_serial(r->ev, serial, sizeof serial)) {
        /* Mutual TLS: a verified certificate maps to a principal by its OIN. A token, when sent
         * as well, takes precedence. */
        snprintf(r->credential_key, sizeof r->credential_key, "c:%s", serial);
        if (from_cache(r, next))
            return;
        r->resume = next;
        const char *params[] = {serial};
        if (db_pool_query(r->worker->db, cert_lookup_sql, 1, params, lookup_done, r) < 0)
            reply_unavailable(r, "The server is shutting down.");
        return;
    }
    if (!header) {
        refuse(r, "no credentials",
               "This resource needs a token: send 'Authorization: Bearer <token>', or a client "
               "certificate registered for this service.");
        return;
    }
    if (!auth_parse_bearer(header, token, sizeof token)) {
        refuse(r, "malformed authorization", "The Authorization header is not 'Bearer <token>'.");
        return;
    }
    char hash[65];
    token_hash_hex(token, hash);
    explicit_bzero(token, sizeof token);
    snprintf(r->credential_key, sizeof r->credential_key, "t:%s", hash);
    if (from_cache(r, next))
        return;
    r->resume = next;
    const char *params[] = {hash};
    if (db_pool_query(r->worker->db, lookup_sql, 1, params, lookup_done, r) < 0)
        reply_unavailable(r, "The server is shutting down.");
}
