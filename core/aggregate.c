/* Published regional figures from raw sums: protection, rates, conversions and ranks. */
#include "core/aggregate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cell_key.h"

void agg_regions_free(struct agg_region *regions, size_t n)
{
    for (size_t i = 0; regions && i < n; i++)
        free(regions[i].cells);
    free(regions);
}

static const struct agg_cell *find_cell(const struct agg_region *r, const char *stage,
                                        const char *category)
{
    for (size_t i = 0; i < r->ncells; i++)
        if (strcmp(r->cells[i].stage, stage) == 0 && strcmp(r->cells[i].category, category) == 0)
            return &r->cells[i];
    return NULL;
}

static double round_to(double x, int decimals)
{
    double f = decimals == 1 ? 10.0 : 100.0;
    return round(x * f) / f;
}

long long agg_publish(long long n, uint32_t k, bool raw, const struct sdc_params *sdc)
{
    return raw ? n : sdc_publish(n, k, sdc->js, sdc->d);
}

/* Adds state, count, reporting, per10k and (when `prev` is given) fromPrevious to obj for one
 * cell. Rates are shown to protected callers only when numerator and denominator are at least
 * rateMin (design §5.4); otherwise null with "withheld": "rateMin". */
static void put_figure(json_t *obj, const struct agg_region *r, const struct agg_cell *c,
                       bool has_prev, const struct sdc_params *sdc)
{
    if (r->submitted == 0 || !c) {
        json_object_set_new(obj, "state", json_string(r->submitted ? "notKnown" : "notSubmitted"));
        json_object_set_new(obj, "count", json_null());
        return;
    }
    long long count = agg_publish(c->n, c->k, r->raw, sdc);
    bool withheld = false;
    json_object_set_new(obj, "state", json_string("published"));
    json_object_set_new(obj, "count", json_integer(count));
    json_object_set_new(obj, "reporting", json_integer(c->reporting));
    if (c->population > 0 && c->population_missing == 0) {
        if (!r->raw && (count < sdc->rate_min || c->population < sdc->rate_min)) {
            json_object_set_new(obj, "per10k", json_null());
            withheld = true;
        } else {
            json_object_set_new(
                obj, "per10k",
                json_real(round_to((double)count * 10000.0 / (double)c->population, 1)));
        }
    } else {
        json_object_set_new(obj, "per10k", json_null());
    }
    if (has_prev) {
        /* Over the municipalities that gave both stages, both published (so a conversion is
         * as protected as the counts it comes from). */
        long long num = c->has_pair ? agg_publish(c->pair_n, c->pair_k, r->raw, sdc) : 0;
        long long den = c->has_pair ? agg_publish(c->prev_n, c->prev_k, r->raw, sdc) : 0;
        if (!c->has_pair || den == 0) {
            json_object_set_new(obj, "fromPrevious", json_null());
        } else if (!r->raw && (num < sdc->rate_min || den < sdc->rate_min)) {
            json_object_set_new(obj, "fromPrevious", json_null());
            withheld = true;
        } else {
            json_object_set_new(obj, "fromPrevious",
                                json_real(round_to((double)num / (double)den, 2)));
        }
    }
    if (withheld)
        json_object_set_new(obj, "withheld", json_string("rateMin"));
}

json_t *aggregate_funnel_rows(const struct agg_region *regions, size_t n, const struct catalog *cat,
                              const char *dimension, const struct sdc_params *sdc)
{
    int dim = dimension ? catalog_dimension_index(cat, dimension) : -1;
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct agg_region *r = &regions[i];
        json_t *row = json_pack("{s:s, s:{s:s, s:s}, s:b, s:{s:i, s:i}}", "period", r->period,
                                "region", "code", r->code, "name", r->name, "protected", !r->raw,
                                "coverage", "reporting", r->submitted, "expected", r->expected);
        bool population = r->population > 0 && r->population_missing == 0;
        json_object_set_new(row, "childPopulation",
                            population ? json_integer(r->population) : json_null());
        json_object_set_new(row, "populationYear",
                            r->population_year ? json_integer(r->population_year) : json_null());
        json_t *stages = json_object();
        for (size_t s = 0; s < cat->nstages; s++) {
            const char *stage = cat->stages[s];
            const char *prev_stage = s ? cat->stages[s - 1] : NULL;
            json_t *fig = json_object();
            const struct agg_cell *total = find_cell(r, stage, "");
            put_figure(fig, r, total, s > 0, sdc);
            if (dim >= 0 && catalog_stage_allows(cat, (int)s, dim)) {
                json_t *bd = json_object();
                for (size_t k = 0; k < cat->ncategories[dim]; k++) {
                    const char *category = cat->categories[dim][k];
                    json_t *cf = json_object();
                    const struct agg_cell *cell = total ? find_cell(r, stage, category) : NULL;
                    bool prev_allows = prev_stage && catalog_stage_allows(cat, (int)s - 1, dim);
                    put_figure(cf, r, cell, prev_allows, sdc);
                    json_object_set_new(bd, category, cf);
                }
                json_object_set_new(fig, "breakdown", bd);
            }
            json_object_set_new(stages, stage, fig);
        }
        json_object_set_new(row, "stages", stages);
        json_array_append_new(rows, row);
    }
    return rows;
}

int compare_metric_parse(const char *text, enum compare_metric *out)
{
    if (!text)
        return -1;
    if (strcmp(text, "count") == 0)
        *out = METRIC_COUNT;
    else if (strcmp(text, "per10k") == 0)
        *out = METRIC_PER10K;
    else if (strcmp(text, "fromPrevious") == 0)
        *out = METRIC_FROM_PREVIOUS;
    else
        return -1;
    return 0;
}

static const char *metric_key(enum compare_metric m)
{
    return m == METRIC_COUNT ? "count" : m == METRIC_PER10K ? "per10k" : "fromPrevious";
}

/* The metric of one row's stage: true with *value when there is one, else false with the state
 * that explains why not (notSubmitted, notKnown, withheld). */
static bool metric_of(const json_t *row, const char *stage, enum compare_metric m, double *value,
                      const char **state)
{
    const json_t *fig = json_object_get(json_object_get(row, "stages"), stage);
    const char *st = json_string_value(json_object_get(fig, "state"));
    *state = st ? st : "notKnown";
    if (!st || strcmp(st, "published") != 0)
        return false;
    const json_t *v = json_object_get(fig, metric_key(m));
    if (json_is_number(v)) {
        *value = json_number_value(v);
        return true;
    }
    *state = json_object_get(fig, "withheld") ? "withheld" : "notKnown";
    return false;
}

struct ranked {
    const json_t *row;
    double value;
};

static int by_value_desc(const void *a, const void *b)
{
    double x = ((const struct ranked *)a)->value, y = ((const struct ranked *)b)->value;
    return x < y ? 1 : x > y ? -1 : 0;
}

json_t *aggregate_compare(const json_t *rows, const json_t *national_row, const char *stage,
                          enum compare_metric metric)
{
    size_t n = json_array_size(rows), nv = 0;
    struct ranked *valued = calloc(n ? n : 1, sizeof *valued);
    json_t *out_rows = json_array();
    double national = 0;
    const char *national_state = "notKnown";
    bool has_national =
        national_row && metric_of(national_row, stage, metric, &national, &national_state);
    json_t *nat =
        json_pack("{s:o, s:s, s:b}", "value", has_national ? json_real(national) : json_null(),
                  "state", has_national ? "published" : national_state, "protected",
                  national_row ? json_is_true(json_object_get(national_row, "protected")) : true);
    if (metric == METRIC_COUNT && has_national)
        json_object_set_new(nat, "value", json_integer((json_int_t)national));
    double sum = 0, sumsq = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(rows, i);
        double v;
        const char *state;
        if (valued && metric_of(row, stage, metric, &v, &state)) {
            valued[nv].row = row;
            valued[nv].value = v;
            sum += v;
            sumsq += v * v;
            nv++;
        }
    }
    if (valued)
        qsort(valued, nv, sizeof *valued, by_value_desc);
    double mean = nv ? sum / (double)nv : 0;
    double var = nv ? sumsq / (double)nv - mean * mean : 0;
    double sd = var > 0 ? sqrt(var) : 0;
    for (size_t i = 0, rank = 1; i < nv; i++) {
        if (i > 0 && valued[i].value != valued[i - 1].value)
            rank = i + 1;
        const json_t *row = valued[i].row;
        /* Quartile 4 holds the top quarter of the ranked regions; tied regions share one. */
        int quartile = (int)ceil(4.0 * (double)(nv - rank + 1) / (double)nv);
        json_t *o =
            json_pack("{s:I, s:O, s:O, s:O, s:s}", "rank", (json_int_t)rank, "period",
                      json_object_get(row, "period"), "region", json_object_get(row, "region"),
                      "protected", json_object_get(row, "protected"), "state", "published");
        json_object_set_new(o, "value",
                            metric == METRIC_COUNT ? json_integer((json_int_t)valued[i].value)
                                                   : json_real(valued[i].value));
        json_object_set_new(o, "ratioToNational",
                            has_national && national != 0
                                ? json_real(round(valued[i].value / national * 100.0) / 100.0)
                                : json_null());
        json_object_set_new(o, "zScore",
                            sd > 0 ? json_real(round((valued[i].value - mean) / sd * 100.0) / 100.0)
                                   : json_real(0));
        json_object_set_new(o, "quartile", json_integer(quartile));
        json_array_append_new(out_rows, o);
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(rows, i);
        double v;
        const char *state;
        if (metric_of(row, stage, metric, &v, &state))
            continue;
        json_array_append_new(out_rows,
                              json_pack("{s:n, s:O, s:O, s:O, s:n, s:n, s:n, s:n, s:s}", "rank",
                                        "period", json_object_get(row, "period"), "region",
                                        json_object_get(row, "region"), "protected",
                                        json_object_get(row, "protected"), "value",
                                        "ratioToNational", "zScore", "quartile", "state", state));
    }
    free(valued);
    return json_pack("{s:s, s:s, s:o, s:o}", "stage", stage, "metric", metric_key(metric),
                     "national", nat, "rows", out_rows);
}
