/* Integration tests of `trechterd migrate` and `trechterd token` against a real PostgreSQL.
 *
 * TRECHTER_TEST_DB is the conninfo of a scratch database whose role may CREATE DATABASE; every test
 * makes its own randomly named database there and drops it afterwards. Without the variable the
 * tests are skipped. The commands run in-process (migrate_main, token_main) with stdout captured.
 */
#include "daemon/migrate.h"
#include "daemon/token_admin.h"
#include "core/token_hash.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Per test (Criterion runs each test in its own process). */
static char db_name[64];
static char db_conninfo[2048];

static PGconn *connect_or_die(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

/* Appends key='value' with libpq's quoting to buf. */
static void append_kv(char *buf, size_t cap, const char *key, const char *value)
{
    size_t n = strlen(buf);
    n += (size_t)snprintf(buf + n, cap - n, "%s='", key);
    for (const char *p = value; *p && n + 3 < cap; p++) {
        if (*p == '\'' || *p == '\\')
            buf[n++] = '\\';
        buf[n++] = *p;
    }
    snprintf(buf + n, cap - n, "' ");
}

static void scratch_db_up(void)
{
    const char *base = getenv("TRECHTER_TEST_DB");
    if (!base || !*base)
        cr_skip_test("TRECHTER_TEST_DB is not set");
    unsigned char rnd[6];
    cr_assert_eq(getrandom(rnd, sizeof rnd, 0), (ssize_t)sizeof rnd);
    snprintf(db_name, sizeof db_name, "trechter_mig_%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    PGconn *admin = connect_or_die(base);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db_name);
    PGresult *res = PQexec(admin, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(admin));
    PQclear(res);
    PQfinish(admin);

    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(base, &errmsg);
    cr_assert_not_null(opts, "TRECHTER_TEST_DB: %s", errmsg ? errmsg : "?");
    db_conninfo[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && *o->val && strcmp(o->keyword, "dbname") != 0)
            append_kv(db_conninfo, sizeof db_conninfo, o->keyword, o->val);
    append_kv(db_conninfo, sizeof db_conninfo, "dbname", db_name);
    PQconninfoFree(opts);
}

static void scratch_db_down(void)
{
    const char *base = getenv("TRECHTER_TEST_DB");
    if (!base || !*base || !db_name[0])
        return;
    PGconn *admin = PQconnectdb(base);
    if (PQstatus(admin) == CONNECTION_OK) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
        PQclear(PQexec(admin, sql));
    }
    PQfinish(admin);
}

TestSuite(migrate, .init = scratch_db_up, .fini = scratch_db_down, .timeout = 60);

/* Runs an admin command in-process; its stdout lands in out. Returns the exit status. */
static int run(int (*cmd)(int, char **), char *out, size_t outlen, int argc, char **argv)
{
    fflush(stdout);
    FILE *tmp = tmpfile();
    cr_assert_not_null(tmp);
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(tmp), STDOUT_FILENO);
    int rc = cmd(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, outlen - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return rc;
}

static int migrate(char *out, size_t outlen)
{
    char *argv[] = {"migrate", "--db", db_conninfo, NULL};
    return run(migrate_main, out, outlen, 3, argv);
}

static long long query_int(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    cr_assert_eq(PQntuples(res), 1, "%s", sql);
    long long v = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(migrate, applies_all_then_is_a_no_op, .timeout = 60)
{
    char out[4096];
    cr_assert_eq(migrate(out, sizeof out), 0);
    int version = migrate_binary_version();
    cr_assert_geq(version, 3);
    cr_assert_eq(count_lines(out), (size_t)version, "one line per migration:\n%s", out);
    cr_assert(strstr(out, "applied 001_schema (version 1)") != NULL, "%s", out);

    cr_assert_eq(migrate(out, sizeof out), 0);
    char expect[64];
    snprintf(expect, sizeof expect, "up to date at version %d\n", version);
    cr_assert_str_eq(out, expect);

    PGconn *c = connect_or_die(db_conninfo);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM schema_migrations"), version);
    cr_assert_eq(query_int(c, "SELECT max(version) FROM schema_migrations"), version);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM schema_migrations WHERE compatible_from < 1"),
                 0);
    PQfinish(c);
}

Test(migrate, loads_geography_and_reference_data, .timeout = 60)
{
    char out[4096];
    cr_assert_eq(migrate(out, sizeof out), 0);
    PGconn *c = connect_or_die(db_conninfo);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM municipalities"), 342);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM regions WHERE set_key = 'safetyRegion'"), 25);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM regions WHERE set_key = 'province'"), 12);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM regions WHERE set_key = 'municipality'"), 342);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM regions WHERE set_key = 'nation'"), 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships"), 4 * 342);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships"
                              " WHERE municipality_code = 'GM0599' AND ("
                              " (set_key = 'safetyRegion' AND region_code = 'VR17') OR"
                              " (set_key = 'province' AND region_code = 'PV28') OR"
                              " (set_key = 'nation' AND region_code = 'NL01') OR"
                              " (set_key = 'municipality' AND region_code = 'GM0599'))"),
                 4);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM municipalities"
                              " WHERE code = 'GM0820' AND name = 'Nuenen, Gerwen en Nederwetten'"),
                 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_sets WHERE builtin"), 4);

    cr_assert_eq(query_int(c, "SELECT count(*) FROM stages"), 6);
    cr_assert_eq(query_int(c, "SELECT position FROM stages WHERE key = 'helped'"), 6);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM stage_dimensions WHERE dimension = 'care'"), 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM stage_dimensions"), 6 * 4 + 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM categories WHERE key = 'unknown'"), 5);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM partner_types"), 21);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM approach_steps"), 8);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM prevention_points"), 8);
    cr_assert_eq(query_int(c, "SELECT rank FROM partner_statuses WHERE key = 'committed'"), 3);
    PQfinish(c);
}

Test(migrate, refuses_a_newer_database, .timeout = 60)
{
    char out[4096];
    cr_assert_eq(migrate(out, sizeof out), 0);
    PGconn *c = connect_or_die(db_conninfo);
    char sql[160];
    snprintf(sql, sizeof sql,
             "INSERT INTO schema_migrations (version, name, compatible_from)"
             " VALUES (%d, 'from_the_future', 1)",
             migrate_binary_version() + 1);
    PQclear(PQexec(c, sql));
    cr_assert_eq(migrate(out, sizeof out), 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM schema_migrations"),
                 migrate_binary_version() + 1);

    /* /readyz's view: newer but declared compatible with us is fine; declared otherwise is not. */
    char mine[16];
    snprintf(mine, sizeof mine, "%d", migrate_binary_version());
    const char *params[] = {mine};
    PGresult *res = PQexecParams(c, migrate_compat_sql, 1, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    cr_assert(migrate_schema_compatible(atoi(PQgetvalue(res, 0, 0)), atoi(PQgetvalue(res, 0, 1))));
    PQclear(res);
    cr_assert_not(
        migrate_schema_compatible(migrate_binary_version() + 1, migrate_binary_version() + 1));
    cr_assert_not(migrate_schema_compatible(migrate_binary_version() - 1, 0));
    PQfinish(c);
}

Test(migrate, migrate_run_reports_through_its_log, .timeout = 60)
{
    PGconn *c = connect_or_die(db_conninfo);
    char *buf = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&buf, &len);
    char err[512] = "";
    cr_assert_eq(migrate_run(c, log, err, sizeof err), 0, "%s", err);
    cr_assert_eq(migrate_run(c, log, err, sizeof err), 0, "%s", err);
    fclose(log);
    cr_assert(strstr(buf, "applied 003_gebieden_2023 (version 3)") != NULL, "%s", buf);
    cr_assert(strstr(buf, "up to date at version") != NULL, "%s", buf);
    free(buf);
    PQfinish(c);
}

Test(migrate, token_create_list_revoke_round_trip, .timeout = 60)
{
    char out[4096];
    cr_assert_eq(migrate(out, sizeof out), 0);

    char *create[] = {"token",          "create",     "--db",
                      db_conninfo,      "--role",     "municipality",
                      "--municipality", "GM0599",     "--municipality",
                      "GM0014",         "--name",     "GM0599 data office",
                      "--expires",      "2099-01-01", NULL};
    cr_assert_eq(run(token_main, out, sizeof out, 14, create), 0);
    cr_assert_eq(strlen(out), 48, "only the token and a newline: '%s'", out);
    cr_assert_eq(strncmp(out, "trt_", 4), 0);
    out[47] = '\0';
    char hash[65];
    token_hash_hex(out, hash);

    PGconn *c = connect_or_die(db_conninfo);
    const char *params[] = {hash};
    PGresult *res =
        PQexecParams(c,
                     "SELECT t.id, t.role, count(tm.*),"
                     "       to_char(t.expires_at AT TIME ZONE 'Europe/Amsterdam',"
                     "               'YYYY-MM-DD HH24:MI')"
                     "  FROM tokens t JOIN token_municipalities tm ON tm.token_id = t.id"
                     " WHERE t.hash = $1 GROUP BY t.id",
                     1, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    cr_assert_eq(PQntuples(res), 1, "the stored hash is the SHA-256 of the printed token");
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
    cr_assert_str_eq(PQgetvalue(res, 0, 1), "municipality");
    cr_assert_str_eq(PQgetvalue(res, 0, 2), "2");
    cr_assert_str_eq(PQgetvalue(res, 0, 3), "2099-01-01 00:00", "expires at the date's start");
    PQclear(res);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM tokens WHERE hash !~ '^[0-9a-f]{64}$'"), 0);

    char *analyst[] = {"token",   "create", "--db",         db_conninfo, "--role",
                       "analyst", "--name", "CBS analysts", NULL};
    cr_assert_eq(run(token_main, out, sizeof out, 8, analyst), 0);

    char *list[] = {"token", "list", "--db", db_conninfo, NULL};
    cr_assert_eq(run(token_main, out, sizeof out, 4, list), 0);
    cr_assert_eq(count_lines(out), 2, "%s", out);
    char expect[160];
    snprintf(expect, sizeof expect,
             "%s\tmunicipality\tGM0599 data office\tGM0014,GM0599\t"
             "expires 2099-01-01\t-\n",
             id);
    cr_assert_eq(strncmp(out, expect, strlen(expect)), 0, "%s", out);
    cr_assert(strstr(out, "\tanalyst\tCBS analysts\t-\tactive\t-\n") != NULL, "%s", out);
    cr_assert(strstr(out, "trt_") == NULL && strstr(out, hash) == NULL, "never the secret");

    char *revoke[] = {"token", "revoke", id, "--db", db_conninfo, NULL};
    cr_assert_eq(run(token_main, out, sizeof out, 5, revoke), 0);
    cr_assert_eq(run(token_main, out, sizeof out, 5, revoke), 0, "revoking twice is harmless");
    cr_assert_eq(run(token_main, out, sizeof out, 4, list), 0);
    cr_assert(strstr(out, "\tGM0014,GM0599\trevoked ") != NULL, "%s", out);

    char *missing[] = {"token", "revoke", "999999", "--db", db_conninfo, NULL};
    cr_assert_eq(run(token_main, out, sizeof out, 5, missing), 1);

    cr_assert_eq(query_int(c, "SELECT count(*) FROM audit_events WHERE principal_label = 'cli'"
                              " AND method = 'CLI' AND path IN ('token create', 'token revoke')"),
                 3, "two creates and one revocation");
    PQfinish(c);
}

Test(migrate, token_create_refuses_bad_codes, .timeout = 60)
{
    char out[4096];
    cr_assert_eq(migrate(out, sizeof out), 0);
    char *unknown[] = {"token",          "create", "--db",   db_conninfo, "--role", "municipality",
                       "--municipality", "GM9999", "--name", "nobody",    NULL};
    cr_assert_eq(run(token_main, out, sizeof out, 10, unknown), 1);
    cr_assert_str_eq(out, "");
    char *none[] = {"token",        "create", "--db",     db_conninfo, "--role",
                    "municipality", "--name", "no codes", NULL};
    cr_assert_eq(run(token_main, out, sizeof out, 8, none), 1);
    char *extra[] = {"token",          "create", "--db",   db_conninfo,  "--role", "rapporteur",
                     "--municipality", "GM0599", "--name", "rapporteur", NULL};
    cr_assert_eq(run(token_main, out, sizeof out, 10, extra), 1);

    PGconn *c = connect_or_die(db_conninfo);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM tokens"), 0);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM audit_events"), 0);
    PQfinish(c);
}

Test(migrate, audit_events_are_append_only, .timeout = 60)
{
    char out[4096];
    cr_assert_eq(migrate(out, sizeof out), 0);
    PGconn *c = connect_or_die(db_conninfo);
    PQclear(PQexec(c, "INSERT INTO audit_events (at, client_address, method, path, status, outcome)"
                      " VALUES (now() - interval '200 days', '192.0.2.1', 'GET', '/v1/me', 200,"
                      "         'ok'), (now(), '192.0.2.2', 'GET', '/v1/me', 200, 'ok')"));
    PGresult *res = PQexec(c, "UPDATE audit_events SET outcome = 'tampered'");
    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
    PQclear(res);
    res = PQexec(c, "DELETE FROM audit_events");
    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
    PQclear(res);
    cr_assert_eq(query_int(c, "SELECT audit_forget_client_addresses(180)"), 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM audit_events WHERE client_address IS NULL"), 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM audit_events"), 2);
    PQfinish(c);
}
