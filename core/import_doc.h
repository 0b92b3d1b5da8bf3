/* POST /v1/imports bodies (design §3.1): funnels for many municipalities and periods at once, as a
 * JSON array of {"municipality", "period", "stages"} or as long-format CSV, decoded into one list
 * of validated items; and the CSV template that `trechter template` prints. Pure: no I/O. */
#ifndef TRECHTER_IMPORT_DOC_H
#define TRECHTER_IMPORT_DOC_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/catalog.h"
#include "core/funnel_doc.h"
#include "core/problem.h"

#define IMPORT_MAX_ITEMS 10000
#define IMPORT_MAX_CSV_ROWS 2000000 /* data rows, the header not counted */

/* One funnel of the import. */
struct import_item {
    char code[7];         /* municipality code, "GM0599" */
    char period[8];       /* canonical, "2026-Q2" */
    struct funnel funnel; /* validated as a PUT body would be */
    size_t index;     /* JSON: index in the array; CSV: ordinal of the item (first appearance) */
    size_t first_row; /* CSV: row where the item first appears (header = row 1); JSON: 0 */
};

struct import_doc {
    struct import_item *items; /* owned; `count` of them in input order */
    size_t count;              /* after a refusal: the items the input held (items is NULL) */
};

/* Decodes an import body, JSON (is_csv false) or CSV (is_csv true), and validates every item as
 * funnel_decode() validates a PUT body, plus: a municipality code is "GM" and four digits
 * ("invalid-code"); a period parses ("malformed-period") and may be submitted at `now`
 * ("period-too-early", "period-not-ended", see period_check_submittable()); at most
 * IMPORT_MAX_ITEMS items and IMPORT_MAX_CSV_ROWS rows ("too-many", decoding stops).
 *
 * JSON: the body is an array of objects with exactly "municipality", "period" and "stages"
 * ("required", "unknown-field", "type"); the same municipality and period twice is
 * "duplicate-item". Pointers are JSON pointers with the array index: "/3/stages/reported/total".
 * A NUL byte, raw or written \u0000, is "malformed-json" (doc_load()).
 *
 * CSV: a header row naming exactly the columns municipality, period, stage, dimension, category
 * and count (any order; "invalid-header"), then one row per cell, ',' or ';' separated, optional
 * UTF-8 BOM, CRLF or LF, RFC 4180 quotes. Dimension "total" with an empty category gives a stage
 * total; an empty count means not given and leaves the cell out. Rows are grouped by
 * (municipality, period) in order of first appearance. Further codes: "field-count" (a row with
 * another number of fields than the header), "duplicate-cell" (a cell named twice), "required"
 * (breakdown counts for a stage whose total is not given), "malformed-csv" (broken quoting),
 * "nul-byte" (a NUL byte anywhere in the body, pointer "row N"; decoding stops there).
 * Pointers name the row and the column: "row 14/count" (or just "row 14").
 *
 * Every violation is added to v, up to DOC_MAX_VIOLATIONS plus one "too-many-errors". Returns 0
 * with the items in out, or -1 with out empty. Either way import_doc_free(out) may be called. */
int import_decode(const char *body, size_t len, bool is_csv, const struct catalog *cat, time_t now,
                  struct import_doc *out, struct violations *v);

void import_doc_free(struct import_doc *doc);

#endif
