/* Decodes, validates and canonicalises funnel documents; lists their cells and order warnings. */
#include "core/funnel_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/document.h"

/* ---- small helpers --------------------------------------------------------------------------- */

const char *funnel_count_problem(long long n)
{
    if (n < 0)
        return "negative";
    if (n > FUNNEL_MAX_COUNT)
        return "too-large";
    return NULL;
}

long long funnel_breakdown_sum(const struct funnel_stage *s, const struct catalog *cat,
                               int dimension)
{
    long long sum = 0;
    for (size_t c = 0; c < cat->ncategories[dimension]; c++)
        sum += s->breakdowns[dimension].counts[c];
    return sum;
}

/* ---- validation ---------------------------------------------------------------------------- */

/* One document being decoded. */
struct checker {
    const struct catalog *cat;
    struct doc_report rep;
};

/* Checks a count value; stores it and returns true when valid. */
static bool check_count(struct checker *ck, const json_t *value, const char *pointer, int *out)
{
    if (json_is_integer(value)) {
        long long n = json_integer_value(value);
        const char *problem = funnel_count_problem(n);
        if (!problem) {
            *out = (int)n;
            return true;
        }
        if (n < 0)
            doc_report(&ck->rep, pointer, problem, "a count is 0 or more, not %lld", n);
        else
            doc_report(&ck->rep, pointer, problem, "a count is at most %d, not %lld",
                       FUNNEL_MAX_COUNT, n);
        return false;
    }
    if (json_is_real(value))
        doc_report(&ck->rep, pointer, "not-integer",
                   "a count is a JSON integer such as 2, without a fraction or exponent");
    else
        doc_report(&ck->rep, pointer, "type", "a count is a JSON integer");
    return false;
}

/* Validates one breakdown {category: n}; true when every category is valid. */
static bool decode_breakdown(struct checker *ck, const json_t *value, int d, const char *pointer,
                             struct funnel_breakdown *bd)
{
    if (!json_is_object(value)) {
        doc_report(&ck->rep, pointer, "type", "a breakdown is an object of categories and counts");
        return false;
    }
    bool ok = true;
    const char *key;
    json_t *count;
    json_object_foreach((json_t *)value, key, count)
    {
        char *p = doc_pointer_join(pointer, key);
        int c = catalog_category_index(ck->cat, d, key);
        if (c < 0) {
            doc_report(&ck->rep, p, "unknown-category", "not a category of %s",
                       ck->cat->dimensions[d]);
            ok = false;
        } else if (!check_count(ck, count, p, &bd->counts[c])) {
            ok = false;
        }
        free(p);
    }
    bd->given = true;
    return ok;
}

static void decode_breakdowns(struct checker *ck, const json_t *value, int s, const char *pointer,
                              struct funnel_stage *st, bool *dim_ok)
{
    if (!json_is_object(value)) {
        doc_report(&ck->rep, pointer, "type", "breakdowns is an object of dimensions");
        return;
    }
    const char *key;
    json_t *bd;
    json_object_foreach((json_t *)value, key, bd)
    {
        char *p = doc_pointer_join(pointer, key);
        int d = catalog_dimension_index(ck->cat, key);
        if (d < 0)
            doc_report(&ck->rep, p, "unknown-dimension", "not a dimension");
        else if (!catalog_stage_allows(ck->cat, s, d))
            doc_report(&ck->rep, p, "dimension-not-allowed", "%s is not broken down by %s",
                       ck->cat->stages[s], ck->cat->dimensions[d]);
        else
            dim_ok[d] = decode_breakdown(ck, bd, d, p, &st->breakdowns[d]);
        free(p);
    }
}

/* One stage being decoded: the context of stage_members. */
struct stage_walk {
    struct checker *ck;
    int s;
    struct funnel_stage *st;
    bool total_ok;
    bool dim_ok[FUNNEL_MAX_DIMENSIONS];
};

static void stage_total(void *ctx, const json_t *value, const char *pointer)
{
    struct stage_walk *w = ctx;
    w->total_ok = check_count(w->ck, value, pointer, &w->st->total);
}

static void stage_breakdowns(void *ctx, const json_t *value, const char *pointer)
{
    struct stage_walk *w = ctx;
    decode_breakdowns(w->ck, value, w->s, pointer, w->st, w->dim_ok);
}

enum { STAGE_TOTAL, STAGE_BREAKDOWNS };
static const struct doc_member stage_members[] = {
    [STAGE_TOTAL] = {"total", stage_total},
    [STAGE_BREAKDOWNS] = {"breakdowns", stage_breakdowns},
};

/* Validates one stage object {"total": n, "breakdowns": {...}} found at `pointer`. This is the one
 * place the stage rules live; the JSON import reaches it through funnel_decode_stages(). */
static void decode_stage(struct checker *ck, const json_t *value, int s, const char *pointer,
                         struct funnel_stage *st)
{
    if (!json_is_object(value)) {
        doc_report(&ck->rep, pointer, "type", "a stage is an object with a total");
        return;
    }
    struct stage_walk w = {.ck = ck, .s = s, .st = st};
    uint32_t seen = doc_walk_members(&ck->rep, value, pointer, stage_members,
                                     sizeof stage_members / sizeof stage_members[0],
                                     "a stage has only total and breakdowns", &w);
    if (!(seen & 1u << STAGE_TOTAL)) {
        char *p = doc_pointer_join(pointer, "total");
        doc_report(&ck->rep, p, "required", "a stage that is given needs its total");
        free(p);
    }
    if (!w.total_ok)
        return;
    st->known = true;
    for (size_t d = 0; d < ck->cat->ndimensions; d++) {
        if (!w.dim_ok[d])
            continue;
        long long sum = funnel_breakdown_sum(st, ck->cat, (int)d);
        if (sum != st->total) {
            char *b = doc_pointer_join(pointer, "breakdowns");
            char *p = b ? doc_pointer_join(b, ck->cat->dimensions[d]) : NULL;
            doc_report(&ck->rep, p, "sum-mismatch", "categories sum to %lld, total is %d", sum,
                       st->total);
            free(p);
            free(b);
        }
    }
}

size_t funnel_decode_stages(const json_t *stages, const struct catalog *cat, const char *pointer,
                            struct funnel *out, struct violations *v)
{
    struct checker ck = {.cat = cat, .rep = {.v = v}};
    if (!json_is_object(stages)) {
        doc_report(&ck.rep, pointer, "type", "stages is an object of stages");
        return ck.rep.found;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)stages, key, value)
    {
        char *p = doc_pointer_join(pointer, key);
        int s = catalog_stage_index(cat, key);
        if (s < 0)
            doc_report(&ck.rep, p, "unknown-stage", "not a stage of the funnel");
        else
            decode_stage(&ck, value, s, p, &out->stages[s]);
        free(p);
    }
    return ck.rep.found;
}

/* The body being decoded: the context of body_members. */
struct body_walk {
    struct checker *ck;
    struct funnel *out;
};

static void body_stages(void *ctx, const json_t *value, const char *pointer)
{
    struct body_walk *w = ctx;
    w->ck->rep.found += funnel_decode_stages(value, w->ck->cat, pointer, w->out, w->ck->rep.v);
}

enum { BODY_STAGES };
static const struct doc_member body_members[] = {[BODY_STAGES] = {"stages", body_stages}};

int funnel_decode(const char *body, size_t len, const struct catalog *cat, struct funnel *out,
                  struct violations *v)
{
    memset(out, 0, sizeof *out);
    struct checker ck = {.cat = cat, .rep = {.v = v}};
    json_t *root = doc_load(&ck.rep, body, len, DOC_ROOT_OBJECT,
                            "the body is a JSON object with a stages member");
    if (!root)
        return -1;
    struct body_walk w = {.ck = &ck, .out = out};
    uint32_t seen = doc_walk_members(&ck.rep, root, "", body_members,
                                     sizeof body_members / sizeof body_members[0],
                                     "the body has only a stages member", &w);
    if (!(seen & 1u << BODY_STAGES))
        doc_report(&ck.rep, "/stages", "required", "stages is required ({} when nothing is known)");
    json_decref(root);
    return ck.rep.found ? -1 : 0;
}

/* ---- output -----------------------------------------------------------------------------------
 */

json_t *funnel_to_json(const struct funnel *f, const struct catalog *cat)
{
    json_t *stages = json_object();
    json_t *root = json_pack("{s:o}", "stages", stages);
    if (!root)
        return NULL;
    for (size_t s = 0; s < cat->nstages; s++) {
        const struct funnel_stage *st = &f->stages[s];
        if (!st->known)
            continue;
        json_t *stage = json_pack("{s:i}", "total", st->total);
        json_t *bds = NULL;
        for (size_t d = 0; d < cat->ndimensions; d++) {
            if (!st->breakdowns[d].given)
                continue;
            if (!bds)
                bds = json_object();
            json_t *bd = json_object();
            for (size_t c = 0; c < cat->ncategories[d]; c++)
                json_object_set_new(bd, cat->categories[d][c],
                                    json_integer(st->breakdowns[d].counts[c]));
            json_object_set_new(bds, cat->dimensions[d], bd);
        }
        if (bds)
            json_object_set_new(stage, "breakdowns", bds);
        json_object_set_new(stages, cat->stages[s], stage);
    }
    return root;
}

char *funnel_canonical_json(const struct funnel *f, const struct catalog *cat)
{
    json_t *doc = funnel_to_json(f, cat);
    if (!doc)
        return NULL;
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

size_t funnel_cells(const struct funnel *f, const struct catalog *cat, struct funnel_cell *out,
                    size_t max)
{
    size_t n = 0;
    for (size_t s = 0; s < cat->nstages; s++) {
        const struct funnel_stage *st = &f->stages[s];
        if (!st->known)
            continue;
        if (n < max)
            out[n] = (struct funnel_cell){cat->stages[s], "total", "", st->total, 0};
        n++;
        for (size_t d = 0; d < cat->ndimensions; d++) {
            if (!st->breakdowns[d].given)
                continue;
            for (size_t c = 0; c < cat->ncategories[d]; c++, n++)
                if (n < max)
                    out[n] =
                        (struct funnel_cell){cat->stages[s], cat->dimensions[d],
                                             cat->categories[d][c], st->breakdowns[d].counts[c], 0};
        }
    }
    return n;
}

void funnel_order_warnings(const struct funnel *f, const struct catalog *cat,
                           struct violations *warnings)
{
    int previous = -1;
    for (size_t s = 0; s < cat->nstages; s++) {
        const struct funnel_stage *st = &f->stages[s];
        if (!st->known)
            continue;
        if (previous >= 0 && st->total > f->stages[previous].total) {
            char pointer[CATALOG_MAX_KEY + 20];
            snprintf(pointer, sizeof pointer, "/stages/%s/total", cat->stages[s]);
            violations_add(warnings, IN_BODY, pointer, "stage-order",
                           "%s (%d) is larger than %s (%d), the nearest earlier stage given",
                           cat->stages[s], st->total, cat->stages[previous],
                           f->stages[previous].total);
        }
        previous = (int)s;
    }
}
