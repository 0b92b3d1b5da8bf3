/* Token buckets keyed by principal or address in a small locked table. */
#include "daemon/rate_limit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { KEY_MAX = 72, PROBES = 8 };

bool token_bucket_take(struct token_bucket *b, double rate, double burst, double now,
                       double *retry_after)
{
    if (b->last == 0) {
        b->tokens = burst;
        b->last = now;
    }
    if (now > b->last) {
        b->tokens += (now - b->last) * rate;
        if (b->tokens > burst)
            b->tokens = burst;
        b->last = now;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return true;
    }
    *retry_after = (1.0 - b->tokens) / rate;
    return false;
}

struct slot {
    char key[KEY_MAX]; /* "" when free */
    struct token_bucket bucket;
    double rate, burst;
};

struct rate_limiter {
    pthread_mutex_t lock;
    struct slot *slots; /* owned */
    size_t nslots;
};

struct rate_limiter *rate_limiter_new(size_t slots)
{
    struct rate_limiter *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->slots = calloc(slots, sizeof *l->slots);
    if (!l->slots) {
        free(l);
        return NULL;
    }
    l->nslots = slots;
    pthread_mutex_init(&l->lock, NULL);
    return l;
}

void rate_limiter_free(struct rate_limiter *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l->slots);
    free(l);
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* A bucket that would be full by now has no memory worth keeping: its slot may be reused. */
static bool idle(const struct slot *s, double now)
{
    return s->key[0] == '\0' || s->bucket.tokens + (now - s->bucket.last) * s->rate >= s->burst;
}

bool rate_limiter_take(struct rate_limiter *l, const char *key, double rate, double burst,
                       double now, double *retry_after)
{
    if (!l || rate <= 0 || strlen(key) >= KEY_MAX)
        return true;
    bool allowed = true;
    pthread_mutex_lock(&l->lock);
    size_t start = (size_t)(hash(key) % l->nslots);
    struct slot *found = NULL, *reusable = NULL;
    for (size_t i = 0; i < PROBES && !found; i++) {
        struct slot *s = &l->slots[(start + i) % l->nslots];
        if (strcmp(s->key, key) == 0)
            found = s;
        else if (!reusable && idle(s, now))
            reusable = s;
    }
    if (!found && reusable) {
        found = reusable;
        memset(found, 0, sizeof *found);
        strcpy(found->key, key);
    }
    if (found) {
        found->rate = rate;
        found->burst = burst;
        allowed = token_bucket_take(&found->bucket, rate, burst, now, retry_after);
    }
    pthread_mutex_unlock(&l->lock);
    return allowed;
}
