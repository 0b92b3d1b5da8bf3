/* A per-worker cache of rendered answers of the read endpoints, keyed by the request and the kind
 * of caller (design §5.5: a cache holds what that kind of caller may see — raw for the rapporteur,
 * protected for analysts, and per set of municipality codes for municipalities). Dropped whole on
 * every change notification; bounded in entries and bytes. Loop-local: no locking. */
#ifndef TRECHTER_RESPONSE_CACHE_H
#define TRECHTER_RESPONSE_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/metrics.h"

struct response_cache;

struct cached_answer {
    const char *content_type; /* borrowed from the cache */
    const char *body;         /* borrowed from the cache */
    size_t len;
    const char *disposition; /* Content-Disposition or NULL */
};

struct response_cache *response_cache_new(size_t max_entries, size_t max_bytes);
void response_cache_free(struct response_cache *c);

/* The answer stored under key, valid until the next call that changes the cache. */
bool response_cache_get(struct response_cache *c, const char *key, struct cached_answer *out);

/* Stores a copy; an answer larger than an eighth of max_bytes is not kept. When full, everything
 * is dropped first (answers are cheap to make again; a simple rule keeps memory bounded). */
void response_cache_put(struct response_cache *c, const char *key, const char *content_type,
                        const char *disposition, const char *body, size_t len);

void response_cache_clear(struct response_cache *c);

void response_cache_get_stats(const struct response_cache *c, struct metrics_cache_stats *out);

#endif
