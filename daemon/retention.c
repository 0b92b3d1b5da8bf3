/* `trechterd audit-retention`: one call of audit_forget_client_addresses(days) on the primary. */
#include "daemon/retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/admin_db.h"
#include "daemon/admin_options.h"
#include "daemon/config.h"

static void retention_usage(FILE *out)
{
    fprintf(out, "Usage: trechterd audit-retention [--config FILE] [--db CONNINFO] [--days N]\n"
                 "\n"
                 "Removes the client addresses of audit events older than N days (the events\n"
                 "themselves stay). Run it daily (trechterd-audit-retention.timer).\n"
                 "\n"
                 "  --config FILE  take db and audit-retention-days from the serve config file\n"
                 "  --db CONNINFO  libpq connection string or URI (default: $TRECHTER_DB)\n"
                 "  --days N       retention in days (default: audit-retention-days, 180)\n"
                 "  --help         this text\n"
                 "\n"
                 "Exit status: 0 done, 1 failure, 2 bad usage.\n");
}

int retention_main(int argc, char **argv)
{
    struct config cfg;
    const char *db = NULL, *days = NULL, *config_file = NULL;
    char err[1024], days_text[16];
    int rc = 2, next;
    PGconn *conn = NULL;
    PGresult *res = NULL;
    config_defaults(&cfg);
    const struct admin_option options[] = {
        {"config", .value = &config_file},
        {"db", .value = &db},
        {"days", .value = &days},
    };
    switch (admin_parse_options(argc, argv, options, sizeof options / sizeof options[0], true,
                                &next, err, sizeof err)) {
    case ADMIN_PARSE_HELP:
        retention_usage(stdout);
        rc = 0;
        goto out;
    case ADMIN_PARSE_ERROR:
        admin_print_error("audit-retention", err);
        retention_usage(stderr);
        goto out;
    case ADMIN_PARSE_OK:
        break;
    }
    if (next < argc) {
        admin_print_error("audit-retention", "unexpected argument (see --help)");
        goto out;
    }
    if (config_file && config_load_file(&cfg, config_file, err, sizeof err) < 0) {
        admin_print_error("audit-retention", err);
        rc = 1;
        goto out;
    }
    if (days) {
        char *end;
        long n = strtol(days, &end, 10);
        if (*end || end == days || n < 0 || n > 36500) {
            admin_print_error("audit-retention", "--days: a whole number from 0 to 36500");
            goto out;
        }
        cfg.audit_retention_days = (int)n;
    }
    snprintf(days_text, sizeof days_text, "%d", cfg.audit_retention_days);
    const char *conninfo = admin_db_conninfo(db ? db : cfg.db);
    if (!conninfo) {
        admin_print_error("audit-retention",
                          "no database: give --config FILE, --db CONNINFO or set TRECHTER_DB");
        goto out;
    }
    rc = 1;
    conn = admin_db_connect(conninfo, "audit-retention", err, sizeof err);
    if (!conn) {
        admin_print_error("audit-retention", err);
        goto out;
    }
    const char *params[1] = {days_text};
    res = admin_db_exec(conn, "SELECT audit_forget_client_addresses($1::int)", 1, params, err,
                        sizeof err);
    if (!res) {
        admin_print_error("audit-retention", err);
        goto out;
    }
    printf("forgot the client addresses of %s audit events older than %s days\n",
           PQgetvalue(res, 0, 0), days_text);
    rc = 0;
out:
    PQclear(res);
    if (conn)
        PQfinish(conn);
    config_free(&cfg);
    return rc;
}
