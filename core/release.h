/* Releases (design §8): their ids ("2026-Q3-r2"), the `release=` choice of a read, and the
 * request body of POST /v1/releases. Pure: no I/O. Who may make or skip releases is core/access's.
 */
#ifndef TRECHTER_RELEASE_H
#define TRECHTER_RELEASE_H
#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "core/period.h"
#include "core/problem.h"

/* "YYYY-Qn-r" and up to five digits: the longest id, with its NUL. */
#define RELEASE_ID_MAX 16

/* Parses "{period}-r{n}" with a canonical period ("2026-Q3") and n 1..99999 without leading
 * zeros. Returns 0 (filling the outputs that are not NULL) or -1. */
int release_id_parse(const char *text, struct period *period, int *number);

/* What a read shows (the `release` query parameter). */
enum release_choice {
    RELEASE_LIVE,   /* the current revisions, computed now */
    RELEASE_LATEST, /* per period its newest release */
    RELEASE_ID,     /* one release, named */
};

/* Parses "live", "latest" or a release id (into id, RELEASE_ID_MAX bytes). Returns 0 or -1. */
int release_choice_parse(const char *text, enum release_choice *choice, char *id);

/* The text of a choice, for answers and logs: "live", "latest" or the id. */
const char *release_choice_name(enum release_choice choice, const char *id);

/* A decoded POST /v1/releases body. */
struct release_request {
    char period[8]; /* canonical */
    bool final;     /* "status": "final"; else "provisional" */
    bool open;      /* "open": true; default false */
};

/* Decodes and checks the body {"period": "2026-Q3", "status": "provisional"|"final",
 * "open": false} ("open" optional). The period must have ended at `now` (a release of a quarter
 * that is still running would freeze figures nobody could have sent yet) and not be before
 * 2015-Q1. Every violation is added to v (IN_BODY, with its pointer): malformed-json,
 * duplicate-key, type, required, unknown-field, malformed-period, period-not-ended,
 * period-too-early, invalid. Returns 0 when valid, else -1. */
int release_request_decode(const char *body, size_t len, time_t now, struct release_request *out,
                           struct violations *v);

/* The row a protected read shows for a region of a period that has no release yet: every stage
 * in state "notReleased" with count null, "protected": true, "release": null. A new reference. */
struct catalog;
json_t *release_missing_row(const char *period, const char *code, const char *name,
                            const struct catalog *cat);

#endif
