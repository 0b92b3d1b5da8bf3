/* Reads that need geography of their own (issue 20 items 5 and 10), each test against a database
 * and daemon of its own (fixture "main" only lends the cluster, the certificate and the SDC
 * secret), because a lineage or a region set loaded into the shared database would change what
 * other tests read there:
 *
 * - boundaries=current and raw figures: with a lineage GM0088 -> GM0344 and GM0599 (GM0088 goes to
 *   GM0344, the lowest code on a tie), a token holding GM0344 alone sees GM0344's row of
 *   boundaries=current protected — perturbed exactly as design §5 says, not GM0088's figures
 *   added raw — while GM0088 itself stays 403 to it; a token holding both codes, and the
 *   rapporteur, see the raw sum.
 * - CSV injection: a region set loaded by `trechterd load regions` with names like
 *   `=HYPERLINK(...)` comes out of every CSV with those cells defused (a leading single quote,
 *   quoted), in both profiles, and unchanged in JSON. */
#include "harness.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cell_key.h"

#define BODY(r) ((r)->body_len > 1500 ? 1500 : (int)(r)->body_len), (r)->body

/* ---- a database and daemon of the test's own --------------------------------------------- */

/* Per test (Criterion runs each in its own process). */
static char own_db[64];
static char own_conninfo[1024];
static pid_t own_pid;

static void own_down(void)
{
    itest_own_daemon_stop(own_pid);
    own_pid = 0;
    if (own_db[0]) {
        PGconn *c = PQconnectdb(getenv("TRECHTER_TEST_DB"));
        if (PQstatus(c) == CONNECTION_OK) {
            char sql[128];
            snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", own_db);
            PQclear(PQexec(c, sql));
        }
        PQfinish(c);
        own_db[0] = '\0';
    }
}

/* Runs $TRECHTER_BIN with the arguments (NULL-terminated); its exit status, stdout and stderr in
 * out. */
static int run_bin(char *out, size_t cap, ...)
{
    const char *args[32];
    int n = 0;
    va_list ap;
    va_start(ap, cap);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 31;)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return itest_run_bin(out, cap, out, cap, args);
}

/* `trechterd token create` on the test's database; the token in tok. */
static void make_token(char *tok, size_t cap, const char *role, const char *name, ...)
{
    char *argv[16] = {"token",  "create",     "--db",   own_conninfo,
                      "--role", (char *)role, "--name", (char *)name};
    int argc = 8;
    va_list ap;
    va_start(ap, name);
    for (char *code; (code = va_arg(ap, char *)) != NULL && argc < 14;) {
        argv[argc++] = "--municipality";
        argv[argc++] = code;
    }
    va_end(ap);
    char out[4096];
    int rc = run_bin(out, sizeof out, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6],
                     argv[7], argc > 8 ? argv[8] : NULL, argc > 9 ? argv[9] : NULL,
                     argc > 10 ? argv[10] : NULL, argc > 11 ? argv[11] : NULL, NULL);
    cr_assert_eq(rc, 0, "token create %s: %s", name, out);
    out[strcspn(out, "\r\n ")] = '\0';
    snprintf(tok, cap, "%s", out);
}

/* `trechterd load KIND ... FILE` on the test's database, with the file's text given here. */
static void load(const char *kind, const char *csv, const char *opt1, const char *val1,
                 const char *opt2, const char *val2)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s-%s.csv", itest_env("TRECHTER_WORKDIR"), own_db, kind);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(csv, f);
    fclose(f);
    char out[4096];
    int rc = run_bin(out, sizeof out, "load", kind, "--db", own_conninfo, path, opt1, val1, opt2,
                     val2, NULL);
    cr_assert_eq(rc, 0, "load %s: %s", kind, out);
    unlink(path);
}

/* Makes a database from the shared cluster and migrates it; then own_start() serves it. */
static void own_db_up(void)
{
    unsigned char rnd[6];
    cr_assert_eq(getrandom(rnd, sizeof rnd, 0), (ssize_t)sizeof rnd);
    snprintf(own_db, sizeof own_db, "trechter_own_%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5]);
    PGconn *admin = PQconnectdb(itest_env("TRECHTER_TEST_DB"));
    cr_assert_eq(PQstatus(admin), CONNECTION_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", own_db);
    PGresult *res = PQexec(admin, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(admin));
    PQclear(res);
    PQfinish(admin);
    snprintf(own_conninfo, sizeof own_conninfo, "host=%s port=%s user=postgres dbname=%s",
             itest_env("TRECHTER_PGDIR"), itest_env("TRECHTER_PGPORT"), own_db);
    char out[4096];
    cr_assert_eq(run_bin(out, sizeof out, "migrate", "--db", own_conninfo, NULL), 0, "migrate: %s",
                 out);
}

/* Starts a daemon on the test's database and points TRECHTER_URL at it. */
static void own_start(void)
{
    own_pid = itest_own_daemon_start(own_conninfo, own_db);
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

static struct http_response *get(const char *path, const char *tok)
{
    return http_do("GET", path, tok, NULL, NULL, 0, NULL);
}

static void put_funnel(const char *tok, const char *code, const char *period, int reported)
{
    char path[96], body[96];
    snprintf(path, sizeof path, "/v1/municipalities/%s/funnels/%s", code, period);
    snprintf(body, sizeof body, "{\"stages\": {\"reported\": {\"total\": %d}}}", reported);
    struct http_response *r =
        http_do("PUT", path, tok, "application/json", body, strlen(body), NULL);
    cr_assert_eq(r->status, 201, "PUT %s: %ld %.*s", path, r->status, BODY(r));
    http_response_free(r);
}

static void expect_status(struct http_response *r, long status, const char *what)
{
    cr_assert_eq(r->status, status, "%s: expected HTTP %ld, got %ld (curl %d); body: %.*s", what,
                 status, r->status, r->curl_code, BODY(r));
}

/* The only row of a /v1/funnels answer, which must be the region `code`. */
static json_t *only_row(struct http_response *r, const char *code)
{
    json_t *rows = json_object_get(r->json, "rows");
    cr_assert_eq(json_array_size(rows), 1, "%.*s", BODY(r));
    json_t *row = json_array_get(rows, 0);
    cr_assert_str_eq(itest_str_of(json_object_get(row, "region"), "code"), code);
    return row;
}

static long long reported_of(json_t *row)
{
    json_t *fig = json_object_get(json_object_get(row, "stages"), "reported");
    cr_assert_str_eq(itest_str_of(fig, "state"), "published");
    return itest_int_of(fig, "count");
}

/* The SDC secret the daemons use: the file with one trailing LF or CRLF removed. */
static size_t read_secret(unsigned char *buf, size_t cap)
{
    FILE *f = fopen(itest_env("TRECHTER_SECRET_FILE"), "rb");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    if (n && buf[n - 1] == '\n')
        n--;
    if (n && buf[n - 1] == '\r')
        n--;
    cr_assert_geq(n, 32);
    return n;
}

/* ---- item 5: a predecessor's figures are not raw to its successor's token -------------------- */

Test(recast, a_successors_token_sees_its_predecessors_figures_protected, .timeout = 180,
     .fini = own_down)
{
    own_db_up();
    /* GM0088 (Schiermonnikoog) went to GM0344 (Utrecht) and GM0599 (Rotterdam) on one day: today's
     * GM0344 sums GM0088's figures under boundaries=current. */
    load("lineage",
         "predecessor_code,successor_code,date\n"
         "GM0088,GM0344,2024-01-01\n"
         "GM0088,GM0599,2024-01-01\n",
         NULL, NULL, NULL, NULL);
    char rapporteur[256], successor[256], both[256];
    make_token(rapporteur, sizeof rapporteur, "rapporteur", "own rapporteur", NULL);
    make_token(successor, sizeof successor, "municipality", "GM0344 data office", "GM0344", NULL);
    make_token(both, sizeof both, "municipality", "GM0088 and GM0344", "GM0088", "GM0344", NULL);
    own_start();

    /* Counts whose protected sum differs from the raw one, so that the two cannot be confused. */
    unsigned char secret[512];
    size_t slen = read_secret(secret, sizeof secret);
    int small = 0, own = 0;
    long long published = 0;
    for (int a = 1; a <= 4 && !small; a++)
        for (int b = 20; b <= 40 && !small; b++) {
            uint32_t k = cell_key_sum(
                cell_key(secret, slen, "GM0088", "2023-Q1", "reported", "total", "", a),
                cell_key(secret, slen, "GM0344", "2023-Q1", "reported", "total", "", b));
            long long p = sdc_publish(a + b, k, 4, 2);
            if (p != a + b) {
                small = a;
                own = b;
                published = p;
            }
        }
    cr_assert_gt(small, 0, "no pair of counts perturbs differently from its raw sum");
    put_funnel(rapporteur, "GM0088", "2023-Q1", small);
    put_funnel(rapporteur, "GM0344", "2023-Q1", own);
    /* Municipal tokens read releases (design §8): release the quarter as it now stands. */
    static const char release[] = "{\"period\":\"2023-Q1\",\"status\":\"provisional\"}";
    struct http_response *made = http_do("POST", "/v1/releases", rapporteur, "application/json",
                                         release, strlen(release), NULL);
    expect_status(made, 201, "POST /v1/releases");
    http_response_free(made);

    /* The successor's token: its own row as the boundaries were is raw ... */
    static const char asof[] = "/v1/funnels?period=2023-Q1&regionSet=municipality&region=GM0344";
    static const char current[] = "/v1/funnels?period=2023-Q1&regionSet=municipality&region=GM0344"
                                  "&boundaries=current";
    struct http_response *r = get(asof, successor);
    expect_status(r, 200, "GM0344 as the boundaries were");
    json_t *row = only_row(r, "GM0344");
    cr_assert(json_is_false(json_object_get(row, "protected")), "%.*s", BODY(r));
    cr_assert_eq(reported_of(row), own);
    http_response_free(r);

    /* ... but today's GM0344 holds GM0088, which it may not read: protected, perturbed. */
    r = get(current, successor);
    expect_status(r, 200, "GM0344 on today's boundaries, successor's token");
    cr_assert(json_is_true(json_object_get(r->json, "protected")), "%.*s", BODY(r));
    row = only_row(r, "GM0344");
    cr_assert(json_is_true(json_object_get(row, "protected")),
              "a predecessor's figures are shown raw: %.*s", BODY(r));
    cr_assert_eq(reported_of(row), published, "not the published sum of GM0088 %d + GM0344 %d",
                 small, own);
    cr_assert_neq(reported_of(row), small + own, "the raw sum");
    http_response_free(r);
    r = get("/v1/comparisons?period=2023-Q1&regionSet=municipality&region=GM0344"
            "&boundaries=current&stage=reported&metric=count",
            successor);
    expect_status(r, 200, "comparisons on today's boundaries");
    row = json_array_get(json_object_get(r->json, "rows"), 0);
    cr_assert_eq(itest_int_of(row, "value"), published, "%.*s", BODY(r));
    http_response_free(r);
    char csv_path[160];
    snprintf(csv_path, sizeof csv_path, "%s&format=csv", current);
    r = get(csv_path, successor);
    expect_status(r, 200, "CSV on today's boundaries");
    char line[128];
    snprintf(line, sizeof line, ",reported,total,,published,%lld,", published);
    const char *at = strstr(r->body, line);
    cr_assert_not_null(at, "want %s in\n%.*s", line, BODY(r));
    while (at > r->body && at[-1] != '\n')
        at--;
    const char *eol = strchr(at, '\n');
    const char *flag = strstr(at, ",true,1,1,"); /* protected, reporting, expected */
    cr_assert(strncmp(at, "2023-Q1,GM0344,", 15) == 0 && flag && flag < eol,
              "not protected in CSV: %.*s", BODY(r));
    http_response_free(r);

    /* GM0088 itself stays closed to that token. */
    r = get("/v1/municipalities/GM0088/funnels/2023-Q1", successor);
    expect_status(r, 403, "GM0088 read directly by GM0344's token");
    cr_assert(http_is_problem(r));
    cr_assert_null(strstr(r->body, "\"total\""), "a figure in the 403: %.*s", BODY(r));
    http_response_free(r);

    /* A token holding both codes, and the rapporteur, see the raw sum. */
    const char *raw_readers[] = {both, rapporteur};
    for (int i = 0; i < 2; i++) {
        r = get(current, raw_readers[i]);
        expect_status(r, 200, i ? "rapporteur" : "token with both codes");
        cr_assert(json_is_false(json_object_get(r->json, "protected")), "%.*s", BODY(r));
        row = only_row(r, "GM0344");
        cr_assert(json_is_false(json_object_get(row, "protected")), "%.*s", BODY(r));
        cr_assert_eq(reported_of(row), small + own);
        http_response_free(r);
    }
}

/* ---- item 10: formula-like names are defused in CSV ------------------------------------------ */

Test(csv_injection, operator_loaded_names_are_defused_in_every_csv, .timeout = 180,
     .fini = own_down)
{
    own_db_up();
    load("regions",
         "municipality_code,region_code,region_name\n"
         "GM0599,INJ1,\"=HYPERLINK(\"\"https://example.invalid/\"\",\"\"klik\"\")\"\n"
         "GM0363,INJ2,-Amsterdam\n"
         "GM0014,INJ3,@Groningen\n"
         "GM0344,INJ4,Utrecht-Oost\n",
         "--set", "injectionTest", "--name", "Injectietest");
    char rapporteur[256];
    make_token(rapporteur, sizeof rapporteur, "rapporteur", "own rapporteur", NULL);
    own_start();
    put_funnel(rapporteur, "GM0599", "2023-Q1", 12);
    put_funnel(rapporteur, "GM0363", "2023-Q1", 30);

    /* JSON carries the names as they were loaded. */
    struct http_response *r = get("/v1/funnels?period=2023-Q1&regionSet=injectionTest", rapporteur);
    expect_status(r, 200, "funnels JSON");
    json_t *first = json_array_get(json_object_get(r->json, "rows"), 0);
    cr_assert_str_eq(itest_str_of(json_object_get(first, "region"), "name"),
                     "=HYPERLINK(\"https://example.invalid/\",\"klik\")");
    http_response_free(r);

    static const struct {
        const char *path;
        char sep;
    } csvs[] = {
        {"/v1/funnels?period=2023-Q1&regionSet=injectionTest&format=csv", ','},
        {"/v1/funnels?period=2023-Q1&regionSet=injectionTest&format=csv&delimiter=semicolon", ';'},
        {"/v1/comparisons?period=2023-Q1&regionSet=injectionTest&stage=reported&metric=count"
         "&format=csv",
         ','},
        {"/v1/completeness?period=2023-Q1&regionSet=injectionTest&format=csv&delimiter=semicolon",
         ';'},
        {"/v1/networks?period=2023-Q1&regionSet=injectionTest&format=csv", ','},
    };
    for (size_t i = 0; i < sizeof csvs / sizeof csvs[0]; i++) {
        r = get(csvs[i].path, rapporteur);
        expect_status(r, 200, csvs[i].path);
        const char *ct = http_header(r, "Content-Type");
        cr_assert(ct && strncmp(ct, "text/csv", 8) == 0, "%s: Content-Type %s", csvs[i].path,
                  ct ? ct : "(none)");
        char s = csvs[i].sep;
        char want[4][128];
        snprintf(want[0], sizeof want[0],
                 "%cINJ1%c\"'=HYPERLINK(\"\"https://example.invalid/\"\",\"\"klik\"\")\"%c", s, s,
                 s);
        snprintf(want[1], sizeof want[1], "%cINJ2%c\"'-Amsterdam\"%c", s, s, s);
        snprintf(want[2], sizeof want[2], "%cINJ3%c\"'@Groningen\"%c", s, s, s);
        snprintf(want[3], sizeof want[3], "%cINJ4%cUtrecht-Oost%c", s, s, s);
        for (int w = 0; w < 4; w++)
            cr_assert_not_null(strstr(r->body, want[w]), "%s: no %s in\n%.*s", csvs[i].path,
                               want[w], BODY(r));
        const char live[] = {s, '=', '\0'}; /* a cell that starts a formula */
        cr_assert_null(strstr(r->body, live), "%s: a live formula in\n%.*s", csvs[i].path, BODY(r));
        http_response_free(r);
    }
}
