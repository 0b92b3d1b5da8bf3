/* `trechterd migrate`: applies the numbered SQL migrations built into the binary (sql/NNN_*.sql),
 * each with an optional data step in C, and answers which schema versions this binary works with.
 *
 * Versions: migration NNN brings the schema to version NNN. A migration file may begin with the
 * line `-- compatible-from: M` (default 1): binaries that know version M or later still work with
 * a database at version NNN. That is stored in schema_migrations.compatible_from. */
#ifndef TRECHTER_MIGRATE_H
#define TRECHTER_MIGRATE_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>

/* The command: argv[0] is "migrate"; `--db CONNINFO` (or $TRECHTER_DB), `--help`. Returns the
 * process exit status: 0 done or already up to date, 1 failure or refusal, 2 bad usage. */
int migrate_main(int argc, char **argv);

/* Brings the database on conn (blocking, idle) to migrate_binary_version(). Takes
 * pg_advisory_lock so concurrent runs serialise, creates schema_migrations if missing, refuses a
 * database newer than the binary, and applies each missing migration in its own transaction
 * (BEGIN; its SQL; its data step; INSERT INTO schema_migrations; COMMIT). Writes one line per
 * applied migration, or "up to date at version N", to log (may be NULL). Returns 0, or -1 with a
 * message in err; a failed migration is rolled back and those before it stay applied. */
int migrate_run(PGconn *conn, FILE *log, char *err, size_t errlen);

/* The highest migration version built into this binary. */
int migrate_binary_version(void);

/* The compatible-from of this binary's newest migration: binaries older than this cannot use a
 * database that this binary has migrated. */
int migrate_min_compatible(void);

/* Whether this binary can serve a database whose newest applied version is db_version, where
 * db_compatible_from is the highest compatible_from among applied versions newer than this
 * binary's (0 when there are none): the database must be fully migrated for this binary, and any
 * newer migrations must declare themselves compatible with it. Pure; for /readyz. */
bool migrate_schema_compatible(int db_version, int db_compatible_from);

/* One parameterised statement for /readyz and startup: $1 = migrate_binary_version() as text;
 * returns one row (db_version int, db_compatible_from int) for migrate_schema_compatible(). */
extern const char migrate_compat_sql[];

#endif
