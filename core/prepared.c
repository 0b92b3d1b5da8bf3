/* What is stored for one valid submission: canonical document, keyed cells, warnings. */
#include "core/prepared.h"

#include <jansson.h>
#include <stdlib.h>

#include "core/cell_key.h"

void prepared_clear(struct prepared_submission *p)
{
    free(p->content);
    free(p->cells);
    free(p->warnings);
    p->content = p->cells = p->warnings = NULL;
}

char *warnings_json(struct violations *w)
{
    json_t *arr = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(w->items, i, item)
    {
        json_array_append_new(arr,
                              json_pack("{s:O, s:O, s:O}", "code", json_object_get(item, "code"),
                                        "pointer", json_object_get(item, "pointer"), "detail",
                                        json_object_get(item, "detail")));
    }
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return text;
}

static char *funnel_cells_json(const struct funnel_cell *cells, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:i, s:I}", "stage", cells[i].stage,
                                             "dimension", cells[i].dimension, "category",
                                             cells[i].category, "count", cells[i].count, "key",
                                             (json_int_t)cells[i].key));
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return text;
}

int funnel_prepare_stored(const struct funnel *f, const struct catalog *cat,
                          const unsigned char *secret, size_t secret_len, const char *code,
                          const char *period, struct prepared_submission *out)
{
    struct funnel_cell *cells = calloc(FUNNEL_MAX_CELLS, sizeof *cells);
    if (!cells)
        return -1;
    size_t n = funnel_cells(f, cat, cells, FUNNEL_MAX_CELLS);
    if (n > FUNNEL_MAX_CELLS ||
        funnel_cells_fill_keys(cells, n, secret, secret_len, code, period) < 0) {
        free(cells); /* never store a count without its key */
        return -1;
    }
    out->content = funnel_canonical_json(f, cat);
    out->cells = funnel_cells_json(cells, n);
    free(cells);
    struct violations w;
    violations_init(&w);
    funnel_order_warnings(f, cat, &w);
    out->warnings = warnings_json(&w);
    violations_clear(&w);
    return out->content && out->cells && out->warnings ? 0 : -1;
}
