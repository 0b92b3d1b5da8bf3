/* The API's per-worker state and the hooks the host calls (daemon/api_hooks.h). */
#include "api/api_worker.h"

#include <stdlib.h>

#include "api/principal_cache.h"
#include "api/response_cache.h"
#include "api/routes.h"
#include "core/catalog.h"
#include "daemon/metrics.h"

void *api_worker_new(struct worker *w)
{
    struct api_worker *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cache = response_cache_new(1024, 16u << 20);
    a->principals = principal_cache_new(1024);
    if (!a->cache || !a->principals) {
        api_worker_free(a);
        return NULL;
    }
    return a;
}

void api_worker_free(void *api)
{
    struct api_worker *a = api;
    if (!a)
        return;
    catalog_free(a->catalog);
    response_cache_free(a->cache);
    principal_cache_free(a->principals);
    free(a);
}

void api_on_change(void *api, enum api_change what)
{
    struct api_worker *a = api;
    response_cache_clear(a->cache);
    if (what != API_CHANGE_FIGURES)
        principal_cache_clear(a->principals);
}

void api_publish_metrics(void *api, struct worker_metrics *m)
{
    struct api_worker *a = api;
    struct metrics_cache_stats st;
    response_cache_get_stats(a->cache, &st);
    metrics_publish_cache(m, &st);
}

size_t api_route_total(void)
{
    return api_route_count;
}

const char *api_route_name(size_t slot)
{
    return slot < api_route_count ? api_routes[slot].name : "none";
}

bool api_route_is_aggregate(size_t slot)
{
    return slot < api_route_count && (api_routes[slot].flags & ROUTE_AGGREGATE);
}
