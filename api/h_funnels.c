/* The funnel resource (design §3.1): how a funnel body becomes a canonical document, cells with
 * their keys, and order warnings; everything else is the shared submission code. */
#include <jansson.h>
#include <stdlib.h>

#include "api/cell_key.h"
#include "api/funnel_prepare.h"
#include "api/handlers.h"
#include "api/request.h"
#include "api/submission.h"
#include "daemon/server.h"

enum { MAX_CELLS = FUNNEL_MAX_STAGES * (1 + FUNNEL_MAX_DIMENSIONS * FUNNEL_MAX_CATEGORIES) };

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

int funnel_prepare_stored(const struct funnel *f, const struct catalog *cat, const struct server *s,
                          const char *code, const char *period, struct prepared_submission *out)
{
    struct funnel_cell *cells = calloc(MAX_CELLS, sizeof *cells);
    if (!cells)
        return -1;
    size_t n = funnel_cells(f, cat, cells, MAX_CELLS);
    if (n > MAX_CELLS ||
        funnel_cells_fill_keys(cells, n, s->sdc_secret, s->sdc_secret_len, code, period) < 0) {
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

static int funnel_prepare(struct request *r, const struct catalog *cat, const char *code,
                          struct period period, const char *body, size_t len,
                          struct prepared_submission *out, struct violations *v)
{
    struct funnel *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    int rc = -1;
    if (funnel_decode(body, len, cat, f, v) == 0) {
        char period_text[8];
        period_format(period, period_text);
        rc = funnel_prepare_stored(f, cat, r->worker->server, code, period_text, out);
    }
    free(f);
    return rc;
}

static const struct submission_kind funnel_kind = {.name = "funnel", .prepare = funnel_prepare};

void handle_funnel_put(struct request *r)
{
    submission_put(r, &funnel_kind);
}

void handle_funnel_get(struct request *r)
{
    submission_get(r, &funnel_kind);
}

void handle_funnel_revisions(struct request *r)
{
    submission_revisions(r, &funnel_kind);
}

void handle_funnel_delete(struct request *r)
{
    submission_delete(r, &funnel_kind);
}
