/* `trechterd load`: municipalities, region sets, child populations and lineage from CSV files,
 * each file all or nothing in one transaction (design §1.6, §7; docs/geography.md). */
#include "daemon/loaders.h"

#include "core/municipality_code.h"

#include "daemon/admin_db.h"
#include "daemon/admin_options.h"
#include "core/csv_reader.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A reference file is a few thousand rows; this bounds what a wrong file name can cost. */
#define LOADER_MAX_FILE_BYTES (64u * 1024 * 1024)
#define LOADER_MAX_ROWS 1000000
/* Any fixed key: serialises concurrent loads so two of them never interleave. */
#define LOADER_LOCK_KEY "7472656368746901"

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

bool loader_is_label(const char *s)
{
    size_t len = strlen(s);
    bool visible = false;
    if (len == 0 || len > 200)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if (*p != ' ')
            visible = true;
    }
    return visible;
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
        if (!loader_is_label(name))
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

/* ---------------------------------------------------------------------------------------------
 * The database step */

struct load_args {
    enum loader_kind kind;
    const char *db;
    const char *file;
    const char *set;
    const char *name;
    const char *name_en;
    const char *columns;
    const char *from; /* regions: --from, normalised */
    char from_buf[11];
};

/* Every loader's rows land in this temporary table first; columns a loader does not use stay
 * NULL. Dropped at the end of the transaction. */
static const char create_rows_sql[] =
    "CREATE TEMP TABLE load_rows (line int, code text, name text, region text,"
    " valid_from date, valid_to date, year int, population int,"
    " predecessor text, successor text, date date) ON COMMIT DROP";
static const char fill_rows_sql[] =
    "INSERT INTO load_rows SELECT * FROM jsonb_populate_recordset(NULL::load_rows, $1::jsonb)";

/* Checks that need the database. Each answers (line, message) rows. */
static const char check_municipalities_sql[] =
    "SELECT line, format('municipality %s appears again (first on line %s)', code, first_line)"
    "  FROM (SELECT line, code, min(line) OVER (PARTITION BY code) AS first_line"
    "          FROM load_rows) d"
    " WHERE line <> first_line ORDER BY 1";

static const char check_regions_sql[] =
    "SELECT line, format('unknown municipality code %s', code) FROM load_rows r"
    " WHERE NOT EXISTS (SELECT 1 FROM municipalities m WHERE m.code = r.code)"
    " UNION ALL "
    "SELECT r.line, format('%s exists only from %s to %s, not from %s to %s', r.code,"
    "                      m.valid_from, m.valid_to, r.valid_from, r.valid_to)"
    "  FROM load_rows r JOIN municipalities m ON m.code = r.code"
    " WHERE r.valid_from > m.valid_to OR r.valid_to < m.valid_from"
    " UNION ALL "
    "SELECT line, format('region %s is named \"%s\" here but \"%s\" on line %s', region, name,"
    "                    first_name, first_line)"
    "  FROM (SELECT line, region, name, first_value(name) OVER w AS first_name,"
    "               first_value(line) OVER w AS first_line"
    "          FROM load_rows WINDOW w AS (PARTITION BY region ORDER BY line)) x"
    " WHERE name <> first_name"
    " UNION ALL "
    "SELECT line, format('%s is listed again for an overlapping period (first on line %s)',"
    "                    code, first_line)"
    "  FROM (SELECT DISTINCT ON (b.line) b.line, b.code, a.line AS first_line"
    "          FROM load_rows a JOIN load_rows b ON a.code = b.code AND a.line < b.line"
    "           AND a.valid_from <= b.valid_to AND b.valid_from <= a.valid_to"
    "         ORDER BY b.line, a.line) o"
    " ORDER BY 1";

static const char check_population_sql[] =
    "SELECT line, format('unknown municipality code %s', code) FROM load_rows r"
    " WHERE NOT EXISTS (SELECT 1 FROM municipalities m WHERE m.code = r.code)"
    " UNION ALL "
    "SELECT line, format('the population of %s in %s appears again (first on line %s)', code,"
    "                    year, first_line)"
    "  FROM (SELECT line, code, year, min(line) OVER (PARTITION BY code, year) AS first_line"
    "          FROM load_rows) d"
    " WHERE line <> first_line ORDER BY 1";

static const char check_lineage_sql[] =
    "SELECT line, format('unknown municipality code %s (predecessor_code)', predecessor)"
    "  FROM load_rows r"
    " WHERE NOT EXISTS (SELECT 1 FROM municipalities m WHERE m.code = r.predecessor)"
    " UNION ALL "
    "SELECT line, format('unknown municipality code %s (successor_code)', successor)"
    "  FROM load_rows r"
    " WHERE NOT EXISTS (SELECT 1 FROM municipalities m WHERE m.code = r.successor)"
    " UNION ALL "
    "SELECT line, format('%s -> %s appears again (first on line %s)', predecessor, successor,"
    "                    first_line)"
    "  FROM (SELECT line, predecessor, successor,"
    "               min(line) OVER (PARTITION BY predecessor, successor) AS first_line"
    "          FROM load_rows) d"
    " WHERE line <> first_line ORDER BY 1";

/* new, changed, unchanged: how the rows compare with what is stored. */
static const char count_municipalities_sql[] =
    "SELECT count(*) FILTER (WHERE m.code IS NULL),"
    "       count(*) FILTER (WHERE m.code IS NOT NULL AND (m.name, m.valid_from, m.valid_to)"
    "                        IS DISTINCT FROM (r.name, r.valid_from, r.valid_to)),"
    "       count(*) FILTER (WHERE (m.name, m.valid_from, m.valid_to)"
    "                        IS NOT DISTINCT FROM (r.name, r.valid_from, r.valid_to))"
    "  FROM load_rows r LEFT JOIN municipalities m ON m.code = r.code";
static const char count_population_sql[] =
    "SELECT count(*) FILTER (WHERE p.municipality_code IS NULL),"
    "       count(*) FILTER (WHERE p.population_0_17 <> r.population),"
    "       count(*) FILTER (WHERE p.population_0_17 = r.population)"
    "  FROM load_rows r LEFT JOIN populations p"
    "    ON p.municipality_code = r.code AND p.year = r.year";
static const char count_lineage_sql[] =
    "SELECT count(*) FILTER (WHERE l.date IS NULL),"
    "       count(*) FILTER (WHERE l.date <> r.date),"
    "       count(*) FILTER (WHERE l.date = r.date)"
    "  FROM load_rows r LEFT JOIN lineage l"
    "    ON l.predecessor_code = r.predecessor AND l.successor_code = r.successor";

/* Municipalities: upsert, keep the derived sets `municipality` and `nation` equal to each
 * municipality's validity, and clip every other set's memberships to it. */
static const char *const apply_municipalities_sql[] = {
    "INSERT INTO municipalities (code, name, valid_from, valid_to)"
    " SELECT code, name, valid_from, valid_to FROM load_rows"
    " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, valid_from = EXCLUDED.valid_from,"
    "                                  valid_to = EXCLUDED.valid_to",
    "INSERT INTO regions (set_key, code, name) SELECT 'municipality', code, name FROM load_rows"
    " ON CONFLICT (set_key, code) DO UPDATE SET name = EXCLUDED.name",
    "DELETE FROM region_memberships WHERE set_key IN ('municipality', 'nation')"
    "   AND municipality_code IN (SELECT code FROM load_rows)",
    "INSERT INTO region_memberships (set_key, municipality_code, region_code, valid_from,"
    "                                valid_to)"
    " SELECT 'municipality', code, code, valid_from, valid_to FROM load_rows"
    " UNION ALL"
    " SELECT 'nation', r.code, n.code, r.valid_from, r.valid_to"
    "   FROM load_rows r,"
    "        (SELECT code FROM regions WHERE set_key = 'nation' ORDER BY code LIMIT 1) n",
    /* A membership's valid_from is part of the key and the overlap trigger would see the old
     * row beside the new one: clipped rows are deleted and inserted again. */
    "CREATE TEMP TABLE load_clip ON COMMIT DROP AS"
    " SELECT rm.set_key, rm.municipality_code, rm.region_code, rm.valid_from AS old_from,"
    "        greatest(rm.valid_from, r.valid_from) AS valid_from,"
    "        least(rm.valid_to, r.valid_to) AS valid_to"
    "   FROM region_memberships rm JOIN load_rows r ON r.code = rm.municipality_code"
    "  WHERE rm.set_key NOT IN ('municipality', 'nation')"
    "    AND (rm.valid_from < r.valid_from OR rm.valid_to > r.valid_to)",
    "DELETE FROM region_memberships rm USING load_clip c"
    " WHERE rm.set_key = c.set_key AND rm.municipality_code = c.municipality_code"
    "   AND rm.valid_from = c.old_from",
    "INSERT INTO region_memberships (set_key, municipality_code, region_code, valid_from,"
    "                                valid_to)"
    " SELECT set_key, municipality_code, region_code, valid_from, valid_to FROM load_clip"
    "  WHERE valid_from <= valid_to",
    NULL,
};

/* Municipalities that belong to no region of some operator-loaded or classification set. */
static const char uncovered_sql[] =
    "SELECT r.code, string_agg(s.key, ', ' ORDER BY s.key) FROM load_rows r"
    "  JOIN region_sets s ON s.key NOT IN ('municipality', 'nation')"
    " WHERE NOT EXISTS (SELECT 1 FROM region_memberships rm"
    "                    WHERE rm.set_key = s.key AND rm.municipality_code = r.code)"
    " GROUP BY r.code ORDER BY r.code LIMIT 20";

static const char *const apply_population_sql[] = {
    "INSERT INTO populations (municipality_code, year, population_0_17)"
    " SELECT code, year, population FROM load_rows"
    " ON CONFLICT (municipality_code, year) DO UPDATE"
    "   SET population_0_17 = EXCLUDED.population_0_17",
    NULL,
};

static const char *const apply_lineage_sql[] = {
    "INSERT INTO lineage (predecessor_code, successor_code, date)"
    " SELECT predecessor, successor, date FROM load_rows"
    " ON CONFLICT (predecessor_code, successor_code) DO UPDATE SET date = EXCLUDED.date",
    NULL,
};

/* Reads a whole file (at most LOADER_MAX_FILE_BYTES). Returns a malloc'd buffer or NULL with
 * err set. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= LOADER_MAX_FILE_BYTES) {
                snprintf(err, errlen, "%s: larger than %u MiB", path,
                         LOADER_MAX_FILE_BYTES / (1024 * 1024));
                free(buf);
                buf = NULL;
                break;
            }
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (!buf && !*err)
        snprintf(err, errlen, "out of memory");
    fclose(f);
    *len = n;
    return buf;
}

/* Runs a (line, message) check query and adds its rows as errors. */
static int run_check(PGconn *conn, const char *sql, struct loader_parse *p, char *err,
                     size_t errlen)
{
    PGresult *res = admin_db_exec(conn, sql, 0, NULL, err, errlen);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res); i++)
        loader_error_add(p, (size_t)strtoull(PQgetvalue(res, i, 0), NULL, 10), "%s",
                         PQgetvalue(res, i, 1));
    PQclear(res);
    return 0;
}

static int run_all(PGconn *conn, const char *const *sql, char *err, size_t errlen)
{
    for (; *sql; sql++)
        if (admin_db_command(conn, *sql, 0, NULL, err, errlen) != 0)
            return -1;
    return 0;
}

/* Three counts from a count_*_sql query. */
static int run_counts(PGconn *conn, const char *sql, long long counts[3], char *err, size_t errlen)
{
    PGresult *res = admin_db_exec(conn, sql, 0, NULL, err, errlen);
    if (!res)
        return -1;
    for (int i = 0; i < 3; i++)
        counts[i] = atoll(PQgetvalue(res, 0, i));
    PQclear(res);
    return 0;
}

static long long query_count(PGconn *conn, const char *sql, int nparams, const char *const *params,
                             char *err, size_t errlen)
{
    PGresult *res = admin_db_exec(conn, sql, nparams, params, err, errlen);
    if (!res)
        return -1;
    long long v = PQntuples(res) ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return v;
}

/* Regions: creates or renames the set, replaces its memberships (all of them, or those from
 * --from on), upserts the file's regions and removes regions no membership uses any more.
 * Writes the summary into summary. */
static int apply_regions(PGconn *conn, const struct load_args *a, const struct loader_parse *p,
                         char *summary, size_t summarylen, char *err, size_t errlen)
{
    const char *prefix = p->code_prefix[0] ? p->code_prefix : NULL;
    const char *set_params[] = {a->set, a->name, a->name_en, prefix};
    PGresult *res = admin_db_exec(conn, "SELECT builtin FROM region_sets WHERE key = $1", 1,
                                  set_params, err, errlen);
    if (!res)
        return -1;
    bool exists = PQntuples(res) == 1;
    PQclear(res);
    if (!exists && !a->name) {
        snprintf(err, errlen,
                 "region set %s does not exist yet: give --name NAME (and --name-en) to create it",
                 a->set);
        return -1;
    }
    if (exists
            ? admin_db_command(conn,
                               "UPDATE region_sets SET name_nl = coalesce($2::text, name_nl),"
                               " name_en = coalesce($3::text, $2::text, name_en)"
                               " WHERE key = $1",
                               3, set_params, err, errlen)
            : admin_db_command(conn,
                               "INSERT INTO region_sets (key, name_nl, name_en, builtin,"
                               " code_prefix) VALUES ($1, $2::text, coalesce($3::text, $2::text),"
                               " false, $4)",
                               4, set_params, err, errlen))
        return -1;

    const char *from_params[] = {a->set, a->from};
    long long replaced;
    if (a->from) {
        replaced = query_count(conn,
                               "WITH d AS (DELETE FROM region_memberships WHERE set_key = $1"
                               " AND valid_from >= $2::date RETURNING 1) SELECT count(*) FROM d",
                               2, from_params, err, errlen);
        if (replaced < 0 || admin_db_command(conn,
                                             "UPDATE region_memberships SET valid_to = $2::date - 1"
                                             " WHERE set_key = $1 AND valid_to >= $2::date",
                                             2, from_params, err, errlen) != 0)
            return -1;
    } else {
        replaced = query_count(conn,
                               "WITH d AS (DELETE FROM region_memberships WHERE set_key = $1"
                               " RETURNING 1) SELECT count(*) FROM d",
                               1, from_params, err, errlen);
        if (replaced < 0)
            return -1;
    }
    long long regions = query_count(
        conn,
        "WITH u AS (INSERT INTO regions (set_key, code, name)"
        "  SELECT DISTINCT ON (region) $1, region, name FROM load_rows ORDER BY region, line"
        "  ON CONFLICT (set_key, code) DO UPDATE SET name = EXCLUDED.name RETURNING 1)"
        " SELECT count(*) FROM u",
        1, from_params, err, errlen);
    if (regions < 0)
        return -1;
    long long memberships = query_count(
        conn,
        "WITH i AS (INSERT INTO region_memberships (set_key, municipality_code, region_code,"
        "                                           valid_from, valid_to)"
        "  SELECT $1, r.code, r.region, greatest(r.valid_from, m.valid_from),"
        "         least(r.valid_to, m.valid_to)"
        "    FROM load_rows r JOIN municipalities m ON m.code = r.code RETURNING 1)"
        " SELECT count(*) FROM i",
        1, from_params, err, errlen);
    if (memberships < 0)
        return -1;
    long long removed = query_count(
        conn,
        "WITH d AS (DELETE FROM regions g WHERE g.set_key = $1 AND NOT EXISTS ("
        "  SELECT 1 FROM region_memberships rm WHERE rm.set_key = $1 AND rm.region_code = g.code)"
        "  RETURNING 1) SELECT count(*) FROM d",
        1, from_params, err, errlen);
    if (removed < 0)
        return -1;
    int n = snprintf(summary, summarylen, "loaded %lld regions and %lld memberships into %s",
                     regions, memberships, a->set);
    if (n > 0 && (size_t)n < summarylen) {
        if (!exists)
            snprintf(summary + n, summarylen - (size_t)n, " (a new region set%s%s)",
                     prefix ? ", code prefix " : "", prefix ? prefix : "");
        else
            snprintf(summary + n, summarylen - (size_t)n,
                     " (replaced %lld memberships%s%s; removed %lld regions no longer used)",
                     replaced, a->from ? " from " : "", a->from ? a->from : "", removed);
    }
    return 0;
}

static void print_errors(const char *file, const struct loader_parse *p)
{
    size_t shown = p->nerrors < LOADER_MAX_SHOWN_ERRORS ? p->nerrors : LOADER_MAX_SHOWN_ERRORS;
    for (size_t i = 0; i < shown; i++) {
        if (p->errors[i].line)
            fprintf(stderr, "%s:%zu: %s\n", file, p->errors[i].line, p->errors[i].message);
        else
            fprintf(stderr, "%s: %s\n", file, p->errors[i].message);
    }
    if (p->total_errors > shown)
        fprintf(stderr, "%s: %zu more errors not shown\n", file, p->total_errors - shown);
    fprintf(stderr, "%s: %zu error%s; nothing was loaded\n", file, p->total_errors,
            p->total_errors == 1 ? "" : "s");
}

/* Checks and loads one parsed file in one transaction. Returns the exit status. */
static int load_into_db(PGconn *conn, const struct load_args *a, struct loader_parse *p)
{
    const char *kind = loader_defs[a->kind].name;
    char err[1024] = "", summary[512] = "", path[64];
    char *json = NULL;
    PGresult *res = NULL;
    long long c[3];
    if (admin_db_command(conn, "BEGIN", 0, NULL, err, sizeof err) != 0 ||
        admin_db_command(conn, "SELECT pg_advisory_xact_lock(" LOADER_LOCK_KEY ")", 0, NULL, err,
                         sizeof err) != 0 ||
        admin_db_command(conn, create_rows_sql, 0, NULL, err, sizeof err) != 0)
        goto fail;
    json = json_dumps(p->rows, JSON_COMPACT);
    if (!json) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    const char *fill[] = {json};
    if (admin_db_command(conn, fill_rows_sql, 1, fill, err, sizeof err) != 0)
        goto fail;
    free(json);
    json = NULL;

    const char *check = a->kind == LOADER_MUNICIPALITIES ? check_municipalities_sql
                        : a->kind == LOADER_REGIONS      ? check_regions_sql
                        : a->kind == LOADER_POPULATION   ? check_population_sql
                                                         : check_lineage_sql;
    if (run_check(conn, check, p, err, sizeof err) != 0)
        goto fail;
    if (p->total_errors) {
        admin_db_rollback(conn);
        loader_errors_sort(p);
        print_errors(a->file, p);
        return 1;
    }

    switch (a->kind) {
    case LOADER_MUNICIPALITIES:
        if (run_counts(conn, count_municipalities_sql, c, err, sizeof err) != 0 ||
            run_all(conn, apply_municipalities_sql, err, sizeof err) != 0)
            goto fail;
        snprintf(summary, sizeof summary,
                 "loaded %zu municipalities (%lld new, %lld changed, %lld unchanged)",
                 json_array_size(p->rows), c[0], c[1], c[2]);
        res = admin_db_exec(conn, uncovered_sql, 0, NULL, err, sizeof err);
        if (!res)
            goto fail;
        for (int i = 0; i < PQntuples(res); i++)
            fprintf(stderr,
                    "trechterd load: note: %s belongs to no region of %s; load those sets with "
                    "trechterd load regions\n",
                    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        PQclear(res);
        res = NULL;
        break;
    case LOADER_REGIONS:
        if (apply_regions(conn, a, p, summary, sizeof summary, err, sizeof err) != 0)
            goto fail;
        break;
    case LOADER_POPULATION:
        if (run_counts(conn, count_population_sql, c, err, sizeof err) != 0 ||
            run_all(conn, apply_population_sql, err, sizeof err) != 0)
            goto fail;
        snprintf(summary, sizeof summary,
                 "loaded %zu population figures (%lld new, %lld changed, %lld unchanged)",
                 json_array_size(p->rows), c[0], c[1], c[2]);
        break;
    case LOADER_LINEAGE:
        if (run_counts(conn, count_lineage_sql, c, err, sizeof err) != 0 ||
            run_all(conn, apply_lineage_sql, err, sizeof err) != 0)
            goto fail;
        snprintf(summary, sizeof summary,
                 "loaded %zu lineage links (%lld new, %lld changed, %lld unchanged)",
                 json_array_size(p->rows), c[0], c[1], c[2]);
        break;
    }
    snprintf(path, sizeof path, "load %s", kind);
    if (admin_db_audit(conn, path, summary, err, sizeof err) != 0 ||
        admin_db_command(conn, "SELECT pg_notify('trechter_changes', 'reference')", 0, NULL, err,
                         sizeof err) != 0 ||
        admin_db_command(conn, "COMMIT", 0, NULL, err, sizeof err) != 0)
        goto fail;
    printf("%s\n", summary);
    fflush(stdout);
    return 0;
fail:
    free(json);
    PQclear(res);
    admin_db_rollback(conn);
    fprintf(stderr, "trechterd load: %s: %s; nothing was loaded\n", a->file, err);
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * The command */

static const char load_help[] =
    "Usage: trechterd load municipalities FILE [--db CONNINFO] [--columns MAP]\n"
    "       trechterd load regions --set KEY [--name NAME] [--name-en NAME] [--from DATE]\n"
    "                              [--columns MAP] FILE [--db CONNINFO]\n"
    "       trechterd load population FILE [--db CONNINFO] [--columns MAP]\n"
    "       trechterd load lineage FILE [--db CONNINFO] [--columns MAP]\n"
    "\n"
    "Loads geography and child populations from an RFC 4180 CSV file (',' or ';' separated,\n"
    "optional UTF-8 BOM, CRLF or LF). Line 1 is the header; columns are found by name (any\n"
    "order, other columns ignored). The whole file is one transaction: if any row is wrong,\n"
    "up to 20 problems are listed as FILE:LINE: what is wrong, and nothing is loaded.\n"
    "\n"
    "municipalities  municipality_code,municipality_name[,valid_from,valid_to]\n"
    "                Adds or updates municipalities (a herindeling: give the old ones a\n"
    "                valid_to, add the new ones with a valid_from). Dates YYYY-MM-DD, both\n"
    "                inclusive; empty means open. The built-in sets `municipality` and `nation`\n"
    "                follow each municipality's validity; memberships of other sets are clipped\n"
    "                to it. Municipalities not in the file are left alone.\n"
    "regions         municipality_code,region_code,region_name[,valid_from,valid_to]\n"
    "                Loads region set KEY: creates it if new (--name required then), and\n"
    "                REPLACES all its memberships with the file's rows - or, with --from DATE,\n"
    "                only those from DATE on (earlier ones are kept and end the day before).\n"
    "                Regions no membership uses any more are removed. Refuses the derived sets\n"
    "                `municipality` and `nation`; `province` and `safetyRegion` may be reloaded.\n"
    "population      municipality_code,year,population_0_17 (children aged 0-17 on 1 January)\n"
    "lineage         predecessor_code,successor_code,date (the predecessor's area went to the\n"
    "                successor on date)\n"
    "\n"
    "  --db CONNINFO      libpq connection string or URI (default: $TRECHTER_DB)\n"
    "  --set KEY          region set key, lowerCamelCase (youthRegion, veiligThuisRegion, ...)\n"
    "  --name NAME        the set's Dutch name (Jeugdregio's); --name-en its English name\n"
    "  --from DATE        regions: the file's classification holds from DATE on\n"
    "  --columns MAP      read columns under other header names, e.g. for CBS 85755NED:\n"
    "                     --columns municipality_code=Code_1,region_code=Code_16,"
    "region_name=Naam_17\n"
    "                     (values are trimmed: CBS codes carry trailing spaces)\n"
    "\n"
    "Running daemons are told through NOTIFY trechter_changes 'reference'. Exit status: 0\n"
    "loaded, 1 refused or failed (nothing loaded), 2 bad usage. See docs/geography.md.\n";

static void load_usage_error(const char *msg)
{
    admin_print_error("load", msg);
    fputs("Try 'trechterd load --help'.\n", stderr);
}

/* Parses argv (argv[0] is the kind). Returns 0, 1 for --help (printed), or -1 after an error. */
static int parse_load_args(int argc, char **argv, struct load_args *a)
{
    const char *from = NULL;
    bool help = false;
    const struct admin_option options[] = {
        {"db", .value = &a->db},           {"set", .value = &a->set},
        {"name", .value = &a->name},       {"name-en", .value = &a->name_en},
        {"columns", .value = &a->columns}, {"from", .value = &from},
    };
    char err[160];
    int next;
    switch (admin_parse_options(argc, argv, options, sizeof options / sizeof options[0], false,
                                &next, err, sizeof err)) {
    case ADMIN_PARSE_HELP:
        help = true;
        break;
    case ADMIN_PARSE_ERROR:
        load_usage_error(err);
        return -1;
    case ADMIN_PARSE_OK:
        break;
    }
    if (help) {
        fputs(load_help, stdout);
        return 1;
    }
    if (next >= argc) {
        load_usage_error("no FILE given");
        return -1;
    }
    a->file = argv[next++];
    if (next < argc) {
        load_usage_error("more than one FILE given");
        return -1;
    }
    bool regions = a->kind == LOADER_REGIONS;
    if (!regions && (a->set || a->name || a->name_en || from)) {
        load_usage_error("--set, --name, --name-en and --from belong to load regions");
        return -1;
    }
    if (!regions)
        return 0;
    if (!a->set || !loader_is_set_key(a->set)) {
        load_usage_error("load regions needs --set KEY (lowerCamelCase letters and digits, e.g. "
                         "youthRegion)");
        return -1;
    }
    if (strcmp(a->set, "municipality") == 0 || strcmp(a->set, "nation") == 0) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the region set %s is derived from the municipalities and cannot be loaded; "
                 "use trechterd load municipalities",
                 a->set);
        admin_print_error("load", msg);
        return -1;
    }
    if ((a->name && !loader_is_label(a->name)) || (a->name_en && !loader_is_label(a->name_en))) {
        load_usage_error("--name and --name-en take 1 to 200 characters, no control characters");
        return -1;
    }
    if (from) {
        if (!*from || loader_parse_date(from, false, a->from_buf) != 0) {
            load_usage_error("--from takes a date YYYY-MM-DD");
            return -1;
        }
        a->from = a->from_buf;
    }
    return 0;
}

int loaders_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(load_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    struct load_args a = {0};
    size_t k = 0, nkinds = sizeof loader_defs / sizeof loader_defs[0];
    while (k < nkinds && strcmp(argv[1], loader_defs[k].name) != 0)
        k++;
    if (k == nkinds) {
        load_usage_error("unknown kind (municipalities, regions, population, lineage)");
        return 2;
    }
    a.kind = (enum loader_kind)k;
    int parsed = parse_load_args(argc - 1, argv + 1, &a);
    if (parsed)
        return parsed > 0 ? 0 : 2;

    struct loader_columns cols = {0};
    struct loader_parse p = {0};
    char err[1024] = "";
    char *data = NULL;
    PGconn *conn = NULL;
    int rc = 2;
    if (a.columns && loader_columns_parse(a.kind, a.columns, &cols, err, sizeof err) != 0) {
        load_usage_error(err);
        goto out;
    }
    const char *conninfo = admin_db_conninfo(a.db);
    if (!conninfo) {
        load_usage_error("no database: give --db CONNINFO or set TRECHTER_DB");
        goto out;
    }
    rc = 1;
    size_t len = 0;
    data = read_file(a.file, &len, err, sizeof err);
    if (!data) {
        admin_print_error("load", err);
        goto out;
    }
    if (loader_parse_buffer(a.kind, &cols, a.from, data, len, &p) != 0) {
        admin_print_error("load", "out of memory");
        goto out;
    }
    free(data);
    data = NULL;
    /* Without a usable header no row could be checked; with one, every row is checked against
     * the database too, so the operator sees all problems at once. */
    if (p.total_errors && json_array_size(p.rows) == 0) {
        print_errors(a.file, &p);
        goto out;
    }
    conn = admin_db_connect(conninfo, "load", err, sizeof err);
    if (!conn) {
        admin_print_error("load", err);
        goto out;
    }
    rc = load_into_db(conn, &a, &p);
out:
    free(data);
    loader_parse_free(&p);
    loader_columns_free(&cols);
    if (conn)
        PQfinish(conn);
    return rc;
}
