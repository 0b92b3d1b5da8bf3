/* The pure half of `trechterd load` (daemon/loaders.c): geography and population reference data
 * from CSV files (design §1.6, §7).
 *
 * Every loader works in two steps. A pure parsing step (loader_parse_buffer) reads the CSV, maps
 * its columns, checks each row's form and collects the valid rows as JSON objects and every
 * problem as (line, message). A database step then, inside ONE transaction, checks what needs the
 * database (unknown municipality codes, duplicates, conflicting region names, overlapping ranges)
 * and applies the rows only when no problem at all was found. */
#ifndef TRECHTER_LOAD_CSV_H
#define TRECHTER_LOAD_CSV_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum loader_kind {
    LOADER_MUNICIPALITIES,
    LOADER_REGIONS,
    LOADER_POPULATION,
    LOADER_LINEAGE,
};

/* The most columns a loader reads (regions: five). */
#define LOADER_MAX_COLUMNS 6

/* Where each logical column of a loader is found: the header name to look for. Logical names are
 * the loader's own (`municipality_code`, `region_code`, ...); by default a column is found under
 * its own name. --columns municipality_code=Code_1,region_code=Code_16 overrides some. */
struct loader_columns {
    char *header[LOADER_MAX_COLUMNS]; /* owned; NULL: the logical name itself */
};

/* One problem with the file. line 0 means the file as a whole. */
struct loader_error {
    size_t line;
    char message[240];
};

/* The outcome of the parsing step. */
struct loader_parse {
    json_t *rows;                /* owned: one object per row that passed the form checks; each
                                    has "line" and the loader's fields (see loaders.c) */
    struct loader_error *errors; /* owned; sorted by line after loader_parse_buffer */
    size_t nerrors;              /* stored errors (at most LOADER_MAX_STORED_ERRORS) */
    size_t total_errors;         /* all errors found, stored or not */
    size_t data_rows;            /* rows after the header, valid or not */
    char code_prefix[3];         /* regions: the 2-letter prefix all region codes share, or "" */
};

#define LOADER_MAX_STORED_ERRORS 1000
#define LOADER_MAX_SHOWN_ERRORS 20

/* The name of a kind as on the command line ("municipalities", ...); NULL for none. */
const char *loader_kind_name(enum loader_kind kind);

/* Parses "--columns" text: comma-separated LOGICAL=HEADER pairs; LOGICAL must be one of kind's
 * columns, each at most once; HEADER is non-empty (spaces around it trimmed). Fills cols (which
 * must be zeroed or freed before). Returns 0, or -1 with a message in err. */
int loader_columns_parse(enum loader_kind kind, const char *spec, struct loader_columns *cols,
                         char *err, size_t errlen);

void loader_columns_free(struct loader_columns *cols);

/* Parses a whole CSV file in memory. default_from (regions: --from, may be NULL) is the valid_from
 * given to rows without one. Never fails as a whole: problems become errors in out (a file without
 * a usable header gives one error on line 1). Returns 0, or -1 when out of memory. The caller
 * frees out with loader_parse_free. */
int loader_parse_buffer(enum loader_kind kind, const struct loader_columns *cols,
                        const char *default_from, const void *data, size_t len,
                        struct loader_parse *out);

void loader_parse_free(struct loader_parse *p);

/* Adds an error (kept in order of arrival; loader_errors_sort orders them by line). */
void loader_error_add(struct loader_parse *p, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Orders the stored errors by line, keeping the order of arrival among equal lines. */
void loader_errors_sort(struct loader_parse *p);

/* The kind named `name` ("municipalities", "regions", "population", "lineage"). */
bool loader_kind_from_name(const char *name, enum loader_kind *out);

/* --- pure checks, exposed for the unit tests ------------------------------------------------- */

/* A region code as the regions table accepts: [A-Za-z0-9][A-Za-z0-9_.-]{0,31}. */
bool loader_is_region_code(const char *s);

/* A region set key: [a-z][A-Za-z0-9]{0,63}. */
bool loader_is_set_key(const char *s);

/* A date field. "" is an open end: out becomes "-infinity" (is_end false) or "infinity" (is_end
 * true). Else YYYY-MM-DD, a real calendar date from 1800-01-01 to 2999-12-31, copied to out.
 * out holds at least 11 bytes. Returns 0, or -1 when malformed. */
int loader_parse_date(const char *s, bool is_end, char out[11]);

/* A whole number of digits only (no sign, no separators), within [min, max]. Returns 0 or -1. */
int loader_parse_count(const char *s, long long min, long long max, long long *out);

/* Removes leading and trailing spaces, tabs, CR and LF in place (CBS codes carry trailing
 * spaces inside quotes). Returns s. */
char *loader_trim(char *s);

#endif
