/* Open-addressing hash map of rendered answers, dropped whole on changes or when full. */
#include "api/response_cache.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;          /* owned; NULL for an empty slot */
    char *content_type; /* owned */
    char *disposition;  /* owned, may be NULL */
    char *body;         /* owned */
    size_t len;
};

struct response_cache {
    struct entry *slots; /* owned; capacity is a power of two, at least twice max_entries */
    size_t capacity, entries, bytes, max_entries, max_bytes;
    struct metrics_cache_stats stats;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct response_cache *response_cache_new(size_t max_entries, size_t max_bytes)
{
    struct response_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->capacity = 16;
    while (c->capacity < max_entries * 2)
        c->capacity *= 2;
    c->slots = calloc(c->capacity, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    return c;
}

void response_cache_clear(struct response_cache *c)
{
    for (size_t i = 0; i < c->capacity; i++) {
        struct entry *e = &c->slots[i];
        free(e->key);
        free(e->content_type);
        free(e->disposition);
        free(e->body);
        memset(e, 0, sizeof *e);
    }
    c->entries = 0;
    c->bytes = 0;
    c->stats.clears++;
}

void response_cache_free(struct response_cache *c)
{
    if (!c)
        return;
    response_cache_clear(c);
    free(c->slots);
    free(c);
}

static struct entry *slot_for(struct response_cache *c, const char *key)
{
    size_t i = (size_t)hash(key) & (c->capacity - 1);
    while (c->slots[i].key && strcmp(c->slots[i].key, key) != 0)
        i = (i + 1) & (c->capacity - 1);
    return &c->slots[i];
}

bool response_cache_get(struct response_cache *c, const char *key, struct cached_answer *out)
{
    struct entry *e = slot_for(c, key);
    if (!e->key) {
        c->stats.misses++;
        return false;
    }
    c->stats.hits++;
    *out = (struct cached_answer){e->content_type, e->body, e->len, e->disposition};
    return true;
}

void response_cache_put(struct response_cache *c, const char *key, const char *content_type,
                        const char *disposition, const char *body, size_t len)
{
    if (len > c->max_bytes / 8)
        return;
    if (c->entries + 1 > c->max_entries || c->bytes + len > c->max_bytes)
        response_cache_clear(c);
    struct entry *e = slot_for(c, key);
    if (e->key)
        return; /* already there */
    struct entry n = {strdup(key), strdup(content_type), disposition ? strdup(disposition) : NULL,
                      malloc(len ? len : 1), len};
    if (!n.key || !n.content_type || (disposition && !n.disposition) || !n.body) {
        free(n.key), free(n.content_type), free(n.disposition), free(n.body);
        return;
    }
    memcpy(n.body, body, len);
    *e = n;
    c->entries++;
    c->bytes += len + strlen(key);
    c->stats.stores++;
}

void response_cache_get_stats(const struct response_cache *c, struct metrics_cache_stats *out)
{
    *out = c->stats;
    out->entries = c->entries;
    out->bytes = c->bytes;
}
