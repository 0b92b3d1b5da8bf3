/* Decodes and validates bulk funnel imports (JSON array or long CSV) and writes the CSV template.
 */
#include "core/import_doc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv_reader.h"
#include "core/document.h"
#include "core/municipality_code.h"
#include "core/period.h"

/* ---- items and their index by (municipality, period) ------------------------------------------
 */

_Static_assert(FUNNEL_MAX_CATEGORIES <= 8, "row_marks.seen holds one bit per category");

/* Where a CSV item's cells came from, to name rows in violations and catch repeated cells. */
struct row_marks {
    uint32_t total_row[FUNNEL_MAX_STAGES];                            /* 0: no total row yet */
    uint32_t breakdown_row[FUNNEL_MAX_STAGES][FUNNEL_MAX_DIMENSIONS]; /* first row with a count */
    uint8_t seen[FUNNEL_MAX_STAGES][FUNNEL_MAX_DIMENSIONS];           /* category bits, any count */
};

struct builder {
    const struct catalog *cat;
    time_t now;
    struct doc_report rep;
    struct import_item *items;
    struct row_marks *marks; /* CSV only: parallel to items */
    size_t count, cap;
    size_t input_items; /* JSON: elements of the array, valid or not */
    size_t *slots;      /* open addressing: item index + 1, 0 empty */
    size_t nslots;
    bool stop; /* a cap was hit: decode no further */
};

/* A violation; past the cap, decoding stops. */
#define add(b, ...)                                                                                \
    do {                                                                                           \
        doc_report(&(b)->rep, __VA_ARGS__);                                                        \
        if (violations_count((b)->rep.v) > DOC_MAX_VIOLATIONS)                                     \
            (b)->stop = true;                                                                      \
    } while (0)

static size_t item_hash(const char *code, const char *period)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = code; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    for (const char *s = period; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

/* The slot holding (code, period), or the empty slot where it would go. */
static size_t *find_slot(struct builder *b, const char *code, const char *period)
{
    size_t mask = b->nslots - 1;
    for (size_t i = item_hash(code, period) & mask;; i = (i + 1) & mask) {
        size_t *slot = &b->slots[i];
        if (*slot == 0)
            return slot;
        const struct import_item *it = &b->items[*slot - 1];
        if (strcmp(it->code, code) == 0 && strcmp(it->period, period) == 0)
            return slot;
    }
}

static int grow_slots(struct builder *b)
{
    size_t n = b->nslots ? b->nslots * 2 : 64;
    size_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    free(b->slots);
    b->slots = slots;
    b->nslots = n;
    for (size_t i = 0; i < b->count; i++)
        *find_slot(b, b->items[i].code, b->items[i].period) = i + 1;
    return 0;
}

/* The existing item for (code, period), or -1 with *slot_out the place for a new one. */
static long lookup_item(struct builder *b, const char *code, const char *period, size_t **slot_out)
{
    if ((b->count + 1) * 2 > b->nslots && grow_slots(b) != 0)
        return -2;
    size_t *slot = find_slot(b, code, period);
    *slot_out = slot;
    return *slot ? (long)*slot - 1 : -1;
}

/* Appends a zeroed item and records it in slot. NULL when out of memory. */
static struct import_item *append_item(struct builder *b, size_t *slot, const char *code,
                                       const char *period, bool with_marks)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct import_item *items = realloc(b->items, cap * sizeof *items);
        if (!items)
            return NULL;
        b->items = items;
        if (with_marks) {
            struct row_marks *marks = realloc(b->marks, cap * sizeof *marks);
            if (!marks)
                return NULL;
            b->marks = marks;
        }
        b->cap = cap;
    }
    struct import_item *it = &b->items[b->count];
    memset(it, 0, sizeof *it);
    snprintf(it->code, sizeof it->code, "%s", code);
    snprintf(it->period, sizeof it->period, "%s", period);
    it->index = b->count;
    if (with_marks)
        memset(&b->marks[b->count], 0, sizeof b->marks[0]);
    b->count++;
    *slot = b->count;
    return it;
}

/* Reports why a parsed period may not be submitted at b->now; true when it may. */
static bool check_period_submittable(struct builder *b, const char *text, const char *pointer)
{
    struct period p;
    switch (period_check_submittable(text, b->now, &p)) {
    case PERIOD_OK:
        return true;
    case PERIOD_MALFORMED:
        add(b, pointer, "malformed-period", "a period is a quarter such as 2026-Q2");
        return false;
    case PERIOD_TOO_EARLY:
        add(b, pointer, "period-too-early", "figures start at %d-Q%d", PERIOD_FIRST_YEAR,
            PERIOD_FIRST_QUARTER);
        return false;
    case PERIOD_NOT_ENDED: {
        char end[11];
        period_end_text(p, end);
        add(b, pointer, "period-not-ended",
            "figures for a quarter come in after it ends (%s, Europe/Amsterdam)", end);
        return false;
    }
    }
    return false;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* One array element being decoded: the context of item_members. */
struct item_walk {
    struct builder *b;
    struct funnel funnel;
    const char *code; /* borrowed from the document */
    char period[8];   /* canonical once period_ok */
    bool code_ok, period_ok, stages_ok;
};

static void item_municipality(void *ctx, const json_t *value, const char *pointer)
{
    struct item_walk *w = ctx;
    w->code = json_string_value(value);
    if (!w->code)
        add(w->b, pointer, "type", "municipality is a code such as GM0599");
    else if (!municipality_code_valid(w->code))
        add(w->b, pointer, "invalid-code", "a municipality code is GM and four digits");
    else
        w->code_ok = true;
}

static void item_period(void *ctx, const json_t *value, const char *pointer)
{
    struct item_walk *w = ctx;
    const char *text = json_string_value(value);
    struct period p;
    if (!text)
        add(w->b, pointer, "type", "period is a quarter such as 2026-Q2");
    else if (period_parse(text, &p) != 0)
        add(w->b, pointer, "malformed-period", "a period is a quarter such as 2026-Q2");
    else if (check_period_submittable(w->b, text, pointer)) {
        period_format(p, w->period);
        w->period_ok = true;
    }
}

static void item_stages(void *ctx, const json_t *value, const char *pointer)
{
    struct item_walk *w = ctx;
    size_t n = funnel_decode_stages(value, w->b->cat, pointer, &w->funnel, w->b->rep.v);
    w->b->rep.found += n;
    w->stages_ok = n == 0;
}

/* Every member is required. */
static const struct doc_member item_members[] = {
    {"municipality", item_municipality},
    {"period", item_period},
    {"stages", item_stages},
};
#define ITEM_MEMBERS (sizeof item_members / sizeof item_members[0])

static void decode_json_item(struct builder *b, const json_t *obj, size_t i)
{
    char base[32], ptr[64];
    snprintf(base, sizeof base, "/%zu", i);
    if (!json_is_object(obj)) {
        add(b, base, "type", "an item is an object with municipality, period and stages");
        return;
    }
    struct item_walk w = {.b = b};
    uint32_t seen = doc_walk_members(&b->rep, obj, base, item_members, ITEM_MEMBERS,
                                     "an item has only municipality, period and stages", &w);
    for (size_t r = 0; r < ITEM_MEMBERS; r++) {
        if (!(seen & 1u << r)) {
            snprintf(ptr, sizeof ptr, "%s/%s", base, item_members[r].name);
            add(b, ptr, "required", "an item needs %s", item_members[r].name);
        }
    }
    if (violations_count(b->rep.v) > DOC_MAX_VIOLATIONS)
        b->stop = true;
    if (!w.code_ok || !w.period_ok)
        return;
    const char *code = w.code;
    size_t *slot;
    long found = lookup_item(b, code, w.period, &slot);
    if (found == -2) {
        add(b, base, "out-of-memory", "the import is too large to process");
        b->stop = true;
    } else if (found >= 0) {
        add(b, base, "duplicate-item", "%s %s is also item %zu", code, w.period,
            b->items[found].index);
    } else {
        /* Appended even when its stages are invalid, so that a later duplicate is still named. */
        struct import_item *it = append_item(b, slot, code, w.period, false);
        if (!it) {
            add(b, base, "out-of-memory", "the import is too large to process");
            b->stop = true;
            return;
        }
        it->index = i;
        if (w.stages_ok)
            it->funnel = w.funnel;
    }
}

static void decode_json(struct builder *b, const char *body, size_t len)
{
    json_t *root = doc_load(&b->rep, body, len, DOC_ROOT_ARRAY,
                            "a JSON import is an array of {municipality, period, stages}");
    if (!root)
        return;
    if (json_array_size(root) > IMPORT_MAX_ITEMS) {
        add(b, "", "too-many", "%zu items; at most %d in one import", json_array_size(root),
            IMPORT_MAX_ITEMS);
    } else {
        for (size_t i = 0; i < json_array_size(root) && !b->stop; i++)
            decode_json_item(b, json_array_get(root, i), i);
        b->input_items = json_array_size(root);
    }
    json_decref(root);
}

/* ---- CSV ------------------------------------------------------------------------------------- */

enum csv_column {
    COL_MUNICIPALITY,
    COL_PERIOD,
    COL_STAGE,
    COL_DIMENSION,
    COL_CATEGORY,
    COL_COUNT,
    NCOLUMNS
};
static const char *const column_names[NCOLUMNS] = {"municipality", "period",   "stage",
                                                   "dimension",    "category", "count"};

struct csv_state {
    struct builder *b;
    size_t column[NCOLUMNS]; /* field index of each column */
    size_t data_rows;
    bool header_seen;
};

static bool read_header(struct csv_state *st, const struct csv_row *row)
{
    bool ok = row->nfields == NCOLUMNS;
    bool have[NCOLUMNS] = {false};
    for (size_t f = 0; f < row->nfields && ok; f++) {
        ok = false;
        for (size_t c = 0; c < NCOLUMNS; c++) {
            if (!have[c] && strcmp(row->fields[f], column_names[c]) == 0) {
                have[c] = ok = true;
                st->column[c] = f;
            }
        }
    }
    if (!ok)
        add(st->b, "row 1", "invalid-header",
            "the header row names exactly the columns municipality, period, stage, dimension, "
            "category and count");
    return ok;
}

/* Parses a count field: empty is "not given" (returns 0, *given false). Returns 0 or -1 after
 * reporting. */
static int read_count(struct builder *b, const char *text, const char *pointer, int *out,
                      bool *given)
{
    *given = false;
    if (*text == '\0')
        return 0;
    const char *s = text;
    bool negative = *s == '-';
    if (negative)
        s++;
    long long n = 0;
    bool digits = *s != '\0';
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            digits = false;
            break;
        }
        if (n <= FUNNEL_MAX_COUNT)
            n = n * 10 + (*s - '0');
    }
    if (!digits) {
        char shown[48];
        doc_safe_text(shown, sizeof shown, text, strlen(text));
        add(b, pointer, "not-integer", "a count is a whole number or empty, not \"%s\"", shown);
        return -1;
    }
    if (negative && n > 0) {
        add(b, pointer, "negative", "a count is 0 or more");
        return -1;
    }
    if (n > FUNNEL_MAX_COUNT) {
        add(b, pointer, "too-large", "a count is at most %d", FUNNEL_MAX_COUNT);
        return -1;
    }
    *out = (int)n;
    *given = true;
    return 0;
}

static void cell_pointer(char *out, size_t cap, size_t row, const char *column)
{
    snprintf(out, cap, column ? "row %zu/%s" : "row %zu", row, column ? column : "");
}

static int on_csv_row(const struct csv_row *row, void *userdata)
{
    struct csv_state *st = userdata;
    struct builder *b = st->b;
    const struct catalog *cat = b->cat;
    if (!st->header_seen) {
        st->header_seen = true;
        return read_header(st, row) ? 0 : 1;
    }
    if (++st->data_rows > IMPORT_MAX_CSV_ROWS) {
        add(b, "", "too-many", "more than %d rows in one import", IMPORT_MAX_CSV_ROWS);
        return 1;
    }
    char ptr[64];
    if (row->nfields != NCOLUMNS) {
        cell_pointer(ptr, sizeof ptr, row->row, NULL);
        add(b, ptr, "field-count", "%zu fields; the header has %d", row->nfields, NCOLUMNS);
        return b->stop ? 1 : 0;
    }
    const char *f[NCOLUMNS];
    for (size_t c = 0; c < NCOLUMNS; c++)
        f[c] = row->fields[st->column[c]];
    size_t before = b->rep.found;
    struct period p;
    char period[8] = "";
    char shown[48];

    if (!municipality_code_valid(f[COL_MUNICIPALITY])) {
        cell_pointer(ptr, sizeof ptr, row->row, "municipality");
        add(b, ptr, "invalid-code", "a municipality code is GM and four digits");
    }
    if (period_parse(f[COL_PERIOD], &p) != 0) {
        cell_pointer(ptr, sizeof ptr, row->row, "period");
        add(b, ptr, "malformed-period", "a period is a quarter such as 2026-Q2");
    } else {
        period_format(p, period);
    }
    int s = catalog_stage_index(cat, f[COL_STAGE]);
    if (s < 0) {
        cell_pointer(ptr, sizeof ptr, row->row, "stage");
        doc_safe_text(shown, sizeof shown, f[COL_STAGE], strlen(f[COL_STAGE]));
        add(b, ptr, "unknown-stage", "\"%s\" is not a stage of the funnel", shown);
    }
    bool is_total = strcmp(f[COL_DIMENSION], "total") == 0;
    int d = is_total ? -1 : catalog_dimension_index(cat, f[COL_DIMENSION]);
    int c = -1;
    if (!is_total && d < 0) {
        cell_pointer(ptr, sizeof ptr, row->row, "dimension");
        doc_safe_text(shown, sizeof shown, f[COL_DIMENSION], strlen(f[COL_DIMENSION]));
        add(b, ptr, "unknown-dimension", "\"%s\" is neither total nor a dimension", shown);
    } else if (!is_total && s >= 0 && !catalog_stage_allows(cat, s, d)) {
        cell_pointer(ptr, sizeof ptr, row->row, "dimension");
        add(b, ptr, "dimension-not-allowed", "%s is not broken down by %s", cat->stages[s],
            cat->dimensions[d]);
    }
    if (is_total && f[COL_CATEGORY][0] != '\0') {
        cell_pointer(ptr, sizeof ptr, row->row, "category");
        add(b, ptr, "unknown-category", "a stage total (dimension total) has an empty category");
    } else if (!is_total && d >= 0 && (c = catalog_category_index(cat, d, f[COL_CATEGORY])) < 0) {
        cell_pointer(ptr, sizeof ptr, row->row, "category");
        doc_safe_text(shown, sizeof shown, f[COL_CATEGORY], strlen(f[COL_CATEGORY]));
        add(b, ptr, "unknown-category", "\"%s\" is not a category of %s", shown,
            cat->dimensions[d]);
    }
    int count = 0;
    bool given = false;
    cell_pointer(ptr, sizeof ptr, row->row, "count");
    read_count(b, f[COL_COUNT], ptr, &count, &given);
    if (b->rep.found != before)
        return b->stop ? 1 : 0;

    size_t *slot;
    long found = lookup_item(b, f[COL_MUNICIPALITY], period, &slot);
    if (found == -2) {
        add(b, "", "out-of-memory", "the import is too large to process");
        return 1;
    }
    if (found < 0) {
        if (b->count == IMPORT_MAX_ITEMS) {
            add(b, "", "too-many", "more than %d funnels in one import", IMPORT_MAX_ITEMS);
            return 1;
        }
        struct import_item *it = append_item(b, slot, f[COL_MUNICIPALITY], period, true);
        if (!it) {
            add(b, "", "out-of-memory", "the import is too large to process");
            return 1;
        }
        it->first_row = row->row;
        cell_pointer(ptr, sizeof ptr, row->row, "period");
        check_period_submittable(b, period, ptr);
        found = (long)b->count - 1;
    }
    struct import_item *it = &b->items[found];
    struct row_marks *m = &b->marks[found];
    struct funnel_stage *fs = &it->funnel.stages[s];
    if (is_total ? m->total_row[s] != 0 : (m->seen[s][d] >> c) & 1u) {
        cell_pointer(ptr, sizeof ptr, row->row, NULL);
        add(b, ptr, "duplicate-cell", "another row already gives %s %s%s%s of %s %s",
            cat->stages[s], is_total ? "total" : cat->dimensions[d], is_total ? "" : " ",
            is_total ? "" : cat->categories[d][c], it->code, it->period);
        return b->stop ? 1 : 0;
    }
    if (is_total) {
        m->total_row[s] = (uint32_t)row->row;
        if (given) {
            fs->known = true;
            fs->total = count;
        }
    } else {
        m->seen[s][d] |= (uint8_t)(1u << c);
        if (given) {
            fs->breakdowns[d].given = true;
            fs->breakdowns[d].counts[c] = count;
            if (!m->breakdown_row[s][d])
                m->breakdown_row[s][d] = (uint32_t)row->row;
        }
    }
    return b->stop ? 1 : 0;
}

/* After all rows: totals that breakdowns need, and breakdown sums. */
static void check_csv_item(struct builder *b, size_t i)
{
    const struct catalog *cat = b->cat;
    struct import_item *it = &b->items[i];
    const struct row_marks *m = &b->marks[i];
    char ptr[64];
    for (size_t s = 0; s < cat->nstages && !b->stop; s++) {
        const struct funnel_stage *fs = &it->funnel.stages[s];
        for (size_t d = 0; d < cat->ndimensions; d++) {
            if (!fs->breakdowns[d].given)
                continue;
            if (!fs->known) {
                if (m->total_row[s])
                    cell_pointer(ptr, sizeof ptr, m->total_row[s], "count");
                else
                    cell_pointer(ptr, sizeof ptr, m->breakdown_row[s][d], "dimension");
                add(b, ptr, "required",
                    "%s of %s %s has %s counts but no total (a row with dimension total)",
                    cat->stages[s], it->code, it->period, cat->dimensions[d]);
                break;
            }
            long long sum = funnel_breakdown_sum(fs, cat, (int)d);
            if (sum != fs->total) {
                cell_pointer(ptr, sizeof ptr, m->total_row[s], "count");
                add(b, ptr, "sum-mismatch", "%s %s categories sum to %lld, total is %d",
                    cat->stages[s], cat->dimensions[d], sum, fs->total);
            }
        }
    }
}

static void decode_csv(struct builder *b, const char *body, size_t len)
{
    struct csv_state st = {.b = b};
    struct csv_reader *r = csv_reader_new(on_csv_row, &st, NULL);
    if (!r) {
        add(b, "", "malformed-csv", "out of memory");
        return;
    }
    int rc = csv_reader_feed(r, body, len);
    if (rc == 0)
        rc = csv_reader_finish(r);
    if (rc == CSV_READER_ENUL) {
        /* Every field would be cut at the NUL ("GM0599\0Jan Jansen" read as GM0599): refused. */
        char ptr[64];
        size_t row = csv_reader_error_row(r);
        cell_pointer(ptr, sizeof ptr, row, NULL);
        add(b, ptr, "nul-byte", "the CSV holds a NUL byte (0x00) in row %zu", row);
    } else if (rc < 0) {
        const char *err = csv_reader_error(r);
        add(b, "", "malformed-csv", "%s", err[0] ? err : "the CSV could not be read");
    }
    csv_reader_free(r);
    if (rc < 0)
        return;
    if (!st.header_seen) {
        add(b, "row 1", "required",
            "the header row municipality,period,stage,dimension,category,count is missing");
        return;
    }
    for (size_t i = 0; i < b->count && !b->stop && rc == 0; i++)
        check_csv_item(b, i);
}

/* ---- entry points ------------------------------------------------------------------------------
 */

int import_decode(const char *body, size_t len, bool is_csv, const struct catalog *cat, time_t now,
                  struct import_doc *out, struct violations *v)
{
    struct builder b = {.cat = cat, .now = now, .rep = {.v = v}};
    out->items = NULL;
    out->count = 0;
    if (is_csv)
        decode_csv(&b, body, len);
    else
        decode_json(&b, body, len);
    free(b.slots);
    free(b.marks);
    if (b.rep.found) {
        free(b.items);
        /* How many funnels the refused input held, for the summary; items stays NULL. */
        out->count = is_csv ? b.count : b.input_items;
        return -1;
    }
    out->items = b.items;
    out->count = b.count;
    return 0;
}

void import_doc_free(struct import_doc *doc)
{
    if (!doc)
        return;
    free(doc->items);
    doc->items = NULL;
    doc->count = 0;
}
