/* The one place where the host meets the HTTP surface. daemon/ never includes api/: it calls the
 * API through this table, which daemon/main.c fills in and hands to server_main(). Every hook runs
 * on the loop of the worker it is given (the route questions are pure and may run anywhere). */
#ifndef TRECHTER_API_HOOKS_H
#define TRECHTER_API_HOOKS_H
#include <stdbool.h>
#include <stddef.h>

struct evhttp_request;
struct worker;
struct worker_metrics;

/* What a change notification says changed. */
enum api_change {
    API_CHANGE_FIGURES, /* a write: cached answers are stale */
    API_CHANGE_TOKENS,  /* a token was created, revoked or changed: cached principals too */
    API_CHANGE_UNKNOWN, /* the LISTEN connection came back: anything may have changed */
};

struct api_hooks {
    /* The API's state for one worker (its caches, its catalogue), made as the worker starts and
     * freed with api_worker_free as it stops. Returns NULL when out of memory. */
    void *(*worker_new)(struct worker *w);
    void (*worker_free)(void *api);
    /* evhttp's callback for every request; `worker` is the struct worker of the loop. */
    void (*dispatch)(struct evhttp_request *ev, void *worker);
    /* Something changed in the database: drop what the worker's API state caches. */
    void (*on_change)(void *api, enum api_change what);
    /* Heartbeat: copy the API state's loop-local figures into the worker's metrics. */
    void (*publish_metrics)(void *api, struct worker_metrics *m);
    /* The route table as metrics label it: the number of routes, each one's stable name, and
     * whether its answers are aggregates (protected for every caller but the rapporteur). */
    size_t (*route_count)(void);
    const char *(*route_name)(size_t slot);
    bool (*route_is_aggregate)(size_t slot);
};

#endif
