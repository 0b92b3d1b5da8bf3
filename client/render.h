/* Rendering server answers for people (pure, over jansson values): the row tables of the read
 * endpoints (funnels, comparisons, networks, completeness) with the protection flag visible, the
 * summaries of singular resources, and problem details as readable messages. */
#ifndef TRECHTER_CLIENT_RENDER_H
#define TRECHTER_CLIENT_RENDER_H

#include <jansson.h>
#include <stdio.h>

/* The banner printed above tables whose figures are protected. */
#define RENDER_PROTECTED_BANNER                                                                    \
    "figures are protected (cell-key perturbation): small counts are shown as 0 or a minimum, "    \
    "others may differ slightly from the truth"

enum render_kind {
    RENDER_FUNNELS,      /* GET /v1/funnels */
    RENDER_COMPARISONS,  /* GET /v1/comparisons */
    RENDER_NETWORKS,     /* GET /v1/networks */
    RENDER_COMPLETENESS, /* GET /v1/completeness */
};

/* Prints doc's `rows` as an aligned table (a banner line first when doc or any row is
 * protected; "no rows" when empty). Returns 0, or -1 when doc has no rows array (nothing
 * printed). */
int render_rows(FILE *out, enum render_kind kind, const json_t *doc);

/* Singular answers: a funnel or network (GET or PUT, with revision, submitter, warnings, steps),
 * a revision list, an import summary, the principal of /v1/me. Unknown shapes are printed as
 * indented JSON. */
void render_funnel(FILE *out, const json_t *doc);
void render_network(FILE *out, const json_t *doc);
void render_revisions(FILE *out, const json_t *doc);
void render_import(FILE *out, const json_t *doc);
void render_me(FILE *out, const json_t *doc);
void render_json(FILE *out, const json_t *doc);

/* Warnings of a write answer (`warnings` array), one line each: "warning <place>: detail
 * (code)". */
void render_warnings(FILE *out, const json_t *warnings);

/* A failed answer as a readable message:
 *   error 400 Bad Request: <detail>
 *     row 14, count: <detail> (code)
 *     /stages/reported/total: <detail> (code)
 *     path period: <detail> (code)
 *   request id: <id>
 * `status` is the HTTP status (trusted over the body's); problem may be NULL or not a problem
 * (then the start of the body is shown if it is text). */
void render_problem(FILE *out, long status, const json_t *problem, const char *body,
                    size_t body_len, const char *request_id);

/* The place of one errors[] item: "row 14, count" for a CSV pointer "row 14/count", the JSON
 * pointer as is, "path period" / "query regionSet" / "header If-Match" for a named item.
 * Writes into buf; returns buf. */
const char *render_error_place(const json_t *item, char *buf, size_t buflen);

/* The reason phrase of an HTTP status ("Bad Request"), "" when unknown. */
const char *render_reason(long status);

#endif
