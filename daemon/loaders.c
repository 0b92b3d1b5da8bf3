/* `trechterd load`: the database step and the command (the parsing step is core/load_csv.c). */
#include "daemon/loaders.h"
#include "core/label.h"

#include "core/municipality_code.h"
#include "daemon/admin_db.h"
#include "daemon/admin_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A reference file is a few thousand rows; this bounds what a wrong file name can cost. */
#define LOADER_MAX_FILE_BYTES (64u * 1024 * 1024)
/* Any fixed key: serialises concurrent loads so two of them never interleave. */
#define LOADER_LOCK_KEY "7472656368746901"

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
    const char *kind = loader_kind_name(a->kind);
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
    if ((a->name && !label_valid(a->name)) || (a->name_en && !label_valid(a->name_en))) {
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
    if (!loader_kind_from_name(argv[1], &a.kind)) {
        load_usage_error("unknown kind (municipalities, regions, population, lineage)");
        return 2;
    }
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
