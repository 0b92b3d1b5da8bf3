/* Aggregate statement rows into struct agg_region (core/aggregate). */
#include "api/aggregate_result.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/access.h"

enum {
    C_PERIOD,
    C_CODE,
    C_NAME,
    C_EXPECTED,
    C_SUBMITTED,
    C_CONTRIBUTORS,
    C_STAGE,
    C_CATEGORY,
    C_REPORTING,
    C_N,
    C_K,
    C_POPULATION,
    C_POPULATION_YEAR,
    C_POPULATION_MISSING,
    C_PAIR_N,
    C_PAIR_K,
    C_PREV_N,
    C_PREV_K,
};

static void read_cell(const PGresult *res, int row, int col, struct agg_cell *cell)
{
#define V(c) PQgetvalue(res, row, col + (c))
    snprintf(cell->stage, sizeof cell->stage, "%s", V(C_STAGE));
    snprintf(cell->category, sizeof cell->category, "%s", V(C_CATEGORY));
    cell->reporting = atoi(V(C_REPORTING));
    cell->n = atoll(V(C_N));
    cell->k = (uint32_t)strtoull(V(C_K), NULL, 10);
    cell->population = atoll(V(C_POPULATION));
    cell->population_year = atoi(V(C_POPULATION_YEAR));
    cell->population_missing = atoi(V(C_POPULATION_MISSING));
    cell->has_pair = !PQgetisnull(res, row, col + C_PAIR_N);
    cell->pair_n = atoll(V(C_PAIR_N));
    cell->pair_k = (uint32_t)strtoull(V(C_PAIR_K), NULL, 10);
    cell->prev_n = atoll(V(C_PREV_N));
    cell->prev_k = (uint32_t)strtoull(V(C_PREV_K), NULL, 10);
#undef V
}

struct agg_region *agg_regions_read(const PGresult *res, int begin, int end, int col,
                                    const struct principal *p, size_t *count)
{
    size_t nregions = 0;
    for (int i = begin; i < end; i++)
        nregions += PQgetisnull(res, i, col + C_STAGE);
    struct agg_region *regions = calloc(nregions ? nregions : 1, sizeof *regions);
    if (!regions)
        return NULL;
    size_t ri = 0;
    for (int i = begin; i < end;) {
        struct agg_region *g = &regions[ri++];
        const char *contributors = PQgetisnull(res, i, col + C_CONTRIBUTORS)
                                       ? NULL
                                       : PQgetvalue(res, i, col + C_CONTRIBUTORS);
        snprintf(g->period, sizeof g->period, "%s", PQgetvalue(res, i, col + C_PERIOD));
        snprintf(g->code, sizeof g->code, "%s", PQgetvalue(res, i, col + C_CODE));
        snprintf(g->name, sizeof g->name, "%s", PQgetvalue(res, i, col + C_NAME));
        g->expected = atoi(PQgetvalue(res, i, col + C_EXPECTED));
        g->submitted = atoi(PQgetvalue(res, i, col + C_SUBMITTED));
        g->raw = p && access_sees_row_raw(p, contributors);
        g->population = atoll(PQgetvalue(res, i, col + C_POPULATION));
        g->population_year = atoi(PQgetvalue(res, i, col + C_POPULATION_YEAR));
        g->population_missing = atoi(PQgetvalue(res, i, col + C_POPULATION_MISSING));
        int first = ++i;
        while (i < end && !PQgetisnull(res, i, col + C_STAGE))
            i++;
        g->ncells = (size_t)(i - first);
        g->cells = calloc(g->ncells ? g->ncells : 1, sizeof *g->cells);
        if (!g->cells) {
            agg_regions_free(regions, ri);
            return NULL;
        }
        for (int j = first; j < i; j++)
            read_cell(res, j, col, &g->cells[j - first]);
    }
    *count = ri;
    return regions;
}
