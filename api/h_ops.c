/* Operational endpoints: /healthz (alive), /readyz (database reachable, schema compatible) and the
 * OpenAPI document; plus the small checks handlers share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/db_reply.h"

#include "core/municipality_code.h"
#include "api/handlers.h"
#include "api/request.h"
#include "core/access.h"
#include "daemon/embedded.h"
#include "daemon/migrate.h"
#include "daemon/server.h"

void reply_invalid_path(struct request *r, const char *name, const char *detail)
{
    struct violations v;
    violations_init(&v);
    violations_add(&v, IN_PATH, name, "invalid", "%s", detail);
    reply_problem(r, 400, "invalid-input", detail, &v);
    violations_clear(&v);
}

void handle_healthz(struct request *r)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    request_add_header(r, "Cache-Control", "no-store");
    reply_json_text(r, 200, ok, sizeof ok - 1);
}

static void readyz_done(void *arg, enum db_status status, const PGresult *res)
{
    struct request *r = arg;
    request_add_header(r, "Cache-Control", "no-store");
    if (status != DB_OK || PQntuples(res) != 1) {
        reply_unavailable(r, "Not ready: the database cannot be reached.");
        return;
    }
    int version = atoi(PQgetvalue(res, 0, 0));
    int compatible_from = atoi(PQgetvalue(res, 0, 1));
    if (!migrate_schema_compatible(version, compatible_from)) {
        char detail[200];
        snprintf(detail, sizeof detail,
                 "Not ready: the database schema is at version %d and this binary needs %d "
                 "(run trechterd migrate).",
                 version, migrate_binary_version());
        reply_unavailable(r, detail);
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:s, s:i, s:i}", "status", "ready", "database",
                             "reachable", "schema", "compatible", "schemaVersion", version,
                             "binarySchemaVersion", migrate_binary_version());
    reply_json(r, 200, body);
}

void handle_readyz(struct request *r)
{
    char version[16];
    snprintf(version, sizeof version, "%d", migrate_binary_version());
    const char *params[] = {version};
    if (db_pool_query(r->worker->db, migrate_compat_sql, 1, params, readyz_done, r) < 0)
        reply_unavailable(r, "Not ready: shutting down.");
}

void handle_openapi(struct request *r)
{
    const struct embedded_file *f = embedded_find("api/openapi.json");
    if (!f) {
        reply_problem(r, 500, "internal", "The OpenAPI document is missing from this build.", NULL);
        return;
    }
    reply_body(r, 200, "application/json", (const char *)f->data, f->len);
}

void handle_me(struct request *r)
{
    const struct principal *p = &r->principal;
    json_t *codes = json_array();
    const char *own = access_raw_codes(p);
    if (own && *own) {
        char *copy = strdup(own), *save = NULL;
        for (char *c = copy ? strtok_r(copy, ",", &save) : NULL; c; c = strtok_r(NULL, ",", &save))
            json_array_append_new(codes, json_string(c));
        free(copy);
    }
    char id[24];
    snprintf(id, sizeof id, "%lld", p->id);
    json_t *body = json_pack("{s:s, s:s, s:s, s:o, s:b, s:b}", "id", id, "label", p->label, "role",
                             role_name(p->role), "rawFor", codes, "rawForAll", access_sees_raw(p),
                             "protected", !access_sees_raw(p));
    reply_json(r, 200, body);
}
