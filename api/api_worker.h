/* The API's state of one worker, and the functions daemon/main.c puts in the host's hook table
 * (daemon/api_hooks.h). Loop-local: only the worker's own loop touches it. */
#ifndef TRECHTER_API_WORKER_H
#define TRECHTER_API_WORKER_H
#include <stdbool.h>
#include <stddef.h>

#include "daemon/api_hooks.h"
#include "daemon/server.h"

struct catalog;
struct response_cache;
struct principal_cache;
struct request;
struct worker_metrics;

struct api_worker {
    struct catalog *catalog;            /* owned: reference data, loaded on first use */
    struct response_cache *cache;       /* owned: rendered read answers, dropped on changes */
    struct principal_cache *principals; /* owned: who credentials stand for, dropped on token
                                           changes */
};

/* The API state of the worker a request arrived on. */
static inline struct api_worker *request_api(const struct request *r);

void *api_worker_new(struct worker *w);
void api_worker_free(void *api);
void api_on_change(void *api, enum api_change what);
void api_publish_metrics(void *api, struct worker_metrics *m);
size_t api_route_total(void);
const char *api_route_name(size_t slot);
bool api_route_is_aggregate(size_t slot);

#include "api/request.h"
static inline struct api_worker *request_api(const struct request *r)
{
    return r->worker->api;
}

#endif
