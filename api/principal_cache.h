/* A per-worker cache of who a credential (a token's hash or a certificate's OIN) stands for, so an
 * authenticated read need not ask the database each time. Trusted only while the worker's LISTEN
 * connection is up: every change to tokens notifies (sql/007), which clears it; an expiry is
 * checked against the clock on every hit. Negative answers are never cached. Loop-local. */
#ifndef TRECHTER_PRINCIPAL_CACHE_H
#define TRECHTER_PRINCIPAL_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "api/request.h"

struct principal_cache;

struct principal_cache *principal_cache_new(size_t slots);
void principal_cache_free(struct principal_cache *c);
void principal_cache_clear(struct principal_cache *c);

/* Fills *out (codes malloc'd, owned by out) when key is cached and not expired at now. */
bool principal_cache_get(struct principal_cache *c, const char *key, time_t now,
                         struct principal *out);

/* Remembers p under key until `expires` (0: no expiry). */
void principal_cache_put(struct principal_cache *c, const char *key, const struct principal *p,
                         time_t expires);

#endif
