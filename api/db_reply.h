/* Handlers whose answer PostgreSQL renders: one parameterised statement returning one text column
 * of JSON (or no row / NULL for "not found"), passed through to the client unchanged. */
#ifndef TRECHTER_DB_REPLY_H
#define TRECHTER_DB_REPLY_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "daemon/db_pool.h"

struct request;

/* Runs sql and answers 200 with its JSON, 404 with not_found_detail when it gives no row or NULL,
 * and 503 when the database cannot be reached. Frees the request, like every reply. */
void reply_from_query(struct request *r, const char *sql, int nparams, const char *const *params,
                      const char *not_found_detail);

/* Answers a failed statement: 503 (with Retry-After) for an unreachable, overloaded or timed-out
 * database, 500 for anything else (logged with the SQLSTATE, never shown to the client). */
void reply_db_failure(struct request *r, enum db_status status, const PGresult *res);

/* Who writes, where from, and the warning thresholds in force: the six parameters every write
 * function of sql/ takes in this order (principal id, label, request id, client address, outlier
 * minimum, outlier ratio). The text lives in *w, which must outlive the statement's sending. */
enum { WRITER_PARAMS = 6 };
struct writer_params {
    char principal[24], outlier_min[16], outlier_ratio[16];
};
void writer_params_put(const struct request *r, struct writer_params *w, const char **params);

/* How often a write (one statement, one transaction) is tried before its failure is answered. */
enum { DB_WRITE_ATTEMPTS = 4 };

/* True when a write failed only because it raced another and sending it again is safe and may
 * succeed: a serialisation failure (40001), a deadlock (40P01), or a unique violation (23505) from
 * two transactions creating the same row at once. */
bool db_write_retryable(enum db_status status, const PGresult *res);

/* The answer of a write function (one row, one JSON text column), as every write's done-callback
 * takes it: when the write lost a race (db_write_retryable) and has been sent fewer than
 * DB_WRITE_ATTEMPTS times, calls resend(r) and returns NULL; when it failed otherwise, answers the
 * failure (reply_db_failure) and returns NULL; else returns the parsed JSON (a new reference; NULL
 * only when the text is not JSON, which is answered 500 here). */
json_t *db_write_answer(struct request *r, enum db_status status, const PGresult *res, int attempts,
                        void (*resend)(struct request *r));

#endif
