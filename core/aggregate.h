/* Regional figures from raw sums (design §3.3, §5): published counts (raw or perturbed with the
 * summed cell keys), rates per 10,000 children, conversions between stages, states that keep zero,
 * not known, not submitted and withheld apart; comparisons with ranks, national ratio, z-scores and
 * quartiles; the CSV long form. Pure: the database only sums, this decides what a caller sees. */
#ifndef TRECHTER_AGGREGATE_H
#define TRECHTER_AGGREGATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/catalog.h"

/* One summed cell of a region and period: a stage total (category "") or one category. */
struct agg_cell {
    char stage[CATALOG_MAX_KEY + 1];
    char category[CATALOG_MAX_KEY + 1];
    int reporting;        /* municipalities that gave it */
    long long n;          /* raw sum */
    uint32_t k;           /* summed cell key mod 2^32 */
    long long population; /* children 0-17 of the reporting municipalities (0 when unknown) */
    int population_year;
    int population_missing; /* reporting municipalities without a population that year */
    /* The conversion from the stage before, over the municipalities that gave both stages. */
    bool has_pair;    /* at least one municipality gave both */
    long long pair_n; /* this stage, summed over them */
    uint32_t pair_k;
    long long prev_n; /* the stage before, summed over them */
    uint32_t prev_k;
};

struct agg_region {
    char period[8];
    char code[33];
    char name[129];
    int expected;         /* municipalities in the region */
    int submitted;        /* of which submitted the period */
    bool raw;             /* the caller may see every contributing figure raw */
    long long population; /* of the submitting municipalities */
    int population_year;
    int population_missing;
    struct agg_cell *cells; /* owned */
    size_t ncells;
};

/* Published value of a sum: raw, or cell-key perturbed (design §5.3). */
struct sdc_params;
long long agg_publish(long long n, uint32_t k, bool raw, const struct sdc_params *sdc);

struct sdc_params {
    int js, d, rate_min;
};

/* Builds the rows of /v1/funnels (design §3.3) for regions[0..n). `dimension` is the breakdown
 * asked for (a catalogue dimension) or NULL for totals only: cells with a category then belong to
 * that dimension. Returns a new JSON array. */
json_t *aggregate_funnel_rows(const struct agg_region *regions, size_t n, const struct catalog *cat,
                              const char *dimension, const struct sdc_params *sdc);

enum compare_metric { METRIC_COUNT, METRIC_PER10K, METRIC_FROM_PREVIOUS };

/* Parses "count", "per10k", "fromPrevious". Returns 0 or -1. */
int compare_metric_parse(const char *text, enum compare_metric *out);

/* Builds /v1/comparisons from funnel rows (as aggregate_funnel_rows made them) and the national
 * row: {"national": {...}, "rows": [...]} with rank (1 = highest, ties share), value,
 * ratioToNational, zScore (population standard deviation over regions with a value) and quartile
 * (4 = top); rows without a value follow the ranked ones with their state. */
json_t *aggregate_compare(const json_t *rows, const json_t *national_row, const char *stage,
                          enum compare_metric metric);

void agg_regions_free(struct agg_region *regions, size_t n);

#endif
