/* Blocking libpq helpers shared by the admin commands (migrate, token, load). Never used on a
 * request path: the daemon's workers talk to PostgreSQL only through db_pool. */
#ifndef TRECHTER_ADMIN_DB_H
#define TRECHTER_ADMIN_DB_H
#include <libpq-fe.h>
#include <stddef.h>

/* The conninfo to use: the --db value when given, else $TRECHTER_DB, else NULL. */
const char *admin_db_conninfo(const char *flag_value);

/* Opens a blocking connection (conninfo may be key=value or a URI) with application_name
 * "trechterd-<command>" unless the conninfo names one, and client_min_messages = warning.
 * Returns NULL with a message in err. */
PGconn *admin_db_connect(const char *conninfo, const char *command, char *err, size_t errlen);

/* Runs one parameterised statement (text parameters, text results). Returns the result when its
 * status is PGRES_COMMAND_OK or PGRES_TUPLES_OK; otherwise NULL with the server's message (and a
 * hint when the schema is missing) in err. The caller PQclear()s the result. */
PGresult *admin_db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
                        char *err, size_t errlen);

/* As admin_db_exec for statements whose result is not needed. Returns 0 or -1. */
int admin_db_command(PGconn *conn, const char *sql, int nparams, const char *const *params,
                     char *err, size_t errlen);

/* The SQLSTATE of the last failed admin_db_exec on this thread ("" when none). */
const char *admin_db_last_sqlstate(void);

/* Appends a command-line audit event (design §6: principal "cli", method "CLI", a fresh "cli-"
 * request id) inside the caller's transaction. Returns 0 or -1 with a message in err. */
int admin_db_audit(PGconn *conn, const char *path, const char *outcome, char *err, size_t errlen);

/* Best-effort ROLLBACK after a failure inside a transaction. */
void admin_db_rollback(PGconn *conn);

/* Prints "trechterd COMMAND: MESSAGE" and a newline to stderr. */
void admin_print_error(const char *command, const char *message);

#endif
