/* Integration tests of `trechterd load` and `trechterd rekey` against a real PostgreSQL.
 *
 * Every test makes its own randomly named database on the cluster of TRECHTER_TEST_DB, migrates it
 * with `$TRECHTER_BIN migrate`, runs the binary as a child process (stdout and stderr captured)
 * and drops the database afterwards, so the tests never touch the shared daemon's database. The
 * CSV inputs live in tests/fixtures/ (synthetic; see its README.md). */
#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

/* Per test (Criterion runs each test in its own process). */
static char db_name[64];
static char db_conninfo[2048];
static char tmp_dir[64];

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

/* Runs $TRECHTER_BIN with the given arguments (NULL-terminated). stdout and stderr land in out
 * and errout (each may be NULL). Returns the exit status, or -1 when it did not exit. */
static int run_bin(char *out, size_t outlen, char *errout, size_t errlen, ...)
{
    const char *args[32];
    int n = 0;
    va_list ap;
    va_start(ap, errlen);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 31;)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return itest_run_bin(out, outlen, errout, errlen, args);
}

static void scratch_db_up(void)
{
    const char *base = getenv("TRECHTER_TEST_DB");
    if (!base || !*base || !getenv("TRECHTER_BIN"))
        cr_skip_test("TRECHTER_TEST_DB or TRECHTER_BIN is not set");
    unsigned char rnd[6];
    cr_assert_eq(getrandom(rnd, sizeof rnd, 0), (ssize_t)sizeof rnd);
    snprintf(db_name, sizeof db_name, "trechter_load_%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
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

    char out[4096], err[4096];
    int rc = run_bin(out, sizeof out, err, sizeof err, "migrate", "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 0, "migrate failed: %s%s", out, err);

    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/trechter-load-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_dir));
}

static void scratch_db_down(void)
{
    const char *base = getenv("TRECHTER_TEST_DB");
    if (tmp_dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmp_dir);
    }
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

TestSuite(loaders, .init = scratch_db_up, .fini = scratch_db_down, .timeout = 120);

/* tests/fixtures/NAME, from the source tree. */
static const char *fixture(const char *name)
{
    static char paths[8][512];
    static int next;
    const char *root = getenv("TRECHTER_SOURCE_DIR");
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/tests/fixtures/%s", root && *root ? root : ".", name);
    cr_assert_eq(access(p, R_OK), 0, "fixture %s is missing", p);
    return p;
}

/* Writes text to a file in the test's temporary directory and returns its path. */
static const char *temp_csv(const char *name, const char *text)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 256, "%s/%s", tmp_dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return p;
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

static void query_text(PGconn *c, const char *sql, char *out, size_t outlen)
{
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
    cr_assert_eq(PQntuples(res), 1, "%s", sql);
    snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

static size_t count_substr(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* A connection listening on trechter_changes, for checking what a command announces. */
static PGconn *listen_for_changes(void)
{
    PGconn *c = connect_or_die(db_conninfo);
    PQclear(PQexec(c, "LISTEN trechter_changes"));
    return c;
}

/* Whether a notification with this payload has arrived on c. */
static bool notified(PGconn *c, const char *payload)
{
    bool seen = false;
    cr_assert_eq(PQconsumeInput(c), 1);
    for (PGnotify *n; (n = PQnotifies(c)) != NULL; PQfreemem(n))
        seen = seen || strcmp(n->extra, payload) == 0;
    return seen;
}

/* ---------------------------------------------------------------------------------------------
 * load regions */

static void load_small_youth_regions(void)
{
    char out[4096], err[4096];
    int rc = run_bin(out, sizeof out, err, sizeof err, "load", "regions", "--set", "youthRegion",
                     "--name", "Jeugdregio's", "--name-en", "Youth care regions",
                     fixture("youth-regions-small.csv"), "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 0, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(out, "loaded 4 regions and 6 memberships into youthRegion") != NULL, "%s",
              out);
}

Test(loaders, regions_from_a_small_youth_region_file)
{
    PGconn *listener = listen_for_changes();
    load_small_youth_regions();
    cr_assert(notified(listener, "reference"), "NOTIFY trechter_changes, 'reference'");
    PQfinish(listener);
    PGconn *c = connect_or_die(db_conninfo);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM regions WHERE set_key = 'youthRegion'"), 4);
    cr_assert_eq(
        query_int(c, "SELECT count(*) FROM region_memberships WHERE set_key = 'youthRegion'"), 6);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships"
                              " WHERE set_key = 'youthRegion' AND region_code = 'JZ94'"
                              "   AND municipality_code IN ('GM0599', 'GM0606', 'GM0489')"
                              "   AND valid_from = '-infinity' AND valid_to = 'infinity'"),
                 3);
    char text[256];
    query_text(c,
               "SELECT name_nl || '|' || name_en || '|' || builtin || '|' || code_prefix"
               "  FROM region_sets WHERE key = 'youthRegion'",
               text, sizeof text);
    cr_assert_str_eq(text, "Jeugdregio's|Youth care regions|false|JZ");
    query_text(c, "SELECT name FROM regions WHERE set_key = 'youthRegion' AND code = 'JZ94'", text,
               sizeof text);
    cr_assert_str_eq(text, "Testregio Zuid");
    /* The load was audited; the built-in sets were not touched. */
    cr_assert_eq(query_int(c, "SELECT count(*) FROM audit_events WHERE path = 'load regions'"), 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships"
                              " WHERE set_key <> 'youthRegion'"),
                 4 * 342);
    PQfinish(c);
}

Test(loaders, a_cbs_table_with_columns_semicolons_and_a_bom)
{
    char out[4096], err[4096];
    int rc = run_bin(out, sizeof out, err, sizeof err, "load", "regions", "--set", "youthRegion",
                     "--name", "Jeugdregio's", "--columns",
                     "municipality_code=Code_1,region_code=Code_16,region_name=Naam_17",
                     fixture("cbs-85755ned-sample.csv"), "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 0, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(out, "loaded 5 regions and 5 memberships into youthRegion") != NULL, "%s",
              out);
    PGconn *c = connect_or_die(db_conninfo);
    char text[256];
    /* Codes and names are trimmed of CBS's padding; a quoted comma survives. */
    query_text(c,
               "SELECT r.code || '|' || r.name FROM region_memberships m"
               "  JOIN regions r ON r.set_key = m.set_key AND r.code = m.region_code"
               " WHERE m.set_key = 'youthRegion' AND m.municipality_code = 'GM0820'",
               text, sizeof text);
    cr_assert_str_eq(text, "JZ95|Testregio Zuidoost, Brabant");
    query_text(c, "SELECT name_en FROM region_sets WHERE key = 'youthRegion'", text, sizeof text);
    cr_assert_str_eq(text, "Jeugdregio's", "--name-en defaults to --name");
    PQfinish(c);
}

Test(loaders, a_bad_row_on_line_7_loads_nothing)
{
    load_small_youth_regions();
    PGconn *c = connect_or_die(db_conninfo);
    const char *snapshot = "SELECT count(*) || '|' || string_agg(municipality_code || region_code,"
                           " ',' ORDER BY municipality_code) FROM region_memberships"
                           " WHERE set_key = 'youthRegion'";
    char before[2048], after[2048];
    query_text(c, snapshot, before, sizeof before);
    long long audits = query_int(c, "SELECT count(*) FROM audit_events");

    char out[4096], err[4096];
    const char *bad = fixture("youth-regions-bad-line7.csv");
    int rc = run_bin(out, sizeof out, err, sizeof err, "load", "regions", "--set", "youthRegion",
                     bad, "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 1, "stdout: %s\nstderr: %s", out, err);
    char expect[600];
    snprintf(expect, sizeof expect, "%s:7: unknown municipality code GM9999", bad);
    cr_assert(strstr(err, expect) != NULL, "stderr: %s", err);
    cr_assert(strstr(err, "nothing was loaded") != NULL, "stderr: %s", err);
    cr_assert_str_empty(out);
    query_text(c, snapshot, after, sizeof after);
    cr_assert_str_eq(after, before);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM audit_events"), audits);

    /* Into a new set: the set is not created either. */
    rc = run_bin(NULL, 0, err, sizeof err, "load", "regions", "--set", "ggdRegion", "--name",
                 "GGD-regio's", bad, "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 1, "%s", err);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_sets WHERE key = 'ggdRegion'"), 0);
    PQfinish(c);
}

Test(loaders, every_bad_row_is_listed_up_to_twenty)
{
    /* Lines 2..26: 25 rows with a malformed code; line 27 a ragged row; 28 a duplicate. */
    char text[8192] = "municipality_code,region_code,region_name\n";
    for (int i = 0; i < 25; i++)
        strcat(text, "GM12,JZ91,Testregio Noord\n");
    strcat(text, "GM0014,JZ91\nGM0014,JZ91,Testregio Noord\nGM0014,JZ91,Testregio Noord\n");
    const char *path = temp_csv("many-errors.csv", text);
    char err[16384];
    int rc = run_bin(NULL, 0, err, sizeof err, "load", "regions", "--set", "youthRegion", "--name",
                     "Jeugdregio's", path, "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 1, "%s", err);
    char line2[300];
    snprintf(line2, sizeof line2, "%s:2: municipality_code 'GM12' is not a CBS code", path);
    cr_assert(strstr(err, line2) != NULL, "%s", err);
    cr_assert_eq(count_substr(err, "is not a CBS code"), 20, "%s", err);
    cr_assert(strstr(err, "7 more errors not shown") != NULL, "%s", err);
    cr_assert(strstr(err, "27 errors; nothing was loaded") != NULL, "%s", err);

    /* The same problems one by one: ragged and duplicate rows name their lines. */
    path = temp_csv("ragged.csv", "municipality_code,region_code,region_name\n"
                                  "GM0014,JZ91,Testregio Noord\n"
                                  "GM0034,JZ91\n"
                                  "GM0014,JZ91,Testregio Noord\n"
                                  "GM0599,JZ94,\"Testregio Zuid\"\n"
                                  "GM0606,JZ94,Andere naam\n");
    rc = run_bin(NULL, 0, err, sizeof err, "load", "regions", "--set", "youthRegion", "--name",
                 "Jeugdregio's", path, "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 1, "%s", err);
    cr_assert(strstr(err, "ragged.csv:3: 2 fields where the header has 3") != NULL, "%s", err);
    cr_assert(strstr(err, "ragged.csv:4: GM0014 is listed again for an overlapping period (first "
                          "on line 2)") != NULL,
              "%s", err);
    cr_assert(strstr(err, "ragged.csv:6: region JZ94 is named \"Andere naam\" here but "
                          "\"Testregio Zuid\" on line 5") != NULL,
              "%s", err);
    PGconn *c = connect_or_die(db_conninfo);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_sets WHERE key = 'youthRegion'"), 0);
    PQfinish(c);
}

Test(loaders, refuses_the_derived_sets_and_reloads_a_province_from_a_date)
{
    char err[4096];
    const char *file = fixture("youth-regions-small.csv");
    for (int i = 0; i < 2; i++) {
        const char *set = i ? "nation" : "municipality";
        int rc = run_bin(NULL, 0, err, sizeof err, "load", "regions", "--set", set, file, "--db",
                         db_conninfo, NULL);
        cr_assert_eq(rc, 2, "%s", err);
        cr_assert(strstr(err, "derived from the municipalities") != NULL, "%s", err);
    }
    /* From 2026 on, GM0014 belongs to another province; before, it stays where it was. */
    const char *path = temp_csv("province.csv", "municipality_code,region_code,region_name\n"
                                                "GM0014,PV21,Friesland\n");
    char out[1024];
    int rc = run_bin(out, sizeof out, err, sizeof err, "load", "regions", "--set", "province",
                     "--from", "2026-01-01", path, "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 0, "%s", err);
    PGconn *c = connect_or_die(db_conninfo);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships WHERE set_key = 'province'"
                              " AND municipality_code = 'GM0014' AND ("
                              " (region_code = 'PV20' AND valid_to = '2025-12-31') OR"
                              " (region_code = 'PV21' AND valid_from = '2026-01-01'))"),
                 2);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_sets WHERE key = 'province'"
                              " AND builtin AND name_nl = 'Provincies'"),
                 1);
    PQfinish(c);
}

/* ---------------------------------------------------------------------------------------------
 * population, lineage, municipalities */

Test(loaders, population_loads_and_a_bad_number_loads_nothing)
{
    char out[4096], err[4096];
    int rc = run_bin(out, sizeof out, err, sizeof err, "load", "population",
                     fixture("population-small.csv"), "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "loaded 4 population figures (4 new, 0 changed, 0 unchanged)") != NULL,
              "%s", out);
    PGconn *c = connect_or_die(db_conninfo);
    cr_assert_eq(query_int(c, "SELECT population_0_17 FROM populations"
                              " WHERE municipality_code = 'GM0599' AND year = 2025"),
                 134001);

    const char *bad = fixture("population-bad-number.csv");
    rc = run_bin(out, sizeof out, err, sizeof err, "load", "population", bad, "--db", db_conninfo,
                 NULL);
    cr_assert_eq(rc, 1, "%s", err);
    char expect[600];
    snprintf(expect, sizeof expect, "%s:3: population_0_17 '133.250'", bad);
    cr_assert(strstr(err, expect) != NULL, "%s", err);
    snprintf(expect, sizeof expect, "%s:4: population_0_17 '-5'", bad);
    cr_assert(strstr(err, expect) != NULL, "%s", err);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM populations"), 4);
    cr_assert_eq(query_int(c, "SELECT population_0_17 FROM populations"
                              " WHERE municipality_code = 'GM0014' AND year = 2024"),
                 38120);

    /* Loading again updates in place. */
    const char *update = temp_csv("pop.csv", "municipality_code,year,population_0_17\n"
                                             "GM0014,2024,38000\n");
    rc = run_bin(out, sizeof out, err, sizeof err, "load", "population", update, "--db",
                 db_conninfo, NULL);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "(0 new, 1 changed, 0 unchanged)") != NULL, "%s", out);
    cr_assert_eq(query_int(c, "SELECT population_0_17 FROM populations"
                              " WHERE municipality_code = 'GM0014' AND year = 2024"),
                 38000);
    PQfinish(c);
}

static void load_herindeling(void)
{
    char out[4096], err[4096];
    int rc = run_bin(out, sizeof out, err, sizeof err, "load", "municipalities",
                     fixture("municipalities-herindeling.csv"), "--db", db_conninfo, NULL);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "loaded 2 municipalities (1 new, 1 changed, 0 unchanged)") != NULL, "%s",
              out);
    cr_assert(strstr(err, "note: GM9001 belongs to no region of province, safetyRegion") != NULL,
              "%s", err);
}

Test(loaders, a_herindeling_keeps_the_municipality_and_nation_sets_whole)
{
    load_small_youth_regions();
    load_herindeling();
    PGconn *c = connect_or_die(db_conninfo);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM municipalities WHERE code = 'GM9001'"
                              " AND name = 'Groot-Groningen' AND valid_from = '2026-01-01'"
                              " AND valid_to = 'infinity'"),
                 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM municipalities WHERE code = 'GM0014'"
                              " AND valid_from = '-infinity' AND valid_to = '2025-12-31'"),
                 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM regions WHERE set_key = 'municipality'"
                              " AND code = 'GM9001' AND name = 'Groot-Groningen'"),
                 1);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships"
                              " WHERE municipality_code = 'GM9001' AND valid_from = '2026-01-01'"
                              "   AND valid_to = 'infinity' AND ("
                              "   (set_key = 'municipality' AND region_code = 'GM9001') OR"
                              "   (set_key = 'nation' AND region_code = 'NL01'))"),
                 2);
    /* GM0014's memberships of every set now end with it. */
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships"
                              " WHERE municipality_code = 'GM0014' AND valid_to = '2025-12-31'"),
                 5);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships"
                              " WHERE municipality_code = 'GM0014'"),
                 5);
    /* The classification of each period's last day covers every municipality of that day. */
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships WHERE set_key = 'nation'"
                              " AND '2025-12-31' BETWEEN valid_from AND valid_to"),
                 342);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships m"
                              "  JOIN municipalities g ON g.code = m.municipality_code"
                              " WHERE m.set_key = 'nation'"
                              "   AND '2026-03-31' BETWEEN m.valid_from AND m.valid_to"
                              "   AND '2026-03-31' BETWEEN g.valid_from AND g.valid_to"),
                 342);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM region_memberships WHERE set_key ="
                              " 'municipality' AND '2026-03-31' BETWEEN valid_from AND valid_to"
                              " AND municipality_code IN ('GM0014', 'GM9001')"),
                 1);
    PQfinish(c);
}

Test(loaders, lineage_loads_after_its_municipalities)
{
    char out[4096], err[4096];
    const char *file = fixture("lineage-small.csv");
    /* GM9001 does not exist yet. */
    int rc = run_bin(out, sizeof out, err, sizeof err, "load", "lineage", file, "--db", db_conninfo,
                     NULL);
    cr_assert_eq(rc, 1, "%s", err);
    char expect[600];
    snprintf(expect, sizeof expect, "%s:2: unknown municipality code GM9001 (successor_code)",
             file);
    cr_assert(strstr(err, expect) != NULL, "%s", err);

    load_herindeling();
    rc = run_bin(out, sizeof out, err, sizeof err, "load", "lineage", file, "--db", db_conninfo,
                 NULL);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "loaded 2 lineage links (2 new, 0 changed, 0 unchanged)") != NULL, "%s",
              out);
    PGconn *c = connect_or_die(db_conninfo);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM lineage WHERE successor_code = 'GM9001'"
                              " AND date = '2026-01-01'"
                              " AND predecessor_code IN ('GM0014', 'GM0034')"),
                 2);
    PQfinish(c);
}

/* ---------------------------------------------------------------------------------------------
 * rekey */

static const char new_secret[] = "rekey-test-secret-0123456789abcdefghijklmnop";

static uint32_t expected_key(const char *code, const char *period, const char *stage,
                             const char *dimension, const char *category, long long n)
{
    if (n == 0)
        return 0;
    char msg[256];
    snprintf(msg, sizeof msg, "%s|%s|%s|%s|%s|%lld", code, period, stage, dimension, category, n);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    cr_assert_not_null(HMAC(EVP_sha256(), new_secret, (int)strlen(new_secret),
                            (const unsigned char *)msg, strlen(msg), md, &mdlen));
    return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
}

/* Writes a funnel through the SQL function the daemon uses, with made-up keys. */
static void put_funnel(PGconn *c, const char *code, const char *period, const char *cells)
{
    const char *params[] = {code, period, cells};
    PGresult *res = PQexecParams(
        c,
        "SELECT put_submission('funnel', $1, $2, NULL, jsonb_build_object('n', $3::text),"
        " $3::jsonb, '[]', NULL, false, NULL, 'itest', NULL, NULL, 10, 50)->>'status'",
        3, NULL, params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    PQclear(res);
}

static const char *secret_file(const char *text)
{
    return temp_csv("secret", text);
}

static void insert_cells(PGconn *c)
{
    put_funnel(c, "GM0599", "2025-Q4",
               "[{\"stage\":\"signalled\",\"dimension\":\"total\",\"category\":\"\","
               "\"count\":41,\"key\":111},"
               "{\"stage\":\"signalled\",\"dimension\":\"gender\",\"category\":\"girl\","
               "\"count\":27,\"key\":222},"
               "{\"stage\":\"signalled\",\"dimension\":\"gender\",\"category\":\"boy\","
               "\"count\":14,\"key\":333},"
               "{\"stage\":\"reported\",\"dimension\":\"total\",\"category\":\"\","
               "\"count\":0,\"key\":0}]");
    /* A second revision: the first stays in funnel_cells and is rekeyed too. */
    put_funnel(c, "GM0599", "2025-Q4",
               "[{\"stage\":\"signalled\",\"dimension\":\"total\",\"category\":\"\","
               "\"count\":42,\"key\":444},"
               "{\"stage\":\"reported\",\"dimension\":\"total\",\"category\":\"\","
               "\"count\":30,\"key\":555}]");
    put_funnel(c, "GM0363", "2025-Q3",
               "[{\"stage\":\"helped\",\"dimension\":\"care\",\"category\":\"ambulatory\","
               "\"count\":3,\"key\":666},"
               "{\"stage\":\"helped\",\"dimension\":\"total\",\"category\":\"\","
               "\"count\":3,\"key\":777}]");
}

Test(loaders, rekey_recomputes_every_stored_key)
{
    PGconn *c = connect_or_die(db_conninfo);
    insert_cells(c);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM funnel_cells"), 8);

    PGconn *listener = listen_for_changes();
    char out[4096], err[4096];
    const char *secret = secret_file("rekey-test-secret-0123456789abcdefghijklmnop\n");
    int rc = run_bin(out, sizeof out, err, sizeof err, "rekey", "--db", db_conninfo,
                     "--sdc-secret-file", secret, "--yes", "--batch-size", "3", NULL);
    cr_assert_eq(rc, 0, "stdout: %s\nstderr: %s", out, err);
    cr_assert(strstr(out, "rekeyed 8 funnel cells (7 keys changed) and 4 current cells in 3 "
                          "batches") != NULL,
              "%s", out);
    cr_assert(notified(listener, "rekey"), "NOTIFY trechter_changes, 'rekey'");
    PQfinish(listener);

    PGresult *res = PQexec(c, "SELECT s.municipality_code, s.period, f.stage, f.dimension,"
                              "       f.category, f.count, f.cell_key"
                              "  FROM funnel_cells f JOIN submissions s ON s.id = f.submission_id");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    cr_assert_eq(PQntuples(res), 8);
    for (int i = 0; i < PQntuples(res); i++) {
        uint32_t want = expected_key(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                     PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                                     PQgetvalue(res, i, 4), atoll(PQgetvalue(res, i, 5)));
        cr_assert_eq(strtoull(PQgetvalue(res, i, 6), NULL, 10), (unsigned long long)want,
                     "%s %s %s %s '%s' %s", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                     PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
                     PQgetvalue(res, i, 5));
    }
    PQclear(res);

    /* The current cells carry the live revision's new keys, and only those. */
    res = PQexec(c, "SELECT municipality_code, period, stage, dimension, category, count,"
                    "       cell_key FROM current_funnel_cells");
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    cr_assert_eq(PQntuples(res), 4);
    for (int i = 0; i < PQntuples(res); i++) {
        uint32_t want = expected_key(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                     PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                                     PQgetvalue(res, i, 4), atoll(PQgetvalue(res, i, 5)));
        cr_assert_eq(strtoull(PQgetvalue(res, i, 6), NULL, 10), (unsigned long long)want);
    }
    PQclear(res);
    cr_assert_eq(query_int(c, "SELECT cell_key FROM current_funnel_cells"
                              " WHERE municipality_code = 'GM0599' AND stage = 'reported'"),
                 (long long)expected_key("GM0599", "2025-Q4", "reported", "total", "", 30));
    cr_assert_eq(query_int(c, "SELECT count(*) FROM audit_events WHERE path = 'rekey'"), 1);

    /* Running it again with the same secret changes nothing. */
    rc = run_bin(out, sizeof out, err, sizeof err, "rekey", "--db", db_conninfo,
                 "--sdc-secret-file", secret, "--yes", NULL);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "rekeyed 8 funnel cells (0 keys changed) and 0 current cells") != NULL,
              "%s", out);
    PQfinish(c);
}

Test(loaders, rekey_refuses_without_yes_and_a_short_secret)
{
    PGconn *c = connect_or_die(db_conninfo);
    insert_cells(c);
    const char *keys = "SELECT string_agg(cell_key::text, ',' ORDER BY submission_id, revision,"
                       " stage, dimension, category) FROM funnel_cells";
    char before[1024], after[1024];
    query_text(c, keys, before, sizeof before);

    char out[4096], err[4096];
    const char *secret = secret_file("rekey-test-secret-0123456789abcdefghijklmnop");
    int rc = run_bin(out, sizeof out, err, sizeof err, "rekey", "--db", db_conninfo,
                     "--sdc-secret-file", secret, NULL);
    cr_assert_eq(rc, 1, "%s", err);
    cr_assert(strstr(err, "refused without --yes") != NULL, "%s", err);
    cr_assert(strstr(err, "average") != NULL, "the refusal explains why: %s", err);
    cr_assert_str_empty(out);

    secret = secret_file("too short\n");
    rc = run_bin(out, sizeof out, err, sizeof err, "rekey", "--db", db_conninfo,
                 "--sdc-secret-file", secret, "--yes", NULL);
    cr_assert_eq(rc, 1, "%s", err);
    cr_assert(strstr(err, "at least 32") != NULL, "%s", err);

    query_text(c, keys, after, sizeof after);
    cr_assert_str_eq(after, before);
    cr_assert_eq(query_int(c, "SELECT count(*) FROM audit_events WHERE path = 'rekey'"), 0);
    PQfinish(c);
}
