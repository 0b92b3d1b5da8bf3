/* The route table: every path and method the daemon answers. Keep api/openapi.json in step
 * (tests/unit/test_openapi.c fails when they differ). */
#include "api/routes.h"

#include "api/handlers.h"

const struct route api_routes[] = {
    {METHOD_GET, "/healthz", handle_healthz, ROUTE_PUBLIC | ROUTE_UNVERSIONED, "healthz"},
    {METHOD_GET, "/readyz", handle_readyz, ROUTE_PUBLIC | ROUTE_UNVERSIONED, "readyz"},
    {METHOD_GET, "/v1/openapi.json", handle_openapi, ROUTE_PUBLIC | ROUTE_CORS, "openapi"},
    {METHOD_GET, "/v1/me", handle_me, 0, "me"},
    {METHOD_GET, "/v1/municipalities", handle_municipalities, ROUTE_PUBLIC, "municipalities.list"},
    {METHOD_GET, "/v1/municipalities/{code}", handle_municipality, ROUTE_PUBLIC,
     "municipalities.get"},
    {METHOD_GET, "/v1/region-sets", handle_region_sets, ROUTE_PUBLIC, "regionSets.list"},
    {METHOD_GET, "/v1/region-sets/{key}/regions", handle_regions, ROUTE_PUBLIC, "regions.list"},
    {METHOD_GET, "/v1/stages", handle_stages, ROUTE_PUBLIC, "stages.list"},
    {METHOD_GET, "/v1/partner-types", handle_partner_types, ROUTE_PUBLIC, "partnerTypes.list"},
    {METHOD_PUT, "/v1/municipalities/{code}/funnels/{period}", handle_funnel_put,
     ROUTE_WRITES_FUNNEL, "funnel.put"},
    {METHOD_GET, "/v1/municipalities/{code}/funnels/{period}", handle_funnel_get, 0, "funnel.get"},
    {METHOD_DELETE, "/v1/municipalities/{code}/funnels/{period}", handle_funnel_delete, 0,
     "funnel.delete"},
    {METHOD_GET, "/v1/municipalities/{code}/funnels/{period}/revisions", handle_funnel_revisions, 0,
     "funnel.revisions"},
    {METHOD_PUT, "/v1/municipalities/{code}/networks/{period}", handle_network_put,
     ROUTE_WRITES_NETWORK, "network.put"},
    {METHOD_GET, "/v1/municipalities/{code}/networks/{period}", handle_network_get, 0,
     "network.get"},
    {METHOD_DELETE, "/v1/municipalities/{code}/networks/{period}", handle_network_delete, 0,
     "network.delete"},
    {METHOD_GET, "/v1/municipalities/{code}/networks/{period}/revisions", handle_network_revisions,
     0, "network.revisions"},
    {METHOD_POST, "/v1/imports", handle_import, ROUTE_WRITES_IMPORT, "imports.post"},
    {METHOD_GET, "/v1/funnels", handle_funnels, ROUTE_AGGREGATE, "funnels.list"},
    {METHOD_GET, "/v1/comparisons", handle_comparisons, ROUTE_AGGREGATE, "comparisons.list"},
    {METHOD_GET, "/v1/completeness", handle_completeness, ROUTE_AGGREGATE, "completeness.list"},
    {METHOD_GET, "/v1/audit-events", handle_audit_events, 0, "auditEvents.list"},
    {METHOD_GET, "/v1/networks", handle_networks, ROUTE_AGGREGATE, "networks.list"},
    {METHOD_GET, "/", handle_dashboard_index, ROUTE_PUBLIC | ROUTE_UNVERSIONED, "dashboard.index"},
    {METHOD_GET, "/dashboard/{file}", handle_dashboard_file, ROUTE_PUBLIC | ROUTE_UNVERSIONED,
     "dashboard.file"},
};
const size_t api_route_count = sizeof api_routes / sizeof api_routes[0];
