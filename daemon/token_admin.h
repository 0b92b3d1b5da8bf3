/* `trechterd token create|list|revoke`: managing the bearer tokens of principals (design §4, §7).
 * Blocking libpq; every change is one transaction that also appends an audit event. */
#ifndef TRECHTER_TOKEN_ADMIN_H
#define TRECHTER_TOKEN_ADMIN_H

/* argv[0] is "token", argv[1] the subcommand. `--db CONNINFO` (or $TRECHTER_DB) everywhere.
 *   create --role ROLE [--municipality GMxxxx]... --name LABEL [--expires YYYY-MM-DD]
 *          [--cert-serial OIN]   prints only the new token on stdout
 *   list                         one line per token, tab-separated: id, role, label,
 *                                municipality codes (comma-joined, "-" for none), state
 *                                ("active", "expires YYYY-MM-DD", "expired YYYY-MM-DD",
 *                                "revoked YYYY-MM-DD HH:MM"), certificate serial ("-" for none)
 *   revoke ID                    sets revoked_at; revoking a revoked token changes nothing
 * Returns the exit status: 0 success, 1 failure (an invalid or unknown value, unknown id, database
 * error), 2 bad usage (unknown subcommand or option, missing --db). */
int token_main(int argc, char **argv);

#endif
