/* Unit tests of api/router: parameters, 404 versus 405 with the Allow list the Design Rules ask
 * for, HEAD on GET routes, paths that must never reach a handler (trailing slash, escapes), and the
 * query check every route gets before its handler — with the route table's declared parameters
 * held against the OpenAPI document's. */
#include "api/router.h"
#include "api/routes.h"
#include "daemon/embedded.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void h(struct request *r)
{
    (void)r;
}

/* A table of our own, shaped like the real one (api/routes.c). */
static const struct route table[] = {
    {METHOD_GET, "/healthz", h, ROUTE_PUBLIC | ROUTE_UNVERSIONED, "healthz", NULL},
    {METHOD_GET, "/v1/municipalities", h, ROUTE_PUBLIC, "municipalities.list", NULL},
    {METHOD_GET, "/v1/municipalities/{code}", h, ROUTE_PUBLIC, "municipalities.get", NULL},
    {METHOD_DELETE, "/v1/municipalities/{code}/funnels/{period}", h, 0, "funnels.delete", NULL},
    {METHOD_PUT, "/v1/municipalities/{code}/funnels/{period}", h, 0, "funnels.put", NULL},
    {METHOD_GET, "/v1/municipalities/{code}/funnels/{period}", h, 0, "funnels.get", NULL},
    {METHOD_GET, "/v1/region-sets/{key}/regions", h, ROUTE_PUBLIC, "regions.list", NULL},
    {METHOD_POST, "/v1/imports", h, 0, "imports.post", NULL},
};
static const size_t ntable = sizeof table / sizeof table[0];

static struct route_match m;

static void match(enum http_method method, const char *path)
{
    router_match(table, ntable, method, path, &m);
}

TestSuite(router, .timeout = 60);

Test(router, exact_path_is_found)
{
    match(METHOD_GET, "/v1/municipalities");
    cr_assert_eq(m.outcome, ROUTE_FOUND);
    cr_assert_str_eq(m.route->name, "municipalities.list");
    cr_assert_eq(m.nparams, 0);
}

Test(router, parameters_are_extracted_by_name)
{
    match(METHOD_PUT, "/v1/municipalities/GM0599/funnels/2026-Q2");
    cr_assert_eq(m.outcome, ROUTE_FOUND);
    cr_assert_str_eq(m.route->name, "funnels.put");
    cr_assert_eq(m.nparams, 2);
    cr_assert_str_eq(route_param(&m, "code"), "GM0599");
    cr_assert_str_eq(route_param(&m, "period"), "2026-Q2");
    cr_assert_null(route_param(&m, "key"));

    match(METHOD_GET, "/v1/region-sets/safetyRegion/regions");
    cr_assert_eq(m.outcome, ROUTE_FOUND);
    cr_assert_str_eq(route_param(&m, "key"), "safetyRegion");
}

Test(router, the_method_picks_the_route_on_a_shared_path)
{
    match(METHOD_DELETE, "/v1/municipalities/GM0599/funnels/2026-Q2");
    cr_assert_eq(m.outcome, ROUTE_FOUND);
    cr_assert_str_eq(m.route->name, "funnels.delete");
    match(METHOD_GET, "/v1/municipalities/GM0599/funnels/2026-Q2");
    cr_assert_eq(m.outcome, ROUTE_FOUND);
    cr_assert_str_eq(m.route->name, "funnels.get");
}

Test(router, trailing_slash_is_not_found_not_redirected)
{
    match(METHOD_GET, "/v1/municipalities/");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);
    match(METHOD_GET, "/v1/municipalities/GM0599/");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);
    match(METHOD_GET, "/healthz/");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);
}

Test(router, unknown_paths_are_not_found)
{
    match(METHOD_GET, "/v1/nothing");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);
    cr_assert_null(m.route);
    match(METHOD_GET, "/v1");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);
    match(METHOD_GET, "/");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);
    match(METHOD_GET, "");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);
    match(METHOD_GET, "v1/municipalities");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND, "a path must start with /");
    match(METHOD_GET, "/v1//municipalities");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);
    match(METHOD_GET, "/v1/municipalities//funnels/2026-Q2");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND, "an empty parameter matches nothing");
}

Test(router, paths_are_case_sensitive)
{
    match(METHOD_GET, "/V1/Municipalities");
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);
}

Test(router, unknown_method_on_a_get_path_is_405_with_get_and_head)
{
    match(METHOD_POST, "/v1/municipalities");
    cr_assert_eq(m.outcome, ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(m.allow, "GET, HEAD");
    cr_assert_null(m.route);

    match(METHOD_OTHER, "/healthz");
    cr_assert_eq(m.outcome, ROUTE_METHOD_NOT_ALLOWED, "TRACE and friends get 405 too");
    cr_assert_str_eq(m.allow, "GET, HEAD");
}

Test(router, allow_lists_every_method_of_a_multi_method_path_in_a_fixed_order)
{
    match(METHOD_PATCH, "/v1/municipalities/GM0599/funnels/2026-Q2");
    cr_assert_eq(m.outcome, ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(m.allow, "GET, HEAD, PUT, DELETE");
    match(METHOD_POST, "/v1/municipalities/GM0599/funnels/2026-Q2");
    cr_assert_str_eq(m.allow, "GET, HEAD, PUT, DELETE");
}

Test(router, post_only_path_allows_only_post)
{
    match(METHOD_GET, "/v1/imports");
    cr_assert_eq(m.outcome, ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(m.allow, "POST");
}

Test(router, head_matches_get_routes)
{
    match(METHOD_HEAD, "/v1/municipalities/GM0599");
    cr_assert_eq(m.outcome, ROUTE_FOUND);
    cr_assert_str_eq(m.route->name, "municipalities.get");
    cr_assert_str_eq(route_param(&m, "code"), "GM0599");

    match(METHOD_HEAD, "/v1/imports");
    cr_assert_eq(m.outcome, ROUTE_METHOD_NOT_ALLOWED, "HEAD only rides on GET");
}

Test(router, a_parameter_longer_than_the_limit_is_not_found)
{
    char path[256];
    char longseg[ROUTER_MAX_PARAM_LEN + 2];
    memset(longseg, 'A', sizeof longseg - 1);
    longseg[sizeof longseg - 1] = '\0'; /* ROUTER_MAX_PARAM_LEN + 1 characters */
    snprintf(path, sizeof path, "/v1/municipalities/%s", longseg);
    match(METHOD_GET, path);
    cr_assert_eq(m.outcome, ROUTE_NOT_FOUND);

    longseg[ROUTER_MAX_PARAM_LEN] = '\0'; /* exactly the limit is fine */
    snprintf(path, sizeof path, "/v1/municipalities/%s", longseg);
    match(METHOD_GET, path);
    cr_assert_eq(m.outcome, ROUTE_FOUND);
    cr_assert_eq(strlen(route_param(&m, "code")), ROUTER_MAX_PARAM_LEN);
}

Test(router, escaped_or_odd_bytes_in_a_parameter_are_not_found)
{
    static const char *paths[] = {
        "/v1/municipalities/GM%30599",       "/v1/municipalities/%2e%2e",
        "/v1/municipalities/GM 0599",        "/v1/municipalities/GM0599;x",
        "/v1/municipalities/GM0599\xc3\xa9", "/v1/municipalities/a+b",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        match(METHOD_GET, paths[i]);
        cr_assert_eq(m.outcome, ROUTE_NOT_FOUND, "%s", paths[i]);
        cr_assert_null(m.route);
    }
}

Test(router, unreserved_characters_in_a_parameter_are_kept)
{
    match(METHOD_GET, "/v1/region-sets/veilig_thuis.v2~x-1/regions");
    cr_assert_eq(m.outcome, ROUTE_FOUND);
    cr_assert_str_eq(route_param(&m, "key"), "veilig_thuis.v2~x-1");
}

Test(router, method_names)
{
    cr_assert_str_eq(method_name(METHOD_GET), "GET");
    cr_assert_str_eq(method_name(METHOD_HEAD), "HEAD");
    cr_assert_str_eq(method_name(METHOD_DELETE), "DELETE");
    cr_assert_str_eq(method_name(METHOD_OTHER), "OTHER");
}

/* ---- the query check ------------------------------------------------------------------------ */

static const struct query_param read_params[] = {
    {"period", false}, {"region", true}, {"format", false}, {NULL, false}};
static const struct route read_route = {METHOD_GET, "/v1/funnels",  h,
                                        0,          "funnels.list", read_params};
static const struct query_param write_params[] = {{"dryRun", false}, {NULL, false}};
static const struct route write_route = {METHOD_PUT, "/v1/x/{code}", h, 0, "x.put", write_params};
static const struct route bare_route = {METHOD_DELETE, "/v1/x/{code}", h, 0, "x.delete", NULL};

/* The faults route_check_query finds in `query`, as "code:name code:name". */
static char faults[512];
static const char *check(const struct route *route, const char *query)
{
    struct violations v;
    violations_init(&v);
    route_check_query(route, query, &v);
    faults[0] = '\0';
    size_t i;
    json_t *item;
    json_array_foreach(v.items, i, item)
    {
        cr_assert_str_eq(json_string_value(json_object_get(item, "in")), "query");
        const char *detail = json_string_value(json_object_get(item, "detail"));
        cr_assert(detail && *detail, "a violation without detail");
        size_t used = strlen(faults);
        snprintf(faults + used, sizeof faults - used, "%s%s:%s", used ? " " : "",
                 json_string_value(json_object_get(item, "code")),
                 json_string_value(json_object_get(item, "name")));
    }
    violations_clear(&v);
    return faults;
}

TestSuite(query, .timeout = 60);

Test(query, declared_parameters_pass)
{
    cr_assert_str_eq(check(&read_route, NULL), "");
    cr_assert_str_eq(check(&read_route, ""), "");
    cr_assert_str_eq(check(&read_route, "period=2026-Q1&format=csv"), "");
    cr_assert_str_eq(check(&write_route, "dryRun=true"), "");
    cr_assert_str_eq(check(&bare_route, NULL), "");
}

Test(query, a_list_parameter_may_repeat_but_no_other)
{
    cr_assert_str_eq(check(&read_route, "region=VR01&region=VR17&period=2026-Q1"), "");
    cr_assert_str_eq(check(&write_route, "dryRun=false&dryRun=true"), "duplicate-parameter:dryRun");
    cr_assert_str_eq(check(&read_route, "period=2026-Q1&format=csv&period=2026-Q2"),
                     "duplicate-parameter:period");
}

Test(query, unknown_parameters_on_every_kind_of_route)
{
    cr_assert_str_eq(check(&read_route, "period=2026-Q1&colour=red"), "unknown-parameter:colour");
    cr_assert_str_eq(check(&write_route, "dryRun=true&force=1"), "unknown-parameter:force");
    cr_assert_str_eq(check(&bare_route, "dryRun=true"), "unknown-parameter:dryRun");
    /* Names are compared as written: neither case-folded nor decoded (evhttp does neither). */
    cr_assert_str_eq(check(&write_route, "DRYRUN=true"), "unknown-parameter:DRYRUN");
    cr_assert_str_eq(check(&write_route, "dry%52un=true"), "unknown-parameter:dry%52un");
}

Test(query, empty_values_and_encoded_controls_are_refused)
{
    cr_assert_str_eq(check(&read_route, "period=2026-Q1&region="), "empty:region");
    cr_assert_str_eq(check(&write_route, "dryRun="), "empty:dryRun");
    cr_assert_str_eq(check(&write_route, "dryRun=true%00junk"), "invalid:dryRun");
    cr_assert_str_eq(check(&read_route, "period=2026%0A-Q1"), "invalid:period");
    cr_assert_str_eq(check(&read_route, "period=2026%7f"), "invalid:period");
    cr_assert_str_eq(check(&read_route, "period=2026-Q1%20"), "", "a space is not a control");
}

Test(query, every_fault_is_listed_up_to_a_cap)
{
    cr_assert_str_eq(check(&write_route, "a=1&dryRun=&b=2"),
                     "unknown-parameter:a empty:dryRun unknown-parameter:b");
    char q[2048] = "";
    for (int i = 0; i < 50; i++)
        snprintf(q + strlen(q), sizeof q - strlen(q), "%sx%d=1", i ? "&" : "", i);
    struct violations v;
    violations_init(&v);
    route_check_query(&write_route, q, &v);
    cr_assert_eq(violations_count(&v), ROUTER_MAX_QUERY_FAULTS);
    violations_clear(&v);
}

/* ---- the route table against the OpenAPI document ------------------------------------------- */

static json_t *openapi_doc(void)
{
    const struct embedded_file *f = embedded_find("api/openapi.json");
    cr_assert_not_null(f, "api/openapi.json is not embedded");
    json_error_t e;
    json_t *doc = json_loadb((const char *)f->data, f->len, JSON_REJECT_DUPLICATES, &e);
    cr_assert_not_null(doc, "api/openapi.json:%d:%d: %s", e.line, e.column, e.text);
    return doc;
}

/* The path item whose full path (its server's URL joined to its key) is `pattern`. */
static json_t *path_item(json_t *doc, const char *pattern)
{
    const char *key;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), key, item)
    {
        json_t *servers = json_object_get(item, "servers");
        if (!servers)
            servers = json_object_get(doc, "servers");
        const char *base = json_string_value(json_object_get(json_array_get(servers, 0), "url"));
        size_t n = base ? strlen(base) : 0;
        if (n > 0 && base[n - 1] == '/')
            n--;
        char full[512];
        snprintf(full, sizeof full, "%.*s%s", (int)n, base ? base : "", key);
        if (strcmp(full, pattern) == 0 || (strcmp(pattern, "/") == 0 && strcmp(full, "") == 0))
            return item;
    }
    return NULL;
}

static json_t *resolve(json_t *doc, json_t *param)
{
    const char *ref = json_string_value(json_object_get(param, "$ref"));
    static const char prefix[] = "#/components/parameters/";
    if (!ref || strncmp(ref, prefix, sizeof prefix - 1) != 0)
        return param;
    return json_object_get(json_object_get(json_object_get(doc, "components"), "parameters"),
                           ref + sizeof prefix - 1);
}

Test(query, the_route_table_declares_what_openapi_documents)
{
    json_t *doc = openapi_doc();
    for (size_t i = 0; i < api_route_count; i++) {
        const struct route *r = &api_routes[i];
        json_t *item = path_item(doc, r->pattern);
        cr_assert_not_null(item, "%s is not in the OpenAPI paths", r->pattern);
        char lower[16];
        size_t k = 0;
        for (const char *c = method_name(r->method); *c && k + 1 < sizeof lower; c++)
            lower[k++] = (char)tolower((unsigned char)*c);
        lower[k] = '\0';
        json_t *op = json_object_get(item, lower);
        cr_assert_not_null(op, "%s %s has no operation", lower, r->pattern);
        /* Documented query parameters (the path item's and the operation's). */
        json_t *documented = json_object();
        json_t *lists[] = {json_object_get(item, "parameters"), json_object_get(op, "parameters")};
        for (size_t l = 0; l < 2; l++) {
            size_t j;
            json_t *param;
            json_array_foreach(lists[l], j, param)
            {
                param = resolve(doc, param);
                const char *in = json_string_value(json_object_get(param, "in"));
                if (!in || strcmp(in, "query") != 0)
                    continue;
                json_object_set(documented, json_string_value(json_object_get(param, "name")),
                                param);
            }
        }
        size_t declared = 0;
        for (const struct query_param *q = r->params; q && q->name; q++, declared++) {
            json_t *param = json_object_get(documented, q->name);
            cr_assert_not_null(param, "%s declares the query parameter %s; OpenAPI does not",
                               r->name, q->name);
            const char *desc = json_string_value(json_object_get(param, "description"));
            bool says_repeat = desc && strstr(desc, "repeat");
            cr_assert_eq(q->repeatable, says_repeat,
                         "%s: %s is %srepeatable, OpenAPI's description says '%s'", r->name,
                         q->name, q->repeatable ? "" : "not ", desc ? desc : "");
        }
        cr_assert_eq(declared, json_object_size(documented),
                     "%s declares %zu query parameters, OpenAPI documents %zu", r->name, declared,
                     json_object_size(documented));
        json_decref(documented);
    }
    json_decref(doc);
}
