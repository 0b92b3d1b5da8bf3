/* The aggregate answers as CSV, for `Accept: text/csv` and the Excel profile. Pure. */
#ifndef TRECHTER_AGGREGATE_CSV_H
#define TRECHTER_AGGREGATE_CSV_H
#include <jansson.h>
#include <stdbool.h>

/* Writes funnel rows as the CSV long form of design §3.3 (one line per row, stage and category).
 * excel: `;` separated with a UTF-8 BOM and decimal commas (the Dutch Excel profile). Returns a
 * malloc'd NUL-terminated text. */
char *aggregate_funnels_csv(const json_t *rows, const char *dimension, bool excel);

/* Writes comparison rows as CSV: period,region_code,region_name,rank,value,ratio_to_national,
 * z_score,quartile,state. */
char *aggregate_compare_csv(const json_t *result, bool excel);

/* Writes /v1/completeness rows as CSV: region_code,region_name,expected,funnels,networks,
 * missing_funnels,missing_networks (missing codes separated by spaces). */
char *aggregate_completeness_csv(const json_t *body, bool excel);

/* Writes /v1/networks (design §3.3) as CSV in long form, one line per row, section, item and
 * category: period,region_code,region_name,reporting,expected,section,item,category,count with
 * section stepsMet (item empty, category the number of steps met 0..8), steps (item the step,
 * category met, notMet or notKnown), partners (item the partner type, category a status or
 * notKnown) and prevention (item the point, category a state or notKnown). excel: `;` separated
 * with a UTF-8 BOM. Returns a malloc'd NUL-terminated text, NULL when out of memory. */
char *aggregate_networks_csv(const json_t *body, bool excel);

#endif
