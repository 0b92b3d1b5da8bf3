/* A dedicated, non-blocking PostgreSQL connection per worker that LISTENs for change
 * notifications (`NOTIFY trechter_changes`), so that caches are dropped on every write made
 * through any daemon instance or admin command. It goes straight to the primary (LISTEN does not
 * work through PgBouncer in transaction mode or on a hot standby) and reconnects by itself with a
 * growing delay. While it is not listening, notifications may be missed: callers must not trust a
 * cache then (db_listen_ok). */
#ifndef TRECHTER_DB_LISTEN_H
#define TRECHTER_DB_LISTEN_H
#include <stdbool.h>

struct event_base;
struct db_listen;

/* Called for every notification, and with payload NULL each time listening (re)starts — anything
 * may have changed while it was not. */
typedef void (*db_listen_fn)(void *arg, const char *payload);

struct db_listen *db_listen_new(struct event_base *base, const char *conninfo, const char *channel,
                                db_listen_fn fn, void *arg);
void db_listen_free(struct db_listen *l);

/* True while the LISTEN is in force. */
bool db_listen_ok(const struct db_listen *l);

#endif
