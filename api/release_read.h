/* Reads of releases for /v1/funnels and /v1/comparisons (design §8): what a read shows — the
 * `release` parameter and its default by role —, the lookup of the stored rows, and those rows
 * as the answer's rows. */
#ifndef TRECHTER_RELEASE_READ_H
#define TRECHTER_RELEASE_READ_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/release.h"
#include "daemon/db_pool.h"

struct request;
struct read_query;
struct catalog;

struct release_read {
    enum release_choice choice;
    char id[RELEASE_ID_MAX]; /* RELEASE_ID */
};

/* Decides what the read shows. Without `release` the rapporteur (who sees everything raw) reads
 * live and everyone else `latest`; `live` is refused to a protected reader (403) unless
 * protected-live-reads is on; a release of another period than the one asked, or with a series,
 * is 400. Answers the refusal itself and returns false. */
bool release_read_accept(struct request *r, const struct read_query *q, struct release_read *out);

/* Queues the lookup of the stored rows (sql/010 release_funnel_rows) of set/regions, the
 * breakdown `dimension` ("" for totals), for every period of q. Returns -1 (not answered) when
 * the pool refuses it. */
int release_read_send(struct request *r, const struct release_read *rr, const struct read_query *q,
                      const char *set, const char *regions, const char *dimension, db_done_fn done);

/* The rows of the lookup, in order: each region's raw row where `p` may see every contributing
 * municipality raw (core/access), else its published row; a period without a release gives
 * release_missing_row()s. Every row carries "release" ({"id", "status", "releasedAt"} or null).
 * A new reference (NULL when out of memory). */
struct principal;
json_t *release_read_rows(const PGresult *res, const struct principal *p,
                          const struct catalog *cat);

/* Answers a read of funnels or comparisons: text (owned, freed here) of content_type, 200. For a
 * caller without a token (open releases only) the answer may be kept by anyone for 5 minutes:
 * Cache-Control: public, max-age=300, an ETag of its bytes, and 304 to If-None-Match. csv_name
 * names the CSV file (Content-Disposition) or is NULL for JSON. */
void release_read_reply(struct request *r, const char *content_type, char *text,
                        const char *csv_name);

/* The "release" member of an answer: the release of the first row (null when it has none). */
json_t *release_read_answer_release(const json_t *rows);

#endif
