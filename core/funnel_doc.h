/* The funnel document of design §3.1: decoding and validating a PUT body against the catalog,
 * its canonical text (for storage and "unchanged" comparison), its cells (for cell keys) and its
 * stage-order warnings. Pure: no I/O, no globals. */
#ifndef TRECHTER_FUNNEL_DOC_H
#define TRECHTER_FUNNEL_DOC_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/catalog.h"
#include "core/document.h"
#include "core/problem.h"

#define FUNNEL_MAX_STAGES CATALOG_MAX_STAGES
#define FUNNEL_MAX_DIMENSIONS CATALOG_MAX_DIMENSIONS
#define FUNNEL_MAX_CATEGORIES CATALOG_MAX_CATEGORIES
#define FUNNEL_MAX_COUNT 1000000
/* Upper bound of funnel_cells() for any accepted catalog. */
#define FUNNEL_MAX_CELLS (FUNNEL_MAX_STAGES * (1 + FUNNEL_MAX_DIMENSIONS * FUNNEL_MAX_CATEGORIES))

/* A decoded funnel. Indexes follow the catalog it was decoded with. Everything not `known` or not
 * `given` is zero. */
struct funnel_breakdown {
    bool given;                        /* the dimension was broken down */
    int counts[FUNNEL_MAX_CATEGORIES]; /* per category, those left out being 0; sum == total */
};
struct funnel_stage {
    bool known; /* the stage was given; a stage left out is "not known", distinct from 0 */
    int total;  /* 0..FUNNEL_MAX_COUNT */
    struct funnel_breakdown breakdowns[FUNNEL_MAX_DIMENSIONS];
};
struct funnel {
    struct funnel_stage stages[FUNNEL_MAX_STAGES];
};

/* One stored inner cell (design §5.1). The strings are borrowed from the catalog (or are literals)
 * and live as long as it. */
struct funnel_cell {
    const char *stage;
    const char *dimension; /* "total" for a stage total */
    const char *category;  /* "" for a stage total */
    int count;
    uint32_t key; /* 0 until funnel_cells_fill_keys() (core/cell_key.h) */
};

/* Decodes and validates a PUT body. The body must be one JSON object whose only member is
 * "stages", an object of known stages, each {"total": n, "breakdowns": {dimension: {category: n}}}
 * with "breakdowns" optional. Counts are JSON integers 0..1000000; in a breakdown, categories left
 * out count 0 and the categories must sum to the total exactly. Duplicate keys and unknown members
 * at any level are violations. Every violation is added to v (IN_BODY, RFC 6901 pointer), up to
 * DOC_MAX_VIOLATIONS plus one "too-many-errors" (core/document.h). Codes: malformed-json,
 * duplicate-key, type, required, unknown-field, unknown-stage, unknown-dimension,
 * dimension-not-allowed, unknown-category, not-integer, negative, too-large, sum-mismatch.
 * Returns 0 when valid (out filled, nothing added to v) or -1 (out unspecified). */
int funnel_decode(const char *body, size_t len, const struct catalog *cat, struct funnel *out,
                  struct violations *v);

/* The funnel as {"stages": {...}}: known stages in catalog order, each {"total": n} plus
 * "breakdowns" holding every given dimension in catalog order with every category (zeros included)
 * in catalog order. A new reference (NULL only when out of memory). */
json_t *funnel_to_json(const struct funnel *f, const struct catalog *cat);

/* funnel_to_json() as compact text: two bodies with equal content (member order, whitespace,
 * omitted zero categories aside) give byte-identical text. malloc'd; NULL when out of memory. */
char *funnel_canonical_json(const struct funnel *f, const struct catalog *cat);

/* Writes the funnel's cells in canonical order into out[0..max): per known stage (catalog order)
 * its total, then for each given dimension every category (zeros included). Returns the number of
 * cells the funnel has, which may exceed max (only max are written then); never more than
 * FUNNEL_MAX_CELLS. */
size_t funnel_cells(const struct funnel *f, const struct catalog *cat, struct funnel_cell *out,
                    size_t max);

/* Adds a warning (code "stage-order", pointer "/stages/<stage>/total") for every known stage whose
 * total is larger than that of the nearest earlier known stage. Never blocks a write. */
void funnel_order_warnings(const struct funnel *f, const struct catalog *cat,
                           struct violations *warnings);

/* ---- shared with core/import_doc.c --------------------------------------------------------- */

/* Validates a "stages" object found at JSON pointer `pointer` (e.g. "/stages", "/3/stages") into
 * out (which the caller zeroed). Same rules and codes as funnel_decode(). Returns the number of
 * violations found (0 when valid), counting those dropped by the cap. */
size_t funnel_decode_stages(const json_t *stages, const struct catalog *cat, const char *pointer,
                            struct funnel *out, struct violations *v);

/* The violation code for a whole-number count outside 0..FUNNEL_MAX_COUNT ("negative",
 * "too-large"), or NULL when it is acceptable. */
const char *funnel_count_problem(long long n);

/* Sum of the categories of breakdown `dimension` of a stage. */
long long funnel_breakdown_sum(const struct funnel_stage *s, const struct catalog *cat,
                               int dimension);

#endif
