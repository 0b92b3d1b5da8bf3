/* Unit tests of api/router: parameters, 404 versus 405 with the Allow list the Design Rules ask
 * for, HEAD on GET routes, and paths that must never reach a handler (trailing slash, escapes). */
#include "api/router.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static void h(struct request *r)
{
    (void)r;
}

/* A table of our own, shaped like the real one (api/routes.c). */
static const struct route table[] = {
    {METHOD_GET, "/healthz", h, ROUTE_PUBLIC | ROUTE_UNVERSIONED, "healthz"},
    {METHOD_GET, "/v1/municipalities", h, ROUTE_PUBLIC, "municipalities.list"},
    {METHOD_GET, "/v1/municipalities/{code}", h, ROUTE_PUBLIC, "municipalities.get"},
    {METHOD_DELETE, "/v1/municipalities/{code}/funnels/{period}", h, 0, "funnels.delete"},
    {METHOD_PUT, "/v1/municipalities/{code}/funnels/{period}", h, 0, "funnels.put"},
    {METHOD_GET, "/v1/municipalities/{code}/funnels/{period}", h, 0, "funnels.get"},
    {METHOD_GET, "/v1/region-sets/{key}/regions", h, ROUTE_PUBLIC, "regions.list"},
    {METHOD_POST, "/v1/imports", h, 0, "imports.post"},
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
