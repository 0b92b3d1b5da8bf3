/* Direct-mapped cache of authenticated principals, keyed by credential. */
#include "api/principal_cache.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    char key[80];               /* "" when empty */
    struct principal principal; /* codes owned */
    time_t expires;
};

struct principal_cache {
    struct slot *slots; /* owned */
    size_t n;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct principal_cache *principal_cache_new(size_t slots)
{
    struct principal_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->slots = calloc(slots, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    c->n = slots;
    return c;
}

static void slot_clear(struct slot *s)
{
    free(s->principal.codes);
    memset(s, 0, sizeof *s);
}

void principal_cache_clear(struct principal_cache *c)
{
    for (size_t i = 0; c && i < c->n; i++)
        slot_clear(&c->slots[i]);
}

void principal_cache_free(struct principal_cache *c)
{
    if (!c)
        return;
    principal_cache_clear(c);
    free(c->slots);
    free(c);
}

bool principal_cache_get(struct principal_cache *c, const char *key, time_t now,
                         struct principal *out)
{
    struct slot *s = &c->slots[hash(key) % c->n];
    if (strcmp(s->key, key) != 0)
        return false;
    if (s->expires && now >= s->expires) {
        slot_clear(s);
        return false;
    }
    char *codes = strdup(s->principal.codes ? s->principal.codes : "");
    if (!codes)
        return false;
    *out = s->principal;
    out->codes = codes;
    return true;
}

void principal_cache_put(struct principal_cache *c, const char *key, const struct principal *p,
                         time_t expires)
{
    if (strlen(key) >= sizeof c->slots[0].key)
        return;
    struct slot *s = &c->slots[hash(key) % c->n];
    char *codes = strdup(p->codes ? p->codes : "");
    if (!codes)
        return;
    slot_clear(s);
    snprintf(s->key, sizeof s->key, "%s", key);
    s->principal = *p;
    s->principal.codes = codes;
    s->expires = expires;
}
