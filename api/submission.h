/* The resources municipalities write — /v1/municipalities/{code}/funnels/{period} and
 * /networks/{period} — share one implementation: path and access checks, snapshot writes with
 * revisions, ETag and If-Match, dry runs, reads of current and older revisions, revision lists and
 * tombstone deletes (design §3.1). A kind only supplies how its body is decoded. */
#ifndef TRECHTER_SUBMISSION_H
#define TRECHTER_SUBMISSION_H
#include <stddef.h>

#include "core/period.h"
#include "core/prepared.h"
#include "core/problem.h"

struct request;
struct catalog;
struct json_t;

struct submission_kind {
    const char *name; /* "funnel" or "network": the `kind` column and the path segment's stem */
    /* Decodes and validates a body. Returns 0 and fills out, or -1 with every violation in v. */
    int (*prepare)(struct request *r, const struct catalog *cat, const char *code,
                   struct period period, const char *body, size_t len,
                   struct prepared_submission *out, struct violations *v);
    /* Optional (NULL for none): adds what derives from a stored document and its period to the
     * answers of PUT and GET, e.g. a network's approach steps. Nothing it adds is stored.
     * Returns 0, or -1 when out of memory. */
    int (*decorate)(struct json_t *document, struct period period);
};

void submission_put(struct request *r, const struct submission_kind *kind);
void submission_get(struct request *r, const struct submission_kind *kind);
void submission_revisions(struct request *r, const struct submission_kind *kind);
void submission_delete(struct request *r, const struct submission_kind *kind);

#endif
