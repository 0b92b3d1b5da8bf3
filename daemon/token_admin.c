/* `trechterd token`: create, list and revoke tokens; only their SHA-256 reaches the database. */
#include "daemon/token_admin.h"

#include "core/label.h"
#include "core/municipality_code.h"
#include "core/period.h"

#include "daemon/admin_db.h"
#include "daemon/admin_options.h"
#include "core/token_hash.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CODES 400 /* more than there are municipalities */
#define CODES_TEXT_MAX (MAX_CODES * 7 + 3)

static const char token_help[] =
    "Usage: trechterd token create --role ROLE --name LABEL [--municipality GMxxxx]...\n"
    "                              [--expires YYYY-MM-DD] [--cert-serial OIN] [--db CONNINFO]\n"
    "       trechterd token list [--db CONNINFO]\n"
    "       trechterd token revoke ID [--db CONNINFO]\n"
    "\n"
    "create  makes a token and prints it, and only it, on stdout. It is shown once: the database\n"
    "        keeps only its SHA-256.\n"
    "        --role          municipality, rapporteur or analyst\n"
    "        --municipality  a CBS code the token may write and read raw; repeat for several\n"
    "                        (a centrumgemeente for its region). Required for role\n"
    "                        municipality, refused for the other roles.\n"
    "        --name          an organisational label, e.g. \"GM0599 data office\" - never a\n"
    "                        person's name\n"
    "        --expires       the token stops working at the START of this date (00:00\n"
    "                        Europe/Amsterdam): --expires 2027-01-01 works through 31 December\n"
    "                        2026. Must be after today. Default: no expiry.\n"
    "        --cert-serial   the serialNumber (OIN) of a client certificate that maps to this\n"
    "                        principal under mutual TLS\n"
    "list    one line per token, tab-separated: id, role, label, municipality codes, state\n"
    "        (active | expires DATE | expired DATE | revoked DATE TIME), certificate serial.\n"
    "        Never the token or its hash.\n"
    "revoke  refuses the token from now on (idempotent).\n"
    "\n"
    "  --db CONNINFO  libpq connection string or URI (default: $TRECHTER_DB)\n"
    "Every change is recorded in audit_events. Exit status: 0 ok, 1 failure, 2 bad usage.\n";

/* Parses the options shared by the subcommands; argv[0] is the subcommand. */
struct token_args {
    const char *db;
    const char *role;
    const char *name;
    const char *expires;
    const char *cert_serial;
    const char *codes[MAX_CODES];
    size_t ncodes;
    const char *positional; /* revoke's ID */
    bool help;
};

static void fail_usage(const char *msg)
{
    admin_print_error("token", msg);
    fputs("Try 'trechterd token --help'.\n", stderr);
}

static int parse_args(int argc, char **argv, struct token_args *a)
{
    const struct admin_option options[] = {
        {"db", .value = &a->db},
        {"role", .value = &a->role},
        {"municipality", .values = a->codes, .count = &a->ncodes, .max = MAX_CODES},
        {"name", .value = &a->name},
        {"expires", .value = &a->expires},
        {"cert-serial", .value = &a->cert_serial},
    };
    char err[160];
    int next;
    switch (admin_parse_options(argc, argv, options, sizeof options / sizeof options[0], false,
                                &next, err, sizeof err)) {
    case ADMIN_PARSE_HELP:
        a->help = true;
        return 0;
    case ADMIN_PARSE_ERROR:
        fail_usage(err);
        return -1;
    case ADMIN_PARSE_OK:
        break;
    }
    if (next < argc)
        a->positional = argv[next++];
    if (next < argc) {
        fail_usage("unexpected argument");
        return -1;
    }
    return 0;
}

/* A calendar date YYYY-MM-DD that exists. */
static bool valid_date(const char *s)
{
    int y, m, d;
    return date_parse(s, &y, &m, &d) == 0;
}

static bool is_cert_serial(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".:-", *p))
            return false;
    return true;
}

static int token_create(PGconn *conn, const struct token_args *a)
{
    char err[1024];
    char codes[CODES_TEXT_MAX] = "{";
    char token[48], hash[65], outcome[96];
    int rc = 1;
    PGresult *res = NULL;

    /* Codes are validated above, so the array literal needs no quoting. Duplicates collapse. */
    for (size_t i = 0; i < a->ncodes; i++) {
        if (i)
            strcat(codes, ",");
        strcat(codes, a->codes[i]);
    }
    strcat(codes, "}");

    if (token_generate(token) != 0) {
        admin_print_error("token", "the random number generator failed");
        return 1;
    }
    token_hash_hex(token, hash);

    if (admin_db_command(conn, "BEGIN", 0, NULL, err, sizeof err) != 0)
        goto fail;
    const char *check[] = {codes};
    res = admin_db_exec(conn,
                        "SELECT string_agg(c, ', ' ORDER BY c) FROM unnest($1::text[]) AS c"
                        " WHERE NOT EXISTS (SELECT 1 FROM municipalities m WHERE m.code = c)",
                        1, check, err, sizeof err);
    if (!res)
        goto fail;
    if (!PQgetisnull(res, 0, 0)) {
        snprintf(err, sizeof err, "unknown municipality code: %s", PQgetvalue(res, 0, 0));
        goto fail;
    }
    PQclear(res);
    res = NULL;
    if (a->expires) {
        const char *p[] = {a->expires};
        res = admin_db_exec(conn, "SELECT $1::date > (now() AT TIME ZONE 'Europe/Amsterdam')::date",
                            1, p, err, sizeof err);
        if (!res)
            goto fail;
        if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
            snprintf(err, sizeof err, "--expires %s is not after today (Europe/Amsterdam)",
                     a->expires);
            goto fail;
        }
        PQclear(res);
        res = NULL;
    }
    const char *ins[] = {hash, a->role, a->name, a->expires, a->cert_serial};
    res = admin_db_exec(conn,
                        "INSERT INTO tokens (hash, role, label, expires_at, cert_serial)"
                        " VALUES ($1, $2, $3,"
                        "         ($4::date)::timestamp AT TIME ZONE 'Europe/Amsterdam', $5)"
                        " RETURNING id",
                        5, ins, err, sizeof err);
    if (!res) {
        if (strcmp(admin_db_last_sqlstate(), "23505") == 0 && a->cert_serial)
            snprintf(err, sizeof err, "certificate serial %s already belongs to another token",
                     a->cert_serial);
        goto fail;
    }
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;
    const char *tm[] = {id, codes};
    if (admin_db_command(conn,
                         "INSERT INTO token_municipalities (token_id, municipality_code)"
                         " SELECT DISTINCT $1::bigint, c FROM unnest($2::text[]) AS c",
                         2, tm, err, sizeof err) != 0)
        goto fail;
    snprintf(outcome, sizeof outcome, "created token %s (%s)", id, a->role);
    if (admin_db_audit(conn, "token create", outcome, err, sizeof err) != 0)
        goto fail;
    if (admin_db_command(conn, "COMMIT", 0, NULL, err, sizeof err) != 0)
        goto fail;
    printf("%s\n", token);
    fflush(stdout);
    fprintf(stderr, "trechterd token: created token %s (%s); it is shown only this once\n", id,
            a->role);
    rc = 0;
    goto out;
fail:
    PQclear(res);
    admin_db_rollback(conn);
    admin_print_error("token", err);
out:
    OPENSSL_cleanse(token, sizeof token);
    return rc;
}

static int token_list(PGconn *conn)
{
    char err[1024];
    PGresult *res = admin_db_exec(
        conn,
        "SELECT t.id, t.role, t.label,"
        "       coalesce((SELECT string_agg(tm.municipality_code, ',' ORDER BY "
        "tm.municipality_code)"
        "                   FROM token_municipalities tm WHERE tm.token_id = t.id), '-'),"
        "       CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked ' ||"
        "                 to_char(t.revoked_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD "
        "HH24:MI')"
        "            WHEN t.expires_at IS NOT NULL AND now() >= t.expires_at THEN 'expired ' ||"
        "                 to_char(t.expires_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD')"
        "            WHEN t.expires_at IS NOT NULL THEN 'expires ' ||"
        "                 to_char(t.expires_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD')"
        "            ELSE 'active' END,"
        "       coalesce(t.cert_serial, '-')"
        "  FROM tokens t ORDER BY t.id",
        0, NULL, err, sizeof err);
    if (!res) {
        admin_print_error("token", err);
        return 1;
    }
    for (int i = 0; i < PQntuples(res); i++)
        printf("%s\t%s\t%s\t%s\t%s\t%s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
               PQgetvalue(res, i, 5));
    fflush(stdout);
    PQclear(res);
    return 0;
}

static int token_revoke(PGconn *conn, const char *id_text)
{
    char err[1024], outcome[64];
    PGresult *res = NULL;
    const char *p[] = {id_text};
    if (admin_db_command(conn, "BEGIN", 0, NULL, err, sizeof err) != 0)
        goto fail;
    res = admin_db_exec(conn,
                        "SELECT revoked_at IS NOT NULL FROM tokens WHERE id = $1::bigint"
                        " FOR UPDATE",
                        1, p, err, sizeof err);
    if (!res)
        goto fail;
    if (PQntuples(res) == 0) {
        snprintf(err, sizeof err, "no token with id %s", id_text);
        goto fail;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
        PQclear(res);
        admin_db_rollback(conn);
        fprintf(stderr, "trechterd token: token %s was already revoked\n", id_text);
        return 0;
    }
    PQclear(res);
    res = NULL;
    if (admin_db_command(conn, "UPDATE tokens SET revoked_at = now() WHERE id = $1::bigint", 1, p,
                         err, sizeof err) != 0)
        goto fail;
    snprintf(outcome, sizeof outcome, "revoked token %s", id_text);
    if (admin_db_audit(conn, "token revoke", outcome, err, sizeof err) != 0 ||
        admin_db_command(conn, "COMMIT", 0, NULL, err, sizeof err) != 0)
        goto fail;
    fprintf(stderr, "trechterd token: revoked token %s\n", id_text);
    return 0;
fail:
    PQclear(res);
    admin_db_rollback(conn);
    admin_print_error("token", err);
    return 1;
}

/* Checks a create request before touching the database. Returns 0, or 1 after printing why. */
static int validate_create(const struct token_args *a)
{
    if (!a->role || (strcmp(a->role, "municipality") != 0 && strcmp(a->role, "rapporteur") != 0 &&
                     strcmp(a->role, "analyst") != 0)) {
        fail_usage("--role must be municipality, rapporteur or analyst");
        return 1;
    }
    if (!a->name || !label_valid(a->name)) {
        fail_usage("--name LABEL is required: 1 to 200 characters, no control characters");
        return 1;
    }
    bool municipality = strcmp(a->role, "municipality") == 0;
    if (municipality && a->ncodes == 0) {
        fail_usage("a municipality token needs at least one --municipality GMxxxx");
        return 1;
    }
    if (!municipality && a->ncodes > 0) {
        fail_usage("only a municipality token holds --municipality codes");
        return 1;
    }
    for (size_t i = 0; i < a->ncodes; i++) {
        if (!municipality_code_valid(a->codes[i])) {
            char msg[96];
            snprintf(msg, sizeof msg, "'%.20s' is not a municipality code (GM and four digits)",
                     a->codes[i]);
            fail_usage(msg);
            return 1;
        }
    }
    if (a->expires && !valid_date(a->expires)) {
        fail_usage("--expires takes a date YYYY-MM-DD");
        return 1;
    }
    if (a->cert_serial && !is_cert_serial(a->cert_serial)) {
        fail_usage("--cert-serial takes 1 to 64 letters, digits, '.', ':' or '-'");
        return 1;
    }
    if (a->positional) {
        fail_usage("create takes no positional argument");
        return 1;
    }
    return 0;
}

int token_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(token_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    bool create = strcmp(sub, "create") == 0, list = strcmp(sub, "list") == 0,
         revoke = strcmp(sub, "revoke") == 0;
    if (!create && !list && !revoke) {
        fail_usage("unknown subcommand (create, list, revoke)");
        return 2;
    }
    struct token_args a = {0};
    if (parse_args(argc - 1, argv + 1, &a) != 0)
        return 2;
    if (a.help) {
        fputs(token_help, stdout);
        return 0;
    }
    if (create) {
        int v = validate_create(&a);
        if (v)
            return v;
    } else if (list && a.positional) {
        fail_usage("list takes no argument");
        return 2;
    } else if (revoke) {
        char *end = NULL;
        long long id = a.positional ? strtoll(a.positional, &end, 10) : 0;
        if (!a.positional || *end || id <= 0) {
            fail_usage("revoke takes the token's numeric id (see token list)");
            return 2;
        }
    }
    const char *conninfo = admin_db_conninfo(a.db);
    if (!conninfo) {
        fail_usage("no database: give --db CONNINFO or set TRECHTER_DB");
        return 2;
    }
    char err[1024];
    PGconn *conn = admin_db_connect(conninfo, "token", err, sizeof err);
    if (!conn) {
        admin_print_error("token", err);
        return 1;
    }
    int rc = create ? token_create(conn, &a)
             : list ? token_list(conn)
                    : token_revoke(conn, a.positional);
    PQfinish(conn);
    return rc;
}
