/* Idempotency-Key on writes (design §3.1, §6): the one reading of the header and the one marking
 * of a replayed answer, shared by POST /v1/imports and by PUT and DELETE of funnels and networks.
 * What a key means — the first answer per principal and request (method, path, body), kept for 24
 * hours in the write's own transaction, 409 for the same key with another request or while the
 * first is running — is decided by sql/009's idempotency_claim and idempotency_keep, which every
 * keyed write function calls. */
#ifndef TRECHTER_IDEMPOTENCY_H
#define TRECHTER_IDEMPOTENCY_H
#include <stddef.h>

#include "core/problem.h"

struct request;

enum { IDEMPOTENCY_KEY_MAX = 255 };

/* A write's key and the digest of its body, as the write function's parameters. */
struct idempotency {
    char key[IDEMPOTENCY_KEY_MAX + 1]; /* the Idempotency-Key header, "" when there is none */
    char body_sha256[65];              /* lower-case hex SHA-256 of the body, "" until hashed */
};

/* Reads the Idempotency-Key header of `r` into id->key ("" when absent) and clears the digest.
 * A malformed key — not 1 to 255 visible ASCII characters — adds a violation (in header) to v and
 * leaves id->key "". */
void idempotency_read(const struct request *r, struct idempotency *id, struct violations *v);

/* Sets id->body_sha256 to the digest of body[0..len): the key's request is compared by it. */
void idempotency_hash_body(struct idempotency *id, const char *body, size_t len);

/* The key as a statement parameter: NULL for a request without one (then nothing is kept). */
const char *idempotency_key_param(const struct idempotency *id);

/* Marks an answer that repeats the one kept for the key: `Idempotent-Replayed: true`. */
void idempotency_mark_replayed(struct request *r);

struct sql_outcome;
/* Answers a 409 of an idempotency-... word (api/outcome.c). While the first request with the key
 * is still running, with `Retry-After: 1`: asking again soon gets its answer (the client retries
 * such a 409); a key used for another request is final. */
void idempotency_reply_conflict(struct request *r, const struct sql_outcome *o);

#endif
