/* Blocking libpq helpers for the admin commands: connection, parameterised statements, errors. */
#include "daemon/admin_db.h"

#include "core/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_sqlstate[6];

const char *admin_db_conninfo(const char *flag_value)
{
    if (flag_value && *flag_value)
        return flag_value;
    const char *env = getenv("TRECHTER_DB");
    return env && *env ? env : NULL;
}

/* Copies a libpq message without its trailing newline. */
static void copy_message(char *err, size_t errlen, const char *prefix, const char *msg)
{
    if (!errlen)
        return;
    snprintf(err, errlen, "%s%s", prefix, msg ? msg : "unknown error");
    size_t n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '\r'))
        err[--n] = '\0';
}

PGconn *admin_db_connect(const char *conninfo, const char *command, char *err, size_t errlen)
{
    char appname[64];
    snprintf(appname, sizeof appname, "trechterd-%s", command ? command : "admin");
    const char *keys[] = {"dbname", "fallback_application_name", NULL};
    const char *values[] = {conninfo, appname, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (!conn) {
        copy_message(err, errlen, "", "out of memory");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        copy_message(err, errlen, "cannot connect to the database: ", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    /* NOTICEs (e.g. "relation already exists, skipping") are noise on an operator's terminal. */
    if (admin_db_command(conn, "SET client_min_messages = warning", 0, NULL, err, errlen) != 0) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

PGresult *admin_db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
                        char *err, size_t errlen)
{
    last_sqlstate[0] = '\0';
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state)
        snprintf(last_sqlstate, sizeof last_sqlstate, "%s", state);
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (state && strcmp(state, "42P01") == 0)
        snprintf(err, errlen, "%s (is the schema migrated? run: trechterd migrate --db ...)",
                 primary);
    else if (primary)
        copy_message(err, errlen, "", primary);
    else
        copy_message(err, errlen, "", PQerrorMessage(conn));
    PQclear(res);
    return NULL;
}

int admin_db_command(PGconn *conn, const char *sql, int nparams, const char *const *params,
                     char *err, size_t errlen)
{
    PGresult *res = admin_db_exec(conn, sql, nparams, params, err, errlen);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

const char *admin_db_last_sqlstate(void)
{
    return last_sqlstate;
}

void admin_db_rollback(PGconn *conn)
{
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
}

void admin_print_error(const char *command, const char *message)
{
    fprintf(stderr, "trechterd %s: %s\n", command, message);
}

int admin_db_audit(PGconn *conn, const char *path, const char *outcome, char *err, size_t errlen)
{
    char request_id[4 + 16 + 1];
    random_id("cli-", request_id, sizeof request_id);
    const char *params[] = {request_id, path, outcome};
    return admin_db_command(conn,
                            "INSERT INTO audit_events (principal_label, request_id, method, path,"
                            " outcome) VALUES ('cli', $1, 'CLI', $2, $3)",
                            3, params, err, errlen);
}
