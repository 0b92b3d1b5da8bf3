/* The parsing step of `trechterd load` (municipalities, region sets, child populations, lineage):
 * CSV columns mapped, each row's form checked, valid rows as JSON and every problem by line. Pure;
 * the database step is daemon/loaders.c (docs/geography.md). */
#include "core/load_csv.h"

#include "core/label.h"

#include "core/municipality_code.h"

#include "core/csv_reader.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOADER_MAX_ROWS 1000000

/* ---------------------------------------------------------------------------------------------
 * The loaders' columns */

struct loader_def {
    const char *name;
    const char *columns[LOADER_MAX_COLUMNS];
    size_t ncolumns;
    size_t nrequired; /* the first nrequired columns must be in the header */
};

static const struct loader_def loader_defs[] = {
    [LOADER_MUNICIPALITIES] = {"municipalities",
                               {"municipality_code", "municipality_name", "valid_from", "valid_to"},
                               4,
                               2},
    [LOADER_REGIONS] = {"regions",
                        {"municipality_code", "region_code", "region_name", "valid_from",
                         "valid_to"},
                        5,
                        3},
    [LOADER_POPULATION] = {"population", {"municipality_code", "year", "population_0_17"}, 3, 3},
    [LOADER_LINEAGE] = {"lineage", {"predecessor_code", "successor_code", "date"}, 3, 3},
};

bool loader_kind_from_name(const char *name, enum loader_kind *out)
{
    for (size_t k = 0; name && k < sizeof loader_defs / sizeof loader_defs[0]; k++)
        if (strcmp(name, loader_defs[k].name) == 0) {
            *out = (enum loader_kind)k;
            return true;
        }
    return false;
}

const char *loader_kind_name(enum loader_kind kind)
{
    if ((size_t)kind >= sizeof loader_defs / sizeof loader_defs[0])
        return NULL;
    return loader_defs[kind].name;
}

/* ---------------------------------------------------------------------------------------------
 * Pure checks */

char *loader_trim(char *s)
{
    size_t start = 0, end = strlen(s);
    while (start < end && strchr(" \t\r\n", s[start]))
        start++;
    while (end > start && strchr(" \t\r\n", s[end - 1]))
        end--;
    memmove(s, s + start, end - start);
    s[end - start] = '\0';
    return s;
}

bool loader_is_region_code(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 32 || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
            return false;
    return true;
}

bool loader_is_set_key(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 64 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!isalnum((unsigned char)s[i]) || (unsigned char)s[i] > 0x7f)
            return false;
    return true;
}

int loader_parse_date(const char *s, bool is_end, char out[11])
{
    if (!*s) {
        snprintf(out, 11, "%s", is_end ? "infinity" : "-infinity");
        return 0;
    }
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1800 || y > 2999 || m < 1 || m > 12 || d < 1)
        return -1;
    if (d > days[m - 1] + (m == 2 && leap))
        return -1;
    memcpy(out, s, 10);
    out[10] = '\0';
    return 0;
}

int loader_parse_count(const char *s, long long min, long long max, long long *out)
{
    if (!*s || strlen(s) > 18)
        return -1;
    long long v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Whether date a (a loader_parse_date result) is on or before date b. */
static bool date_le(const char *a, const char *b)
{
    if (strcmp(a, "-infinity") == 0 || strcmp(b, "infinity") == 0)
        return true;
    if (strcmp(a, "infinity") == 0 || strcmp(b, "-infinity") == 0)
        return false;
    return strcmp(a, b) <= 0;
}

/* ---------------------------------------------------------------------------------------------
 * --columns */

void loader_columns_free(struct loader_columns *cols)
{
    for (size_t i = 0; i < LOADER_MAX_COLUMNS; i++) {
        free(cols->header[i]);
        cols->header[i] = NULL;
    }
}

int loader_columns_parse(enum loader_kind kind, const char *spec, struct loader_columns *cols,
                         char *err, size_t errlen)
{
    const struct loader_def *def = &loader_defs[kind];
    char *copy = strdup(spec);
    int rc = -1;
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            snprintf(err, errlen, "--columns: '%.60s' is not LOGICAL=HEADER", item);
            goto out;
        }
        *eq = '\0';
        char *logical = loader_trim(item), *header = loader_trim(eq + 1);
        size_t i = 0;
        while (i < def->ncolumns && strcmp(def->columns[i], logical) != 0)
            i++;
        if (i == def->ncolumns) {
            int n = snprintf(err, errlen, "--columns: '%.40s' is not a column of load %s (",
                             logical, def->name);
            for (size_t j = 0; j < def->ncolumns && n > 0 && (size_t)n < errlen; j++)
                n += snprintf(err + n, errlen - (size_t)n, "%s%s", j ? ", " : "", def->columns[j]);
            if (n > 0 && (size_t)n < errlen)
                snprintf(err + n, errlen - (size_t)n, ")");
            goto out;
        }
        if (cols->header[i]) {
            snprintf(err, errlen, "--columns: %s is mapped twice", logical);
            goto out;
        }
        if (!*header) {
            snprintf(err, errlen, "--columns: %s= needs a header name", logical);
            goto out;
        }
        cols->header[i] = strdup(header);
        if (!cols->header[i]) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    free(copy);
    if (rc)
        loader_columns_free(cols);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Errors */

void loader_error_add(struct loader_parse *p, size_t line, const char *fmt, ...)
{
    p->total_errors++;
    if (p->nerrors == LOADER_MAX_STORED_ERRORS)
        return;
    if (!p->errors) {
        p->errors = calloc(LOADER_MAX_STORED_ERRORS, sizeof *p->errors);
        if (!p->errors)
            return;
    }
    struct loader_error *e = &p->errors[p->nerrors++];
    e->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void loader_errors_sort(struct loader_parse *p)
{
    /* Insertion sort: stable, and the list is short and nearly sorted. */
    for (size_t i = 1; i < p->nerrors; i++) {
        struct loader_error e = p->errors[i];
        size_t j = i;
        while (j > 0 && p->errors[j - 1].line > e.line) {
            p->errors[j] = p->errors[j - 1];
            j--;
        }
        p->errors[j] = e;
    }
}

void loader_parse_free(struct loader_parse *p)
{
    json_decref(p->rows);
    free(p->errors);
    memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------------------------------------
 * Parsing */

struct parse_state {
    enum loader_kind kind;
    const struct loader_def *def;
    const struct loader_columns *cols;
    const char *default_from;
    struct loader_parse *out;
    long index[LOADER_MAX_COLUMNS]; /* field index of each logical column; -1 absent */
    size_t header_fields;
    int prefix_state; /* 0 no region code yet, 1 all share prefix, 2 they don't */
    bool bad_utf8;    /* a json_string of the current row failed */
    bool oom;
};

static const char *column_header(const struct parse_state *st, size_t i)
{
    return st->cols && st->cols->header[i] ? st->cols->header[i] : st->def->columns[i];
}

/* Row 1: finds every logical column in the header. Returns 0, or 1 (stop) after an error. */
static int parse_header(struct parse_state *st, const struct csv_row *row)
{
    bool missing = false;
    st->header_fields = row->nfields;
    for (size_t i = 0; i < st->def->ncolumns; i++) {
        const char *want = column_header(st, i);
        st->index[i] = -1;
        for (size_t f = 0; f < row->nfields; f++) {
            char name[256];
            snprintf(name, sizeof name, "%s", row->fields[f]);
            if (strcasecmp(loader_trim(name), want) != 0)
                continue;
            if (st->index[i] >= 0) {
                loader_error_add(st->out, row->line, "the header names column '%.60s' twice", want);
                missing = true;
            }
            st->index[i] = (long)f;
        }
        if (st->index[i] < 0 && i < st->def->nrequired) {
            char have[160] = "";
            for (size_t f = 0; f < row->nfields && strlen(have) < sizeof have - 40; f++)
                snprintf(have + strlen(have), sizeof have - strlen(have), "%s%.30s", f ? ", " : "",
                         row->fields[f]);
            loader_error_add(st->out, row->line, "no column '%.60s' in the header (it has: %s)",
                             want, have);
            missing = true;
        }
    }
    return missing ? 1 : 0;
}

/* The trimmed value of logical column i ("" when the file has no such column). */
static const char *value_of(const struct parse_state *st, const struct csv_row *row, size_t i,
                            char *buf, size_t buflen)
{
    buf[0] = '\0';
    if (st->index[i] < 0)
        return buf;
    snprintf(buf, buflen, "%s", row->fields[st->index[i]]);
    return loader_trim(buf);
}

static void track_prefix(struct parse_state *st, const char *code)
{
    bool has =
        strlen(code) > 2 && isupper((unsigned char)code[0]) && isupper((unsigned char)code[1]);
    if (st->prefix_state == 2)
        return;
    if (!has) {
        st->prefix_state = 2;
    } else if (st->prefix_state == 0) {
        memcpy(st->out->code_prefix, code, 2);
        st->out->code_prefix[2] = '\0';
        st->prefix_state = 1;
    } else if (strncmp(st->out->code_prefix, code, 2) != 0) {
        st->prefix_state = 2;
    }
}

/* Sets a string member; text that is not UTF-8 marks the row (json_string refuses it). */
static void set_string(struct parse_state *st, json_t *obj, const char *key, const char *text)
{
    json_t *s = json_string(text);
    if (!s)
        st->bad_utf8 = true;
    else
        json_object_set_new(obj, key, s);
}

/* The form checks of one data row; a row without problems becomes a JSON object in out->rows. */
static int parse_data_row(struct parse_state *st, const struct csv_row *row)
{
    struct loader_parse *out = st->out;
    size_t before = out->total_errors, line = row->line;
    char v[LOADER_MAX_COLUMNS][256];
    for (size_t i = 0; i < st->def->ncolumns; i++) {
        if (st->index[i] >= 0 && row->lengths[st->index[i]] >= sizeof v[i]) {
            loader_error_add(out, line, "%s is longer than %zu bytes", st->def->columns[i],
                             sizeof v[i] - 1);
            return 0;
        }
        if (st->index[i] >= 0 && strlen(row->fields[st->index[i]]) != row->lengths[st->index[i]]) {
            loader_error_add(out, line, "%s holds a NUL byte", st->def->columns[i]);
            return 0;
        }
        value_of(st, row, i, v[i], sizeof v[i]);
    }
    st->bad_utf8 = false;
    json_t *obj = json_object();
    if (!obj) {
        st->oom = true;
        return 1;
    }
    json_object_set_new(obj, "line", json_integer((json_int_t)line));

    switch (st->kind) {
    case LOADER_MUNICIPALITIES:
    case LOADER_REGIONS: {
        bool regions = st->kind == LOADER_REGIONS;
        size_t from_i = regions ? 3 : 2, to_i = from_i + 1;
        char from[11], to[11];
        if (!municipality_code_valid(v[0]))
            loader_error_add(out, line,
                             "municipality_code '%.40s' is not a CBS code (GM and four digits)",
                             v[0]);
        if (regions) {
            if (!loader_is_region_code(v[1]))
                loader_error_add(out, line,
                                 "region_code '%.40s' is malformed (letters, digits, '_', '.', "
                                 "'-'; at most 32)",
                                 v[1]);
            else
                track_prefix(st, v[1]);
        }
        const char *name = v[regions ? 2 : 1];
        if (!label_valid(name))
            loader_error_add(out, line,
                             "%s '%.40s' is not a name (1 to 200 characters, no control "
                             "characters)",
                             regions ? "region_name" : "municipality_name", name);
        bool from_ok = loader_parse_date(v[from_i], false, from) == 0;
        bool to_ok = loader_parse_date(v[to_i], true, to) == 0;
        if (!from_ok)
            loader_error_add(out, line, "valid_from '%.40s' is not a date YYYY-MM-DD", v[from_i]);
        if (!to_ok)
            loader_error_add(out, line, "valid_to '%.40s' is not a date YYYY-MM-DD", v[to_i]);
        if (from_ok && !*v[from_i] && st->default_from)
            snprintf(from, sizeof from, "%s", st->default_from);
        else if (from_ok && st->default_from && !date_le(st->default_from, from))
            loader_error_add(out, line, "valid_from %s is before --from %s", from,
                             st->default_from);
        if (from_ok && to_ok && !date_le(from, to))
            loader_error_add(out, line, "valid_from %s is after valid_to %s", from, to);
        set_string(st, obj, "code", v[0]);
        set_string(st, obj, "name", name);
        if (regions)
            set_string(st, obj, "region", v[1]);
        set_string(st, obj, "valid_from", from_ok ? from : "");
        set_string(st, obj, "valid_to", to_ok ? to : "");
        break;
    }
    case LOADER_POPULATION: {
        long long year = 0, population = 0;
        if (!municipality_code_valid(v[0]))
            loader_error_add(out, line,
                             "municipality_code '%.40s' is not a CBS code (GM and four digits)",
                             v[0]);
        if (loader_parse_count(v[1], 1900, 2200, &year) != 0)
            loader_error_add(out, line, "year '%.40s' is not a year from 1900 to 2200", v[1]);
        if (loader_parse_count(v[2], 0, 100000000, &population) != 0)
            loader_error_add(out, line,
                             "population_0_17 '%.40s' is not a whole number of children (digits "
                             "only)",
                             v[2]);
        set_string(st, obj, "code", v[0]);
        json_object_set_new(obj, "year", json_integer(year));
        json_object_set_new(obj, "population", json_integer(population));
        break;
    }
    case LOADER_LINEAGE: {
        char date[11];
        if (!municipality_code_valid(v[0]))
            loader_error_add(
                out, line, "predecessor_code '%.40s' is not a CBS code (GM and four digits)", v[0]);
        if (!municipality_code_valid(v[1]))
            loader_error_add(out, line,
                             "successor_code '%.40s' is not a CBS code (GM and four digits)", v[1]);
        else if (strcmp(v[0], v[1]) == 0)
            loader_error_add(out, line, "a municipality cannot succeed itself (%s)", v[0]);
        if (!*v[2] || loader_parse_date(v[2], false, date) != 0) {
            loader_error_add(out, line, "date '%.40s' is not a date YYYY-MM-DD", v[2]);
            date[0] = '\0';
        }
        set_string(st, obj, "predecessor", v[0]);
        set_string(st, obj, "successor", v[1]);
        set_string(st, obj, "date", date);
        break;
    }
    }
    if (out->total_errors == before && st->bad_utf8)
        loader_error_add(out, line, "the row is not valid UTF-8");
    if (out->total_errors == before) {
        if (json_array_append_new(out->rows, obj) != 0) {
            st->oom = true;
            return 1;
        }
    } else {
        json_decref(obj);
    }
    return 0;
}

static int parse_row(const struct csv_row *row, void *userdata)
{
    struct parse_state *st = userdata;
    if (row->row == 1)
        return parse_header(st, row);
    st->out->data_rows++;
    if (st->out->data_rows > LOADER_MAX_ROWS) {
        loader_error_add(st->out, row->line, "more than %d rows; split the file", LOADER_MAX_ROWS);
        return 1;
    }
    if (row->ragged) {
        loader_error_add(st->out, row->line, "%zu fields where the header has %zu", row->nfields,
                         st->header_fields);
        return 0;
    }
    return parse_data_row(st, row);
}

int loader_parse_buffer(enum loader_kind kind, const struct loader_columns *cols,
                        const char *default_from, const void *data, size_t len,
                        struct loader_parse *out)
{
    memset(out, 0, sizeof *out);
    out->rows = json_array();
    if (!out->rows)
        return -1;
    struct parse_state st = {
        .kind = kind,
        .def = &loader_defs[kind],
        .cols = cols,
        .default_from = default_from,
        .out = out,
    };
    char csverr[200] = "";
    int rc = csv_reader_parse_buffer(data, len, parse_row, &st, NULL, csverr, sizeof csverr);
    if (st.oom || rc == CSV_READER_ENOMEM)
        return -1;
    if (rc < 0) {
        /* "line 7: malformed quoting" → line 7, "malformed quoting" */
        size_t line = 0;
        const char *msg = csverr;
        if (sscanf(csverr, "line %zu: ", &line) == 1 && strchr(csverr, ':'))
            msg = strchr(csverr, ':') + 2;
        loader_error_add(out, line, "%s; the rest of the file was not read", msg);
    } else if (out->data_rows == 0 && out->total_errors == 0) {
        loader_error_add(out, st.header_fields ? 1 : 0, "the file holds no data rows");
    }
    if (st.prefix_state != 1)
        out->code_prefix[0] = '\0';
    loader_errors_sort(out);
    return 0;
}
