/* Unit tests of the OpenAPI document built into the daemon (served at /v1/openapi.json): it must
 * describe exactly the routes the daemon answers (api/routes.c), both ways, so that clients
 * generated from it neither miss an endpoint nor call one that gives 404/405. */
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
    json_t *paths = json_object_get(doc, "paths");
    for (size_t i = 0; i < api_route_count; i++) {
        const struct route *r = &api_routes[i];
        char m[16];
        lower(method_name(r->method), m, sizeof m);
        json_t *item = json_object_get(paths, r->pattern);
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
        json_object_foreach(item, key, op)
        {
            if (!is_operation_key(key))
                continue; /* parameters, summary, description, servers */
            ops++;
            bool found = false;
            for (size_t i = 0; i < api_route_count && !found; i++) {
                char m[16];
                lower(method_name(api_routes[i].method), m, sizeof m);
                found = strcmp(api_routes[i].pattern, path) == 0 && strcmp(m, key) == 0;
            }
            cr_assert(found, "the document has %s %s but the daemon has no such route", key, path);
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
