/* Decodes, validates and canonicalises funnel documents; lists their cells and order warnings. */
#include "core/funnel_doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers --------------------------------------------------------------------------- */

void funnel_safe_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (cap == 0)
        return;
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        bool ok = n > 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; k++)
            ok = (s[i + k] & 0xC0) == 0x80;
        if (ok && n == 2)
            ok = c >= 0xC2;
        if (ok && n == 3) {
            unsigned cp = (c & 0x0Fu) << 12 | (s[i + 1] & 0x3Fu) << 6 | (s[i + 2] & 0x3Fu);
            ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
        }
        if (ok && n == 4) {
            unsigned cp = (c & 0x07u) << 18 | (s[i + 1] & 0x3Fu) << 12;
            ok = cp >= 0x10000 && cp <= 0x10FFFF;
        }
        if (ok && n == 1 && (c < 0x20 || c == 0x7F))
            ok = false;
        if (!ok)
            n = 1;
        if (o + n >= cap)
            break;
        if (ok)
            memcpy(dst + o, s + i, n);
        else
            dst[o] = '?';
        o += n;
        i += n;
    }
    dst[o] = '\0';
}

bool funnel_violations_full(const struct violations *v)
{
    return violations_count(v) >= FUNNEL_MAX_VIOLATIONS;
}

bool funnel_violation(struct violations *v, const char *pointer, const char *code, const char *fmt,
                      ...)
{
    size_t count = violations_count(v);
    if (count > FUNNEL_MAX_VIOLATIONS)
        return false;
    if (count == FUNNEL_MAX_VIOLATIONS) {
        violations_add(v, IN_BODY, "", "too-many-errors",
                       "more than %d violations; the rest are not listed", FUNNEL_MAX_VIOLATIONS);
        return false;
    }
    char raw[256], detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    funnel_safe_text(detail, sizeof detail, raw, strlen(raw));
    violations_add(v, IN_BODY, pointer, code, "%s", detail);
    return true;
}

char *funnel_pointer_join(const char *base, const char *token)
{
    if (!base)
        base = "";
    size_t blen = strlen(base), extra = 0;
    for (const char *c = token; *c; c++)
        extra += (*c == '~' || *c == '/') ? 2 : 1;
    char *p = malloc(blen + 1 + extra + 1);
    if (!p)
        return NULL;
    memcpy(p, base, blen);
    size_t o = blen;
    p[o++] = '/';
    for (const char *c = token; *c; c++) {
        if (*c == '~' || *c == '/') {
            p[o++] = '~';
            p[o++] = *c == '~' ? '0' : '1';
        } else {
            p[o++] = *c;
        }
    }
    p[o] = '\0';
    return p;
}

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

/* ---- locating a duplicate key ------------------------------------------------------------------
 */

#define SCAN_MAX_DEPTH 64

struct scan_level {
    bool is_object;
    bool expect_key;
    size_t index;    /* arrays: current element */
    const char *key; /* objects: raw token of the current key, quotes included */
    size_t key_len;
};

/* The JSON pointer of the object member whose key jansson found repeated: text[0..end) is the
 * prefix jansson accepted, ending with (or just after) that key. NULL when it cannot tell. */
static char *duplicate_pointer(const char *text, size_t end)
{
    struct scan_level stack[SCAN_MAX_DEPTH];
    size_t depth = 0;
    for (size_t i = 0; i < end; i++) {
        char c = text[i];
        if (c == '{' || c == '[') {
            if (depth == SCAN_MAX_DEPTH)
                return NULL;
            stack[depth++] = (struct scan_level){.is_object = c == '{', .expect_key = c == '{'};
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return NULL;
            depth--;
        } else if (c == ',' && depth > 0) {
            if (stack[depth - 1].is_object)
                stack[depth - 1].expect_key = true;
            else
                stack[depth - 1].index++;
        } else if (c == ':' && depth > 0) {
            stack[depth - 1].expect_key = false;
        } else if (c == '"') {
            size_t start = i++;
            while (i < end && text[i] != '"')
                i += text[i] == '\\' ? 2 : 1;
            if (i >= end)
                return NULL;
            if (depth > 0 && stack[depth - 1].is_object && stack[depth - 1].expect_key) {
                stack[depth - 1].key = text + start;
                stack[depth - 1].key_len = i + 1 - start;
            }
        }
    }
    if (depth == 0 || !stack[depth - 1].is_object || !stack[depth - 1].key)
        return NULL;
    char *ptr = strdup("");
    for (size_t l = 0; ptr && l < depth; l++) {
        char *next;
        if (stack[l].is_object) {
            json_t *k = json_loadb(stack[l].key, stack[l].key_len, JSON_DECODE_ANY, NULL);
            next = json_is_string(k) ? funnel_pointer_join(ptr, json_string_value(k)) : NULL;
            json_decref(k);
        } else {
            char idx[32];
            snprintf(idx, sizeof idx, "%zu", stack[l].index);
            next = funnel_pointer_join(ptr, idx);
        }
        free(ptr);
        ptr = next;
    }
    return ptr;
}

void funnel_json_error(struct violations *v, const char *text, size_t len, const json_error_t *err)
{
    char msg[JSON_ERROR_TEXT_LENGTH];
    funnel_safe_text(msg, sizeof msg, err->text, strnlen(err->text, sizeof err->text));
    if (json_error_code(err) == json_error_duplicate_key) {
        size_t end =
            err->position > 0 && (size_t)err->position <= len ? (size_t)err->position : len;
        char *ptr = duplicate_pointer(text, end);
        funnel_violation(v, ptr ? ptr : "", "duplicate-key",
                         "line %d, column %d: %s; every member may appear only once", err->line,
                         err->column, msg);
        free(ptr);
        return;
    }
    funnel_violation(v, "", "malformed-json", "line %d, column %d: %s", err->line, err->column,
                     msg);
}

/* ---- validation ---------------------------------------------------------------------------- */

/* One document being decoded. */
struct checker {
    const struct catalog *cat;
    struct doc_report rep;
};

void doc_report(struct doc_report *rep, const char *pointer, const char *code, const char *fmt, ...)
{
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    rep->found++;
    funnel_violation(rep->v, pointer ? pointer : "", code, "%s", detail);
}

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
        char *p = funnel_pointer_join(pointer, key);
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
        char *p = funnel_pointer_join(pointer, key);
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

/* Validates one stage object {"total": n, "breakdowns": {...}} found at `pointer`. This is the one
 * place the stage rules live; the JSON import reaches it through funnel_decode_stages(). */
static void decode_stage(struct checker *ck, const json_t *value, int s, const char *pointer,
                         struct funnel_stage *st)
{
    if (!json_is_object(value)) {
        doc_report(&ck->rep, pointer, "type", "a stage is an object with a total");
        return;
    }
    bool total_ok = false, has_total = false;
    bool dim_ok[FUNNEL_MAX_DIMENSIONS] = {false};
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)value, key, member)
    {
        char *p = funnel_pointer_join(pointer, key);
        if (strcmp(key, "total") == 0) {
            has_total = true;
            total_ok = check_count(ck, member, p, &st->total);
        } else if (strcmp(key, "breakdowns") == 0) {
            decode_breakdowns(ck, member, s, p, st, dim_ok);
        } else {
            doc_report(&ck->rep, p, "unknown-field", "a stage has only total and breakdowns");
        }
        free(p);
    }
    if (!has_total) {
        char *p = funnel_pointer_join(pointer, "total");
        doc_report(&ck->rep, p, "required", "a stage that is given needs its total");
        free(p);
    }
    if (!total_ok)
        return;
    st->known = true;
    for (size_t d = 0; d < ck->cat->ndimensions; d++) {
        if (!dim_ok[d])
            continue;
        long long sum = funnel_breakdown_sum(st, ck->cat, (int)d);
        if (sum != st->total) {
            char *b = funnel_pointer_join(pointer, "breakdowns");
            char *p = b ? funnel_pointer_join(b, ck->cat->dimensions[d]) : NULL;
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
        char *p = funnel_pointer_join(pointer, key);
        int s = catalog_stage_index(cat, key);
        if (s < 0)
            doc_report(&ck.rep, p, "unknown-stage", "not a stage of the funnel");
        else
            decode_stage(&ck, value, s, p, &out->stages[s]);
        free(p);
    }
    return ck.rep.found;
}

int funnel_decode(const char *body, size_t len, const struct catalog *cat, struct funnel *out,
                  struct violations *v)
{
    memset(out, 0, sizeof *out);
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        funnel_json_error(v, body, len, &err);
        return -1;
    }
    struct checker ck = {.cat = cat, .rep = {.v = v}};
    if (!json_is_object(root)) {
        doc_report(&ck.rep, "", "type", "the body is a JSON object with a stages member");
        json_decref(root);
        return -1;
    }
    bool has_stages = false;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        if (strcmp(key, "stages") == 0) {
            has_stages = true;
            ck.rep.found += funnel_decode_stages(value, cat, "/stages", out, v);
        } else {
            char *p = funnel_pointer_join("", key);
            doc_report(&ck.rep, p, "unknown-field", "the body has only a stages member");
            free(p);
        }
    }
    if (!has_stages)
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
