/* The route table: every path and method the daemon answers, with the query parameters each
 * accepts — declared here once, checked before every handler (request.c, route_check_query). Keep
 * api/openapi.json in step (tests/unit/test_openapi.c and test_router.c fail when they differ). */
#include "api/routes.h"

#include "api/handlers.h"

/* The aggregate reads' parameters are parsed by api/read_query.c; region is a list. */
static const struct query_param dry_run[] = {{"dryRun", false}, {NULL, false}};
static const struct query_param revision[] = {{"revision", false}, {NULL, false}};
static const struct query_param funnels[] = {
    {"period", false},    {"from", false},      {"to", false},         {"regionSet", false},
    {"region", true},     {"breakdown", false}, {"boundaries", false}, {"format", false},
    {"delimiter", false}, {"release", false},   {NULL, false}};
static const struct query_param comparisons[] = {
    {"period", false},  {"regionSet", false},  {"region", true},  {"stage", false},
    {"metric", false},  {"boundaries", false}, {"format", false}, {"delimiter", false},
    {"release", false}, {NULL, false}};
static const struct query_param releases[] = {{"period", false}, {NULL, false}};
static const struct query_param per_period[] = {{"period", false},    {"regionSet", false},
                                                {"region", true},     {"format", false},
                                                {"delimiter", false}, {NULL, false}};
static const struct query_param audit_events[] = {
    {"before", false}, {"principal", false}, {"from", false},  {"to", false},
    {"method", false}, {"status", false},    {"limit", false}, {NULL, false}};

const struct route api_routes[] = {
    {METHOD_GET, "/healthz", handle_healthz, ROUTE_PUBLIC | ROUTE_UNVERSIONED, "healthz", NULL},
    {METHOD_GET, "/readyz", handle_readyz, ROUTE_PUBLIC | ROUTE_UNVERSIONED, "readyz", NULL},
    {METHOD_GET, "/v1/openapi.json", handle_openapi, ROUTE_PUBLIC | ROUTE_CORS, "openapi", NULL},
    {METHOD_GET, "/v1/me", handle_me, 0, "me", NULL},
    {METHOD_GET, "/v1/municipalities", handle_municipalities, ROUTE_PUBLIC, "municipalities.list",
     NULL},
    {METHOD_GET, "/v1/municipalities/{code}", handle_municipality, ROUTE_PUBLIC,
     "municipalities.get", NULL},
    {METHOD_GET, "/v1/region-sets", handle_region_sets, ROUTE_PUBLIC, "regionSets.list", NULL},
    {METHOD_GET, "/v1/region-sets/{key}/regions", handle_regions, ROUTE_PUBLIC, "regions.list",
     NULL},
    {METHOD_GET, "/v1/stages", handle_stages, ROUTE_PUBLIC, "stages.list", NULL},
    {METHOD_GET, "/v1/partner-types", handle_partner_types, ROUTE_PUBLIC, "partnerTypes.list",
     NULL},
    {METHOD_PUT, "/v1/municipalities/{code}/funnels/{period}", handle_funnel_put,
     ROUTE_WRITES_FUNNEL, "funnel.put", dry_run},
    {METHOD_GET, "/v1/municipalities/{code}/funnels/{period}", handle_funnel_get, 0, "funnel.get",
     revision},
    {METHOD_DELETE, "/v1/municipalities/{code}/funnels/{period}", handle_funnel_delete, 0,
     "funnel.delete", NULL},
    {METHOD_GET, "/v1/municipalities/{code}/funnels/{period}/revisions", handle_funnel_revisions, 0,
     "funnel.revisions", NULL},
    {METHOD_PUT, "/v1/municipalities/{code}/networks/{period}", handle_network_put,
     ROUTE_WRITES_NETWORK, "network.put", dry_run},
    {METHOD_GET, "/v1/municipalities/{code}/networks/{period}", handle_network_get, 0,
     "network.get", revision},
    {METHOD_DELETE, "/v1/municipalities/{code}/networks/{period}", handle_network_delete, 0,
     "network.delete", NULL},
    {METHOD_GET, "/v1/municipalities/{code}/networks/{period}/revisions", handle_network_revisions,
     0, "network.revisions", NULL},
    {METHOD_POST, "/v1/imports", handle_import, ROUTE_WRITES_IMPORT, "imports.post", dry_run},
    {METHOD_GET, "/v1/funnels", handle_funnels, ROUTE_AGGREGATE | ROUTE_TOKEN_OPTIONAL,
     "funnels.list", funnels},
    {METHOD_GET, "/v1/comparisons", handle_comparisons, ROUTE_AGGREGATE | ROUTE_TOKEN_OPTIONAL,
     "comparisons.list", comparisons},
    {METHOD_GET, "/v1/completeness", handle_completeness, ROUTE_AGGREGATE, "completeness.list",
     per_period},
    {METHOD_POST, "/v1/releases", handle_release_create, 0, "releases.post", NULL},
    {METHOD_GET, "/v1/releases", handle_releases, 0, "releases.list", releases},
    {METHOD_GET, "/v1/releases/{id}", handle_release, 0, "releases.get", NULL},
    {METHOD_GET, "/v1/catalog", handle_catalog, ROUTE_PUBLIC | ROUTE_CORS, "catalog", NULL},
    {METHOD_GET, "/v1/releases/{id}/changes", handle_release_changes, 0, "releases.changes", NULL},
    {METHOD_GET, "/v1/audit-events", handle_audit_events, 0, "auditEvents.list", audit_events},
    {METHOD_GET, "/v1/networks", handle_networks, ROUTE_AGGREGATE, "networks.list", per_period},
    {METHOD_GET, "/", handle_dashboard_index, ROUTE_PUBLIC | ROUTE_UNVERSIONED, "dashboard.index",
     NULL},
    {METHOD_GET, "/dashboard/{file}", handle_dashboard_file, ROUTE_PUBLIC | ROUTE_UNVERSIONED,
     "dashboard.file", NULL},
};
const size_t api_route_count = sizeof api_routes / sizeof api_routes[0];
