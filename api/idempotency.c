/* The Idempotency-Key header of keyed writes and the mark of a replayed answer. */
#include "api/idempotency.h"

#include <stdbool.h>
#include <string.h>

#include "api/outcome.h"
#include "api/request.h"
#include "core/digest.h"

/* 1..IDEMPOTENCY_KEY_MAX visible ASCII characters (what the client's UUIDs and any sane key are;
 * nothing that could be a header injection or need escaping in a log line). */
static bool key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > IDEMPOTENCY_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e)
            return false;
    return true;
}

void idempotency_read(const struct request *r, struct idempotency *id, struct violations *v)
{
    id->key[0] = '\0';
    id->body_sha256[0] = '\0';
    const char *key = request_header(r, "Idempotency-Key");
    if (!key)
        return;
    if (!key_valid(key)) {
        violations_add(v, IN_HEADER, "Idempotency-Key", "invalid",
                       "An Idempotency-Key is 1 to 255 visible ASCII characters.");
        return;
    }
    memcpy(id->key, key, strlen(key) + 1);
}

void idempotency_hash_body(struct idempotency *id, const char *body, size_t len)
{
    sha256_hex(body, len, id->body_sha256);
}

const char *idempotency_key_param(const struct idempotency *id)
{
    return id->key[0] ? id->key : NULL;
}

void idempotency_mark_replayed(struct request *r)
{
    request_add_header(r, "Idempotent-Replayed", "true");
}

void idempotency_reply_conflict(struct request *r, const struct sql_outcome *o)
{
    if (strcmp(o->word, "idempotency-running") == 0)
        request_add_header(r, "Retry-After", "1");
    reply_problem(r, o->status, o->problem, o->detail, NULL);
}
