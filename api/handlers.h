/* Every route handler, and the small checks they share. Handlers only sequence: parse, authorise,
 * validate, query, render; each ends in exactly one reply. */
#ifndef TRECHTER_HANDLERS_H
#define TRECHTER_HANDLERS_H
#include <stdbool.h>

struct request;

void handle_healthz(struct request *r);
void handle_readyz(struct request *r);
void handle_openapi(struct request *r);
void handle_me(struct request *r);
void handle_municipalities(struct request *r);
void handle_municipality(struct request *r);
void handle_region_sets(struct request *r);
void handle_regions(struct request *r);
void handle_stages(struct request *r);
void handle_partner_types(struct request *r);
void handle_funnel_put(struct request *r);
void handle_funnel_get(struct request *r);
void handle_funnel_revisions(struct request *r);
void handle_funnel_delete(struct request *r);
void handle_import(struct request *r);
void handle_funnels(struct request *r);
void handle_comparisons(struct request *r);
void handle_completeness(struct request *r);
void handle_audit_events(struct request *r);
void handle_network_put(struct request *r);
void handle_network_get(struct request *r);
void handle_network_revisions(struct request *r);
void handle_network_delete(struct request *r);
void handle_networks(struct request *r);
void handle_release_create(struct request *r);  /* POST /v1/releases */
void handle_releases(struct request *r);        /* GET /v1/releases */
void handle_release(struct request *r);         /* GET /v1/releases/{id} */
void handle_release_changes(struct request *r); /* GET /v1/releases/{id}/changes */
void handle_catalog(struct request *r);         /* GET /v1/catalog: DCAT-AP of open releases */
void handle_dashboard_index(struct request *r); /* GET /: dashboard/index.html */
void handle_dashboard_file(struct request *r);  /* GET /dashboard/{file} */
/* Content-Type of a dashboard file by its extension; NULL when it is not served. */
const char *dashboard_content_type(const char *name);

/* 400 with one violation in the path parameter `name`. */
void reply_invalid_path(struct request *r, const char *name, const char *detail);

#endif
