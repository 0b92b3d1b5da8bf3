/* The reference data the validators need (design §1.1-1.5): stages, dimensions and their
 * categories, which dimensions each stage accepts, partner types and statuses, prevention points
 * and states. Loaded from one JSON document that the database produces, so adding a category is a
 * migration, never a change of C code. Immutable once built; safe to share between threads. */
#ifndef TRECHTER_CATALOG_H
#define TRECHTER_CATALOG_H
#include <stdbool.h>
#include <stddef.h>

/* Fixed maxima so that a decoded funnel is one flat struct (see core/funnel_doc.h). A catalog
 * exceeding them is refused by catalog_from_json(). */
#define CATALOG_MAX_STAGES 12
#define CATALOG_MAX_DIMENSIONS 8
#define CATALOG_MAX_CATEGORIES 8
#define CATALOG_MAX_LIST 64 /* partner types, statuses, prevention points and states, steps */
#define CATALOG_MAX_KEY 63  /* bytes in one key */

/* A list of keys in canonical order. */
struct catalog_list {
    size_t n;
    char *keys[CATALOG_MAX_LIST]; /* owned */
};

struct catalog {
    size_t nstages;
    char *stages[CATALOG_MAX_STAGES]; /* owned, funnel order */
    size_t ndimensions;
    char *dimensions[CATALOG_MAX_DIMENSIONS]; /* owned, canonical order */
    size_t ncategories[CATALOG_MAX_DIMENSIONS];
    char *categories[CATALOG_MAX_DIMENSIONS][CATALOG_MAX_CATEGORIES]; /* owned */
    bool stage_dimensions[CATALOG_MAX_STAGES][CATALOG_MAX_DIMENSIONS];
    struct catalog_list partner_types;
    struct catalog_list partner_statuses; /* ordered by rank: absent < mapped < ... */
    struct catalog_list prevention_points;
    struct catalog_list prevention_states; /* ordered by rank */
    struct catalog_list approach_steps;    /* optional member "approachSteps"; may be empty */
};

/* Builds a catalog from the JSON document
 *   {"stages": [...], "dimensions": {"gender": ["girl", ...], ...},
 *    "stageDimensions": {"helped": ["gender", ..., "care"], ...},
 *    "partnerTypes": [...], "partnerStatuses": [...], "preventionPoints": [...],
 *    "preventionStates": [...], "approachSteps": [...] (optional)}
 * with every array in canonical order (object members in document order). Keys must be non-empty,
 * unique within their list, at most CATALOG_MAX_KEY bytes of [A-Za-z0-9_-] (so they need no
 * escaping in JSON, CSV or a cell-key message). A stage missing from stageDimensions accepts no
 * breakdown. Unknown top-level members are ignored (newer reference data, older daemon). Duplicate
 * keys in the JSON are refused. Returns 0 and a new catalog in *out, or -1 with a message in err
 * (*out NULL). */
int catalog_from_json(const char *text, size_t len, struct catalog **out, char *err, size_t errlen);

void catalog_free(struct catalog *cat);

/* Index of a key in canonical order, or -1 when unknown (or key is NULL). */
int catalog_stage_index(const struct catalog *cat, const char *key);
int catalog_dimension_index(const struct catalog *cat, const char *key);
int catalog_category_index(const struct catalog *cat, int dimension, const char *key);
int catalog_list_index(const struct catalog_list *list, const char *key);

/* Whether stage index `stage` accepts a breakdown by dimension index `dimension` (false for
 * out-of-range indexes). */
bool catalog_stage_allows(const struct catalog *cat, int stage, int dimension);

#endif
