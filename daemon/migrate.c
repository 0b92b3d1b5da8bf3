/* `trechterd migrate`: ordered, locked, transactional schema migrations and their C data steps. */
#include "daemon/migrate.h"

#include "daemon/admin_db.h"
#include "daemon/admin_options.h"
#include "core/csv_reader.h"
#include "daemon/embedded.h"

#include <stdlib.h>
#include <string.h>

/* Arbitrary, fixed key of the session advisory lock that serialises concurrent migrate runs. */
#define MIGRATE_LOCK_KEY "7472656368746572"
#define MIGRATE_MAX 999

const char migrate_compat_sql[] =
    "SELECT coalesce(max(version), 0),"
    "       coalesce(max(compatible_from) FILTER (WHERE version > $1::int), 0)"
    "  FROM schema_migrations";

static const char create_schema_migrations_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version int PRIMARY KEY CHECK (version > 0),"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " compatible_from int NOT NULL CHECK (compatible_from BETWEEN 1 AND version))";

/* One migration found among the embedded files. Everything borrows from embedded_files. */
struct migration {
    int version;
    char name[64];       /* "001_schema" */
    const char *sql;     /* NUL-terminated file text */
    int compatible_from; /* from the `-- compatible-from: N` first line, default 1 */
};

/* A data step runs after its migration's SQL, inside the same transaction. */
typedef int (*data_step_fn)(PGconn *conn, char *err, size_t errlen);
static int load_gebieden_2023(PGconn *conn, char *err, size_t errlen);

static const struct {
    int version;
    data_step_fn fn;
} data_steps[] = {
    {3, load_gebieden_2023},
};

/* ---------------------------------------------------------------------------------------------
 * Discovery */

/* "sql/NNN_name.sql" → version NNN (1..999), or 0 when the name is not a migration. */
static int migration_version(const char *path, const char **stem)
{
    const char *p = path;
    if (strncmp(p, "sql/", 4) != 0)
        return 0;
    p += 4;
    for (int i = 0; i < 3; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    size_t len = strlen(p);
    if (p[3] != '_' || len < 9 || strcmp(p + len - 4, ".sql") != 0)
        return 0;
    *stem = p;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

static int parse_compatible_from(const char *sql)
{
    static const char tag[] = "-- compatible-from:";
    if (strncmp(sql, tag, sizeof tag - 1) != 0)
        return 1;
    char *end;
    long v = strtol(sql + sizeof tag - 1, &end, 10);
    if (end == sql + sizeof tag - 1 || v < 1 || v > MIGRATE_MAX)
        return -1;
    return (int)v;
}

/* Fills list (capacity MIGRATE_MAX) in version order. Returns the count, or -1 with err set
 * (two files with one number, a bad compatible-from). */
static int migrations_list(struct migration *list, char *err, size_t errlen)
{
    int n = 0;
    for (const struct embedded_file *f = embedded_files; f->name; f++) {
        const char *stem = NULL;
        int v = migration_version(f->name, &stem);
        if (!v)
            continue;
        struct migration m = {.version = v, .sql = (const char *)f->data};
        size_t stemlen = strlen(stem) - 4;
        if (stemlen >= sizeof m.name)
            stemlen = sizeof m.name - 1;
        memcpy(m.name, stem, stemlen);
        m.name[stemlen] = '\0';
        m.compatible_from = parse_compatible_from(m.sql);
        if (m.compatible_from < 1 || m.compatible_from > v) {
            snprintf(err, errlen, "%s: bad '-- compatible-from:' line", f->name);
            return -1;
        }
        int i = n++;
        while (i > 0 && list[i - 1].version > v) {
            list[i] = list[i - 1];
            i--;
        }
        if (i > 0 && list[i - 1].version == v) {
            snprintf(err, errlen, "two migrations numbered %03d", v);
            return -1;
        }
        list[i] = m;
    }
    return n;
}

int migrate_binary_version(void)
{
    int best = 0;
    for (const struct embedded_file *f = embedded_files; f->name; f++) {
        const char *stem;
        int v = migration_version(f->name, &stem);
        if (v > best)
            best = v;
    }
    return best;
}

int migrate_min_compatible(void)
{
    int best = 0, compat = 1;
    for (const struct embedded_file *f = embedded_files; f->name; f++) {
        const char *stem;
        int v = migration_version(f->name, &stem);
        if (v > best) {
            best = v;
            compat = parse_compatible_from((const char *)f->data);
        }
    }
    return compat < 1 ? 1 : compat;
}

bool migrate_schema_compatible(int db_version, int db_compatible_from)
{
    int mine = migrate_binary_version();
    if (db_version < mine)
        return false;
    return db_version == mine || db_compatible_from <= mine;
}

/* ---------------------------------------------------------------------------------------------
 * Applying */

/* Line of a 1-based character position (PostgreSQL counts characters, not bytes). */
static int line_of_position(const char *sql, long pos)
{
    int line = 1;
    long chars = 0;
    for (const unsigned char *p = (const unsigned char *)sql; *p && chars < pos - 1; p++) {
        if ((*p & 0xC0) != 0x80)
            chars++;
        if (*p == '\n')
            line++;
    }
    return line;
}

static int exec_migration_sql(PGconn *conn, const struct migration *m, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, m->sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        PQclear(res);
        return 0;
    }
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
    if (!msg)
        msg = PQerrorMessage(conn);
    if (pos)
        snprintf(err, errlen, "sql/%s.sql line %d: %s", m->name,
                 line_of_position(m->sql, strtol(pos, NULL, 10)), msg);
    else
        snprintf(err, errlen, "sql/%s.sql: %s", m->name, msg);
    PQclear(res);
    return -1;
}

static int apply_one(PGconn *conn, const struct migration *m, char *err, size_t errlen)
{
    char sub[512] = "";
    if (admin_db_command(conn, "BEGIN", 0, NULL, sub, sizeof sub) != 0)
        goto fail;
    if (exec_migration_sql(conn, m, sub, sizeof sub) != 0)
        goto fail;
    for (size_t i = 0; i < sizeof data_steps / sizeof data_steps[0]; i++)
        if (data_steps[i].version == m->version && data_steps[i].fn(conn, sub, sizeof sub) != 0)
            goto fail;
    char version[16], compat[16];
    snprintf(version, sizeof version, "%d", m->version);
    snprintf(compat, sizeof compat, "%d", m->compatible_from);
    const char *params[] = {version, m->name, compat};
    if (admin_db_command(conn,
                         "INSERT INTO schema_migrations (version, name, compatible_from)"
                         " VALUES ($1::int, $2, $3::int)",
                         3, params, sub, sizeof sub) != 0)
        goto fail;
    if (admin_db_command(conn, "COMMIT", 0, NULL, sub, sizeof sub) != 0)
        goto fail;
    return 0;
fail:
    admin_db_rollback(conn);
    snprintf(err, errlen, "migration %s failed, rolled back: %s", m->name, sub);
    return -1;
}

int migrate_run(PGconn *conn, FILE *log, char *err, size_t errlen)
{
    int rc = -1, current = 0, applied = 0;
    bool locked = false;
    PGresult *res = NULL;
    struct migration *list = calloc(MIGRATE_MAX, sizeof *list);
    if (!list) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int n = migrations_list(list, err, errlen);
    if (n < 0)
        goto out;
    if (admin_db_command(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, err,
                         errlen) != 0)
        goto out;
    locked = true;
    if (admin_db_command(conn, create_schema_migrations_sql, 0, NULL, err, errlen) != 0)
        goto out;
    res = admin_db_exec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL,
                        err, errlen);
    if (!res)
        goto out;
    current = atoi(PQgetvalue(res, 0, 0));
    int mine = n ? list[n - 1].version : 0;
    if (current > mine) {
        snprintf(err, errlen,
                 "the database schema is at version %d, newer than this binary's version %d; "
                 "refusing to touch it (use a trechterd built with the newer migrations)",
                 current, mine);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (list[i].version <= current)
            continue;
        if (apply_one(conn, &list[i], err, errlen) != 0)
            goto out;
        applied++;
        if (log) {
            fprintf(log, "applied %s (version %d)\n", list[i].name, list[i].version);
            fflush(log);
        }
    }
    if (!applied && log)
        fprintf(log, "up to date at version %d\n", current);
    rc = 0;
out:
    PQclear(res);
    if (locked)
        PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    free(list);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Data step of version 3: sql/gebieden-2023.csv into municipalities and the built-in sets. */

#define GEBIEDEN_FILE "sql/gebieden-2023.csv"

struct seen_region {
    char set[16];
    char code[8];
    char name[128];
};

struct gebieden_load {
    PGconn *conn;
    char *err;
    size_t errlen;
    size_t municipalities;
    struct seen_region regions[64]; /* provinces and safety regions: 12 + 25 */
    size_t nregions;
};

static const char *const gebieden_columns[] = {
    "municipality_code", "municipality_name",  "province_code",
    "province_name",     "safety_region_code", "safety_region_name",
};

static int gebieden_fail(struct gebieden_load *g, const struct csv_row *row, const char *msg)
{
    snprintf(g->err, g->errlen, "%s line %zu: %s", GEBIEDEN_FILE, row->line, msg);
    return 1;
}

/* Inserts a province or safety region the first time its code appears; a code seen again with
 * another name is an error in the file. */
static int gebieden_region(struct gebieden_load *g, const struct csv_row *row, const char *set,
                           const char *code, const char *name)
{
    for (size_t i = 0; i < g->nregions; i++) {
        struct seen_region *s = &g->regions[i];
        if (strcmp(s->set, set) == 0 && strcmp(s->code, code) == 0)
            return strcmp(s->name, name) == 0 ? 0 : gebieden_fail(g, row, "region named twice");
    }
    if (g->nregions == sizeof g->regions / sizeof g->regions[0] || strlen(code) >= 8 ||
        strlen(name) >= 128)
        return gebieden_fail(g, row, "too many or too long region entries");
    struct seen_region *s = &g->regions[g->nregions++];
    snprintf(s->set, sizeof s->set, "%s", set);
    snprintf(s->code, sizeof s->code, "%s", code);
    snprintf(s->name, sizeof s->name, "%s", name);
    const char *params[] = {set, code, name};
    char sub[256];
    if (admin_db_command(g->conn, "INSERT INTO regions (set_key, code, name) VALUES ($1, $2, $3)",
                         3, params, sub, sizeof sub) != 0)
        return gebieden_fail(g, row, sub);
    return 0;
}

static bool has_prefix_code(const char *s, const char *prefix, size_t digits)
{
    if (strncmp(s, prefix, 2) != 0 || strlen(s) != 2 + digits)
        return false;
    for (size_t i = 2; i < 2 + digits; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int gebieden_row(const struct csv_row *row, void *userdata)
{
    struct gebieden_load *g = userdata;
    size_t ncols = sizeof gebieden_columns / sizeof gebieden_columns[0];
    if (row->nfields != ncols)
        return gebieden_fail(g, row, "expected 6 fields");
    if (row->row == 1) {
        for (size_t i = 0; i < ncols; i++)
            if (strcmp(row->fields[i], gebieden_columns[i]) != 0)
                return gebieden_fail(g, row, "unexpected header");
        return 0;
    }
    const char *const *f = row->fields;
    if (!has_prefix_code(f[0], "GM", 4) || !has_prefix_code(f[2], "PV", 2) ||
        !has_prefix_code(f[4], "VR", 2))
        return gebieden_fail(g, row, "malformed GM, PV or VR code");
    for (size_t i = 1; i < ncols; i += 2)
        if (!*f[i])
            return gebieden_fail(g, row, "empty name");
    char sub[256];
    const char *mun[] = {f[0], f[1]};
    if (admin_db_command(g->conn, "INSERT INTO municipalities (code, name) VALUES ($1, $2)", 2, mun,
                         sub, sizeof sub) != 0 ||
        admin_db_command(
            g->conn, "INSERT INTO regions (set_key, code, name) VALUES ('municipality', $1, $2)", 2,
            mun, sub, sizeof sub) != 0)
        return gebieden_fail(g, row, sub);
    if (gebieden_region(g, row, "province", f[2], f[3]) ||
        gebieden_region(g, row, "safetyRegion", f[4], f[5]))
        return 1;
    const char *mem[] = {f[0], f[2], f[4]};
    if (admin_db_command(g->conn,
                         "INSERT INTO region_memberships (set_key, municipality_code, region_code)"
                         " VALUES ('municipality', $1, $1), ('nation', $1, 'NL01'),"
                         "        ('province', $1, $2), ('safetyRegion', $1, $3)",
                         3, mem, sub, sizeof sub) != 0)
        return gebieden_fail(g, row, sub);
    g->municipalities++;
    return 0;
}

static int load_gebieden_2023(PGconn *conn, char *err, size_t errlen)
{
    const struct embedded_file *f = embedded_find(GEBIEDEN_FILE);
    if (!f) {
        snprintf(err, errlen, "%s is not built into this binary", GEBIEDEN_FILE);
        return -1;
    }
    struct gebieden_load g = {.conn = conn, .err = err, .errlen = errlen};
    char csverr[200];
    int rc =
        csv_reader_parse_buffer(f->data, f->len, gebieden_row, &g, NULL, csverr, sizeof csverr);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", GEBIEDEN_FILE, csverr);
    if (rc)
        return -1;
    if (g.municipalities == 0) {
        snprintf(err, errlen, "%s holds no municipalities", GEBIEDEN_FILE);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * The command */

static void migrate_usage(FILE *out)
{
    fprintf(out,
            "Usage: trechterd migrate --db CONNINFO\n"
            "\n"
            "Brings the database schema to the version built into this binary (%d), applying\n"
            "each missing migration in its own transaction. Safe to run again (it then says\n"
            "\"up to date\") and from several hosts at once (an advisory lock serialises runs).\n"
            "Refuses a database whose schema is newer than this binary.\n"
            "\n"
            "  --db CONNINFO  libpq connection string or URI (default: $TRECHTER_DB)\n"
            "  --help         this text\n"
            "\n"
            "Exit status: 0 migrated or up to date, 1 failure or refusal, 2 bad usage.\n",
            migrate_binary_version());
}

int migrate_main(int argc, char **argv)
{
    const char *db = NULL;
    const struct admin_option options[] = {{"db", .value = &db}};
    char err[1024];
    int next;
    switch (admin_parse_options(argc, argv, options, 1, true, &next, err, sizeof err)) {
    case ADMIN_PARSE_HELP:
        migrate_usage(stdout);
        return 0;
    case ADMIN_PARSE_ERROR:
        admin_print_error("migrate", err);
        migrate_usage(stderr);
        return 2;
    case ADMIN_PARSE_OK:
        break;
    }
    if (next < argc) {
        admin_print_error("migrate", "unexpected argument (see --help)");
        return 2;
    }
    const char *conninfo = admin_db_conninfo(db);
    if (!conninfo) {
        admin_print_error("migrate", "no database: give --db CONNINFO or set TRECHTER_DB");
        return 2;
    }
    PGconn *conn = admin_db_connect(conninfo, "migrate", err, sizeof err);
    if (!conn) {
        admin_print_error("migrate", err);
        return 1;
    }
    int rc = migrate_run(conn, stdout, err, sizeof err);
    if (rc != 0)
        admin_print_error("migrate", err);
    PQfinish(conn);
    fflush(stdout);
    return rc == 0 ? 0 : 1;
}
