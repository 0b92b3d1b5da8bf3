/* Unit tests of the OpenAPI document built into the daemon (served at /v1/openapi.json): it must
 * describe exactly the routes the daemon answers (api/routes.c), both ways, so that clients
 * generated from it neither miss an endpoint nor call one that gives 404/405. A path key is
 * relative to its server: the document's server is "/v1" (Dutch API Design Rules,
 * /core/uri-version), and the unversioned paths (probes, dashboard) carry a server "/" of their
 * own. The Design Rules themselves are checked by Logius' linter (tests/adr/run). */
#include "api/routes.h"
#include "daemon/embedded.h"

#include <ctype.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

static json_t *doc;

static void load(void)
{
    const struct embedded_file *f = embedded_find("api/openapi.json");
    cr_assert_not_null(f, "api/openapi.json is not embedded");
    json_error_t e;
    doc = json_loadb((const char *)f->data, f->len, JSON_REJECT_DUPLICATES, &e);
    cr_assert_not_null(doc, "api/openapi.json:%d:%d: %s", e.line, e.column, e.text);
}

static void unload(void)
{
    json_decref(doc);
    doc = NULL;
}

TestSuite(openapi, .init = load, .fini = unload, .timeout = 60);

static const char *const operation_keys[] = {"get",  "put",     "post",  "delete",
                                             "head", "options", "patch", "trace"};

static bool is_operation_key(const char *k)
{
    for (size_t i = 0; i < sizeof operation_keys / sizeof operation_keys[0]; i++)
        if (strcmp(k, operation_keys[i]) == 0)
            return true;
    return false;
}

/* The full path the daemon routes for a path item: its server's URL (the path item's own, else the
 * document's) joined to the key, into out. */
static void full_path(const char *key, const json_t *item, char *out, size_t outlen)
{
    const json_t *servers = json_object_get(item, "servers");
    if (!servers)
        servers = json_object_get(doc, "servers");
    const char *base = json_string_value(json_object_get(json_array_get(servers, 0), "url"));
    cr_assert_not_null(base, "path %s has no server URL", key);
    size_t n = strlen(base);
    if (n > 0 && base[n - 1] == '/')
        n--; /* "/" + "/healthz" is "/healthz" */
    int w = snprintf(out, outlen, "%.*s%s", (int)n, base, key);
    cr_assert(w > 0 && (size_t)w < outlen, "path %s too long", key);
    if (strcmp(out, "") == 0)
        snprintf(out, outlen, "/");
}

/* The path item whose full path is `pattern`, or NULL. */
static json_t *item_for(const char *pattern)
{
    const char *key;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), key, item)
    {
        char full[512];
        full_path(key, item, full, sizeof full);
        if (strcmp(full, pattern) == 0)
            return item;
    }
    return NULL;
}

static void lower(const char *in, char *out, size_t outlen)
{
    size_t i = 0;
    for (; in[i] && i + 1 < outlen; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

Test(openapi, is_openapi_3_0)
{
    const char *v = json_string_value(json_object_get(doc, "openapi"));
    cr_assert_not_null(v, "no openapi member");
    cr_assert_eq(strncmp(v, "3.0", 3), 0, "openapi is '%s', the Design Rules ask for 3.0", v);
    cr_assert(json_is_object(json_object_get(doc, "info")));
    cr_assert_not_null(json_string_value(json_object_get(json_object_get(doc, "info"), "version")));
    cr_assert(json_is_object(json_object_get(doc, "paths")));
}

Test(openapi, every_route_is_documented)
{
    for (size_t i = 0; i < api_route_count; i++) {
        const struct route *r = &api_routes[i];
        char m[16];
        lower(method_name(r->method), m, sizeof m);
        json_t *item = item_for(r->pattern);
        cr_assert_not_null(item, "route %s %s (%s) is not in the OpenAPI paths",
                           method_name(r->method), r->pattern, r->name);
        cr_assert_not_null(json_object_get(item, m), "route %s %s (%s) has no '%s' operation",
                           method_name(r->method), r->pattern, r->name, m);
    }
}

Test(openapi, every_documented_operation_is_a_route)
{
    json_t *paths = json_object_get(doc, "paths");
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item)
    {
        const char *key;
        json_t *op;
        size_t ops = 0;
        char full[512];
        full_path(path, item, full, sizeof full);
        json_object_foreach(item, key, op)
        {
            if (!is_operation_key(key))
                continue; /* parameters, summary, description, servers */
            ops++;
            bool found = false;
            for (size_t i = 0; i < api_route_count && !found; i++) {
                char m[16];
                lower(method_name(api_routes[i].method), m, sizeof m);
                found = strcmp(api_routes[i].pattern, full) == 0 && strcmp(m, key) == 0;
            }
            cr_assert(found, "the document has %s %s but the daemon has no such route", key, full);
        }
        cr_assert_gt(ops, 0, "path %s has no operation", path);
    }
}

Test(openapi, every_operation_has_responses)
{
    json_t *paths = json_object_get(doc, "paths");
    const char *path, *key;
    json_t *item, *op;
    json_object_foreach(paths, path, item)
    {
        json_object_foreach(item, key, op)
        {
            if (!is_operation_key(key))
                continue;
            json_t *responses = json_object_get(op, "responses");
            cr_assert(json_is_object(responses) && json_object_size(responses) > 0,
                      "%s %s has no responses", key, path);
        }
    }
}

Test(openapi, operation_ids_are_unique)
{
    json_t *seen = json_object();
    json_t *paths = json_object_get(doc, "paths");
    const char *path, *key;
    json_t *item, *op;
    json_object_foreach(paths, path, item)
    {
        json_object_foreach(item, key, op)
        {
            const char *id;
            if (!is_operation_key(key) ||
                !(id = json_string_value(json_object_get(op, "operationId"))))
                continue;
            cr_assert_null(json_object_get(seen, id), "operationId %s used twice", id);
            json_object_set_new(seen, id, json_true());
        }
    }
    json_decref(seen);
}

Test(openapi, paths_have_no_trailing_slash_and_are_kebab_case)
{
    json_t *paths = json_object_get(doc, "paths");
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item)
    {
        size_t n = strlen(path);
        /* "/" itself is the dashboard (GET /), not a trailing slash. */
        cr_assert(n >= 1 && (n == 1 || path[n - 1] != '/'), "%s ends in a slash", path);
        bool in_param = false;
        for (size_t i = 0; i < n; i++) {
            char c = path[i];
            if (c == '{')
                in_param = true;
            else if (c == '}')
                in_param = false;
            else if (!in_param)
                cr_assert(!isupper((unsigned char)c) && c != '_', "%s is not kebab-case", path);
        }
    }
}

Test(openapi, the_version_is_in_the_server_url)
{
    const char *url = json_string_value(
        json_object_get(json_array_get(json_object_get(doc, "servers"), 0), "url"));
    cr_assert_str_eq(url ? url : "(none)", "/v1");
}

/* Every operation has an operationId and a description, every operation but the probes can answer
 * 400 (unknown or repeated query parameters are refused everywhere), and every success declares
 * the API-Version header the daemon sends. */
Test(openapi, every_operation_is_described_and_declares_400_and_api_version)
{
    const char *path, *key, *code;
    json_t *item, *op, *resp;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        json_object_foreach(item, key, op)
        {
            if (!is_operation_key(key))
                continue;
            cr_assert_not_null(json_string_value(json_object_get(op, "operationId")),
                               "%s %s has no operationId", key, path);
            const char *d = json_string_value(json_object_get(op, "description"));
            cr_assert(d && strlen(d) > 20, "%s %s has no description", key, path);
            json_t *responses = json_object_get(op, "responses");
            cr_assert_not_null(json_object_get(responses, "400"), "%s %s declares no 400", key,
                               path);
            json_object_foreach(responses, code, resp)
            {
                if (code[0] != '2' && code[0] != '3')
                    continue;
                cr_assert_not_null(json_object_get(json_object_get(resp, "headers"), "API-Version"),
                                   "%s %s %s does not declare API-Version", key, path, code);
            }
        }
    }
}
