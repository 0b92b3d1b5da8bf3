/* The rows of an aggregate statement — sql/009 aggregate_funnels, and each group of sql/010
 * release_snapshot — read into core/aggregate's regions. */
#ifndef TRECHTER_AGGREGATE_RESULT_H
#define TRECHTER_AGGREGATE_RESULT_H
#include <libpq-fe.h>
#include <stddef.h>

#include "core/aggregate.h"

struct principal;

/* The columns of aggregate_funnels, from `period` on, start at column `col` of res: period,
 * region_code, region_name, expected, submitted, contributors, stage, category, reporting, n, k,
 * population, population_year, population_missing, pair_n, pair_k, prev_n, prev_k. Reads rows
 * [begin, end): each region row (stage NULL) followed by its cells. A region is raw when `p` may
 * see every contributing municipality raw (core/access); with p NULL no region is raw. Returns
 * the regions (agg_regions_free) with their number in *count, or NULL when out of memory. */
struct agg_region *agg_regions_read(const PGresult *res, int begin, int end, int col,
                                    const struct principal *p, size_t *count);

#endif
