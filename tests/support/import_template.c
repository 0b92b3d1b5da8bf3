/* The CSV import template, for tests (tests/support/import_template.h). */
#include "tests/support/import_template.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/funnel_doc.h"
#include "core/import_doc.h"
#include "core/municipality_code.h"
#include "core/period.h"

char *import_template_csv(const struct catalog *cat, const char *code, const char *period)
{
    struct period p;
    if (!municipality_code_valid(code) || period_parse(period, &p) != 0)
        return NULL;
    char canon[8];
    period_format(p, canon);
    /* Every row: code, period, three keys of at most CATALOG_MAX_KEY bytes, 5 commas, LF. */
    size_t row_max = 6 + 7 + 3 * CATALOG_MAX_KEY + 6 + 1;
    size_t cap = 64 + row_max * FUNNEL_MAX_CELLS + 1;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    size_t o = (size_t)snprintf(text, cap, "municipality,period,stage,dimension,category,count\n");
    for (size_t s = 0; s < cat->nstages; s++) {
        o += (size_t)snprintf(text + o, cap - o, "%s,%s,%s,total,,\n", code, canon, cat->stages[s]);
        for (size_t d = 0; d < cat->ndimensions; d++) {
            if (!cat->stage_dimensions[s][d])
                continue;
            for (size_t c = 0; c < cat->ncategories[d]; c++)
                o += (size_t)snprintf(text + o, cap - o, "%s,%s,%s,%s,%s,\n", code, canon,
                                      cat->stages[s], cat->dimensions[d], cat->categories[d][c]);
        }
    }
    return text;
}
